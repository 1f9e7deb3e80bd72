#include "engine/core/perf_features.h"

namespace asc {

double ModelShape::layer_params() const {
  const double h = hidden;
  const double q = static_cast<double>(num_heads) * head_dim;
  const double kv = static_cast<double>(num_kv_heads) * head_dim;
  return h * q + 2.0 * h * kv + q * h + 3.0 * h * ffn;  // q, k, v, o, gate, up, down
}

double ModelShape::kv_bytes_per_token() const {
  return 2.0 * num_kv_heads * head_dim * num_layers * kv_bytes_per_elem;
}

double ModelShape::weight_bytes() const {
  return (layer_params() * num_layers + static_cast<double>(hidden) * vocab) * weight_bytes_per_param;
}

double ModelShape::head_bytes() const {
  return static_cast<double>(hidden) * vocab * weight_bytes_per_param;
}

int32_t weight_passes(int32_t rows, int32_t tile) {
  if (tile <= 0 || rows <= 0) return 0;
  int32_t passes = rows / tile;
  rows %= tile;
  for (int32_t t = tile / 2; t >= 4; t /= 2) {
    passes += rows / t;
    rows %= t;
  }
  return passes + (rows > 0 ? 1 : 0);
}

void BatchShape::add_prefill(int32_t start, int32_t n, bool sample) {
  ++num_prefill_rows;
  num_prefill_tokens += n;
  // Query i (0-based) of the chunk attends to start + i + 1 keys.
  prefill_attn_pairs += static_cast<double>(n) * start + static_cast<double>(n) * (n + 1) / 2.0;
  prefill_kv_tokens += static_cast<double>(start) + n;
  if (sample) ++num_sampled;
}

void BatchShape::add_decode(int32_t start) {
  ++num_decodes;
  decode_kv_tokens += static_cast<double>(start) + 1.0;
  ++num_sampled;
}

BatchShape BatchShape::from_plan(const StepPlan& plan) {
  BatchShape s;
  for (const StepRow& r : plan.rows) {
    if (r.is_prefill) {
      s.add_prefill(r.start_pos, r.num_tokens, r.sample);
    } else {
      s.add_decode(r.start_pos);
    }
  }
  return s;
}

const char* batch_kind_name(BatchKind kind) {
  switch (kind) {
    case BatchKind::kPrefill: return "prefill";
    case BatchKind::kDecode: return "decode";
    case BatchKind::kMixed: return "mixed";
  }
  return "?";
}

BatchKind batch_kind(const BatchShape& shape) {
  if (shape.num_prefill_rows == 0) return BatchKind::kDecode;
  if (shape.num_decodes == 0) return BatchKind::kPrefill;
  return BatchKind::kMixed;
}

PerfFeatures perf_features(const ModelShape& m, const BatchShape& s) {
  const double layers = m.num_layers;
  const double tokens = s.num_tokens();
  const double linear = 2.0 * m.layer_params() * layers * tokens +
                        2.0 * static_cast<double>(m.hidden) * m.vocab * s.num_sampled;
  const double pairs = s.prefill_attn_pairs + s.decode_kv_tokens;
  const double attn = 4.0 * m.num_heads * m.head_dim * layers * pairs;
  const double kv = m.kv_bytes_per_token() * (s.prefill_kv_tokens + s.decode_kv_tokens);
  const double rows = s.num_prefill_rows + s.num_decodes;
  const double head = m.head_bytes();
  const double passes = weight_passes(s.num_tokens(), m.weight_tile_rows) * (m.weight_bytes() - head) +
                        weight_passes(s.num_sampled, m.weight_tile_rows) * head;
  return {1.0, linear * 1e-9, attn * 1e-9, kv * 1e-9, rows * 1e-2, passes * 1e-9};
}

std::array<bool, kNumPerfFeatures> perf_feature_mask(const ModelShape& m, BatchKind kind) {
  const bool tiled = m.weight_tile_rows > 0;
  switch (kind) {
    case BatchKind::kDecode: return {true, true, false, true, false, tiled};
    case BatchKind::kPrefill: return {true, true, true, true, true, false};
    case BatchKind::kMixed: return {true, true, true, true, true, false};
  }
  return {true, true, true, true, true, false};
}

}  // namespace asc
