// `ascendra bench` orchestration: trace -> workload per rate -> load run -> report / sweep.
// Design note: the same seed drives every rate of a sweep, so each rate sends the same requests
// (same rows, same lengths) on a compressed or stretched schedule; only the load changes. The
// prompt *contents* differ per rate: a server with a prompt cache (llama-server's cache_prompt,
// vLLM's prefix caching) would otherwise serve every rate after the first from its cache.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "engine/core/report.h"
#include "engine/model/gguf.h"
#include "engine/model/tokenizer.h"
#include "engine/workload/trace.h"
#include "server/bench_options.h"
#include "server/bench_runner.h"

namespace asc::server {
namespace {

constexpr size_t kDefaultNumRequests = 100;
constexpr int32_t kProbeWordsSmall = 16;
constexpr int32_t kProbeWordsLarge = 80;

workload::WorkloadOptions workload_options(const BenchOptions& o, double qps) {
  workload::WorkloadOptions w;
  w.num_requests = o.num_requests;
  w.duration_s = o.duration_s;
  if (w.num_requests == 0 && w.duration_s <= 0.0) w.num_requests = kDefaultNumRequests;
  w.arrivals = o.replay_timestamps ? workload::ArrivalKind::kReplay
               : o.burstiness == 1.0 ? workload::ArrivalKind::kPoisson
                                     : workload::ArrivalKind::kGamma;
  w.rate_qps = qps;
  w.burstiness = o.burstiness;
  w.time_scale = o.time_scale;
  w.seed = o.seed;
  w.length_scale = o.length_scale;
  w.max_prompt_tokens = o.max_prompt_tokens;
  w.max_output_tokens = o.max_output_tokens;
  w.ttft_slo_s = o.ttft_slo_ms / 1e3;
  w.tbt_slo_s = o.tbt_slo_ms / 1e3;
  return w;
}

// Fits the chat template overhead from two probes; defaults (1 token/word, no overhead) on failure.
ChatCalibration calibrate_chat(const BenchTarget& target, const PromptFactory& raw, std::string* note) {
  const std::string probe_a = raw.words(0, kProbeWordsSmall);
  StatusOr<int32_t> a = probe_chat_prompt_tokens(target, probe_a);
  StatusOr<int32_t> b = a ? probe_chat_prompt_tokens(target, raw.words(1, kProbeWordsLarge)) : a;
  if (!a || !b) {
    *note = "chat prompts: uncalibrated (probe failed: " + (a ? b : a).status().message() +
            "); text of N one-token words for N prompt tokens, chat template overhead not subtracted";
    return ChatCalibration{};
  }
  ChatCalibration c = fit_chat_calibration(kProbeWordsSmall, *a, kProbeWordsLarge, *b);
  if (raw.tokenizer() != nullptr) {  // exact overhead: server count minus the content's own tokens
    c.template_overhead = *a - static_cast<double>(raw.tokenizer()->encode(probe_a, false, false).size());
    c.measured = true;
  }
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "chat prompts: random common words, calibrated on the server's usage.prompt_tokens: "
                "%.3f tokens/word, template overhead %.1f tokens%s%s",
                c.tokens_per_word, c.template_overhead, c.measured ? "" : " (fit failed; defaults)",
                raw.tokenizer() != nullptr ? "; content length exact with --tokenizer" : "");
  *note = buf;
  return c;
}

nlohmann::json client_stats(const BenchRunResult& r) {
  nlohmann::json j;
  j["dispatch_lag_p50_ms"] = percentile(r.dispatch_lag_s, 50.0) * 1e3;
  j["dispatch_lag_p99_ms"] = percentile(r.dispatch_lag_s, 99.0) * 1e3;
  j["dispatch_lag_max_ms"] = percentile(r.dispatch_lag_s, 100.0) * 1e3;
  j["usage_chunk_mismatches"] = r.usage_mismatches;
  j["missing_usage"] = r.missing_usage;
  j["short_outputs"] = r.short_outputs;
  const double n = static_cast<double>(std::max<size_t>(r.prompt_usage_count, 1));
  j["prompt_tokens_mean_error"] = r.prompt_error_sum / n;
  j["prompt_tokens_mean_abs_error"] = r.prompt_abs_error_sum / n;
  return j;
}

std::string client_line(const BenchRunResult& r) {
  const nlohmann::json j = client_stats(r);
  char buf[400];
  std::snprintf(buf, sizeof(buf),
                "client: dispatch lag p50 %.3f ms p99 %.3f ms; usage/chunk mismatches %zu; missing "
                "usage %zu; short outputs %zu; prompt tokens vs target: mean error %+.1f\n",
                j["dispatch_lag_p50_ms"].get<double>(), j["dispatch_lag_p99_ms"].get<double>(),
                r.usage_mismatches, r.missing_usage, r.short_outputs,
                j["prompt_tokens_mean_error"].get<double>());
  return buf;
}

nlohmann::json bench_meta(const BenchOptions& o, const BenchTarget& t, const workload::Trace& trace,
                          const std::string& prompt_note) {
  nlohmann::json m;
  m["url"] = o.url;
  m["endpoint"] = o.endpoint;
  m["model"] = t.model;
  m["trace"] = o.trace_path;
  m["trace_format"] = workload::trace_format_name(trace.format);
  m["arrivals"] = o.replay_timestamps ? "replay" : o.burstiness == 1.0 ? "poisson" : "gamma";
  m["burstiness"] = o.burstiness;
  m["time_scale"] = o.time_scale;
  m["seed"] = o.seed;
  m["num_requests_option"] = o.num_requests;
  m["duration_option_s"] = o.duration_s;
  m["ttft_slo_ms"] = o.ttft_slo_ms;
  m["tbt_slo_ms"] = o.tbt_slo_ms;
  m["length_scale"] = o.length_scale;
  m["max_prompt_tokens"] = o.max_prompt_tokens;
  m["max_output_tokens"] = o.max_output_tokens;
  m["max_concurrency"] = o.max_concurrency;
  m["output_lengths"] =
      "requested as max_tokens=N with ignore_eos=true (vLLM: both honoured; llama-server: max_tokens "
      "is an alias of n_predict, ignore_eos biases end-of-generation tokens away; ascendra: both); "
      "short_outputs counts responses that still came back shorter";
  m["prompt_lengths"] = prompt_note;
  return m;
}

Status write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) return not_found("cannot write '" + path + "'");
  out << text;
  return out ? Status::ok() : data_loss("error writing '" + path + "'");
}

