// EngineWorker, the migration half: taking requests in (new, offloaded or migrated) and moving
// started requests out at an iteration boundary, on this worker's thread only.
//
// A move detaches the request from the instance together with its KV bytes (no plan is in flight
// at a boundary, so every request can be taken), and hands the Submission -- request, KV, channel --
// to the target worker. The channel is never finished on the way: the target's first new token
// follows the last token this worker pushed, so the stream has no gap and no duplicate.
// If the target refuses the KV (no room by the time it drains its inbox), the request goes back to
// its origin, which freed exactly those blocks a moment ago and so usually resumes it with its KV;
// only if they were taken meanwhile does the origin recompute it. It is never lost.
#include <cstdio>
#include <utility>

#include "server/engine_worker.h"

namespace asc::server {

void EngineWorker::request_move(MoveOrder order) {
  {
    std::lock_guard lock(inbox_mutex_);
    if (!closed_) {
      moves_.push_back(std::move(order));
      inbox_ready_.notify_one();
      return;
    }
  }
  if (order.done) order.done(-1);  // the worker has stopped: nothing is here
}

EngineWorker::Active EngineWorker::active_for(const Submission& s) {
  Active active;
  active.max_output_tokens = s.request->max_output_tokens;
  active.ignore_eos = s.request->ignore_eos;
  active.num_generated = s.request->num_output_tokens();
  active.started = s.started;  // a moved request must not end its queue time twice
  return active;
}

void EngineWorker::admit(Submission& s, double now_s) {
  const RequestId id = s.request->id;
  Active active = active_for(s);
  active.channel = std::move(s.channel);
  active_.emplace(id, std::move(active));
  Status status = driver_->submit(std::move(s.request));
  if (!status.is_ok()) finish(id, FinishReason::kError, now_s, status.message());
}

void EngineWorker::take_migrated(Submission& s, double now_s) {
  const bool may_return = !s.returning && s.origin != index_ && callbacks_.migrate;
  // Read before attach, which takes the request on success.
  const RequestId id = s.request->id;
  Active active = active_for(s);
  const AttachOutcome outcome = driver_->attach(s.request, s.kv, /*recompute_ok=*/!may_return);
  if (outcome == AttachOutcome::kRefused) {
    if (may_return) {
      s.returning = true;
      const int origin = s.origin;
      callbacks_.migrate(std::move(s), origin);
      // Counted there before it is uncounted here, so the service never sees it nowhere in flight.
      num_active_.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    num_active_.fetch_sub(1, std::memory_order_relaxed);  // counted by submit(), never admitted
    // Even recompute was refused at its origin (it cannot fit any more): fail it loudly.
    std::fprintf(stderr, "ascendra: instance %s: a migrated request could not be placed\n", name_.c_str());
    s.channel->finish(FinishReason::kError, now_s, "a migrated request could not be placed");
    if (!s.started && callbacks_.on_dequeued) callbacks_.on_dequeued();
    return;
  }
  active.channel = std::move(s.channel);
  active_.emplace(id, std::move(active));
  if (callbacks_.on_migrated) callbacks_.on_migrated(outcome, s.returning);
}

bool EngineWorker::move_out(RequestId id, int to_worker) {
  auto it = active_.find(id);
  if (it == active_.end() || to_worker == index_ || !callbacks_.migrate) return false;
  Submission s;
  s.request = driver_->detach(id, s.kv);
  if (!s.request) return false;
  s.channel = std::move(it->second.channel);
  s.started = it->second.started;
  s.origin = index_;
  active_.erase(it);
  callbacks_.migrate(std::move(s), to_worker);
  num_active_.fetch_sub(1, std::memory_order_relaxed);  // after the target counted it (shutdown waits)
  return true;
}

void EngineWorker::perform_moves() {
  std::vector<MoveOrder> orders;
  {
    std::lock_guard lock(inbox_mutex_);
    orders.swap(moves_);
  }
  for (MoveOrder& o : orders) {
    const bool here = active_.count(o.id) != 0;
    const bool moved = here && move_out(o.id, o.to_worker);
    if (o.done) o.done(moved ? 1 : (here ? 0 : -1));
  }
}

void EngineWorker::hand_back() {
  if (!callbacks_.plan_hand_back) return;
  std::vector<const Request*> candidates = driver_->hand_back_candidates();
  if (candidates.empty()) return;
  std::vector<int> targets = callbacks_.plan_hand_back(candidates);
  std::vector<std::pair<RequestId, int>> moves;  // collected first: a move invalidates the pointers
  for (size_t i = 0; i < candidates.size() && i < targets.size(); ++i) {
    if (targets[i] >= 0) moves.emplace_back(candidates[i]->id, targets[i]);
  }
  for (const auto& [id, to] : moves) move_out(id, to);
}

}  // namespace asc::server
