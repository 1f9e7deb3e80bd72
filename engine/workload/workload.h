// Workload construction: trace rows -> timed requests with lengths and SLOs.
//
// Shared by `ascendra bench` (real HTTP load) and `ascendra simulate` (virtual clock), so both
// see the same requests for the same options and seed.
//
// Steps: pick rows (seeded sampling without replacement, reshuffling for further passes when more
// requests than rows are asked; or in file order, wrapping), scale lengths by length_scale
// (rounded to nearest), clip to [1, max_*_tokens], attach arrivals, attach SLOs.
// With ArrivalKind::kReplay rows are always taken in file order (the timestamps belong to them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/core/status.h"
#include "engine/workload/arrivals.h"
#include "engine/workload/trace.h"

namespace asc::workload {

struct WorkloadRequest {
  uint64_t id = 0;             // 0..n-1 in arrival order
  double arrival_s = 0.0;      // relative to the start of the run
  int32_t prompt_tokens = 1;   // >= 1 after scaling and clipping
  int32_t output_tokens = 1;   // >= 1
  double ttft_slo_s = 0.0;     // 0 = no objective
  double tbt_slo_s = 0.0;
  size_t trace_row = 0;        // index into Trace::rows, for provenance
};

struct WorkloadOptions {
  /// Number of requests. 0: use duration_s; if that is 0 too, one per trace row.
  size_t num_requests = 0;
  /// With num_requests == 0: generate arrivals in [0, duration_s) (replay: trace time scaled).
  double duration_s = 0.0;
  ArrivalKind arrivals = ArrivalKind::kPoisson;
  double rate_qps = 1.0;       // kPoisson / kGamma
  double burstiness = 1.0;     // kGamma (kPoisson forces 1)
  double time_scale = 1.0;     // kReplay
  uint64_t seed = 0;
  bool sample_in_order = false;  // take rows in file order instead of a seeded sample
  double length_scale = 1.0;     // > 0
  int32_t max_prompt_tokens = 0; // 0 = no clip
  int32_t max_output_tokens = 0; // 0 = no clip
  double ttft_slo_s = 0.0;
  double tbt_slo_s = 0.0;
};

/// Checks the options against the trace (rates > 0, scales > 0, replay needs timestamps, ...).
Status validate_workload_options(const Trace& trace, const WorkloadOptions& options);

/// Builds the workload; requests sorted by arrival_s, ids in that order.
/// kInvalidArgument for bad options (see validate_workload_options).
StatusOr<std::vector<WorkloadRequest>> build_workload(const Trace& trace, const WorkloadOptions& options);

/// Scales one length and clips it to [1, max_tokens] (max_tokens 0 = no upper clip).
int32_t scale_and_clip_length(int32_t tokens, double length_scale, int32_t max_tokens);

}  // namespace asc::workload
