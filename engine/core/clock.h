// Clock: where "now" comes from. The decision core never reads a clock itself; drivers pass `now`
// into every call. The simulator drives a VirtualClock; the server uses a wall clock
// (server/wall_clock.h), which lives outside the core.
#pragma once

namespace asc {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Seconds since an arbitrary, fixed origin; never decreases.
  virtual double now_s() const = 0;
};

/// A clock that moves only when told to (simulation and deterministic tests).
class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(double start_s = 0.0) : now_s_(start_s) {}
  double now_s() const override { return now_s_; }
  /// Moves to t (no-op if t is in the past: time never goes backwards).
  void advance_to(double t_s) { if (t_s > now_s_) now_s_ = t_s; }
  void advance_by(double dt_s) { if (dt_s > 0.0) now_s_ += dt_s; }

 private:
  double now_s_;
};

}  // namespace asc
