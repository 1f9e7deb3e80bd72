// PerfModel fitting and prediction.
//
// Fit: per batch kind, weighted least squares minimising sum(((y - x.theta) / y)^2) -- relative
// error, the quantity MAPE reports -- on the kind's feature subset. Columns are scaled to unit RMS
// and a tiny ridge (1e-9 of the diagonal mean) keeps nearly collinear grids solvable. Kinds with
// fewer than 3 samples per feature drop the per-row feature.
// Refine: recursive least squares on the same relative-error rows with forgetting factor 0.99 (a memory of ~100 iterations),
// starting from the fit's inverse normal matrix.
#include "engine/core/perf_model.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/core/linear_solve.h"
#include "engine/core/perf_features.h"

namespace asc {
namespace {

constexpr int kN = kNumPerfFeatures;
constexpr double kForgetting = 0.99;
constexpr double kMinPredictionS = 1e-6;

// Indices of the features a mask keeps.
std::vector<int> active_features(const std::array<bool, kN>& mask) {
  std::vector<int> idx;
  for (int i = 0; i < kN; ++i) {
    if (mask[static_cast<size_t>(i)]) idx.push_back(i);
  }
  return idx;
}

// Fits one kind; false when the normal equations are singular.
bool fit_kind(const ModelShape& shape, BatchKind kind, std::span<const PerfSample* const> samples,
              PerfFit& out) {
  out = PerfFit{};
  out.mask = perf_feature_mask(shape, kind);
  // Few samples (fewer than 3 per coefficient): drop the per-row feature, the weakest, so that the
  // fit cannot interpolate noise with as many coefficients as points. Attention is kept: prefill
  // cost is quadratic in the chunk through it.
  if (static_cast<int>(samples.size()) < 3 * static_cast<int>(active_features(out.mask).size())) {
    out.mask[kRowsFeature] = false;
  }
  // Batches that all take the same number of weight passes (e.g. every decode batch within one
  // tile) make the pass feature a copy of the constant: nothing to learn, and an RLS covariance
  // that would explode along it.
  if (out.mask[kWeightPassFeature]) {
    bool varies = false;
    for (const PerfSample* s : samples) {
      varies = varies || weight_passes(s->shape.num_tokens(), shape.weight_tile_rows) !=
                             weight_passes(samples.front()->shape.num_tokens(), shape.weight_tile_rows);
    }
    out.mask[kWeightPassFeature] = varies;
  }
  const std::vector<int> idx = active_features(out.mask);
  const int k = static_cast<int>(idx.size());
  std::vector<std::array<double, kN>> rows;  // [samples] relative-error rows x / y
  rows.reserve(samples.size());
  std::array<double, kN> scale{};
  for (const PerfSample* s : samples) {
    PerfFeatures x = perf_features(shape, s->shape);
    for (double& v : x) v /= s->time_s;
    for (int i = 0; i < kN; ++i) scale[static_cast<size_t>(i)] += x[static_cast<size_t>(i)] * x[static_cast<size_t>(i)];
    rows.push_back(x);
  }
  for (double& v : scale) v = v > 0.0 ? std::sqrt(v / static_cast<double>(rows.size())) : 1.0;
  std::vector<double> ata(static_cast<size_t>(k * k), 0.0);  // [k, k] scaled normal matrix
  std::vector<double> atb(static_cast<size_t>(k), 0.0);      // [k]
  for (const auto& x : rows) {
    for (int i = 0; i < k; ++i) {
      const double xi = x[static_cast<size_t>(idx[i])] / scale[static_cast<size_t>(idx[i])];
      atb[static_cast<size_t>(i)] += xi;
      for (int j = 0; j < k; ++j) {
        ata[static_cast<size_t>(i * k + j)] += xi * x[static_cast<size_t>(idx[j])] / scale[static_cast<size_t>(idx[j])];
      }
    }
  }
  double trace = 0.0;
  for (int i = 0; i < k; ++i) trace += ata[static_cast<size_t>(i * k + i)];
  for (int i = 0; i < k; ++i) ata[static_cast<size_t>(i * k + i)] += 1e-9 * trace / k;
  std::vector<double> inv(static_cast<size_t>(k * k));
  if (!invert_matrix(ata, inv, k)) return false;
  std::vector<double> theta = atb;
  std::vector<double> a_copy = ata;
  if (!solve_linear(a_copy, theta, k)) return false;
  for (int i = 0; i < k; ++i) {
    const size_t fi = static_cast<size_t>(idx[i]);
    out.coef[fi] = theta[static_cast<size_t>(i)] / scale[fi];
    for (int j = 0; j < k; ++j) {
      const size_t fj = static_cast<size_t>(idx[j]);
      out.rls_p[fi * kN + fj] = inv[static_cast<size_t>(i * k + j)] / (scale[fi] * scale[fj]);
    }
  }
  out.num_samples = static_cast<int32_t>(samples.size());
  return true;
}

double dot(const std::array<double, kN>& a, const PerfFeatures& x) {
  double s = 0.0;
  for (int i = 0; i < kN; ++i) s += a[static_cast<size_t>(i)] * x[static_cast<size_t>(i)];
  return s;
}

}  // namespace

double PerfModel::predict_kind(BatchKind kind, const PerfFeatures& x) const {
  return dot(fits_[static_cast<int>(kind)].coef, x);
}

double PerfModel::predict_s(const BatchShape& shape) const {
  if (shape.empty()) return 0.0;
  const BatchKind kind = batch_kind(shape);
  double t = 0.0;
  if (is_fitted(kind)) {
    t = predict_kind(kind, perf_features(shape_, shape));
  } else if (kind == BatchKind::kMixed && is_fitted(BatchKind::kPrefill) && is_fitted(BatchKind::kDecode)) {
    BatchShape p = shape;  // prefill part
    p.num_decodes = 0;
    p.decode_kv_tokens = 0.0;
    p.num_sampled -= shape.num_decodes;
    BatchShape d;  // decode part
    d.num_decodes = shape.num_decodes;
    d.decode_kv_tokens = shape.decode_kv_tokens;
    d.num_sampled = shape.num_decodes;
    t = predict_kind(BatchKind::kPrefill, perf_features(shape_, p)) +
        predict_kind(BatchKind::kDecode, perf_features(shape_, d)) - fit_of(BatchKind::kDecode).coef[0];
  } else {
    for (BatchKind k : {BatchKind::kMixed, BatchKind::kPrefill, BatchKind::kDecode}) {
      if (is_fitted(k)) {
        t = predict_kind(k, perf_features(shape_, shape));
        break;
      }
    }
  }
  return std::max(t, kMinPredictionS);
}

double PerfModel::predict_prefill_s(int32_t num_tokens) const {
  BatchShape s;
  s.add_prefill(0, std::max(num_tokens, 1), true);
  return predict_s(s);
}

double PerfModel::predict_decode_s(int32_t num_decodes, double avg_context) const {
  BatchShape s;
  const int32_t ctx = std::max(1, static_cast<int32_t>(std::lround(avg_context)));
  for (int32_t i = 0; i < num_decodes; ++i) s.add_decode(ctx - 1);
  return predict_s(s);
}

Status PerfModel::fit(std::span<const PerfSample> samples) {
  std::array<std::vector<const PerfSample*>, 3> by_kind;
  for (const PerfSample& s : samples) {
    if (!(s.time_s > 0.0)) return invalid_argument("profile sample with a non-positive time");
    if (s.shape.empty()) return invalid_argument("profile sample with an empty batch");
    by_kind[static_cast<int>(batch_kind(s.shape))].push_back(&s);
  }
  bool any = false;
  for (int k = 0; k < 3; ++k) {
    fits_[static_cast<size_t>(k)] = PerfFit{};
    if (by_kind[static_cast<size_t>(k)].size() < 2) continue;
    PerfFit f;
    if (!fit_kind(shape_, static_cast<BatchKind>(k), by_kind[static_cast<size_t>(k)], f)) continue;
    fits_[static_cast<size_t>(k)] = f;
    any = true;
  }
  if (!any) return invalid_argument("not enough profile samples to fit any batch kind");
  for (int k = 0; k < 3; ++k) {
    std::vector<PerfSample> own;
    for (const PerfSample* s : by_kind[static_cast<size_t>(k)]) own.push_back(*s);
    if (is_fitted(static_cast<BatchKind>(k))) fits_[static_cast<size_t>(k)].train_mape = mape(own);
  }
  return Status::ok();
}

void PerfModel::refine(const BatchShape& shape, double measured_s) {
  if (shape.empty() || !(measured_s > 0.0)) return;
  const double predicted = predict_s(shape);
  const double err = std::fabs(predicted - measured_s) / measured_s;
  ++num_refined_;
  online_error_ += (err - online_error_) / static_cast<double>(std::min<int64_t>(num_refined_, 100));
  PerfFit& f = fits_[static_cast<int>(batch_kind(shape))];
  if (f.num_samples == 0) return;  // RLS needs a starting fit
  PerfFeatures a = perf_features(shape_, shape);
  for (int i = 0; i < kN; ++i) a[static_cast<size_t>(i)] = f.mask[static_cast<size_t>(i)] ? a[static_cast<size_t>(i)] / measured_s : 0.0;
  std::array<double, kN> pa{};  // P a
  for (int i = 0; i < kN; ++i) {
    for (int j = 0; j < kN; ++j) pa[static_cast<size_t>(i)] += f.rls_p[static_cast<size_t>(i * kN + j)] * a[static_cast<size_t>(j)];
  }
  const double denom = kForgetting + dot(a, PerfFeatures(pa));
  if (!(denom > 0.0)) return;
  const double resid = 1.0 - dot(f.coef, a);
  for (int i = 0; i < kN; ++i) f.coef[static_cast<size_t>(i)] += pa[static_cast<size_t>(i)] / denom * resid;
  for (int i = 0; i < kN; ++i) {
    for (int j = 0; j < kN; ++j) {
      double& p = f.rls_p[static_cast<size_t>(i * kN + j)];
      p = (p - pa[static_cast<size_t>(i)] * pa[static_cast<size_t>(j)] / denom) / kForgetting;
    }
  }
  ++f.num_samples;
}

double PerfModel::mape(std::span<const PerfSample> samples) const {
  if (samples.empty()) return 0.0;
  double sum = 0.0;
  for (const PerfSample& s : samples) sum += std::fabs(predict_s(s.shape) - s.time_s) / s.time_s;
  return sum / static_cast<double>(samples.size());
}

}  // namespace asc
