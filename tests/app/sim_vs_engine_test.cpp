// Simulator vs real engine (issue 4): the same scaled Azure conversation trace at the same moderate
// rate runs (a) on the CPU engine in-process -- an Instance with the real CpuBackend, stepped by a
// small driver loop -- and (b) in the simulator with the PerfModel profiled in the same process on
// an identical CpuBackend. Median TTFT and mean TPOT agree within 15%.
//
// Why it is built this way (the machine is shared: other processes take the cores for seconds at a
// time, and wall-clock iteration times then vary by +-35% between repeats):
//  - Both sides are timed on the engine thread's CPU clock (CLOCK_THREAD_CPUTIME_ID) by default:
//    the profile's batches, the engine's iterations and the driver's clock, which runs on that CPU
//    time while the engine works and jumps to the next arrival when it is idle. The engine still
//    does all the real work (scheduling, forward passes, sampling); what is left out is time the
//    thread spent descheduled, which no profile of this machine can predict.
//    ASC_SIM_VS_ENGINE_CLOCK=wall runs the same comparison on the wall clock (with sleeps between
//    arrivals), for an idle machine.
//  - The profile is measured during the engine run, on a second, identical CpuBackend: on the CPU
//    clock one profile batch (round robin over the grid) after every engine iteration, off the
//    engine's clock; on the wall clock in the idle gaps, as long as a batch is predicted to fit.
//    Passes are completed after the run when needed; each batch's sample is its mean over the
//    passes. So the profile sees the machine (load, caches) as the engine does, and never sees the
//    run's timings. A small separate grid measured first sets the rate.
//  - One thread: with two, a busy second core delays the pool's worker (and its wake-up after an
//    idle gap), which back-to-back profile batches do not see, and thread CPU time would no longer
//    be the iteration's cost.
// Skips when the model or the traces folder is absent. Also run by scripts/bench-sim-vs-engine.sh.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <functional>
#include <thread>

#include "engine/app/profile_command.h"
#include "engine/core/backend.h"
#include "engine/core/instance.h"
#include "engine/core/report.h"
#include "engine/cpu/backend_factory.h"
#include "engine/sched/policy.h"
#include "engine/sim/simulator.h"
#include "engine/workload/workload.h"

namespace asc {
namespace {

const char* kModel = ASC_SOURCE_DIR "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
const char* kTrace = ASC_SOURCE_DIR "/../shared/traces/azure_conv_2023.csv";

constexpr int kThreads = 1;
constexpr int32_t kMinPasses = 3;  // profile passes per batch (the sample is their mean)
constexpr size_t kKvBytes = size_t{128} << 20;
constexpr double kTolerance = 0.15;
constexpr double kLoad = 0.4;

SchedulerConfig scheduler_config() {
  SchedulerConfig c;
  c.max_seqs = 16;
  c.max_batch_tokens = 128;
  c.chunk_size = 128;
  return c;
}

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

bool use_wall_clock() {
  const char* v = std::getenv("ASC_SIM_VS_ENGINE_CLOCK");
  return v != nullptr && std::string(v) == "wall";
}

// The CpuBackend with execute() timed on the calling thread's CPU clock (the whole forward pass runs
// on that thread with one pool thread).
class CpuTimedBackend final : public Backend {
 public:
  explicit CpuTimedBackend(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}
  StatusOr<StepResult> execute(const StepPlan& plan) override {
    const double start = thread_cpu_s();
    StatusOr<StepResult> res = inner_->execute(plan);
    if (res.is_ok()) res->duration_s = thread_cpu_s() - start;
    if (res.is_ok() && log_ != nullptr) log_->push_back({BatchShape::from_plan(plan), res->duration_s});
    return res;
  }
  /// Records every iteration's shape and time in `log` (diagnostics only: never fitted).
  void set_log(std::vector<PerfSample>* log) { log_ = log; }
  int32_t num_kv_blocks() const override { return inner_->num_kv_blocks(); }
  std::string name() const override { return inner_->name() + " (thread CPU time)"; }
  size_t kv_block_bytes() const override { return inner_->kv_block_bytes(); }
  int32_t weight_tile_rows() const override { return inner_->weight_tile_rows(); }
  Status export_kv_blocks(std::span<const int32_t> blocks, std::vector<uint8_t>& out) override {
    return inner_->export_kv_blocks(blocks, out);
  }
  Status import_kv_blocks(std::span<const int32_t> blocks, std::span<const uint8_t> data) override {
    return inner_->import_kv_blocks(blocks, data);
  }

