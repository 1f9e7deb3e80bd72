// WallClock: seconds on std::chrono::steady_clock, counted from the clock's construction.
// The server's engine threads and HTTP threads share one WallClock so that arrival, token and
// finish times are comparable.
#pragma once

#include <chrono>

namespace asc::server {

class WallClock {
 public:
  WallClock() : origin_(std::chrono::steady_clock::now()) {}
  /// Seconds since construction; monotonic, safe from any thread.
  double now_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - origin_).count();
  }

 private:
  std::chrono::steady_clock::time_point origin_;
};

}  // namespace asc::server
