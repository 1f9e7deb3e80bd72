// ThreadPool: one job at a time, published by bumping a generation counter. Workers spin for a
// short while on the counter (a decode step issues its next kernel within microseconds) and then
// sleep on a condition variable, so an idle pool costs nothing. The caller runs part 0 itself and
// spins until every worker has acknowledged the job.
#include "engine/cpu/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace asc::cpu {

namespace {
constexpr int kSpinLimit = 1 << 14;  // ~50-100 us of pause instructions before sleeping

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}
}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)) {
  workers_.reserve(static_cast<size_t>(num_threads_ - 1));
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

int ThreadPool::nested_index() const {
  if (!busy_.load(std::memory_order_acquire)) return -1;
  const std::thread::id self = std::this_thread::get_id();
  if (owner_.load(std::memory_order_acquire) == self) return 0;
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (workers_[i].get_id() == self) return static_cast<int>(i) + 1;
  }
  return -1;
}

void ThreadPool::run_range(int part) {
  const int64_t chunks = (job_n_ + job_grain_ - 1) / job_grain_;
  const int64_t first = chunks * part / job_parts_;
  const int64_t last = chunks * (part + 1) / job_parts_;
  const int64_t begin = first * job_grain_;
  const int64_t end = std::min(job_n_, last * job_grain_);
  if (begin < end) (*job_)(begin, end, part);
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    uint64_t gen = generation_.load(std::memory_order_acquire);
    while (gen == seen && !stop_.load(std::memory_order_acquire)) {
      if (++spins < kSpinLimit) {
        cpu_relax();
      } else {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] {
          return generation_.load(std::memory_order_acquire) != seen ||
                 stop_.load(std::memory_order_acquire);
        });
      }
      gen = generation_.load(std::memory_order_acquire);
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = gen;
    if (index < job_parts_) run_range(index);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallel_for(int64_t n, FunctionRef<void(int64_t, int64_t, int)> fn) {
  parallel_for_chunked(n, 1, fn);
}

void ThreadPool::parallel_for_chunked(int64_t n, int64_t grain,
                                      FunctionRef<void(int64_t, int64_t, int)> fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int nested = nested_index();
  if (nested >= 0) {  // called from inside a running job: run serially on this thread
    fn(0, n, nested);
    return;
  }
  std::lock_guard<std::mutex> submit(submit_mutex_);  // a second external caller waits its turn
  const int64_t chunks = (n + grain - 1) / grain;
  const int parts = static_cast<int>(std::min<int64_t>(num_threads_, chunks));
  owner_.store(std::this_thread::get_id(), std::memory_order_release);
  busy_.store(true, std::memory_order_release);
  if (parts <= 1) {
    fn(0, n, 0);
    busy_.store(false, std::memory_order_release);
    return;
  }
  job_ = &fn;
  job_n_ = n;
  job_grain_ = grain;
  job_parts_ = parts;
  pending_.store(num_threads_ - 1, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  wake_.notify_all();
  run_range(0);
  while (pending_.load(std::memory_order_acquire) != 0) cpu_relax();
  job_ = nullptr;
  busy_.store(false, std::memory_order_release);
}

}  // namespace asc::cpu