 private:
  std::unique_ptr<Backend> inner_;
  std::vector<PerfSample>* log_ = nullptr;
};

// A CpuBackend for the test's clock, and its vocabulary.
StatusOr<std::unique_ptr<Backend>> make_backend(const Model& model, int32_t& vocab,
                                                std::vector<PerfSample>* log = nullptr) {
  const SchedulerConfig sched = scheduler_config();
  auto made = cpu::make_cpu_backend(model, kThreads, kKvBytes, sched.max_batch_tokens + sched.max_seqs);
  if (!made.is_ok()) return made.status();
  vocab = (*made)->vocab_size();
  std::unique_ptr<Backend> out = std::move(*made);
  if (!use_wall_clock()) {
    auto timed = std::make_unique<CpuTimedBackend>(std::move(out));
    timed->set_log(log);
    out = std::move(timed);
  }
  return out;
}


// A grid covering what this workload produces: chunks <= 128 tokens, contexts <= 152, and rarely
// more than 4 running decodes (1.1-1.4 on average). Decode batches are many because they are cheap
// (~20 ms against ~400 ms for a prefill) and most iterations are decodes of 1-2 rows; mixed batches
// are many because each one a request meets adds a prefill's time to its TPOT.
ProfileGrid workload_grid() {
  ProfileGrid g = ProfileGrid::quick();
  g.num_prefill = 20;
  g.num_decode = 40;
  g.num_mixed = 24;
  g.holdout_every = 8;  // most batches go to the fit: noise averages over batches better than over repeats
  // Means, not medians: the noise is skewed to slow (the repeats of a batch spread by 20-35%), and
  // TTFT and TPOT add up iterations, whose expected time is the mean; with medians the engine ran
  // 3-10% slower than predicted on its own batches.
  g.mean_of_repeats = true;
  g.max_batch_tokens = 128;
  g.max_decodes = 4;
  g.max_context = 192;
  g.warmup_batches = 2;
  return g;
}

StatusOr<std::vector<workload::WorkloadRequest>> scaled_workload(double qps) {
  auto trace = workload::read_trace(kTrace);
  if (!trace.is_ok()) return trace.status();
  workload::WorkloadOptions w;
  w.num_requests = 60;
  w.rate_qps = qps;
  w.seed = 7;
  w.length_scale = 0.05;
  w.max_prompt_tokens = 128;
  w.max_output_tokens = 24;
  auto reqs = workload::build_workload(*trace, w);
  if (reqs.is_ok()) {
    for (auto& r : *reqs) r.output_tokens = std::max(r.output_tokens, 4);  // TPOT needs >= 2 tokens
  }
  return reqs;
}

// A moderate rate: kLoad of the rate at which this machine serves the workload's requests one by one
// (charging each output token a 2-decode iteration; the engine is busy about 35% of the time).
// Higher loads amplify small per-iteration errors: on this CPU a decode row costs almost as much as
// a whole iteration, so TPOT grows with the number of requests in flight, which grows with the
// iteration time (at 50% load a 5% per-iteration bias became a 15-20% TPOT difference).
StatusOr<std::vector<workload::WorkloadRequest>> moderate_workload(const PerfModel& perf, double& qps) {
  auto reqs = scaled_workload(1.0);
  if (!reqs.is_ok()) return reqs.status();
  double busy_s = 0.0;
  for (const auto& r : *reqs) {
    busy_s += perf.predict_prefill_s(r.prompt_tokens) + (r.output_tokens - 1) * perf.predict_decode_s(2, r.prompt_tokens);
  }
  qps = kLoad * static_cast<double>(reqs->size()) / busy_s;
  return scaled_workload(qps);
}

// Drives the instance: submits each request when its arrival time has passed on the driver's clock
// and steps while there is work. Profile work goes through `fill_gap(gap_s)`: on the wall clock in
// the idle gaps before the next arrival (then the driver sleeps the rest); on the CPU clock, which
// counts only the engine's own work, after every iteration (gap 0), and idle gaps are jumped over.
// Returns the records.
std::vector<RequestRecord> drive(Instance& inst, const std::vector<workload::WorkloadRequest>& reqs, int32_t vocab,
                                 const std::function<void(double)>& fill_gap) {
  const bool wall = use_wall_clock();
  std::mt19937 rng(99);
  const auto t0 = std::chrono::steady_clock::now();
  double clock_base = 0.0;              // CPU clock: the driver's time at cpu_mark
  double cpu_mark = thread_cpu_s();
  auto now_s = [&] {
    return wall ? std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
                : clock_base + thread_cpu_s() - cpu_mark;
  };
  std::vector<RequestRecord> records;
  size_t next = 0;
  while (records.size() < reqs.size()) {
    const double now = now_s();
    for (; next < reqs.size() && reqs[next].arrival_s <= now; ++next) {
      std::vector<int32_t> prompt(static_cast<size_t>(reqs[next].prompt_tokens));
      for (int32_t& t : prompt) t = static_cast<int32_t>(rng() % static_cast<uint32_t>(vocab));
      auto req = std::make_unique<Request>(Request::with_prompt(reqs[next].id, reqs[next].arrival_s,
                                                                std::move(prompt), reqs[next].output_tokens));
      req->ignore_eos = true;
      const Status s = inst.submit(std::move(req));
      EXPECT_TRUE(s.is_ok()) << s.to_string();
    }
    const bool worked = inst.step(now);
    if (worked && !wall) {  // profile work between iterations, off the engine's clock
      clock_base = now_s();
      fill_gap(0.0);
      cpu_mark = thread_cpu_s();
    }
    if (!worked && next < reqs.size()) {
      const double gap = reqs[next].arrival_s - now_s();
      if (gap > 0 && wall) fill_gap(gap);
      if (!wall) {
        clock_base = reqs[next].arrival_s;
        cpu_mark = thread_cpu_s();
      } else if (const double wait = reqs[next].arrival_s - now_s(); wait > 0) {
        std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wait, 0.01)));
      }
    }
    inst.take_events();
    for (auto& r : inst.take_finished()) records.push_back(r->to_record());
    if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(300)) break;  // a hung engine fails the test
  }
  return records;
}

