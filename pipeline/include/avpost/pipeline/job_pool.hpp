#pragma once
// Several jobs at once (avpost run --jobs, avpost batch --jobs): `count` tasks on up to `workers`
// threads, each taking the next task when it is done with one, so one slow job holds up no other.
#include <cstddef>
#include <functional>

namespace avpost::pipeline {

// Runs task(0) .. task(count - 1), `workers` at a time (the calling thread is one of them), and
// returns when all have finished. After an interrupt (Ctrl-C) no further task starts. A task
// must not throw.
void run_concurrently(std::size_t count, int workers, const std::function<void(std::size_t)>& task);

}  // namespace avpost::pipeline
