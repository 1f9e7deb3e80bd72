// Urgency of a waiting request: how close it is to missing its TTFT objective.
//
// Ascendra's value function (arXiv 2504.20828): slack = TTFT_SLO - (waited + predicted solo prefill);
// value = 1/slack, infinite once slack <= 0 (the request is "hopeless": it cannot meet its TTFT any
// more). Values are recomputed every iteration from the original arrival time, so a request's
// priority rises as its deadline approaches and is kept across moves between pools.
// Shortest-job-first (value = 1/prompt tokens) is the ablation alternative.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace asc {

enum class ValueFunction {
  kLeastSlack,   // the paper's 1/slack (earliest deadline first)
  kShortestJob,  // 1/prompt tokens
};

/// Parses "slack" / "edf" / "sjf"; nullopt for anything else.
std::optional<ValueFunction> parse_value_function(std::string_view name);
const char* value_function_name(ValueFunction fn);

/// What the value of one waiting request depends on. Times in seconds.
struct UrgencyInputs {
  double waited_s = 0.0;          // now - arrival (the original arrival, kept across moves)
  double solo_prefill_s = 0.0;    // predicted prefill time of the remaining prompt alone
  double ttft_slo_s = 0.0;        // the request's TTFT objective; <= 0 means none
  int32_t num_prompt_tokens = 1;  // tokens still to prefill (>= 1)
};

/// TTFT_SLO - (waited + solo prefill). +infinity when the request has no TTFT objective.
double slack_s(const UrgencyInputs& in);

/// True when the request can no longer meet its TTFT even if started now (slack <= 0).
bool is_hopeless(const UrgencyInputs& in);

/// Priority value, larger = more urgent. kLeastSlack: 1/slack, +infinity when hopeless, 0 without an
/// objective. kShortestJob: 1/num_prompt_tokens.
double urgency_value(ValueFunction fn, const UrgencyInputs& in);

}  // namespace asc
