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
// and its sample is the median. Mixed batches fill the token budget the decodes leave, as a
// chunk-budget scheduler does. The backend adds its matmul row tile to the model shape.
#pragma once

#include <cstdint>
#include <memory>
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
  int32_t repeats = 5;             // timed runs per batch; the sample is their median (or mean)
  int32_t warmup_batches = 4;      // untimed batches first (page cache, thread pool, branch state)
  int32_t holdout_every = 4;       // every n-th batch of a kind is held out of the fit
  // The sample of a batch: the median of its repeats (robust to a burst of load), or their mean
  // (the expected time: what a run of many iterations adds up when the noise is skewed to slow).
  bool mean_of_repeats = false;
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

/// Runs the grid on `backend` and fits it: measure_profile_passes then fit_profile_passes. Token ids
/// are drawn from [0, vocab) with the grid's seed. kInvalidArgument for an empty grid or a backend
/// with too few KV blocks (< 4).
StatusOr<ProfileResult> run_profile(Backend& backend, const ModelShape& shape, const ProfileGrid& grid);

/// `shape` with what the backend knows about its cost (its matmul row tile).
ModelShape backend_model_shape(const Backend& backend, ModelShape shape);

/// Times the grid's batches on `backend` (warm-up, then grid.repeats interleaved passes):
/// [batches in profile_batches order][repeats] seconds. Callers may measure several times (for
/// example spread around other work) and concatenate each batch's times before fitting.
StatusOr<std::vector<std::vector<double>>> measure_profile_passes(Backend& backend, const ModelShape& shape,
                                                                  const ProfileGrid& grid);

/// Times the grid's batches one at a time, round robin, for drivers that measure in the gaps of
/// other work (so that the profile sees the machine as that work does). Holds the prepared batches
/// and views the backend, which must outlive it.
class ProfileRunner {
 public:
  /// Zero-fills the backend's KV, prepares the grid's batches and runs grid.warmup_batches untimed.
  static StatusOr<std::unique_ptr<ProfileRunner>> create(Backend& backend, const ModelShape& shape,
                                                         const ProfileGrid& grid);
  ~ProfileRunner();
  ProfileRunner(const ProfileRunner&) = delete;
  ProfileRunner& operator=(const ProfileRunner&) = delete;

  /// The batch run_next() times next.
  const ProfileBatch& next_batch() const;
  /// Times the next batch; returns its duration.
  StatusOr<double> run_next();
  /// Passes over every batch completed so far.
  int32_t num_passes() const;
  /// [batches in profile_batches order][repeats] seconds, for fit_profile_passes.
  const std::vector<std::vector<double>>& times() const;

 private:
  struct State;
  explicit ProfileRunner(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

/// Fits the per-batch medians (or means, grid.mean_of_repeats) of `times` (as measure_profile_passes returns them, possibly with
/// more repeats per batch) with the backend's shape; sets device, num_kv_blocks and repeat_spread.
StatusOr<ProfileResult> fit_profile_passes(const Backend& backend, const ModelShape& shape, const ProfileGrid& grid,
                                           const std::vector<std::vector<double>>& times);

/// Fits `shape`'s model to measured samples and splits train/held-out as run_profile does
/// (samples in profile_batches order).
StatusOr<ProfileResult> fit_profile(const ModelShape& shape, std::vector<PerfSample> samples,
                                    int32_t holdout_every);

/// JSON of a profile: {"perf_model": ..., "holdout_mape": ..., "samples": [...]}.
nlohmann::json profile_to_json(const ProfileResult& result);

}  // namespace asc
