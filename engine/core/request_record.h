// RequestRecord: what one finished (or failed) request looked like from the outside.
//
// The common currency of the report module: `ascendra simulate` fills records from the simulated
// instances, `ascendra bench` from client-side stream timings, the server from its own clock. All
// times are seconds on one clock; arrival_s is when the request was sent/received.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace asc {

struct RequestRecord {
  uint64_t id = 0;
  double arrival_s = 0.0;
  std::vector<double> token_times_s;  // [num_output_tokens] time each output token was sent/seen
  int32_t num_prompt_tokens = 0;
  int32_t num_output_tokens = 0;      // tokens received (== token_times_s.size() when streamed)
  int32_t num_requested_output_tokens = 0;
  double ttft_slo_s = 0.0;            // the request's own objectives (0 = none)
  double tbt_slo_s = 0.0;
  bool success = false;               // completed without error
  std::string error;                  // empty on success
  int32_t num_offloads = 0;           // moves between pools before starting (ascendra)
  int32_t num_migrations = 0;         // moves of a started request with its KV blocks
  int32_t num_preemptions = 0;
};

}  // namespace asc
