// Client-side streaming for `ascendra bench`: an incremental Server-Sent-Events parser and a tracker
// that turns OpenAI stream chunks into per-token receive times.
//
// SSE framing (WHATWG): lines end in \n, \r\n or \r; "data:" lines accumulate (joined by \n) until a
// blank line dispatches the event; lines starting with ':' are comments; other fields are ignored.
// Bytes may arrive split anywhere, including inside a line ending.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asc::server {

class SseParser {
 public:
  using EventFn = std::function<void(std::string_view data)>;

  /// Feeds raw bytes; calls on_event for every complete event that has data.
  void feed(std::string_view bytes, const EventFn& on_event);
  /// End of stream: dispatches a pending event that lacked its final blank line.
  void finish(const EventFn& on_event);

 private:
  void handle_line(std::string_view line, const EventFn& on_event);

  std::string line_;           // partial line carried between feeds
  std::string data_;           // data of the event being assembled
  bool has_data_ = false;
  bool last_was_cr_ = false;   // a \r ended the previous feed: skip a following \n
};

/// Accumulates one streamed completion (chat or text): token times, usage, errors.
class StreamTracker {
 public:
  /// Handles one SSE data payload received at now_s (seconds on the bench clock).
  void on_event(std::string_view data, double now_s);

  bool done() const { return done_; }                      // "[DONE]" seen
  const std::vector<double>& token_times_s() const { return token_times_s_; }
  std::optional<int32_t> usage_completion_tokens() const { return usage_completion_tokens_; }
  std::optional<int32_t> usage_prompt_tokens() const { return usage_prompt_tokens_; }
  /// Non-empty when the stream carried an error object or unparsable JSON.
  const std::string& error() const { return error_; }

 private:
  std::vector<double> token_times_s_;  // [content chunks] receive time of each non-empty chunk
  std::optional<int32_t> usage_completion_tokens_;
  std::optional<int32_t> usage_prompt_tokens_;
  std::string error_;
  bool done_ = false;
};

}  // namespace asc::server
