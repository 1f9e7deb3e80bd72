// Test fixture for the Ascendra policies: a SchedulerState with requests owned by the test, built
// in exact states (waiting, running decode) on a virtual timeline. Header-only, tests only.
#pragma once

#include <memory>
#include <vector>

#include "engine/core/gpu_profiles.h"
#include "engine/core/kv_blocks.h"
#include "engine/core/perf_model.h"
#include "engine/core/request.h"
#include "engine/sched/scheduler_state.h"

namespace asc::testing {

/// The A100 / Llama-3.1-8B built-in profile (deterministic, no file needed).
inline const PerfModel& a100_model() {
  static const PerfModel model = *builtin_profile("a100-llama-3.1-8b");
  return model;
}

class StateBench {
 public:
  StateBench(int32_t num_blocks, SchedulerConfig config, const PerfModel* model)
      : pool_(num_blocks), config_(config), state_(pool_, config_, model) {}

  SchedulerState& state() { return state_; }
  BlockPool& pool() { return pool_; }

  /// A new request at the back of the waiting queue.
  Request& add_waiting(RequestId id, double arrival_s, int32_t prompt, double ttft_slo_s,
                       double tbt_slo_s = 0.0) {
    Request& r = own(Request::with_length(id, arrival_s, prompt, 64));
    r.ttft_slo_s = ttft_slo_s;
    r.tbt_slo_s = tbt_slo_s;
    state_.waiting().push_back(&r);
    return r;
  }

  /// A running request in decode phase: prompt done, `generated` tokens out, the last at
  /// last_token_s; holds blocks for its computed positions.
  Request& add_decode(RequestId id, double arrival_s, int32_t prompt, int32_t generated,
                      double last_token_s, double tbt_slo_s = 0.0) {
    Request& r = own(Request::with_length(id, arrival_s, prompt, 1 << 20));
    for (int32_t i = 0; i < generated; ++i) r.token_times_s.push_back(last_token_s - (generated - 1 - i) * 0.01);
    r.num_computed = r.num_tokens() - 1;
    r.first_scheduled_s = arrival_s;
    r.tbt_slo_s = tbt_slo_s;
    r.phase = RequestPhase::kRunning;
    ASC_CHECK(state_.ensure_blocks(r, r.num_computed));
    state_.running().push_back(&r);
    return r;
  }

 private:
  Request& own(Request r) {
    owned_.push_back(std::make_unique<Request>(std::move(r)));
    return *owned_.back();
  }

  BlockPool pool_;
  SchedulerConfig config_;
  SchedulerState state_;
  std::vector<std::unique_ptr<Request>> owned_;
};

inline bool contains(const std::vector<Request*>& v, const Request* r) {
  for (const Request* x : v) if (x == r) return true;
  return false;
}

}  // namespace asc::testing