// One engine run of the trace on a fresh CpuBackend and Instance.
StatusOr<Report> run_engine(const Model& model, const PerfModel& perf, const std::vector<workload::WorkloadRequest>& reqs,
                            const std::function<void(double)>& fill_gap, std::vector<PerfSample>* log) {
  const SchedulerConfig sched = scheduler_config();
  int32_t vocab = 0;
  auto backend = make_backend(model, vocab, log);
  if (!backend.is_ok()) return backend.status();
  PolicyContext pctx;
  pctx.config = sched;
  pctx.perf_model = &perf;
  auto policy = make_policy("sarathi", pctx);
  if (!policy.is_ok()) return policy.status();
  InstanceConfig icfg;
  icfg.scheduler = sched;
  Instance inst(std::move(*backend), std::move(*policy), icfg, &perf);
  const std::vector<RequestRecord> real = drive(inst, reqs, vocab, fill_gap);
  double end = 0.0;
  for (const RequestRecord& r : real) end = std::max(end, r.token_times_s.empty() ? 0.0 : r.token_times_s.back());
  Report report = compute_report(real, end);
  report.num_requests = reqs.size();  // a run cut short shows as fewer completed
  return report;
}

StatusOr<SimResult> simulate_workload(const PerfModel& perf, const std::vector<workload::WorkloadRequest>& reqs,
                                      int32_t num_blocks, std::vector<PerfSample>* log) {
  std::vector<SimArrival> arrivals;
  for (const auto& r : reqs) {
    SimArrival a;
    a.id = r.id;
    a.arrival_s = r.arrival_s;
    a.num_prompt_tokens = r.prompt_tokens;
    a.num_output_tokens = r.output_tokens;
    arrivals.push_back(a);
  }
  SimConfig config;
  config.policy = "sarathi";
  config.scheduler = scheduler_config();
  config.num_kv_blocks = num_blocks;
  config.iteration_time_s = [&perf, log](const BatchShape& shape) {  // the model's time, logged
    const double t = perf.predict_s(shape);
    log->push_back({shape, t});
    return t;
  };
  return simulate(perf, config, arrivals);
}

