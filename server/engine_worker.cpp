// The engine loop of one instance. Invariant: every request in active_ is known to the driver, and
// every channel is finished exactly once (by the worker, or re-routed whole on offload).
#include "server/engine_worker.h"

#include <chrono>
#include <cstdio>
#include <utility>

namespace asc::server {

EngineWorker::EngineWorker(int index, std::unique_ptr<InstanceDriver> driver,
                           const WallClock& clock, WorkerCallbacks callbacks)
    : index_(index), driver_(std::move(driver)), clock_(clock), callbacks_(std::move(callbacks)) {
  name_ = driver_->name();
  pool_ = driver_->pool();
  load_ = driver_->load();
}

EngineWorker::~EngineWorker() { stop(); }

void EngineWorker::start() { thread_ = std::thread([this] { run(); }); }

void EngineWorker::stop() {
  {
    std::lock_guard lock(inbox_mutex_);
    stop_requested_ = true;
  }
  inbox_ready_.notify_one();
  if (thread_.joinable()) thread_.join();
  // Submissions that arrived after the loop ended (a late offload) still get their final chunk.
  std::vector<Submission> late;
  {
    std::lock_guard lock(inbox_mutex_);
    late.swap(inbox_);
    closed_ = true;
  }
  for (Submission& s : late) s.channel->finish(FinishReason::kAbort, clock_.now_s());
  perform_moves();  // orders that came after the loop ended: nothing is here any more
}

void EngineWorker::submit(Submission submission) {
  {
    std::unique_lock lock(inbox_mutex_);
    if (closed_) {
      // Stopped (a request moved here during shutdown): end its stream rather than strand it.
      lock.unlock();
      submission.channel->finish(FinishReason::kAbort, clock_.now_s());
      return;
    }
    if (submission.origin >= 0 && !submission.returning) {
      num_inbox_migrated_.fetch_add(1, std::memory_order_relaxed);
      num_inbox_blocks_.fetch_add(Request::blocks_for(submission.request->num_tokens() + 1),
                                  std::memory_order_relaxed);
    }
    inbox_.push_back(std::move(submission));
    num_inbox_.fetch_add(1, std::memory_order_relaxed);
    num_active_.fetch_add(1, std::memory_order_relaxed);
  }
  inbox_ready_.notify_one();
}

void EngineWorker::wake() {
  {
    std::lock_guard lock(inbox_mutex_);
    wake_requested_ = true;
  }
  inbox_ready_.notify_one();
}

void EngineWorker::abort_all() {
  {
    std::lock_guard lock(inbox_mutex_);
    abort_all_requested_ = true;
  }
  inbox_ready_.notify_one();
}

InstanceLoad EngineWorker::load() const {
  std::lock_guard lock(load_mutex_);
  InstanceLoad l = load_;
  const int32_t migrated = num_inbox_migrated_.load(std::memory_order_relaxed);
  l.num_waiting += num_inbox_.load(std::memory_order_relaxed) - migrated;
  l.num_running += migrated;  // they join running with their KV
  l.num_kv_blocks_used += num_inbox_blocks_.load(std::memory_order_relaxed);
  return l;
}

void EngineWorker::run() {
  std::vector<DriverEvent> events;
  for (;;) {
    bool stopping = false;
    {
      std::unique_lock lock(inbox_mutex_);
      if (!driver_->has_work()) {
        inbox_ready_.wait(lock, [&] {
          return !inbox_.empty() || !moves_.empty() || stop_requested_ || abort_all_requested_ ||
                 wake_requested_;
        });
      }
      wake_requested_ = false;
      stopping = stop_requested_;
    }
    double now_s = clock_.now_s();
    drain_inbox(now_s);
    abort_cancelled(now_s);
    if (stopping) break;
    perform_moves();
    hand_back();
    if (!driver_->has_work()) {
      publish_load();
      continue;
    }
    events.clear();
    Status status = driver_->step(now_s, events);
    now_s = clock_.now_s();
    if (!status.is_ok()) fail_all(status, now_s);
    bool idle_step = events.empty();
    dispatch(events, now_s);
    num_iterations_.fetch_add(1, std::memory_order_relaxed);
    publish_load();
    if (idle_step) {
      // Work exists but nothing could run (e.g. every KV block is taken): do not spin; new
      // submissions or cancels wake us early.
      std::unique_lock lock(inbox_mutex_);
      inbox_ready_.wait_for(lock, std::chrono::milliseconds(1), [&] {
        return !inbox_.empty() || !moves_.empty() || stop_requested_ || abort_all_requested_ ||
               wake_requested_;
      });
    }
  }
  // Shutdown: whatever is left ends now, with a final chunk on each stream.
  double now_s = clock_.now_s();
  drain_inbox(now_s);
  std::vector<RequestId> ids;
  for (const auto& [id, active] : active_) ids.push_back(id);
  for (RequestId id : ids) finish(id, FinishReason::kAbort, now_s);
  perform_moves();  // nothing is active any more: every order is answered "not here"
  publish_load();
}

void EngineWorker::drain_inbox(double now_s) {
  std::vector<Submission> taken;
  bool abort_everything = false;
  {
    std::lock_guard lock(inbox_mutex_);
    taken.swap(inbox_);
    num_inbox_.store(0, std::memory_order_relaxed);
    num_inbox_migrated_.store(0, std::memory_order_relaxed);
    num_inbox_blocks_.store(0, std::memory_order_relaxed);
    abort_everything = abort_all_requested_;
    abort_all_requested_ = false;
  }
  for (Submission& s : taken) {
    if (s.origin >= 0) {
      take_migrated(s, now_s);
    } else {
      admit(s, now_s);
    }
  }
  if (abort_everything) {
    for (auto& [id, active] : active_) active.channel->cancel();
  }
}

void EngineWorker::abort_cancelled(double now_s) {
  std::vector<RequestId> cancelled;
  for (const auto& [id, active] : active_) {
    if (active.channel->cancelled()) cancelled.push_back(id);
  }
  for (RequestId id : cancelled) finish(id, FinishReason::kAbort, now_s);
}

void EngineWorker::finish(RequestId id, FinishReason reason, double now_s, std::string error) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  driver_->abort(id);  // frees its KV blocks now; a no-op when the instance already ended it
  it->second.channel->finish(reason, now_s, std::move(error));
  if (!it->second.started && callbacks_.on_dequeued) callbacks_.on_dequeued();
  active_.erase(it);
  num_active_.fetch_sub(1, std::memory_order_relaxed);
}

