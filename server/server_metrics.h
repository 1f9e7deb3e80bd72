// ServerMetrics: the metric families of `ascendra serve` (/metrics), under ascendra_* names and
// under the vLLM names that Kubernetes inference gateways read (vllm:num_requests_running,
// vllm:kv_cache_usage_perc, ...).
//
// Request-level figures are observed once per finished request by the HTTP thread that answered it;
// engine gauges (running, waiting, KV usage per instance and per pool) are read from the engine
// workers' published loads at scrape time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/metrics_registry.h"
#include "server/request_channel.h"

namespace asc::server {

class EngineService;

/// What one request looked like when it ended, all times on the service's WallClock.
struct RequestOutcome {
  double arrival_s = 0.0;
  double started_s = -1.0;            // first scheduled; < 0 if never
  std::vector<double> token_times_s;  // [completion tokens] when each token was produced
  double finish_s = 0.0;
  int32_t prompt_tokens = 0;
  FinishReason reason = FinishReason::kStop;
  bool client_gone = false;           // the client disconnected before the end
  double ttft_slo_s = 0.0;            // 0 = no objective
  double tbt_slo_s = 0.0;
};

class ServerMetrics {
 public:
  explicit ServerMetrics(std::string model_name);

  /// Records a finished (or aborted, or failed) request.
  void observe_request(const RequestOutcome& outcome);
  /// Counts an HTTP-level rejection (queue full, bad input) by status code.
  void count_rejection(int http_status);
  /// The exposition text with fresh engine gauges; service may be null while loading.
  std::string render(const EngineService* service);

  const MetricsRegistry& registry() const { return registry_; }

 private:
  void declare();
  void update_engine_gauges(const EngineService& service);

  std::string model_name_;
  MetricsRegistry registry_;
};

}  // namespace asc::server
