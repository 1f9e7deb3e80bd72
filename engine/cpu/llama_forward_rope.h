// RopeTable: rotary position embedding with the angles of a step computed once and reused by every
// layer (30 layers x (Q + K) apply the same cos/sin per token), instead of a pow/sin/cos per pair
// per layer. Pair i of a head rotates by pos * inv_freq[i], computed in double before rounding to
// float, as elementwise.h's rope() (the test oracle) does. Only the first rope_dim dimensions of a
// head rotate (partial rotary); kNormal pairs (2i, 2i+1), kNeox pairs (i, i + rope_dim/2).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/core/status.h"
#include "engine/cpu/elementwise.h"
#include "engine/cpu/thread_pool.h"
#include "engine/model/model_spec.h"

namespace asc::cpu {

/// Per-pair angular frequencies [rope_dim / 2] of a model: theta^(-2i / rope_dim), divided by
/// freq_factors[i] when given (GGUF rope_freqs), then the spec's scaling (linear or llama3).
/// UNIMPLEMENTED for YaRN scaling.
StatusOr<std::vector<double>> rope_frequencies(const ModelSpec& spec,
                                               std::span<const float> freq_factors);

/// llama.cpp's float angle recurrence (used instead of inv_freq so rotations match it bit for bit):
/// theta_0 = pos, theta_{i+1} = theta_i * theta_scale in float, angle_i = freq_scale *
/// (theta_i / freq_factors[i]), cos/sin in float. theta_scale = powf(rope_theta, -2 / rope_dim).
struct FloatRopeAngles {
  float theta_scale = 0.0f;
  float freq_scale = 1.0f;           // 1 / linear scaling factor
  std::vector<float> freq_factors;   // [rope_dim / 2] or empty (all 1)
};

/// The float recurrence for a spec, or std::nullopt where it does not apply (llama3 scaling without
/// rope_freqs, YaRN): the caller keeps the double inv_freq angles then.
std::optional<FloatRopeAngles> float_rope_angles(const ModelSpec& spec,
                                                 std::span<const float> freq_factors);

class RopeTable {
 public:
  /// inv_freq: [rope_dim / 2]; rope_dim <= head_dim, both even.
  RopeTable(int32_t head_dim, RopeLayout layout, std::vector<double> inv_freq);

  /// Switches prepare() to llama.cpp's float angle recurrence (see FloatRopeAngles).
  void use_float_angles(FloatRopeAngles angles) { float_angles_ = std::move(angles); }

  /// Computes cos/sin of every pair for each token's position: positions [num_tokens].
  void prepare(ThreadPool& pool, std::span<const int32_t> positions);

  /// Rotates x [num_tokens, num_heads, head_dim] in place, token t by the angles of positions[t]
  /// given to the last prepare().
  void apply(ThreadPool& pool, float* x, int32_t num_heads) const;

 private:
  void rotate_token(float* x, int32_t num_heads, int64_t token) const;
  void float_angles(int32_t pos, int64_t token);  // fills cos_/sin_ of one token

  int32_t head_dim_;
  int32_t half_;                  // rope_dim / 2: pairs rotated per head
  RopeLayout layout_;
  std::vector<double> inv_freq_;  // [half]
  std::optional<FloatRopeAngles> float_angles_;
  int64_t num_tokens_ = 0;
  std::vector<float> cos_;        // [num_tokens, half]
  std::vector<float> sin_;        // [num_tokens, half]
};

}  // namespace asc::cpu
