// Urgency values (see urgency.h). Pure functions: no state, no clock.
#include "engine/sched/urgency.h"

#include <algorithm>
#include <limits>

namespace asc {

std::optional<ValueFunction> parse_value_function(std::string_view name) {
  if (name == "slack" || name == "edf" || name == "least-slack") return ValueFunction::kLeastSlack;
  if (name == "sjf" || name == "shortest-job") return ValueFunction::kShortestJob;
  return std::nullopt;
}

const char* value_function_name(ValueFunction fn) {
  return fn == ValueFunction::kLeastSlack ? "slack" : "sjf";
}

double slack_s(const UrgencyInputs& in) {
  if (in.ttft_slo_s <= 0.0) return std::numeric_limits<double>::infinity();
  return in.ttft_slo_s - (in.waited_s + in.solo_prefill_s);
}

bool is_hopeless(const UrgencyInputs& in) { return slack_s(in) <= 0.0; }

double urgency_value(ValueFunction fn, const UrgencyInputs& in) {
  if (fn == ValueFunction::kShortestJob) return 1.0 / std::max<int32_t>(in.num_prompt_tokens, 1);
  const double slack = slack_s(in);
  if (slack <= 0.0) return std::numeric_limits<double>::infinity();
  return 1.0 / slack;  // slack == +inf (no objective) gives 0: least urgent
}

}  // namespace asc