void print_report(const char* what, const Report& r) {
  std::printf("  %-12s completed %zu/%zu  median TTFT %7.1f ms  mean TTFT %7.1f ms  mean TPOT %6.2f ms  "
              "p99 ITL %6.1f ms  duration %.1f s\n",
              what, r.completed, r.num_requests, r.ttft.median_ms, r.ttft.mean_ms, r.tpot.mean_ms,
              r.itl.p99_ms, r.duration_s);
}

// Iterations as run: count, busy time, mean decodes and tokens per iteration, and how the model
// predicts them (for the engine: the model's bias on the very batches it ran; diagnostics only).
void print_iterations(const char* what, const std::vector<PerfSample>& its, const PerfModel& perf) {
  if (its.empty()) return;
  double busy = 0.0, predicted = 0.0, decodes = 0.0, tokens = 0.0;
  for (const PerfSample& it : its) {
    busy += it.time_s;
    predicted += perf.predict_s(it.shape);
    decodes += it.shape.num_decodes;
    tokens += it.shape.num_tokens();
  }
  const double n = static_cast<double>(its.size());
  std::printf("  %-12s %zu iterations, busy %.1f s, %.2f decodes and %.1f tokens per iteration, "
              "predicted/measured %.3f (MAPE %.1f%%):",
              what, its.size(), busy, decodes / n, tokens / n, predicted / busy, 100.0 * perf.mape(its));
  for (BatchKind k : {BatchKind::kPrefill, BatchKind::kDecode, BatchKind::kMixed}) {
    double m = 0.0, p = 0.0;
    int count = 0;
    for (const PerfSample& it : its) {
      if (batch_kind(it.shape) != k) continue;
      m += it.time_s;
      p += perf.predict_s(it.shape);
      ++count;
    }
    std::printf(" %s %d x %.1f ms %.3f", batch_kind_name(k), count, count > 0 ? 1e3 * m / count : 0.0,
                m > 0.0 ? p / m : 0.0);
  }
  std::printf("\n");
}

