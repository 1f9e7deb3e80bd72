// ThreadPool: one job at a time. The submitter writes the job, publishes it in the claim word
// (generation | parts | next part) and bumps generation_; spinning workers see the bump, sleeping
// ones are notified (only when some are asleep). Every thread, the submitter included, then claims
// parts with a compare-exchange on the claim word, which fails once the generation has moved on, so
// a worker that wakes late never touches a later job; the submitter returns when all parts are
// done.
#include "engine/cpu/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace asc::cpu {

namespace {
constexpr int kSpinLimit = 1 << 14;  // pause instructions (~1 ms) before a worker sleeps
constexpr int kYieldAfter = 1 << 10; // the submitter yields its core while waiting this long
constexpr int kMaxParts = 0xFFFF;    // parts fit the 16-bit fields of the claim word

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

inline uint64_t claim_word(uint32_t gen, int parts, int next) {
  return (static_cast<uint64_t>(gen) << 32) | (static_cast<uint64_t>(parts) << 16) |
         static_cast<uint64_t>(next);
}
}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)) {
  workers_.reserve(static_cast<size_t>(num_threads_ - 1));
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_seq_cst);
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

void ThreadPool::run_part(int part, int index) {
  const int64_t chunks = (job_n_ + job_grain_ - 1) / job_grain_;
  const int64_t first = chunks * part / job_parts_;
  const int64_t last = chunks * (part + 1) / job_parts_;
  const int64_t begin = first * job_grain_;
  const int64_t end = std::min(job_n_, last * job_grain_);
  if (begin < end) (*job_)(begin, end, index);
}

void ThreadPool::run_parts(uint32_t gen, int index) {
  uint64_t v = claim_.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<uint32_t>(v >> 32) != gen) return;  // the job is over (a later one is out)
    const int parts = static_cast<int>((v >> 16) & 0xFFFF);
    const int next = static_cast<int>(v & 0xFFFF);
    if (next >= parts) return;
    if (!claim_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      continue;
    }
    // The claimed part keeps the job alive: the submitter waits for it, so job_* stay valid.
    run_part(next, index);
    done_parts_.fetch_add(1, std::memory_order_acq_rel);
    v = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker_loop(int index) {
  uint32_t seen = 0;
  for (;;) {
    int spins = 0;
    uint32_t gen = generation_.load(std::memory_order_acquire);
    while (gen == seen) {
      if (stop_.load(std::memory_order_acquire)) return;
      if (++spins < kSpinLimit) {
        cpu_relax();
      } else {
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        wake_.wait(lock, [&] {
          return generation_.load(std::memory_order_seq_cst) != seen ||
                 stop_.load(std::memory_order_seq_cst);
        });
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
        spins = 0;
      }
      gen = generation_.load(std::memory_order_acquire);
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = gen;
    run_parts(gen, index);
  }
}

void ThreadPool::parallel_for(int64_t n, FunctionRef<void(int64_t, int64_t, int)> fn) {
  parallel_for_chunked(n, 1, fn, num_threads_);
}

void ThreadPool::parallel_for_chunked(int64_t n, int64_t grain,
                                      FunctionRef<void(int64_t, int64_t, int)> fn, int max_parts) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (max_parts < 1) max_parts = num_threads_;
  const int nested = nested_index();
  if (nested >= 0) {  // called from inside a running job: run serially on this thread
    fn(0, n, nested);
    return;
  }
  std::lock_guard<std::mutex> submit(submit_mutex_);  // a second external caller waits its turn
  const int64_t chunks = (n + grain - 1) / grain;
  const int parts = static_cast<int>(std::min<int64_t>({chunks, max_parts, kMaxParts}));
  if (parts <= 1 || num_threads_ == 1) {
    owner_.store(std::this_thread::get_id(), std::memory_order_release);
    busy_.store(true, std::memory_order_release);
    fn(0, n, 0);
    busy_.store(false, std::memory_order_release);
    return;
  }
  owner_.store(std::this_thread::get_id(), std::memory_order_release);
  busy_.store(true, std::memory_order_release);
  job_ = &fn;
  job_n_ = n;
  job_grain_ = grain;
  job_parts_ = parts;
  done_parts_.store(0, std::memory_order_relaxed);
  const uint32_t gen = generation_.load(std::memory_order_relaxed) + 1;  // only submitters write it
  claim_.store(claim_word(gen, parts, 0), std::memory_order_release);
  generation_.store(gen, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    { std::lock_guard<std::mutex> lock(mutex_); }  // a worker between its check and its wait
    wake_.notify_all();
  }
  run_parts(gen, 0);
  // Only parts other threads claimed (and are running) remain.
  for (int spins = 0; done_parts_.load(std::memory_order_acquire) != parts; ++spins) {
    if (spins < kYieldAfter) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
  job_ = nullptr;
  busy_.store(false, std::memory_order_release);
}

}  // namespace asc::cpu
