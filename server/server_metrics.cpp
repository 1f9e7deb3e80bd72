#include "server/server_metrics.h"

#include <map>
#include <utility>

#include "server/engine_service.h"

namespace asc::server {
namespace {

const std::vector<double> kLatencyBuckets = {0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08,
                                             0.1,   0.25,   0.5,   0.75, 1.0,  2.5,  5.0,  7.5,
                                             10.0,  20.0,   40.0,  80.0};

}  // namespace

ServerMetrics::ServerMetrics(std::string model_name) : model_name_(std::move(model_name)) {
  declare();
}

void ServerMetrics::declare() {
  MetricsRegistry& r = registry_;
  const char* const kHist[][2] = {
      {"time_to_first_token_seconds", "Time from arrival to the first generated token."},
      {"inter_token_latency_seconds", "Every gap between two successive generated tokens."},
      {"time_per_output_token_seconds", "Per request: (last - first token time) / (tokens - 1)."},
      {"e2e_request_latency_seconds", "Time from arrival to the end of the request."},
      {"request_queue_time_seconds", "Time from arrival to the first scheduled iteration."}};
  for (const auto& h : kHist) {
    r.add_histogram(std::string("ascendra_") + h[0], h[1], kLatencyBuckets);
    r.add_histogram(std::string("vllm:") + h[0], h[1], kLatencyBuckets);
  }
  r.add_gauge("ascendra_num_requests_running", "Requests in a running batch, per instance.");
  r.add_gauge("ascendra_num_requests_waiting", "Requests waiting to be scheduled, per instance.");
  r.add_gauge("ascendra_pool_requests_running", "Requests running, per pool.");
  r.add_gauge("ascendra_pool_requests_waiting", "Requests waiting, per pool.");
  r.add_gauge("ascendra_kv_blocks_used", "KV blocks in use, per instance.");
  r.add_gauge("ascendra_kv_blocks_total", "KV blocks available, per instance.");
  r.add_gauge("ascendra_kv_cache_usage_ratio", "Fraction of KV blocks in use, per instance.");
  r.add_gauge("ascendra_requests_in_flight", "Requests admitted and not yet finished.");
  r.add_counter("ascendra_iterations_total", "Engine iterations run, per instance.");
  r.add_counter("ascendra_prompt_tokens_total", "Prompt tokens of finished requests.");
  r.add_counter("ascendra_generation_tokens_total", "Tokens generated.");
  r.add_counter("ascendra_requests_total", "Finished requests by finish reason.");
  r.add_counter("ascendra_requests_rejected_total", "Requests refused before admission, by HTTP status.");
  r.add_counter("ascendra_client_disconnects_total", "Requests aborted because the client went away.");
  r.add_counter("ascendra_slo_met_total", "Requests meeting both objectives (TTFT and mean TBT).");
  r.add_counter("ascendra_slo_missed_total", "Requests missing an objective (failures count as misses).");
  r.add_counter("ascendra_offloads_total", "Unstarted requests moved between instances.");
  r.add_counter("ascendra_migrations_total", "Started requests moved between instances.");
  r.add_counter("ascendra_migrations_returned_total",
                "Migrations refused by their target (no room) that resumed where they came from.");
  r.add_gauge("ascendra_perf_model_mape",
              "Performance model error: mean |predicted - measured| / measured iteration time over "
              "the last 64 iterations, per instance (absent without a model).");
  r.add_gauge("vllm:num_requests_running", "Number of requests in model execution batches.");
  r.add_gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.");
  r.add_gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.");
  r.add_counter("vllm:prompt_tokens_total", "Number of prefill tokens processed.");
  r.add_counter("vllm:generation_tokens_total", "Number of generation tokens processed.");
  r.add_counter("vllm:request_success_total", "Count of successfully processed requests.");
}

void ServerMetrics::observe_request(const RequestOutcome& o) {
  MetricsRegistry& r = registry_;
  const MetricLabels vllm = {{"model_name", model_name_}};
  const auto& times = o.token_times_s;
  auto both = [&](const std::string& name, std::span<const double> values) {
    if (values.empty()) return;
    r.observe("ascendra_" + name, values);
    r.observe("vllm:" + name, values, vllm);
  };
  double ttft = -1.0, tpot = -1.0;
  if (!times.empty()) {
    ttft = times.front() - o.arrival_s;
    both("time_to_first_token_seconds", std::span<const double>(&ttft, 1));
    std::vector<double> gaps;  // [tokens - 1]
    for (size_t i = 1; i < times.size(); ++i) gaps.push_back(times[i] - times[i - 1]);
    both("inter_token_latency_seconds", gaps);
    if (times.size() > 1) {
      tpot = (times.back() - times.front()) / static_cast<double>(times.size() - 1);
      both("time_per_output_token_seconds", std::span<const double>(&tpot, 1));
    }
  }
  double e2e = o.finish_s - o.arrival_s;
  both("e2e_request_latency_seconds", std::span<const double>(&e2e, 1));
  if (o.started_s >= 0.0) {
    double queue = o.started_s - o.arrival_s;
    both("request_queue_time_seconds", std::span<const double>(&queue, 1));
  }
  double n_out = static_cast<double>(times.size());
  r.increment("ascendra_prompt_tokens_total", o.prompt_tokens);
  r.increment("ascendra_generation_tokens_total", n_out);
  r.increment("vllm:prompt_tokens_total", o.prompt_tokens, vllm);
  r.increment("vllm:generation_tokens_total", n_out, vllm);
  std::string reason = o.client_gone ? "abort" : finish_reason_name(o.reason);
  r.increment("ascendra_requests_total", 1.0, {{"finish_reason", reason}});
  if (o.client_gone) r.increment("ascendra_client_disconnects_total");
  bool ok = o.reason == FinishReason::kStop || o.reason == FinishReason::kLength;
  if (ok) r.increment("vllm:request_success_total", 1.0, {{"finished_reason", reason}, vllm[0]});
  bool ttft_met = ok && ttft >= 0.0 && (o.ttft_slo_s <= 0.0 || ttft <= o.ttft_slo_s);
  bool tbt_met = tpot < 0.0 || o.tbt_slo_s <= 0.0 || tpot <= o.tbt_slo_s;
  r.increment(ttft_met && tbt_met ? "ascendra_slo_met_total" : "ascendra_slo_missed_total");
}

void ServerMetrics::count_rejection(int http_status) {
  registry_.increment("ascendra_requests_rejected_total", 1.0,
                      {{"code", std::to_string(http_status)}});
}

void ServerMetrics::update_engine_gauges(const EngineService& service) {
  MetricsRegistry& r = registry_;
  std::vector<InstanceLoad> loads = service.loads();
  std::map<std::string, std::pair<int64_t, int64_t>> pools;  // pool -> (running, waiting)
  int64_t running = 0, waiting = 0, used = 0, total = 0;
  for (size_t i = 0; i < loads.size(); ++i) {
    const EngineWorker& w = service.worker(i);
    const InstanceLoad& l = loads[i];
    MetricLabels labels = {{"instance", w.name()}, {"pool", w.pool()}};
    r.set("ascendra_num_requests_running", l.num_running, labels);
    r.set("ascendra_num_requests_waiting", l.num_waiting, labels);
    r.set("ascendra_kv_blocks_used", l.num_kv_blocks_used, labels);
    r.set("ascendra_kv_blocks_total", l.num_kv_blocks_total, labels);
    double usage = l.num_kv_blocks_total > 0
                       ? static_cast<double>(l.num_kv_blocks_used) / l.num_kv_blocks_total
                       : 0.0;
    r.set("ascendra_kv_cache_usage_ratio", usage, labels);
    if (l.perf_model_mape >= 0.0) r.set("ascendra_perf_model_mape", l.perf_model_mape, labels);
    double iterations = static_cast<double>(w.num_iterations());
    r.increment("ascendra_iterations_total",
                iterations - r.value("ascendra_iterations_total", labels), labels);
    pools[w.pool()].first += l.num_running;
    pools[w.pool()].second += l.num_waiting;
    running += l.num_running;
    waiting += l.num_waiting;
    used += l.num_kv_blocks_used;
    total += l.num_kv_blocks_total;
  }
  for (const auto& [pool, rw] : pools) {
    r.set("ascendra_pool_requests_running", static_cast<double>(rw.first), {{"pool", pool}});
    r.set("ascendra_pool_requests_waiting", static_cast<double>(rw.second), {{"pool", pool}});
  }
  const MetricLabels vllm = {{"model_name", model_name_}};
  r.set("ascendra_requests_in_flight", service.num_in_flight());
  r.set("vllm:num_requests_running", static_cast<double>(running), vllm);
  r.set("vllm:num_requests_waiting", static_cast<double>(waiting), vllm);
  r.set("vllm:kv_cache_usage_perc", total > 0 ? static_cast<double>(used) / total : 0.0, vllm);
  r.increment("ascendra_offloads_total",
              static_cast<double>(service.num_offloads()) - r.value("ascendra_offloads_total"));
  r.increment("ascendra_migrations_total",
              static_cast<double>(service.num_migrations()) - r.value("ascendra_migrations_total"));
  r.increment("ascendra_migrations_returned_total",
              static_cast<double>(service.num_migrations_returned()) -
                  r.value("ascendra_migrations_returned_total"));
}

std::string ServerMetrics::render(const EngineService* service) {
  if (service) update_engine_gauges(*service);
  return registry_.render();
}

}  // namespace asc::server
