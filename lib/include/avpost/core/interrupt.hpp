#pragma once
// Ctrl-C and SIGTERM set a flag that long loops poll, so they unwind through destructors
// (temporary outputs removed) instead of dying mid-write.
namespace avpost {

void install_interrupt_handlers();
bool interrupted();
// Throws an Error when an interrupt was requested.
void throw_if_interrupted();

}  // namespace avpost
