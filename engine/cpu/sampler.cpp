#include "engine/cpu/sampler.h"

#include <algorithm>
#include <cmath>

#include "engine/core/status.h"

namespace asc::cpu {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Orders candidates by probability, descending; equal probabilities by id, ascending, so that
/// every filter is deterministic.
bool more_likely(const Sampler::Candidate& a, const Sampler::Candidate& b) {
  return a.p > b.p || (a.p == b.p && a.id < b.id);
}

}  // namespace

double counter_uniform(uint64_t seed, uint64_t counter) {
  const uint64_t x = splitmix64(splitmix64(seed) ^ (counter * 0xD1B54A32D192ED03ull));
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

int32_t argmax(std::span<const float> logits) {
  ASC_CHECK(!logits.empty());
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
  }
  return best;
}

void Sampler::apply_top_k(int32_t top_k) {
  if (top_k <= 0 || static_cast<size_t>(top_k) >= candidates_.size()) return;
  std::nth_element(candidates_.begin(), candidates_.begin() + top_k, candidates_.end(), more_likely);
  candidates_.resize(static_cast<size_t>(top_k));
}

void Sampler::apply_top_p(float top_p) {
  if (top_p >= 1.0f || candidates_.empty()) return;
  double total = 0.0;
  for (const Candidate& c : candidates_) total += c.p;
  const double target = std::max(0.0, static_cast<double>(top_p)) * total;
  // Sort only as far as needed: the nucleus is usually a few dozen tokens of a large vocabulary.
  size_t sorted = std::min<size_t>(64, candidates_.size());
  for (;;) {
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<ptrdiff_t>(sorted),
                      candidates_.end(), more_likely);
    double mass = 0.0;
    for (size_t i = 0; i < sorted; ++i) {
      mass += candidates_[i].p;
      if (mass >= target) {
        candidates_.resize(i + 1);
        return;
      }
    }
    if (sorted == candidates_.size()) return;  // rounding: keep everything
    sorted = std::min(sorted * 4, candidates_.size());
  }
}

int32_t Sampler::sample(std::span<const float> logits, const SamplingParams& params,
                        int32_t num_generated) {
  ASC_CHECK(!logits.empty());
  if (params.temperature <= 0.0f || params.top_k == 1) return argmax(logits);
  const float max_logit = logits[static_cast<size_t>(argmax(logits))];
  const float inv_t = 1.0f / params.temperature;
  // min-p keeps tokens with p >= min_p * p_max; with p_max scaled to 1 that is p >= min_p.
  const float min_keep = std::clamp(params.min_p, 0.0f, 1.0f);
  candidates_.clear();
  for (size_t i = 0; i < logits.size(); ++i) {
    const float p = std::exp((logits[i] - max_logit) * inv_t);
    if (p > 0.0f && p >= min_keep) candidates_.push_back({p, static_cast<int32_t>(i)});
  }
  apply_top_k(params.top_k);
  apply_top_p(params.top_p);
  double total = 0.0;
  for (const Candidate& c : candidates_) total += c.p;
  const double u = counter_uniform(params.seed, static_cast<uint64_t>(num_generated)) * total;
  double acc = 0.0;
  for (const Candidate& c : candidates_) {
    acc += c.p;
    if (u < acc) return c.id;
  }
  return candidates_.back().id;  // u rounded up to the total
}

}  // namespace asc::cpu
