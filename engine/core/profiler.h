// Profiler: runs a designed set of batches (prefill-only, decode-only and mixed) on a real Backend
// and fits a PerfModel from the measured durations (StepResult::duration_s, so no clock is read
// here). Used by `ascendra profile`; the raw samples are written beside the fitted model.
//
// Design: batch compositions are drawn at random (fixed seed) from the distributions a scheduler
// produces -- log-uniform chunk sizes and decode batch sizes, contexts uniform up to max_context,
// 1-3 prompts per prefill batch, one chunk beside the decodes of a mixed batch -- so that the
// held-out batches (every holdout_every-th of each kind) come from the same distribution as the
// training ones. After a few untimed warm-up batches, every batch is timed `repeats` times in
// interleaved passes (a burst of machine load hits different repeats of a batch, not all of them)
// and its sample is the median.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/core/backend.h"
#include "engine/core/perf_model.h"
#include "engine/core/status.h"

namespace asc {

struct ProfileGrid {
  int32_t num_prefill = 32;        // prefill-only batches
  int32_t num_decode = 32;         // decode-only batches
  int32_t num_mixed = 32;          // one prefill chunk beside decodes
  int32_t max_batch_tokens = 512;  // most prompt tokens in one batch
  int32_t min_chunk = 8;           // fewest tokens of a prefill chunk
  int32_t max_decodes = 32;        // most decodes in one batch
  int32_t max_context = 1024;      // longest cached context of a row
  int32_t repeats = 5;             // timed runs per batch; the sample is their median
  int32_t warmup_batches = 4;      // untimed batches first (page cache, thread pool, branch state)
  int32_t holdout_every = 4;       // every n-th batch of a kind is held out of the fit
  uint64_t seed = 1234;

  /// ~1-2 minutes for a 135M model on 2 cores.
  static ProfileGrid standard();
  /// ~20-30 seconds for a 135M model on 2 cores, for tests.
  static ProfileGrid quick();
};

/// One designed batch: rows of (cached positions, new tokens, prefill?).
struct ProfileRow {
  int32_t start = 0;
  int32_t num_tokens = 1;
  bool prefill = false;
};
using ProfileBatch = std::vector<ProfileRow>;

/// The batches a grid describes, in measurement order (kinds interleaved), each fitting
/// `num_kv_blocks` KV blocks. Deterministic for a given grid.
std::vector<ProfileBatch> profile_batches(const ProfileGrid& grid, int32_t num_kv_blocks);

/// The BatchShape (features' input) of a designed batch.
BatchShape profile_batch_shape(const ProfileBatch& batch);

struct ProfileResult {
  PerfModel model;
  std::vector<PerfSample> train;
  std::vector<PerfSample> holdout;   // every holdout_every-th batch of each kind, not used by the fit
  double holdout_mape = 0.0;
  /// Measurement noise: median over batches of (slowest - fastest repeat) / median repeat. A
  /// held-out MAPE near or above this reflects a loaded machine more than the model.
  double repeat_spread = 0.0;
};

/// Runs the grid on `backend`. Token ids are drawn from [0, vocab) with the grid's seed.
/// kInvalidArgument for an empty grid or a backend with too few KV blocks (< 4).
StatusOr<ProfileResult> run_profile(Backend& backend, const ModelShape& shape, const ProfileGrid& grid);

/// Fits `shape`'s model to measured samples and splits train/held-out as run_profile does
/// (samples in profile_batches order).
StatusOr<ProfileResult> fit_profile(const ModelShape& shape, std::vector<PerfSample> samples,
                                    int32_t holdout_every);

/// JSON of a profile: {"perf_model": ..., "holdout_mape": ..., "samples": [...]}.
nlohmann::json profile_to_json(const ProfileResult& result);

}  // namespace asc
