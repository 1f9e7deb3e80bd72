// Features of the performance model: physical work of one iteration, in units that keep the
// least-squares problem well conditioned.
//   x0 = 1                                   fixed per-iteration cost (launches, weights read once)
//   x1 = linear-layer GFLOP                  2 * layer_params * layers * tokens + 2 * hidden * vocab * sampled
//   x2 = attention GFLOP                     4 * heads * head_dim * layers * query-key pairs
//   x3 = KV GB read                          kv_bytes_per_token * positions read
//   x4 = rows / 100                          per-sequence overheads (sampling, bookkeeping)
// Masks per batch kind drop features that are collinear within that kind (decode: tokens == rows,
// attention pairs == KV positions).
#pragma once

#include <array>

#include "engine/core/perf_model.h"

namespace asc {

PerfFeatures perf_features(const ModelShape& model, const BatchShape& shape);

/// Features a kind's fit uses.
std::array<bool, kNumPerfFeatures> perf_feature_mask(BatchKind kind);

}  // namespace asc
