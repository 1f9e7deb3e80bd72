#include "engine/cpu/llama_forward_rope.h"

#include <cmath>
#include <numbers>

namespace asc::cpu {

namespace {

/// Llama 3.1 frequency scaling: long wavelengths slowed by factor, short ones kept, a smooth
/// interpolation between.
double llama3_scale(double freq, const RopeScaling& s) {
  const double old_ctx = s.original_context_length > 0 ? s.original_context_length : 8192.0;
  const double low_wavelen = old_ctx / s.low_freq_factor;
  const double high_wavelen = old_ctx / s.high_freq_factor;
  const double wavelen = 2.0 * std::numbers::pi / freq;
  if (wavelen < high_wavelen) return freq;
  if (wavelen > low_wavelen) return freq / s.factor;
  const double smooth = (old_ctx / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  return (1.0 - smooth) * freq / s.factor + smooth * freq;
}

}  // namespace

StatusOr<std::vector<double>> rope_frequencies(const ModelSpec& spec,
                                               std::span<const float> freq_factors) {
  const int32_t rope_dim = spec.rope_dim > 0 ? spec.rope_dim : spec.head_dim;
  const int32_t half = rope_dim / 2;
  if (!freq_factors.empty() && static_cast<int32_t>(freq_factors.size()) < half) {
    return invalid_argument("rope_freqs has " + std::to_string(freq_factors.size()) +
                            " entries, expected " + std::to_string(half));
  }
  if (spec.rope_scaling.type == RopeScalingType::kYarn) {
    return unimplemented("YaRN rope scaling is not supported by the CPU backend");
  }
  std::vector<double> inv_freq(static_cast<size_t>(half));
  for (int32_t i = 0; i < half; ++i) {
    double f = std::pow(static_cast<double>(spec.rope_theta), -2.0 * i / rope_dim);
    if (!freq_factors.empty()) f /= freq_factors[static_cast<size_t>(i)];
    if (spec.rope_scaling.type == RopeScalingType::kLinear) f /= spec.rope_scaling.factor;
    if (spec.rope_scaling.type == RopeScalingType::kLlama3) f = llama3_scale(f, spec.rope_scaling);
    inv_freq[static_cast<size_t>(i)] = f;
  }
  return inv_freq;
}

std::optional<FloatRopeAngles> float_rope_angles(const ModelSpec& spec,
                                                 std::span<const float> freq_factors) {
  const int32_t rope_dim = spec.rope_dim > 0 ? spec.rope_dim : spec.head_dim;
  const RopeScalingType type = spec.rope_scaling.type;
  if (type != RopeScalingType::kNone && type != RopeScalingType::kLinear) return std::nullopt;
  FloatRopeAngles a;
  a.theta_scale = std::pow(spec.rope_theta, -2.0f / static_cast<float>(rope_dim));
  if (type == RopeScalingType::kLinear) a.freq_scale = 1.0f / spec.rope_scaling.factor;
  a.freq_factors.assign(freq_factors.begin(), freq_factors.end());
  return a;
}

RopeTable::RopeTable(int32_t head_dim, RopeLayout layout, std::vector<double> inv_freq)
    : head_dim_(head_dim),
      half_(static_cast<int32_t>(inv_freq.size())),
      layout_(layout),
      inv_freq_(std::move(inv_freq)) {
  ASC_CHECK(head_dim > 0 && head_dim % 2 == 0 && 2 * half_ <= head_dim);
}

void RopeTable::prepare(ThreadPool& pool, std::span<const int32_t> positions) {
  num_tokens_ = static_cast<int64_t>(positions.size());
  cos_.resize(static_cast<size_t>(num_tokens_ * half_));
  sin_.resize(static_cast<size_t>(num_tokens_ * half_));
  pool.parallel_for(num_tokens_, [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) {
      if (float_angles_) {
        float_angles(positions[static_cast<size_t>(t)], t);
        continue;
      }
      for (int64_t i = 0; i < half_; ++i) {
        const double angle = positions[static_cast<size_t>(t)] * inv_freq_[static_cast<size_t>(i)];
        cos_[static_cast<size_t>(t * half_ + i)] = static_cast<float>(std::cos(angle));
        sin_[static_cast<size_t>(t * half_ + i)] = static_cast<float>(std::sin(angle));
      }
    }
  });
}

void RopeTable::float_angles(int32_t pos, int64_t token) {
  const FloatRopeAngles& a = *float_angles_;
  float theta = static_cast<float>(pos);
  for (int64_t i = 0; i < half_; ++i) {
    const float ff = a.freq_factors.empty() ? 1.0f : a.freq_factors[static_cast<size_t>(i)];
    const float angle = a.freq_scale * (theta / ff);
    cos_[static_cast<size_t>(token * half_ + i)] = std::cos(angle);
    sin_[static_cast<size_t>(token * half_ + i)] = std::sin(angle);
    theta *= a.theta_scale;
  }
}

void RopeTable::rotate_token(float* x, int32_t num_heads, int64_t token) const {
  const float* c = cos_.data() + token * half_;
  const float* s = sin_.data() + token * half_;
  const int32_t stride = layout_ == RopeLayout::kNormal ? 2 : 1;
  const int32_t offset = layout_ == RopeLayout::kNormal ? 1 : half_;
  for (int32_t h = 0; h < num_heads; ++h) {
    float* head = x + static_cast<int64_t>(h) * head_dim_;
    for (int32_t i = 0; i < half_; ++i) {
      float* a = head + i * stride;
      float* b = a + offset;
      const float x0 = *a;
      const float x1 = *b;
      // Fused as llama.cpp's build (-march=native, contracted) computes them.
      *a = std::fma(x0, c[i], -(x1 * s[i]));
      *b = std::fma(x0, s[i], x1 * c[i]);
    }
  }
}

void RopeTable::apply(ThreadPool& pool, float* x, int32_t num_heads) const {
  const int64_t token_elems = static_cast<int64_t>(num_heads) * head_dim_;
  // Tiny per token: only large prefill steps are worth waking the pool for.
  if (num_tokens_ < 32) {
    for (int64_t t = 0; t < num_tokens_; ++t) rotate_token(x + t * token_elems, num_heads, t);
    return;
  }
  pool.parallel_for(num_tokens_, [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) rotate_token(x + t * token_elems, num_heads, t);
  });
}

}  // namespace asc::cpu