// The model's tokenizer from a GGUF file (--tokenizer).
StatusOr<std::shared_ptr<const Tokenizer>> load_tokenizer(const std::string& path) {
  StatusOr<std::unique_ptr<GgufFile>> gguf = GgufFile::open(path);
  if (!gguf) return gguf.status();
  StatusOr<std::unique_ptr<Tokenizer>> t = Tokenizer::from_gguf(**gguf);
  if (!t) return t.status();
  return std::shared_ptr<const Tokenizer>(std::move(t).value());
}

// Everything fixed before the first request: target, trace, model, prompt factory.
struct BenchSetup {
  BenchTarget target;
  workload::Trace trace;
  std::unique_ptr<PromptFactory> prompts;
  std::string prompt_note;
  std::vector<double> rates;  // one entry (the qps, or 0 for replay) unless sweeping
};

Status prepare(const BenchOptions& o, BenchSetup& s) {
  if (o.endpoint != "completions" && o.endpoint != "chat") {
    return invalid_argument("--endpoint must be completions or chat");
  }
  ASC_RETURN_IF_ERROR(parse_bench_url(o.url, s.target));
  s.target.endpoint = o.endpoint == "chat" ? BenchEndpoint::kChat : BenchEndpoint::kCompletions;
  s.target.api_key = o.api_key;
  s.target.timeout_s = o.request_timeout_s;
  StatusOr<workload::Trace> trace = workload::read_trace(o.trace_path);
  if (!trace) return trace.status();
  s.trace = std::move(trace).value();
  if (!o.sweep.empty()) {
    if (o.replay_timestamps) return invalid_argument("--sweep and --replay-timestamps exclude each other");
    StatusOr<std::vector<double>> rates = parse_sweep(o.sweep);
    if (!rates) return rates.status();
    s.rates = *rates;
  } else {
    s.rates = {o.replay_timestamps ? 0.0 : o.qps};
  }
  ASC_RETURN_IF_ERROR(workload::validate_workload_options(
      s.trace, workload_options(o, o.replay_timestamps ? 1.0 : s.rates.front())));
  s.target.model = o.model;
  ASC_RETURN_IF_ERROR(wait_until_healthy(s.target, o.ready_timeout_s));
  int32_t n_vocab = 0;
  StatusOr<ServerModelInfo> info = query_models(s.target);
  if (info) {
    if (s.target.model.empty()) s.target.model = info->id;
    n_vocab = info->n_vocab;
  } else {
    std::fprintf(stderr, "ascendra bench: warning: %s; sending no vocabulary-dependent ids past %d\n",
                 info.status().message().c_str(), kMaxSafeTokenId);
  }
  std::shared_ptr<const Tokenizer> tokenizer;
  if (!o.tokenizer_path.empty()) {
    StatusOr<std::shared_ptr<const Tokenizer>> t = load_tokenizer(o.tokenizer_path);
    if (!t) return t.status();
    tokenizer = *t;
  }
  PromptFactory raw(o.seed, n_vocab, ChatCalibration{});
  raw.set_tokenizer(tokenizer);
  if (s.target.endpoint == BenchEndpoint::kChat) {
    const ChatCalibration c = calibrate_chat(s.target, raw, &s.prompt_note);
    s.prompts = std::make_unique<PromptFactory>(o.seed, n_vocab, c);
    s.prompts->set_tokenizer(tokenizer);
  } else {
    s.prompts = std::make_unique<PromptFactory>(o.seed, n_vocab, ChatCalibration{});
    s.prompts->set_tokenizer(tokenizer);
    s.prompt_note = "completions prompts: exactly N random token ids in [" +
                    std::to_string(raw.first_token_id()) + ", " + std::to_string(raw.end_token_id()) +
                    ")" + (n_vocab > 0 ? " (n_vocab " + std::to_string(n_vocab) + " from /v1/models)" : "") +
                    (tokenizer != nullptr ? ", control tokens skipped (--tokenizer)" : "");
  }
  return Status::ok();
}

