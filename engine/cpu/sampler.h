// Sampler: chooses the next token of a sequence from its logits.
//
// Greedy when temperature <= 0 (argmax, ties go to the lowest id). Otherwise, in vLLM's order:
// logits / temperature -> softmax -> top-k -> top-p (over the top-k renormalised mass) -> min-p
// (relative to the most likely token, so its place in the chain does not matter) -> one draw.
//
// The draw is a stateless counter-based RNG: u = hash(seed, num_generated). The same request with
// the same seed therefore produces the same tokens whatever it is batched with and whichever
// instance runs it (a migrated request continues its stream exactly).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/core/step.h"

namespace asc::cpu {

/// Uniform double in [0, 1), a pure function of (seed, counter) (splitmix64 finaliser).
double counter_uniform(uint64_t seed, uint64_t counter);

/// Index of the largest value; the lowest index among equal maxima. logits must be non-empty.
int32_t argmax(std::span<const float> logits);

class Sampler {
 public:
  /// One candidate token: its (unnormalised) probability and id.
  struct Candidate {
    float p;
    int32_t id;
  };

  /// Chooses a token from logits [vocab]; num_generated is the index of the token being drawn.
  /// Keeps only scratch between calls: the result depends on the arguments alone.
  int32_t sample(std::span<const float> logits, const SamplingParams& params, int32_t num_generated);

  /// The candidates that survived the last non-greedy sample()'s filters (for tests), in the order
  /// the draw walked them.
  std::span<const Candidate> last_support() const { return candidates_; }

 private:
  void apply_top_k(int32_t top_k);
  void apply_top_p(float top_p);

  std::vector<Candidate> candidates_;  // [<= vocab] scratch, reused across calls
};

}  // namespace asc::cpu
