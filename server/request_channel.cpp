#include "server/request_channel.h"

#include <utility>

namespace asc::server {

bool RequestChannel::push_token(int32_t token, double time_s) {
  {
    std::lock_guard lock(mutex_);
    if (finished_) return true;
    if (tokens_.size() >= capacity_) return false;
    tokens_.push_back({token, time_s});
  }
  ready_.notify_one();
  return true;
}

void RequestChannel::mark_started(double time_s) {
  std::lock_guard lock(mutex_);
  if (started_s_ < 0.0) started_s_ = time_s;
}

void RequestChannel::finish(FinishReason reason, double time_s, std::string error) {
  {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    finished_ = true;
    reason_ = reason;
    error_ = std::move(error);
    finish_time_s_ = time_s;
  }
  ready_.notify_one();
}

bool RequestChannel::wait(std::chrono::milliseconds timeout, ChannelBatch& out) {
  out = ChannelBatch{};
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout,
                  [&] { return !tokens_.empty() || (finished_ && !finish_delivered_); });
  out.tokens.swap(tokens_);
  if (finished_ && !finish_delivered_) {
    finish_delivered_ = true;
    out.finished = true;
    out.reason = reason_;
    out.error = error_;
    out.finish_time_s = finish_time_s_;
  }
  return !out.tokens.empty() || out.finished;
}

double RequestChannel::started_s() const {
  std::lock_guard lock(mutex_);
  return started_s_;
}

}  // namespace asc::server
