// `ascendra profile -m MODEL --out FILE`: runs a grid of batches on the CPU backend, fits the
// performance model and writes it with the raw measurements (JSON) for `ascendra simulate`.
#include "engine/app/profile_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/app/commands.h"
#include "engine/cpu/backend_factory.h"

namespace asc::app {

ModelShape model_shape_of(const Model& model) {
  const ModelSpec& s = model.spec();
  ModelShape m;
  m.name = s.architecture;
  m.hidden = s.hidden_size;
  m.ffn = s.ffn_size;
  m.num_layers = s.num_layers;
  m.num_heads = s.num_heads;
  m.num_kv_heads = s.num_kv_heads;
  m.head_dim = s.head_dim;
  m.vocab = s.vocab_size;
  m.kv_bytes_per_elem = 2.0;  // f16 KV cache
  std::error_code ec;
  const auto bytes = std::filesystem::is_regular_file(model.path(), ec) ? std::filesystem::file_size(model.path(), ec) : 0;
  const double params = m.layer_params() * m.num_layers + static_cast<double>(m.hidden) * m.vocab;
  m.weight_bytes_per_param = bytes > 0 && params > 0 ? static_cast<double>(bytes) / params : 2.0;
  return m;
}

StatusOr<ProfileResult> profile_cpu_model(const Model& model, int num_threads, size_t kv_cache_bytes,
                                          const ProfileGrid& grid) {
  const int32_t max_tokens = std::max(grid.max_batch_tokens, 1) + std::max(grid.max_decodes, 1);
  auto backend = cpu::make_cpu_backend(model, num_threads, kv_cache_bytes, max_tokens);
  if (!backend.is_ok()) return backend.status();
  auto result = run_profile(**backend, model_shape_of(model), grid);
  if (result.is_ok()) result->model.device = "cpu x" + std::to_string(num_threads) + " threads";
  return result;
}

namespace {

struct ProfileOptions {
  std::string model_path;
  std::string out_path;
  int threads = 0;
  int kv_cache_mib = 256;
  bool quick = false;
};

Status run_profile_command(const ProfileOptions& o) {
  auto model = load_model(o.model_path);
  if (!model.is_ok()) return model.status();
  const int threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  const ProfileGrid grid = o.quick ? ProfileGrid::quick() : ProfileGrid::standard();
  auto result = profile_cpu_model(**model, threads, static_cast<size_t>(o.kv_cache_mib) << 20, grid);
  if (!result.is_ok()) return result.status();
  std::ofstream out(o.out_path);
  if (!out) return not_found("cannot write " + o.out_path);
  out << profile_to_json(*result).dump(2) << "\n";
  std::printf("profiled %zu batches on %s; fitted:", result->train.size() + result->holdout.size(),
              result->model.device.c_str());
  for (BatchKind k : {BatchKind::kPrefill, BatchKind::kDecode, BatchKind::kMixed}) {
    std::printf(" %s (train MAPE %.1f%%)", batch_kind_name(k), 100.0 * result->model.fit_of(k).train_mape);
  }
  std::printf("\nheld-out MAPE %.1f%% on %zu batches (median spread of repeats %.1f%%); wrote %s\n",
              100.0 * result->holdout_mape, result->holdout.size(), 100.0 * result->repeat_spread,
              o.out_path.c_str());
  return Status::ok();
}

}  // namespace

void register_profile(CLI::App& app) {
  auto options = std::make_shared<ProfileOptions>();
  ProfileOptions& o = *options;
  CLI::App* sub = app.add_subcommand("profile", "Measure iteration times on the CPU backend and fit the performance model");
  sub->add_option("-m,--model", o.model_path, "GGUF file or Hugging Face folder")->required();
  sub->add_option("--out", o.out_path, "Profile JSON to write")->required();
  sub->add_option("--threads", o.threads, "Threads (default: all cores)")->check(CLI::Range(0, 1024));
  sub->add_option("--kv-cache-mib", o.kv_cache_mib, "KV cache size in MiB")->check(CLI::Range(1, 1 << 20));
  sub->add_flag("--quick", o.quick, "A small grid (seconds), for tests");
  sub->callback([options] {
    Status s = run_profile_command(*options);
    if (!s.is_ok()) {
      std::fprintf(stderr, "ascendra profile: %s\n", s.to_string().c_str());
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace asc::app
