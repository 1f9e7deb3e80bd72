// The performance model of `ascendra serve --policy ascendra`: urgency (predicted solo prefill),
// the risk monitor's margin (a predicted full batch) and offload decisions all read it.
//   --profile FILE: a profile written by `ascendra profile -m MODEL --out FILE` (or a built-in
//   profile name, load_perf_model()).
//   no --profile: a short start-up pass on the CPU backend (startup_profile_grid(): 24 batches,
//   fewer and smaller than `profile --quick`, one timed run each; 6 s measured for the 135M model
//   on the shared, loaded 2-core machine), then every instance refines its own copy from its
//   measured iterations (PerfModel::refine, in CoreInstanceDriver::step), so the coarse start-up
//   fit converges while serving.
#pragma once

#include "engine/core/perf_model.h"
#include "engine/core/profiler.h"
#include "engine/core/status.h"
#include "engine/model/model_loader.h"
#include "server/serve_options.h"

namespace asc::server {

/// The start-up grid: 8 prefill, 8 decode and 8 mixed batches up to 64 prompt tokens / 256 context,
/// one timed run each after one warm-up batch, nothing held out.
ProfileGrid startup_profile_grid();

/// The model the ascendra instances start from: --profile when given (kNotFound / kDataLoss /
/// kInvalidArgument when unreadable or for a different model shape), else a start-up profile on a
/// CPU backend with `threads` threads.
StatusOr<PerfModel> serve_perf_model(const ServeOptions& options, const Model& model, int threads);

}  // namespace asc::server
