#include "avpost/core/interrupt.hpp"

#include <csignal>

#include "avpost/core/error.hpp"

namespace avpost {
namespace {
volatile std::sig_atomic_t interrupt_requested = 0;
void on_signal(int) { interrupt_requested = 1; }
}  // namespace

void install_interrupt_handlers() {
    struct sigaction action = {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

bool interrupted() { return interrupt_requested != 0; }

void throw_if_interrupted() {
    if (interrupted()) throw Error(ErrorDomain::system, "interrupted", 130, "stopped by a signal");
}

}  // namespace avpost
