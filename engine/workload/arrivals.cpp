// Arrival processes. Design note: every distribution is derived from raw mt19937_64 words with
// explicit formulas (see arrivals.h) so that a seed gives the same workload on every platform.
#include "engine/workload/arrivals.h"

#include <cmath>

namespace asc::workload {

double Rng::uniform() {
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;  // [0, 1)
}

double Rng::uniform_open0() {
  return (static_cast<double>(engine_() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
}

uint64_t Rng::uniform_index(uint64_t n) {
  ASC_CHECK(n > 0);
  // Reject the top partial block so that every index is equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x = engine_();
  while (x >= limit) x = engine_();
  return x % n;
}

double Rng::exponential(double rate) {
  ASC_CHECK(rate > 0.0);
  return -std::log(uniform_open0()) / rate;
}

double Rng::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  double u = 0.0, v = 0.0, s = 0.0;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * factor;
  has_spare_normal_ = true;
  return u * factor;
}

double Rng::gamma(double shape, double scale) {
  ASC_CHECK(shape > 0.0 && scale > 0.0);
  if (shape < 1.0) {
    // Gamma(a) = Gamma(a + 1) * U^(1/a)  (Marsaglia & Tsang, section 6).
    const double boost = std::pow(uniform_open0(), 1.0 / shape);
    return gamma(shape + 1.0, scale) * boost;
  }
  // Marsaglia & Tsang (2000), "A simple method for generating gamma variables".
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x = 0.0, v = 0.0;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform_open0();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v * scale;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v * scale;
  }
}

namespace {

// One gap of the arrival process; burstiness 1 uses the exact exponential (Gamma(1) == Exp).
double next_gap(Rng& rng, double rate_qps, double burstiness) {
  if (burstiness == 1.0) return rng.exponential(rate_qps);
  return rng.gamma(burstiness, 1.0 / (rate_qps * burstiness));
}

}  // namespace

std::vector<double> poisson_arrivals(size_t n, double rate_qps, uint64_t seed) {
  return gamma_arrivals(n, rate_qps, 1.0, seed);
}

std::vector<double> gamma_arrivals(size_t n, double rate_qps, double burstiness, uint64_t seed) {
  ASC_CHECK(rate_qps > 0.0 && burstiness > 0.0);
  Rng rng(seed);
  std::vector<double> arrivals;  // [n] seconds
  arrivals.reserve(n);
  double t = 0.0;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) t += next_gap(rng, rate_qps, burstiness);
    arrivals.push_back(t);
  }
  return arrivals;
}

std::vector<double> gamma_arrivals_until(double duration_s, double rate_qps, double burstiness,
                                         uint64_t seed) {
  ASC_CHECK(rate_qps > 0.0 && burstiness > 0.0);
  Rng rng(seed);
  std::vector<double> arrivals;
  double t = 0.0;
  while (t < duration_s) {
    arrivals.push_back(t);
    t += next_gap(rng, rate_qps, burstiness);
  }
  return arrivals;
}

StatusOr<std::vector<double>> replay_arrivals(std::span<const double> timestamps_s, double time_scale) {
  if (!(time_scale > 0.0)) return invalid_argument("time scale must be > 0");
  std::vector<double> arrivals;  // [timestamps_s.size()] seconds
  arrivals.reserve(timestamps_s.size());
  if (timestamps_s.empty()) return arrivals;
  const double t0 = timestamps_s.front();
  for (size_t i = 0; i < timestamps_s.size(); ++i) {
    if (i > 0 && timestamps_s[i] < timestamps_s[i - 1]) {
      return invalid_argument("trace timestamps go backwards at row " + std::to_string(i + 1));
    }
    arrivals.push_back((timestamps_s[i] - t0) * time_scale);
  }
  return arrivals;
}

}  // namespace asc::workload
