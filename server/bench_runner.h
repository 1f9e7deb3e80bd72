// One load run of `ascendra bench`: send a workload's requests at their arrival times and collect
// client-side records. Threads live here (outside the decision core): a dispatcher on the calling
// thread sleeps until each arrival and hands the request to a worker pool that grows on demand up
// to max_concurrency; each worker owns one keep-alive HTTP connection.
//
// Timing: arrival_s in each record is the moment the request was handed to the socket (as in
// `vllm bench serve`); lateness against the schedule is reported separately as dispatch lag, so a
// saturated client is visible instead of silently inflating TTFT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/core/request_record.h"
#include "engine/workload/workload.h"
#include "server/bench_http.h"
#include "server/bench_prompt.h"

namespace asc::server {

inline constexpr size_t kDefaultMaxWorkers = 1024;

struct BenchRunConfig {
  BenchTarget target;
  size_t max_concurrency = 0;  // 0: open loop, up to kDefaultMaxWorkers requests in flight
  bool progress = false;       // status line on stderr (the caller checks for a TTY)
  std::string progress_label;  // e.g. "qps 4.00"
};

struct BenchRunResult {
  std::vector<RequestRecord> records;  // [requests] in id order
  double duration_s = 0.0;             // first send .. last completion
  std::vector<double> dispatch_lag_s;  // [requests] actual send time - scheduled arrival
  size_t usage_mismatches = 0;         // usage.completion_tokens != number of content chunks
  size_t missing_usage = 0;            // completed without a usage chunk
  size_t short_outputs = 0;            // completed with fewer tokens than requested
  size_t prompt_usage_count = 0;       // requests whose usage reported prompt_tokens
  double prompt_error_sum = 0.0;       // sum of (usage.prompt_tokens - requested prompt tokens)
  double prompt_abs_error_sum = 0.0;
};

/// Runs the workload against the target. Never throws for server-side failures: they become
/// failed records. Blocks until every request has finished or failed.
BenchRunResult run_bench_workload(const BenchRunConfig& config,
                                  const std::vector<workload::WorkloadRequest>& requests,
                                  const PromptFactory& prompts);

}  // namespace asc::server
