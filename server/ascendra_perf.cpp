// Performance model for the ascendra server (see ascendra_perf.h).
#include "server/ascendra_perf.h"

#include <chrono>
#include <cstdio>
#include <string>

#include "engine/app/profile_command.h"

namespace asc::server {
namespace {

constexpr size_t kStartupKvBytes = size_t{64} << 20;  // enough blocks for 8 x 256-token contexts

/// A profile made for another model would predict nonsense: its layer shapes must match.
Status check_shape(const PerfModel& perf, const ModelShape& shape, const std::string& path) {
  const ModelShape& p = perf.shape();
  if (p.hidden == shape.hidden && p.num_layers == shape.num_layers && p.num_heads == shape.num_heads &&
      p.num_kv_heads == shape.num_kv_heads && p.ffn == shape.ffn) {
    return Status::ok();
  }
  return invalid_argument("--profile " + path + " was made for another model (hidden " +
                          std::to_string(p.hidden) + ", " + std::to_string(p.num_layers) +
                          " layers; this model: hidden " + std::to_string(shape.hidden) + ", " +
                          std::to_string(shape.num_layers) + " layers)");
}

}  // namespace

ProfileGrid startup_profile_grid() {
  ProfileGrid g;
  g.num_prefill = 8;
  g.num_decode = 8;
  g.num_mixed = 8;
  g.max_batch_tokens = 64;
  g.min_chunk = 8;
  g.max_decodes = 8;
  g.max_context = 256;
  g.repeats = 1;
  g.warmup_batches = 1;
  g.holdout_every = 0;  // every batch trains the fit
  return g;
}

StatusOr<PerfModel> serve_perf_model(const ServeOptions& o, const Model& model, int threads) {
  const ModelShape shape = app::model_shape_of(model);
  if (!o.profile.empty()) {
    StatusOr<PerfModel> loaded = load_perf_model(o.profile);
    if (!loaded) return loaded.status();
    Status same = check_shape(*loaded, shape, o.profile);
    if (!same.is_ok()) return same;
    return loaded;
  }
  const auto t0 = std::chrono::steady_clock::now();
  StatusOr<ProfileResult> result = app::profile_cpu_model(model, threads, kStartupKvBytes, startup_profile_grid());
  if (!result) return result.status();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "ascendra serve: start-up profile of %zu batches in %.2f s (refined online; "
               "--profile FILE for a full one)\n", result->train.size() + result->holdout.size(), s);
  return std::move(result->model);
}

}  // namespace asc::server
