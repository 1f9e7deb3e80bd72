// A real `ascendra profile` (quick grid) of the default model on the CPU backend: the fitted
// performance model's error on held-out batches (drawn from the same distribution as the training
// batches) is below 10%. Skips when the model file is absent. Writes the profile to
// <build>/perf_model_profile.json for inspection.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/app/profile_command.h"

namespace asc {
namespace {

const char* kModel = ASC_SOURCE_DIR "/models/SmolLM2-135M-Instruct.Q4_1.gguf";

// MAPE of the held-out samples of one kind (0 when there are none).
double holdout_mape_of(const ProfileResult& r, BatchKind kind, size_t& count) {
  std::vector<PerfSample> v;
  for (const PerfSample& s : r.holdout) {
    if (batch_kind(s.shape) == kind) v.push_back(s);
  }
  count = v.size();
  return r.model.mape(v);
}

TEST(PerfModelProfile, HeldOutMapeBelowTenPercentOnTheCpuBackend) {
  if (!std::filesystem::exists(kModel)) GTEST_SKIP() << "model absent: " << kModel << " (scripts/fetch-models.sh)";
  auto model = load_model(kModel);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  const auto start = std::chrono::steady_clock::now();
  // Five timed repeats per batch instead of the quick grid's three: on a shared 2-core machine the
  // repeats of one batch spread by ~20%, and a median of three left the held-out MAPE (itself
  // measured on noisy samples) hovering around the 10% bound.
  ProfileGrid grid = ProfileGrid::quick();
  grid.repeats = 5;
  auto result = app::profile_cpu_model(**model, 2, size_t{128} << 20, grid);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("CPU profile (quick grid, 5 repeats, %.1f s): %zu train + %zu held-out batches, held-out MAPE %.1f%% "
              "(measurement noise: median spread of repeats %.1f%%)\n",
              secs, result->train.size(), result->holdout.size(), 100.0 * result->holdout_mape,
              100.0 * result->repeat_spread);
  for (BatchKind k : {BatchKind::kPrefill, BatchKind::kDecode, BatchKind::kMixed}) {
    size_t n = 0;
    const double held = holdout_mape_of(*result, k, n);
    std::printf("  %-7s train MAPE %5.1f%% on %2d, held-out MAPE %5.1f%% on %zu\n", batch_kind_name(k),
                100.0 * result->model.fit_of(k).train_mape, result->model.fit_of(k).num_samples, 100.0 * held, n);
  }
  std::ofstream(ASC_BINARY_DIR "/perf_model_profile.json") << profile_to_json(*result).dump(1) << "\n";
  EXPECT_GE(result->holdout.size(), 12u);
  EXPECT_LT(result->holdout_mape, 0.10);
}

}  // namespace
}  // namespace asc