void EngineWorker::mark_started(Active& active, double now_s) {
  if (active.started) return;
  active.started = true;
  active.channel->mark_started(now_s);
  if (callbacks_.on_dequeued) callbacks_.on_dequeued();
}

void EngineWorker::on_token(RequestId id, Active& active, int32_t token, double now_s) {
  mark_started(active, now_s);
  ++active.num_generated;
  if (!active.ignore_eos && callbacks_.is_eog && callbacks_.is_eog(token)) {
    finish(id, FinishReason::kStop, now_s);
    return;
  }
  if (!active.channel->push_token(token, now_s)) {
    finish(id, FinishReason::kError, now_s, "client is not reading its stream");
    return;
  }
  if (active.num_generated >= active.max_output_tokens) finish(id, FinishReason::kLength, now_s);
}

void EngineWorker::dispatch(std::vector<DriverEvent>& events, double now_s) {
  for (DriverEvent& e : events) {
    auto it = active_.find(e.id);
    if (it == active_.end()) continue;  // ended earlier in this batch of events
    switch (e.kind) {
      case DriverEvent::Kind::kStarted:
        mark_started(it->second, now_s);
        break;
      case DriverEvent::Kind::kToken:
        on_token(e.id, it->second, e.token, now_s);
        break;
      case DriverEvent::Kind::kFinished:
        finish(e.id, e.reason, now_s, e.error);
        break;
      case DriverEvent::Kind::kOffloaded: {
        if (!e.detached || !callbacks_.offload) {
          finish(e.id, FinishReason::kError, now_s, "offloaded request has no target");
          break;
        }
        Submission moved;
        moved.request = std::move(e.detached);
        moved.channel = std::move(it->second.channel);
        moved.started = it->second.started;
        active_.erase(it);
        callbacks_.offload(std::move(moved), index_);
        num_active_.fetch_sub(1, std::memory_order_relaxed);  // after the target counted it
        break;
      }
    }
  }
}

void EngineWorker::fail_all(const Status& status, double now_s) {
  std::fprintf(stderr, "ascendra: instance %s: step failed: %s\n", name_.c_str(),
               status.to_string().c_str());
  std::vector<RequestId> ids;
  for (const auto& [id, active] : active_) ids.push_back(id);
  for (RequestId id : ids) finish(id, FinishReason::kError, now_s, status.message());
}

void EngineWorker::publish_load() {
  InstanceLoad l = driver_->load();
  std::lock_guard lock(load_mutex_);
  load_ = l;
}

}  // namespace asc::server
