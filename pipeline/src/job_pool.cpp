#include "avpost/pipeline/job_pool.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "avpost/core/interrupt.hpp"

namespace avpost::pipeline {

void run_concurrently(std::size_t count, int workers, const std::function<void(std::size_t)>& task) {
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i; (i = next++) < count;) {
            if (interrupted()) break;
            task(i);
        }
    };
    const std::size_t threads_wanted = std::min<std::size_t>(std::max(workers, 1), count);
    std::vector<std::jthread> threads;
    for (std::size_t t = 1; t < threads_wanted; ++t) threads.emplace_back(work);
    work();
}

}  // namespace avpost::pipeline
