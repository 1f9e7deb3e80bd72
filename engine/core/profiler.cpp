// Profiler: designed random batches run on a real backend (see profiler.h).
//
// KV storage is zero-filled once through Backend::import_kv_blocks so that attention over
// "cached" context reads well-defined values (no NaN or denormal slow paths), without paying for a
// real prefill of every context. Every row of a batch has its own blocks (no sharing: shared
// context would stay in cache and make attention look cheaper than it is).
#include "engine/core/profiler.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/core/request.h"

namespace asc {
namespace {

// Uniform double in [0, 1) from 53 random bits (portable, unlike std distributions).
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

int32_t uniform_int(std::mt19937_64& rng, int32_t lo, int32_t hi) {
  if (hi <= lo) return lo;
  return lo + static_cast<int32_t>(uniform01(rng) * (hi - lo + 1));
}

// Log-uniform integer in [lo, hi]: as many small batches as large ones per factor of two.
int32_t log_uniform_int(std::mt19937_64& rng, int32_t lo, int32_t hi) {
  lo = std::max(lo, 1);
  if (hi <= lo) return lo;
  const double v = std::exp(std::log(lo) + uniform01(rng) * (std::log(hi + 1.0) - std::log(lo)));
  return std::clamp(static_cast<int32_t>(v), lo, hi);
}

// Cached context of a prefill chunk: half the chunks start a prompt, the rest continue one.
int32_t chunk_start(std::mt19937_64& rng, const ProfileGrid& g) {
  return uniform01(rng) < 0.5 ? 0 : uniform_int(rng, 1, g.max_context / 2);
}

ProfileBatch prefill_batch(std::mt19937_64& rng, const ProfileGrid& g) {
  const double u = uniform01(rng);
  const int32_t rows = u < 0.6 ? 1 : (u < 0.85 ? 2 : 3);
  ProfileBatch b;
  for (int32_t r = 0; r < rows; ++r) {
    const int32_t n = log_uniform_int(rng, g.min_chunk, std::max(g.min_chunk, g.max_batch_tokens / rows));
    b.push_back({chunk_start(rng, g), n, true});
  }
  return b;
}

ProfileBatch decode_batch(std::mt19937_64& rng, const ProfileGrid& g, int32_t max_decodes) {
  ProfileBatch b;
  const int32_t n = log_uniform_int(rng, 1, max_decodes);
  for (int32_t r = 0; r < n; ++r) b.push_back({uniform_int(rng, 16, g.max_context), 1, false});
  return b;
}

// A chunk-budget scheduler (sarathi) fills the token budget left by the decodes, so the chunk
// goes up to max_batch_tokens - decodes.
ProfileBatch mixed_batch(std::mt19937_64& rng, const ProfileGrid& g) {
  ProfileBatch b = decode_batch(rng, g, std::max(1, g.max_decodes / 2));
  const int32_t budget = std::max(g.min_chunk, g.max_batch_tokens - static_cast<int32_t>(b.size()));
  b.push_back({chunk_start(rng, g), log_uniform_int(rng, g.min_chunk, budget), true});
  return b;
}

// Decodes always sample; a chunk samples when it ends its prompt (here: a start of 0 or an even end).
bool row_samples(const ProfileRow& r) {
  return !r.prefill || r.start == 0 || (r.start + r.num_tokens) % 2 == 0;
}

int32_t blocks_needed(const ProfileBatch& b) {
  int32_t n = 0;
  for (const ProfileRow& r : b) n += Request::blocks_for(r.start + r.num_tokens);
  return n;
}

// Shrinks contexts (then drops rows) until the batch fits the KV pool.
void fit_pool(ProfileBatch& b, int32_t num_kv_blocks) {
  while (blocks_needed(b) > num_kv_blocks) {
    bool any_context = false;
    for (ProfileRow& r : b) {
      any_context = any_context || r.start > 0;
      r.start /= 2;
    }
    if (!any_context && b.size() > 1) b.pop_back();
    if (!any_context && b.size() == 1) {
      b[0].num_tokens = std::max(1, std::min(b[0].num_tokens, num_kv_blocks * kKvBlockSize) / 2);
    }
  }
}

// A batch made runnable: token ids, block tables and the plan viewing them.
struct PreparedBatch {
  std::vector<std::vector<int32_t>> tokens;  // [rows][num_tokens]
  std::vector<std::vector<int32_t>> tables;  // [rows][blocks]
  StepPlan plan;
};

void prepare(const ProfileBatch& batch, int32_t vocab, std::mt19937_64& rng, PreparedBatch& out) {
  out.tokens.resize(batch.size());
  out.tables.resize(batch.size());
  int32_t next_block = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const ProfileRow& r = batch[i];
    for (int32_t k = 0; k < r.num_tokens; ++k) out.tokens[i].push_back(static_cast<int32_t>(rng() % static_cast<uint64_t>(vocab)));
    for (int32_t k = 0; k < Request::blocks_for(r.start + r.num_tokens); ++k) out.tables[i].push_back(next_block++);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    const ProfileRow& r = batch[i];
    StepRow row;
    row.request_id = i + 1;
    row.start_pos = r.start;
    row.num_tokens = r.num_tokens;
    row.tokens = out.tokens[i];
    row.block_table = out.tables[i];
    row.is_prefill = r.prefill;
    row.sample = row_samples(r);
    row.num_generated = r.prefill ? 0 : 1;
    out.plan.rows.push_back(row);
  }
}

Status zero_fill_kv(Backend& backend) {
  const size_t bytes = backend.kv_block_bytes();
  if (bytes == 0) return Status::ok();
  constexpr int32_t kChunk = 16;
  std::vector<uint8_t> zeros(bytes * kChunk, 0);  // [kChunk * kv_block_bytes]
  std::vector<int32_t> ids;
  for (int32_t b = 0; b < backend.num_kv_blocks(); b += kChunk) {
    ids.clear();
    for (int32_t k = b; k < std::min(b + kChunk, backend.num_kv_blocks()); ++k) ids.push_back(k);
    ASC_RETURN_IF_ERROR(backend.import_kv_blocks(ids, std::span<const uint8_t>(zeros).first(ids.size() * bytes)));
  }
  return Status::ok();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Times every batch `repeats` times in interleaved passes: times[batch][repeat].
Status measure_times(Backend& backend, const std::vector<PreparedBatch>& batches, const ProfileGrid& grid,
                     std::vector<std::vector<double>>& times) {
  const int32_t warm = std::min<int32_t>(grid.warmup_batches, static_cast<int32_t>(batches.size()));
  for (int32_t i = 0; i < warm; ++i) {
    StatusOr<StepResult> res = backend.execute(batches[static_cast<size_t>(i)].plan);
    if (!res.is_ok()) return res.status();
  }
  const int32_t repeats = std::max(1, grid.repeats);
  times.assign(batches.size(), {});
  for (int32_t pass = 0; pass < repeats; ++pass) {
    for (size_t i = 0; i < batches.size(); ++i) {
      StatusOr<StepResult> res = backend.execute(batches[i].plan);
      if (!res.is_ok()) return res.status();
      times[i].push_back(res->duration_s);
    }
  }
  return Status::ok();
}

// The median (or mean) per batch; sets `spread` (see ProfileResult::repeat_spread).
std::vector<double> sample_times(const std::vector<std::vector<double>>& times, bool mean, double& spread) {
  std::vector<double> out;
  std::vector<double> spreads;  // [batches]
  for (const auto& t : times) {
    if (t.empty()) {
      out.push_back(0.0);
      continue;
    }
    const double mid = median(t);
    double sum = 0.0;
    for (double v : t) sum += v;
    out.push_back(mean ? sum / static_cast<double>(t.size()) : mid);
    spreads.push_back((*std::max_element(t.begin(), t.end()) - *std::min_element(t.begin(), t.end())) / mid);
  }
  spread = spreads.empty() ? 0.0 : median(spreads);
  return out;
}

}  // namespace

ProfileGrid ProfileGrid::standard() { return ProfileGrid{}; }

ProfileGrid ProfileGrid::quick() {
  ProfileGrid g;
  g.num_prefill = 24;
  g.num_decode = 24;
  g.num_mixed = 24;
  g.max_batch_tokens = 256;
  g.max_decodes = 16;
  g.max_context = 512;
  g.repeats = 3;
  g.warmup_batches = 3;
  return g;
}

std::vector<ProfileBatch> profile_batches(const ProfileGrid& grid, int32_t num_kv_blocks) {
  std::mt19937_64 rng(grid.seed);
  std::vector<ProfileBatch> out;
  const int32_t n = std::max({grid.num_prefill, grid.num_decode, grid.num_mixed});
  for (int32_t i = 0; i < n; ++i) {
    if (i < grid.num_prefill) out.push_back(prefill_batch(rng, grid));
    if (i < grid.num_decode) out.push_back(decode_batch(rng, grid, grid.max_decodes));
    if (i < grid.num_mixed) out.push_back(mixed_batch(rng, grid));
  }
  for (ProfileBatch& b : out) fit_pool(b, num_kv_blocks);
  return out;
}

BatchShape profile_batch_shape(const ProfileBatch& batch) {
  BatchShape s;
  for (const ProfileRow& r : batch) {
    if (r.prefill) {
      s.add_prefill(r.start, r.num_tokens, row_samples(r));
    } else {
      s.add_decode(r.start);
    }
  }
  return s;
}

StatusOr<ProfileResult> fit_profile(const ModelShape& shape, std::vector<PerfSample> samples,
                                    int32_t holdout_every) {
  ProfileResult out;
  std::array<int32_t, 3> seen{};  // per kind
  for (PerfSample& s : samples) {
    const int32_t k = seen[static_cast<size_t>(batch_kind(s.shape))]++;
    const bool hold = holdout_every > 1 && k % holdout_every == holdout_every - 1;
    (hold ? out.holdout : out.train).push_back(s);
  }
  out.model = PerfModel(shape);
  ASC_RETURN_IF_ERROR(out.model.fit(out.train));
  out.holdout_mape = out.model.mape(out.holdout);
  return out;
}

namespace {

// The grid's batches made runnable on `backend` (KV zero-filled).
StatusOr<std::vector<PreparedBatch>> prepare_grid(Backend& backend, const ModelShape& shape, const ProfileGrid& grid,
                                                  std::vector<ProfileBatch>& batches) {
  if (grid.num_prefill + grid.num_decode + grid.num_mixed <= 0) return invalid_argument("empty profile grid");
  if (backend.num_kv_blocks() < 4) return invalid_argument("the backend holds fewer than 4 KV blocks");
  ASC_RETURN_IF_ERROR(zero_fill_kv(backend));
  batches = profile_batches(grid, backend.num_kv_blocks());
  std::mt19937_64 rng(grid.seed + 1);
  std::vector<PreparedBatch> prepared(batches.size());
  for (size_t i = 0; i < batches.size(); ++i) prepare(batches[i], std::max(shape.vocab, 1), rng, prepared[i]);
  return prepared;
}

}  // namespace

ModelShape backend_model_shape(const Backend& backend, ModelShape shape) {
  shape.weight_tile_rows = backend.weight_tile_rows();
  return shape;
}

StatusOr<std::vector<std::vector<double>>> measure_profile_passes(Backend& backend, const ModelShape& shape,
                                                                  const ProfileGrid& grid) {
  std::vector<ProfileBatch> batches;
  StatusOr<std::vector<PreparedBatch>> prepared = prepare_grid(backend, shape, grid, batches);
  if (!prepared.is_ok()) return prepared.status();
  std::vector<std::vector<double>> times;
  ASC_RETURN_IF_ERROR(measure_times(backend, *prepared, grid, times));
  return times;
}

StatusOr<ProfileResult> fit_profile_passes(const Backend& backend, const ModelShape& shape, const ProfileGrid& grid,
                                           const std::vector<std::vector<double>>& times) {
  const std::vector<ProfileBatch> batches = profile_batches(grid, backend.num_kv_blocks());
  if (times.size() != batches.size()) return invalid_argument("profile times do not match the grid's batches");
  double spread = 0.0;
  const std::vector<double> sampled = sample_times(times, grid.mean_of_repeats, spread);
  std::vector<PerfSample> samples;
  for (size_t i = 0; i < batches.size(); ++i) samples.push_back({profile_batch_shape(batches[i]), sampled[i]});
  StatusOr<ProfileResult> out = fit_profile(backend_model_shape(backend, shape), std::move(samples), grid.holdout_every);
  if (!out.is_ok()) return out.status();
  out->model.device = backend.name();
  out->model.num_kv_blocks = backend.num_kv_blocks();
  out->repeat_spread = spread;
  return out;
}

struct ProfileRunner::State {
  Backend* backend = nullptr;
  std::vector<ProfileBatch> batches;
  std::vector<PreparedBatch> prepared;
  std::vector<std::vector<double>> times;  // [batches][repeats]
  size_t next = 0;
  int32_t passes = 0;
};

ProfileRunner::ProfileRunner(std::unique_ptr<State> state) : state_(std::move(state)) {}
ProfileRunner::~ProfileRunner() = default;

StatusOr<std::unique_ptr<ProfileRunner>> ProfileRunner::create(Backend& backend, const ModelShape& shape,
                                                               const ProfileGrid& grid) {
  auto state = std::make_unique<State>();
  state->backend = &backend;
  StatusOr<std::vector<PreparedBatch>> prepared = prepare_grid(backend, shape, grid, state->batches);
  if (!prepared.is_ok()) return prepared.status();
  state->prepared = std::move(*prepared);
  state->times.resize(state->prepared.size());
  const size_t warm = std::min(static_cast<size_t>(std::max(grid.warmup_batches, 0)), state->prepared.size());
  for (size_t i = 0; i < warm; ++i) {
    StatusOr<StepResult> res = backend.execute(state->prepared[i].plan);
    if (!res.is_ok()) return res.status();
  }
  return std::unique_ptr<ProfileRunner>(new ProfileRunner(std::move(state)));
}

const ProfileBatch& ProfileRunner::next_batch() const { return state_->batches[state_->next]; }

StatusOr<double> ProfileRunner::run_next() {
  State& s = *state_;
  StatusOr<StepResult> res = s.backend->execute(s.prepared[s.next].plan);
  if (!res.is_ok()) return res.status();
  s.times[s.next].push_back(res->duration_s);
  if (++s.next == s.prepared.size()) {
    s.next = 0;
    ++s.passes;
  }
  return res->duration_s;
}

int32_t ProfileRunner::num_passes() const { return state_->passes; }

const std::vector<std::vector<double>>& ProfileRunner::times() const { return state_->times; }

StatusOr<ProfileResult> run_profile(Backend& backend, const ModelShape& shape, const ProfileGrid& grid) {
  StatusOr<std::vector<std::vector<double>>> times = measure_profile_passes(backend, shape, grid);
  if (!times.is_ok()) return times.status();
  return fit_profile_passes(backend, shape, grid, *times);
}

nlohmann::json profile_to_json(const ProfileResult& result) {
  nlohmann::json samples = nlohmann::json::array();
  auto add = [&](const std::vector<PerfSample>& v, bool holdout) {
    for (const PerfSample& s : v) {
      const BatchShape& b = s.shape;
      samples.push_back({{"kind", batch_kind_name(batch_kind(b))}, {"holdout", holdout},
                         {"num_prefill_rows", b.num_prefill_rows}, {"num_prefill_tokens", b.num_prefill_tokens},
                         {"prefill_attn_pairs", b.prefill_attn_pairs}, {"prefill_kv_tokens", b.prefill_kv_tokens},
                         {"num_decodes", b.num_decodes}, {"decode_kv_tokens", b.decode_kv_tokens},
                         {"num_sampled", b.num_sampled}, {"time_s", s.time_s},
                         {"predicted_s", result.model.predict_s(b)}});
    }
  };
  add(result.train, false);
  add(result.holdout, true);
  return {{"perf_model", result.model.to_json()}, {"holdout_mape", result.holdout_mape},
          {"repeat_spread", result.repeat_spread}, {"samples", samples}};
}

}  // namespace asc
