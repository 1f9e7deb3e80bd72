// PerfModel: predicts the time of one iteration from the batch composition.
//
// Features are FLOP and byte counts of the model's shapes (see perf_features.h): linear layers
// (projections + MLP + LM head), attention (query-key pairs, GQA-aware KV bytes read), rows, and
// for tiled CPU matmuls the weight bytes streamed once per row tile (decode batches). Three
// separate linear fits -- prefill-only, decode-only and mixed batches -- each by weighted least
// squares on relative error (what MAPE measures). Fit offline from a profile (`ascendra profile`),
// refined online from measured iterations by recursive least squares, and loaded/saved as JSON.
// Built-in GPU profiles (gpu_profiles.h) are fitted to an analytic roofline with documented constants.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/core/status.h"
#include "engine/core/step.h"

namespace asc {

/// The transformer shapes the features are computed from.
struct ModelShape {
  std::string name;
  int32_t hidden = 0;
  int32_t ffn = 0;
  int32_t num_layers = 0;
  int32_t num_heads = 0;
  int32_t num_kv_heads = 0;
  int32_t head_dim = 0;
  int32_t vocab = 0;
  double weight_bytes_per_param = 2.0;  // 2 for bf16/f16, ~0.625 for Q4_1
  double kv_bytes_per_elem = 2.0;
  /// Activation rows that one pass over the weights serves: the backend's matmul row tile (see
  /// Backend::weight_tile_rows). 0 = no such step in the cost (GPU roofline); the weight-pass
  /// feature is then off.
  int32_t weight_tile_rows = 0;

  /// Parameters of one layer's projections and MLP (q, k, v, o, gate, up, down).
  double layer_params() const;
  /// Bytes of K and V for one token over all layers.
  double kv_bytes_per_token() const;
  /// Bytes of all weights (layers + LM head).
  double weight_bytes() const;
  /// Bytes of the LM head alone.
  double head_bytes() const;
};

/// A StepPlan summarised for prediction (sums, so building it never allocates).
struct BatchShape {
  int32_t num_prefill_rows = 0;
  int32_t num_prefill_tokens = 0;
  double prefill_attn_pairs = 0.0;  // sum over chunks of query-key pairs (causal, with context)
  double prefill_kv_tokens = 0.0;   // sum over chunks of KV positions read (start + n)
  int32_t num_decodes = 0;
  double decode_kv_tokens = 0.0;    // sum over decodes of context length (start + 1)
  int32_t num_sampled = 0;          // rows that produce a token (LM head)

  /// Adds a prefill chunk of n tokens after `start` cached positions.
  void add_prefill(int32_t start, int32_t n, bool sample);
  /// Adds a decode at position start (context start + 1).
  void add_decode(int32_t start);
  static BatchShape from_plan(const StepPlan& plan);
  int32_t num_tokens() const { return num_prefill_tokens + num_decodes; }
  bool empty() const { return num_prefill_rows == 0 && num_decodes == 0; }
};

enum class BatchKind { kPrefill = 0, kDecode = 1, kMixed = 2 };
const char* batch_kind_name(BatchKind kind);
BatchKind batch_kind(const BatchShape& shape);

/// One measured (or synthetic) iteration.
struct PerfSample {
  BatchShape shape;
  double time_s = 0.0;
};

inline constexpr int kNumPerfFeatures = 6;
using PerfFeatures = std::array<double, kNumPerfFeatures>;

/// One kind's linear model over the feature subset `mask`.
struct PerfFit {
  std::array<double, kNumPerfFeatures> coef{};   // seconds per feature unit; 0 where masked out
  std::array<bool, kNumPerfFeatures> mask{};
  std::array<double, kNumPerfFeatures * kNumPerfFeatures> rls_p{};  // RLS covariance (row-major)
  int32_t num_samples = 0;                       // used by the fit; 0 = not fitted
  double train_mape = 0.0;
};

class PerfModel {
 public:
  PerfModel() = default;
  explicit PerfModel(ModelShape shape) : shape_(std::move(shape)) {}

  const ModelShape& shape() const { return shape_; }
  /// Free-form description of where the numbers come from ("cpu x2 threads", "a100 analytic").
  std::string device;
  /// KV blocks the profiled backend held (0 = unknown); the simulator uses it as the pool size.
  int32_t num_kv_blocks = 0;

  /// Predicted seconds for one iteration; > 0 for a non-empty batch, 0 for an empty one. Unfitted
  /// kinds fall back to the other fits (mixed: prefill part + decode part).
  double predict_s(const BatchShape& shape) const;
  /// Solo prefill of n prompt tokens from position 0.
  double predict_prefill_s(int32_t num_tokens) const;
  /// Decode of num_decodes sequences with the given average context.
  double predict_decode_s(int32_t num_decodes, double avg_context) const;

  /// Fits every kind that has >= 2 samples. kInvalidArgument when no kind can be fitted or a
  /// sample has a non-positive time.
  Status fit(std::span<const PerfSample> samples);
  /// Recursive least-squares update of the sample's kind with a measured time (forgetting 0.99).
  void refine(const BatchShape& shape, double measured_s);
  /// Mean absolute percentage error (fraction, 0.05 = 5%) on the given samples.
  double mape(std::span<const PerfSample> samples) const;
  /// Running mean absolute percentage error of the predictions refine() was given (0 before).
  double online_error() const { return online_error_; }
  bool is_fitted(BatchKind kind) const { return fits_[static_cast<int>(kind)].num_samples > 0; }
  const PerfFit& fit_of(BatchKind kind) const { return fits_[static_cast<int>(kind)]; }

  nlohmann::json to_json() const;
  static StatusOr<PerfModel> from_json(const nlohmann::json& j);

 private:
  double predict_kind(BatchKind kind, const PerfFeatures& x) const;

  ModelShape shape_;
  std::array<PerfFit, 3> fits_{};
  double online_error_ = 0.0;
  int64_t num_refined_ = 0;
};

/// Reads a profile file (a PerfModel JSON, or a profile with a "perf_model" member) or a built-in
/// profile name (gpu_profiles.h). kNotFound / kDataLoss on failure.
StatusOr<PerfModel> load_perf_model(const std::string& file_or_name);
/// Writes the model as JSON.
Status save_perf_model(const PerfModel& model, const std::string& path);

}  // namespace asc