// The offered rate of a replay run: requests over the span of their arrivals.
double offered_rate(const std::vector<workload::WorkloadRequest>& w) {
  if (w.size() < 2 || w.back().arrival_s <= 0.0) return 0.0;
  return static_cast<double>(w.size() - 1) / w.back().arrival_s;
}

}  // namespace

int run_bench(const BenchOptions& o) {
  BenchSetup s;
  if (Status st = prepare(o, s); !st.is_ok()) {
    std::fprintf(stderr, "ascendra bench: %s\n", st.to_string().c_str());
    return 1;
  }
  const nlohmann::json meta = bench_meta(o, s.target, s.trace, s.prompt_note);
  std::printf("ascendra bench: %s %s model '%s'\n%s\noutput lengths: %s\n", o.url.c_str(),
              o.endpoint.c_str(), s.target.model.c_str(), s.prompt_note.c_str(),
              meta["output_lengths"].get<std::string>().c_str());
  std::vector<SweepRun> runs;
  nlohmann::json client = nlohmann::json::array();
  std::string csv = "qps," + per_request_csv_header();
  for (size_t rate_index = 0; rate_index < s.rates.size(); ++rate_index) {
    const double rate = s.rates[rate_index];
    const PromptFactory prompts = s.prompts->salted(rate_index);
    StatusOr<std::vector<workload::WorkloadRequest>> w =
        workload::build_workload(s.trace, workload_options(o, o.replay_timestamps ? 1.0 : rate));
    if (!w) {
      std::fprintf(stderr, "ascendra bench: %s\n", w.status().to_string().c_str());
      return 1;
    }
    const double qps = o.replay_timestamps ? offered_rate(*w) : rate;
    BenchRunConfig config{s.target, o.max_concurrency, o.progress && isatty(STDERR_FILENO) == 1,
                          "qps " + std::to_string(qps).substr(0, 6)};
    BenchRunResult r = run_bench_workload(config, *w, prompts);
    SweepRun run{qps, compute_report(r.records, r.duration_s)};
    char title[64];
    std::snprintf(title, sizeof(title), "Serving Benchmark Result (%.3f req/s)", qps);
    std::fputs(format_report_table(run.report, title).c_str(), stdout);
    std::fputs(client_line(r).c_str(), stdout);
    std::fflush(stdout);
    for (const RequestRecord& rec : r.records) csv += std::to_string(qps) + "," + per_request_csv_row(rec);
    client.push_back(client_stats(r));
    runs.push_back(std::move(run));
  }
  nlohmann::json out;
  if (o.sweep.empty()) {
    out = report_to_json(runs.front().report);
    out["qps"] = runs.front().qps;
    out["client"] = client.front();
  } else {
    const SweepResult sweep = make_sweep_result(runs);  // rates already ascending
    std::fputs(format_sweep_table(sweep).c_str(), stdout);
    out = sweep_to_json(sweep);
    for (size_t i = 0; i < out["runs"].size(); ++i) out["runs"][i]["client"] = client[i];
  }
  out["bench"] = meta;
  int rc = 0;
  for (const auto& [path, text] : {std::pair{o.json_path, out.dump(2) + "\n"}, std::pair{o.per_request_path, csv}}) {
    if (path.empty()) continue;
    if (Status st = write_file(path, text); !st.is_ok()) {
      std::fprintf(stderr, "ascendra bench: %s\n", st.to_string().c_str());
      rc = 1;
    }
  }
  return rc;
}

StatusOr<std::vector<double>> parse_sweep(const std::string& spec) {
  double a = 0.0, b = 0.0, step = 0.0;
  char tail = 0;
  if (std::sscanf(spec.c_str(), "%lf:%lf:%lf%c", &a, &b, &step, &tail) != 3) {
    return invalid_argument("--sweep must be A:B:STEP (got '" + spec + "')");
  }
  if (!(a > 0.0) || !(b >= a) || !(step > 0.0) || !std::isfinite(b)) {
    return invalid_argument("--sweep needs 0 < A <= B and STEP > 0 (got '" + spec + "')");
  }
  std::vector<double> rates;
  for (int i = 0;; ++i) {
    const double q = a + step * i;
    if (q > b + 1e-9 * std::max(1.0, b)) break;
    rates.push_back(q);
    if (rates.size() > 1000) return invalid_argument("--sweep gives more than 1000 rates");
  }
  return rates;
}

}  // namespace asc::server
