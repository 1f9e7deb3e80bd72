// Arrival processes for load generation and simulation, reproducible on every standard library.
//
// std:: distributions are not portable (libstdc++ and libc++ produce different streams from the
// same engine), so sampling is done here by hand from the raw 64-bit output of std::mt19937_64,
// whose sequence *is* fixed by the standard:
//   uniform     53 high bits -> [0, 1), and (0, 1] where a log needs it
//   exponential inverse CDF: -log(u) / rate (exact, no truncation of the tail)
//   normal      Marsaglia polar method
//   gamma       Marsaglia-Tsang squeeze (shape >= 1); shape < 1 via the boost
//               Gamma(a) = Gamma(a + 1) * U^(1/a)
//
// Burstiness follows vLLM's `benchmark_serving` / `vllm bench serve` convention: inter-arrival
// gaps are Gamma(shape = burstiness, scale = 1 / (rate * burstiness)), so the mean gap is always
// 1/rate; burstiness 1 is Poisson, < 1 is burstier, > 1 is more regular. The coefficient of
// variation of the gaps is 1 / sqrt(burstiness).
//
// Like vLLM, the first request arrives at t = 0 and each later one after a sampled gap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "engine/core/status.h"

namespace asc::workload {

/// Seeded random source with portable hand-written distributions. Not thread-safe; one per user.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  /// Raw 64-bit draw (std::mt19937_64, standard-defined sequence).
  uint64_t next_u64() { return engine_(); }
  /// Uniform in [0, 1) with 53 bits of resolution.
  double uniform();
  /// Uniform in (0, 1]: safe for log().
  double uniform_open0();
  /// Uniform integer in [0, n), n > 0, without modulo bias (rejection).
  uint64_t uniform_index(uint64_t n);
  /// Exponential with the given rate (> 0); mean 1/rate.
  double exponential(double rate);
  /// Standard normal (mean 0, variance 1).
  double normal();
  /// Gamma(shape, scale), shape > 0, scale > 0; mean shape*scale.
  double gamma(double shape, double scale);

 private:
  std::mt19937_64 engine_;
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

enum class ArrivalKind { kPoisson, kGamma, kReplay };

/// n arrival times [s], nondecreasing, first at 0: exponential gaps at rate_qps (> 0).
std::vector<double> poisson_arrivals(size_t n, double rate_qps, uint64_t seed);

/// n arrival times [s], first at 0: Gamma gaps with vLLM's burstiness convention (see above).
/// burstiness == 1 gives exactly the same stream as poisson_arrivals with the same seed.
std::vector<double> gamma_arrivals(size_t n, double rate_qps, double burstiness, uint64_t seed);

/// Arrivals [s] generated until (and excluding) duration_s: as many as fit.
std::vector<double> gamma_arrivals_until(double duration_s, double rate_qps, double burstiness,
                                         uint64_t seed);

/// Replays trace timestamps [s]: arrival_i = (t_i - t_0) * time_scale. time_scale < 1 compresses
/// time (0.5 replays an hour in 30 minutes, doubling the rate); > 1 stretches it.
/// kInvalidArgument when time_scale <= 0 or the timestamps go backwards.
StatusOr<std::vector<double>> replay_arrivals(std::span<const double> timestamps_s, double time_scale);

}  // namespace asc::workload
