// ThreadPool: persistent worker threads for data-parallel kernels; the calling thread participates.
//
// One pool per engine instance (LP and HP instances split the cores), passed by reference to every
// kernel. A job is split into contiguous parts that the threads claim dynamically (the caller
// included): on a busy machine a worker that is not scheduled in time does not stall the job, the
// threads that are running take its parts. Workers spin briefly then sleep on a condition variable,
// so a decode step of ~300 small jobs does not pay a futex wake per job while an idle pool costs no
// CPU; the submitter takes the mutex and notifies only when some worker is asleep.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace asc::cpu {

/// A non-owning reference to a callable (like std::function_ref): no allocation, trivially copied.
/// The referenced callable must outlive every call through the FunctionRef.
template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F,
            typename = std::enable_if_t<!std::is_same_v<std::remove_cvref_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT(google-explicit-constructor)
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

class ThreadPool {
 public:
  /// num_threads counts the caller: 1 means no worker threads (everything runs inline).
  /// Values below 1 are treated as 1.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  /// Runs fn(begin, end, thread_index) over [0, n) split into at most num_threads() contiguous,
  /// non-empty ranges covering every index exactly once; returns when all have finished.
  /// thread_index is in [0, num_threads()) and distinct per concurrent call of fn (0 = caller);
  /// one thread may run several of the ranges (one after the other) when another thread is late.
  /// A call from inside fn (nested) runs serially on the calling thread as fn(0, n, its index);
  /// a call from another thread while the pool is busy waits for the running job. n <= 0 does
  /// nothing.
  void parallel_for(int64_t n, FunctionRef<void(int64_t, int64_t, int)> fn);

  /// Like parallel_for, but the split points are multiples of `grain` (except the end), so kernels
  /// can hand out whole chunks of rows, and [0, n) is cut into up to max_parts ranges (default
  /// num_threads(); more ranges balance the load when threads run at different speeds).
  /// grain < 1 is treated as 1, max_parts < 1 as num_threads().
  void parallel_for_chunked(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t, int)> fn,
                            int max_parts = 0);

 private:
  void worker_loop(int index);
  /// Claims and runs parts of the job of generation `gen` as thread `index` until none is left.
  void run_parts(uint32_t gen, int index);
  void run_part(int part, int index);
  /// Thread index of the calling thread when it is inside the running job, else -1.
  int nested_index() const;

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex submit_mutex_;               // serialises jobs from different external threads
  std::mutex mutex_;                      // guards sleeping on wake_
  std::condition_variable wake_;
  std::atomic<std::thread::id> owner_{};  // thread that submitted the running job
  std::atomic<uint32_t> generation_{0};   // bumped once per job that uses workers
  std::atomic<int> sleepers_{0};          // workers asleep (or about to sleep) on wake_
  // Claim word of the current job: generation (high 32 bits) | parts (16) | next part (16).
  std::atomic<uint64_t> claim_{0};
  std::atomic<int> done_parts_{0};        // parts of the current job finished
  std::atomic<bool> busy_{false};         // a job is in progress (nested calls run serially)
  std::atomic<bool> stop_{false};
  // The current job; written by the submitter before claim_ publishes it, read after a claim.
  const FunctionRef<void(int64_t, int64_t, int)>* job_ = nullptr;
  int64_t job_n_ = 0;
  int64_t job_grain_ = 1;
  int job_parts_ = 0;
};

}  // namespace asc::cpu