TEST(SimVsEngine, MedianTtftAndMeanTpotAgreeWithinFifteenPercent) {
  if (!std::filesystem::exists(kModel)) GTEST_SKIP() << "model absent: " << kModel << " (scripts/fetch-models.sh)";
  if (!std::filesystem::exists(kTrace)) GTEST_SKIP() << "traces folder absent: " << kTrace;
  auto model = load_model(kModel);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  int32_t vocab = 0;
  auto profiled = make_backend(**model, vocab);
  ASSERT_TRUE(profiled.is_ok()) << profiled.status().to_string();
  Backend& prof_backend = **profiled;
  const ModelShape shape = app::model_shape_of(**model);
  const ProfileGrid grid = workload_grid();
  const auto t0 = std::chrono::steady_clock::now();
  // A small grid first, for the rate and the engine's policy context (sarathi does not predict).
  ProfileGrid rate_grid = grid;
  rate_grid.num_prefill = 6;
  rate_grid.num_decode = 12;
  rate_grid.num_mixed = 6;
  rate_grid.holdout_every = 0;
  rate_grid.repeats = 1;
  auto rate_times = measure_profile_passes(prof_backend, shape, rate_grid);
  ASSERT_TRUE(rate_times.is_ok()) << rate_times.status().to_string();
  auto first = fit_profile_passes(prof_backend, shape, rate_grid, *rate_times);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  auto runner = ProfileRunner::create(prof_backend, shape, grid);
  ASSERT_TRUE(runner.is_ok()) << runner.status().to_string();
  ProfileRunner& prof = **runner;
  double qps = 0.0;
  auto reqs = moderate_workload(first->model, qps);
  ASSERT_TRUE(reqs.is_ok()) << reqs.status().to_string();

  // CPU clock (gap 0): one profile batch. Wall clock: batches while the next is predicted to fit.
  // On the CPU clock a batch after every other iteration spreads about kMinPasses passes over the
  // run (about 500 iterations, 84 grid batches); more passes would only lengthen the test.
  int64_t gap_batches = 0;
  int64_t gap_calls = 0;
  auto fill_gap = [&](double gap_s) {
    if (!use_wall_clock()) {
      if (++gap_calls % 2 == 0 && prof.num_passes() < kMinPasses && prof.run_next().is_ok()) ++gap_batches;
      return;
    }
    double used_s = 0.0;
    while (used_s + 1.2 * first->model.predict_s(profile_batch_shape(prof.next_batch())) <= gap_s) {
      StatusOr<double> t = prof.run_next();
      if (!t.is_ok()) return;
      used_s += *t;
      ++gap_batches;
    }
  };
  std::vector<PerfSample> iterations;  // the engine's, for the printed bias only
  auto real_report = run_engine(**model, first->model, *reqs, fill_gap, &iterations);
  ASSERT_TRUE(real_report.is_ok()) << real_report.status().to_string();
  const int32_t passes_in_gaps = prof.num_passes();
  while (prof.num_passes() < kMinPasses) ASSERT_TRUE(prof.run_next().is_ok());
  auto profile = fit_profile_passes(prof_backend, shape, grid, prof.times());
  ASSERT_TRUE(profile.is_ok()) << profile.status().to_string();
  const PerfModel& perf = profile->model;
  std::vector<PerfSample> sim_iterations;
  auto sim = simulate_workload(perf, *reqs, prof_backend.num_kv_blocks(), &sim_iterations);
  ASSERT_TRUE(sim.is_ok()) << sim.status().to_string();
  const Report sim_report = compute_report(sim->records, sim->end_time_s);
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::printf("%zu requests at %.2f req/s (azure conv, lengths x0.05, prompts <= 128, outputs 4..24), sarathi, "
              "%d thread, %s clock; profile: %d passes per batch (%d of them, %lld batches, during the engine run), "
              "held-out MAPE %.1f%%, repeat spread %.1f%%; %.1f s\n",
              reqs->size(), qps, kThreads, use_wall_clock() ? "wall" : "thread CPU", prof.num_passes(),
              passes_in_gaps, static_cast<long long>(gap_batches), 100.0 * profile->holdout_mape,
              100.0 * profile->repeat_spread, total_s);
  print_iterations("engine", iterations, perf);
  print_iterations("simulator", sim_iterations, perf);
  print_report("cpu engine", *real_report);
  print_report("simulator", sim_report);
  const double ttft_err = std::fabs(sim_report.ttft.median_ms / real_report->ttft.median_ms - 1.0);
  const double tpot_err = std::fabs(sim_report.tpot.mean_ms / real_report->tpot.mean_ms - 1.0);
  std::printf("  difference: median TTFT %.1f%%, mean TPOT %.1f%%\n", 100.0 * ttft_err, 100.0 * tpot_err);
  EXPECT_EQ(real_report->completed, reqs->size());
  EXPECT_EQ(sim_report.completed, reqs->size());
  EXPECT_LT(ttft_err, kTolerance);
  EXPECT_LT(tpot_err, kTolerance);
}

}  // namespace
}  // namespace asc
