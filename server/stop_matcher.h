// StopMatcher: finds stop strings in streamed text without ever emitting them.
//
// Text arrives in pieces. A piece may end with the beginning of a stop string ("\n\nUs" for the stop
// "\n\nUser:"), so the matcher holds back the longest suffix that is a prefix of some stop string and
// releases it once it can no longer start a match. Generation ends with the token that completes a
// stop string, so the occurrence that ends first wins (ties: the earliest start); the text before it
// is released and the rest is discarded. The result does not depend on how the text was split.
#pragma once

#include <string>
#include <vector>

namespace asc::server {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  /// Appends a piece; returns the text that is now safe to emit (never part of a stop string).
  std::string push(const std::string& piece);
  /// True once a stop string was seen; later pushes return nothing.
  bool stopped() const { return stopped_; }
  /// Releases the held-back tail at the end of the stream (empty after a stop).
  std::string flush();

 private:
  size_t held_suffix_length() const;

  std::vector<std::string> stops_;
  std::string pending_;  // text received but not yet released
  bool stopped_ = false;
};

}  // namespace asc::server
