// Features of the performance model: physical work of one iteration, in units that keep the
// least-squares problem well conditioned.
//   x0 = 1                                   fixed per-iteration cost (launches, weights read once)
//   x1 = linear-layer GFLOP                  2 * layer_params * layers * tokens + 2 * hidden * vocab * sampled
//   x2 = attention GFLOP                     4 * heads * head_dim * layers * query-key pairs
//   x3 = KV GB read                          kv_bytes_per_token * positions read
//   x4 = rows / 100                          per-sequence overheads (sampling, bookkeeping)
//   x5 = weight GB streamed per row tile     weight_passes(tokens) x layer bytes
//                                            + weight_passes(sampled) x LM-head bytes
// x5 models tiled CPU matmuls: each weight block is unpacked once per tile of activation rows, so a
// decode batch costs a step per tile, not per row (on AVX-512 Q4 kernels 8 decodes take about the
// time of 7). Off (0) when the model shape has no tile (GPU roofline profiles).
// Masks per batch kind drop features that are collinear within that kind (decode: tokens == rows,
// attention pairs == KV positions; prefill and mixed batches span many tiles, where x5 is
// proportional to x1, so x5 is a decode-only feature).
#pragma once

#include <array>
#include <cstdint>

#include "engine/core/perf_model.h"

namespace asc {

inline constexpr int kRowsFeature = 4;
inline constexpr int kWeightPassFeature = 5;

PerfFeatures perf_features(const ModelShape& model, const BatchShape& shape);

/// Passes over the weights that a matmul of `rows` activation rows makes with the CPU kernels' row
/// tiling: full tiles of `tile` rows, then halves of it down to 4 rows, then one pass for the rest.
/// 0 when tile <= 0.
int32_t weight_passes(int32_t rows, int32_t tile);

/// Features a kind's fit uses for `model` (x5 only with a row tile, and only for decode batches).
std::array<bool, kNumPerfFeatures> perf_feature_mask(const ModelShape& model, BatchKind kind);

}  // namespace asc
