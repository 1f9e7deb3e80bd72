// RequestChannel: the per-request path from an engine thread to the HTTP thread that answers it.
//
// The engine thread never blocks on it: push_token appends under a short lock and returns false
// when the consumer has fallen more than `capacity` tokens behind, so the engine can abort a client
// that does not read instead of stalling every other request (bounded buffering). The consumer
// waits with a timeout, so it can also notice shutdown and write keep-alives. Cancellation (client
// gone, stop string matched) is a flag the engine thread reads at each iteration boundary.
// Finish reasons are the core's (engine/core/request.h): stop, length, abort, error.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "engine/core/request.h"

namespace asc::server {

struct ChannelToken {
  int32_t token = -1;
  double time_s = 0.0;  // engine clock time the token was produced
};

/// What one wait returned: the tokens since the last wait and, once, the finish.
struct ChannelBatch {
  std::vector<ChannelToken> tokens;
  bool finished = false;
  FinishReason reason = FinishReason::kNone;
  std::string error;
  double finish_time_s = 0.0;
};

class RequestChannel {
 public:
  explicit RequestChannel(size_t capacity) : capacity_(capacity) {}
  RequestChannel(const RequestChannel&) = delete;
  RequestChannel& operator=(const RequestChannel&) = delete;

  // ---- engine side ----
  /// Appends a token; false when more than `capacity` tokens are unread (the engine then aborts).
  bool push_token(int32_t token, double time_s);
  /// Records the first time the request was scheduled (queue time ends); later calls are ignored.
  void mark_started(double time_s);
  /// Ends the stream; only the first call counts.
  void finish(FinishReason reason, double time_s, std::string error = {});

  // ---- consumer side ----
  /// Waits until tokens or the finish are available or the timeout passes; moves them into `out`
  /// (cleared first). Returns true when `out` holds something.
  bool wait(std::chrono::milliseconds timeout, ChannelBatch& out);
  /// Asks the engine to stop this request (client gone, stop string); read at iteration boundaries.
  void cancel() { cancelled_.store(true, std::memory_order_release); }
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  /// Time of mark_started, or a negative value when it never started.
  double started_s() const;

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<ChannelToken> tokens_;  // [unread tokens]
  bool finished_ = false;
  bool finish_delivered_ = false;
  FinishReason reason_ = FinishReason::kNone;
  std::string error_;
  double finish_time_s_ = 0.0;
  double started_s_ = -1.0;
  std::atomic<bool> cancelled_{false};
};

}  // namespace asc::server
