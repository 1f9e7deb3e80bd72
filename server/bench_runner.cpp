// Load run: dispatcher + on-demand worker pool (design in bench_runner.h).
#include "server/bench_runner.h"

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include "engine/core/report.h"

namespace asc::server {
namespace {

constexpr size_t kPrestartedWorkers = 16;

// Shared state of one run. Workers write only their own request's slots in `result`; counters
// that several workers update are guarded by `mutex`.
class RunState {
 public:
  RunState(const BenchRunConfig& config, const std::vector<workload::WorkloadRequest>& requests,
           const PromptFactory& prompts)
      : config_(config), requests_(requests), prompts_(prompts) {
    result_.records.resize(requests.size());
    result_.dispatch_lag_s.resize(requests.size(), 0.0);
    cap_ = config.max_concurrency > 0 ? config.max_concurrency : kDefaultMaxWorkers;
  }

  /// Starts `n` workers (capped) and waits until all are idle: a new thread's first scheduling
  /// can take tens of milliseconds on a loaded machine, which would show up as dispatch lag.
  void prestart(size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    n = std::min(n, cap_);
    while (workers_.size() < n) workers_.emplace_back([this] { worker_loop(); });
    done_cv_.wait(lock, [this, n] { return idle_ >= n; });
  }

  /// Sets the run's time origin (seconds on the steady clock); call before the first submit.
  void set_epoch(double epoch_s) { epoch_s_ = epoch_s; }

  /// Queues request `index`; starts a worker when none is idle and the cap allows.
  void submit(size_t index) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(index);
    if (idle_ == 0 && workers_.size() < cap_) {
      workers_.emplace_back([this] { worker_loop(); });
    } else {
      cv_.notify_one();
    }
    ++sent_;
  }

  /// Waits for every queued request, stops the workers and returns the result.
  BenchRunResult finish() {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      done_cv_.wait(lock, [this] { return finished_ == sent_ && queue_.empty(); });
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
    result_.duration_s = last_end_s_;
    return std::move(result_);
  }

  /// "sent/finished/failed/attainment" for the progress line.
  std::string progress_line() {
    std::lock_guard<std::mutex> lock(mutex_);
    char buf[200];
    const double att = finished_ > 0 ? 100.0 * static_cast<double>(met_) / static_cast<double>(finished_) : 0.0;
    std::snprintf(buf, sizeof(buf), "\r[%s] sent %zu/%zu  finished %zu  failed %zu  attainment %.1f%%  ",
                  config_.progress_label.c_str(), sent_, requests_.size(), finished_, failed_, att);
    return buf;
  }

 private:
  void worker_loop() {
    std::unique_ptr<httplib::Client> client = make_bench_client(config_.target);
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      ++idle_;
      done_cv_.notify_all();  // prestart() waits for idle workers
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;  // stopping
      const size_t index = queue_.front();
      queue_.pop_front();
      lock.unlock();
      run_one(*client, index);
      lock.lock();
    }
  }

  void run_one(httplib::Client& client, size_t index) {
    const workload::WorkloadRequest& w = requests_[index];
    const std::string body = build_request_body(config_.target, w, prompts_);
    RequestExtras extras;
    RequestRecord rec = send_request(client, config_.target, w, body, epoch_s_, &extras);
    const double end_s = steady_now_s() - epoch_s_;
    result_.dispatch_lag_s[index] = rec.arrival_s - w.arrival_s;
    const bool met = compute_request_metrics(rec).meets_slo;
    std::lock_guard<std::mutex> lock(mutex_);
    ++finished_;
    failed_ += rec.success ? 0 : 1;
    met_ += met ? 1 : 0;
    last_end_s_ = std::max(last_end_s_, end_s);
    if (rec.success) {
      if (!extras.usage_completion_tokens) ++result_.missing_usage;
      else if (*extras.usage_completion_tokens != extras.content_chunks) ++result_.usage_mismatches;
      if (rec.num_output_tokens < rec.num_requested_output_tokens) ++result_.short_outputs;
    }
    if (extras.usage_prompt_tokens) {
      const double err = static_cast<double>(*extras.usage_prompt_tokens - w.prompt_tokens);
      ++result_.prompt_usage_count;
      result_.prompt_error_sum += err;
      result_.prompt_abs_error_sum += std::abs(err);
    }
    result_.records[index] = std::move(rec);
    if (finished_ == sent_) done_cv_.notify_all();
  }

  const BenchRunConfig& config_;
  const std::vector<workload::WorkloadRequest>& requests_;
  const PromptFactory& prompts_;
  double epoch_s_ = 0.0;
  size_t cap_ = kDefaultMaxWorkers;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::deque<size_t> queue_;  // request indices waiting for a worker
  std::vector<std::thread> workers_;
  size_t idle_ = 0, sent_ = 0, finished_ = 0, failed_ = 0, met_ = 0;
  bool stopping_ = false;
  double last_end_s_ = 0.0;
  BenchRunResult result_;
};

}  // namespace

BenchRunResult run_bench_workload(const BenchRunConfig& config,
                                  const std::vector<workload::WorkloadRequest>& requests,
                                  const PromptFactory& prompts) {
  RunState state(config, requests, prompts);
  state.prestart(std::min<size_t>(kPrestartedWorkers, requests.size()));
  const auto epoch = std::chrono::steady_clock::now();
  state.set_epoch(std::chrono::duration<double>(epoch.time_since_epoch()).count());
  std::atomic<bool> dispatching{true};
  std::thread progress;
  if (config.progress) {
    progress = std::thread([&] {
      while (dispatching.load()) {
        std::fputs(state.progress_line().c_str(), stderr);
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
    });
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    std::this_thread::sleep_until(epoch + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                              std::chrono::duration<double>(requests[i].arrival_s)));
    state.submit(i);
  }
  BenchRunResult result = state.finish();
  dispatching.store(false);
  if (progress.joinable()) {
    progress.join();
    std::fputs((state.progress_line() + "\n").c_str(), stderr);
  }
  return result;
}

}  // namespace asc::server
