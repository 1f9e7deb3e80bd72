#include "server/stop_matcher.h"

#include <algorithm>
#include <utility>

namespace asc::server {

StopMatcher::StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {
  stops_.erase(std::remove(stops_.begin(), stops_.end(), std::string()), stops_.end());
}

size_t StopMatcher::held_suffix_length() const {
  // Longest suffix of pending_ that is a proper prefix of a stop string.
  size_t best = 0;
  for (const std::string& stop : stops_) {
    size_t max_len = std::min(stop.size() - 1, pending_.size());
    for (size_t len = max_len; len > best; --len) {
      if (pending_.compare(pending_.size() - len, len, stop, 0, len) == 0) {
        best = len;
        break;
      }
    }
  }
  return best;
}

std::string StopMatcher::push(const std::string& piece) {
  if (stopped_) return {};
  pending_ += piece;
  // The request ends with the token that completes a stop string, so the occurrence that ends first
  // wins (ties: the one that starts first). Every occurrence ends inside the newest piece.
  size_t first = std::string::npos, first_end = std::string::npos;
  for (const std::string& stop : stops_) {
    size_t at = pending_.find(stop);
    if (at == std::string::npos) continue;
    size_t end = at + stop.size();
    if (end < first_end || (end == first_end && at < first)) {
      first = at;
      first_end = end;
    }
  }
  if (first != std::string::npos) {
    stopped_ = true;
    std::string out = pending_.substr(0, first);
    pending_.clear();
    return out;
  }
  size_t keep = held_suffix_length();
  std::string out = pending_.substr(0, pending_.size() - keep);
  pending_.erase(0, pending_.size() - keep);
  return out;
}

std::string StopMatcher::flush() {
  std::string out;
  if (!stopped_) out.swap(pending_);
  pending_.clear();
  return out;
}

}  // namespace asc::server
