#include "engine/core/request.h"

#include <algorithm>

namespace asc {

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kNone: return "";
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kAbort: return "abort";
    case FinishReason::kError: return "error";
  }
  return "";
}

Request Request::with_prompt(RequestId id, double arrival_s, std::vector<int32_t> prompt,
                             int32_t max_output_tokens) {
  Request r;
  r.id = id;
  r.arrival_s = arrival_s;
  r.num_prompt_tokens = static_cast<int32_t>(prompt.size());
  r.tokens = std::move(prompt);
  r.max_output_tokens = max_output_tokens;
  return r;
}

Request Request::with_length(RequestId id, double arrival_s, int32_t num_prompt_tokens,
                             int32_t max_output_tokens) {
  Request r;
  r.id = id;
  r.arrival_s = arrival_s;
  r.num_prompt_tokens = num_prompt_tokens;
  r.max_output_tokens = max_output_tokens;
  return r;
}

std::span<const int32_t> Request::output_tokens() const {
  if (!has_token_ids()) return {};
  return std::span<const int32_t>(tokens).subspan(static_cast<size_t>(num_prompt_tokens));
}

bool Request::is_eos(int32_t token) const {
  if (ignore_eos) return false;
  return std::find(eos_ids.begin(), eos_ids.end(), token) != eos_ids.end();
}

RequestRecord Request::to_record() const {
  RequestRecord rec;
  rec.id = id;
  rec.arrival_s = arrival_s;
  rec.token_times_s = token_times_s;
  rec.num_prompt_tokens = num_prompt_tokens;
  rec.num_output_tokens = num_output_tokens();
  rec.num_requested_output_tokens = max_output_tokens;
  rec.ttft_slo_s = ttft_slo_s;
  rec.tbt_slo_s = tbt_slo_s;
  rec.success = phase == RequestPhase::kFinished &&
                (finish_reason == FinishReason::kStop || finish_reason == FinishReason::kLength);
  if (!rec.success) {
    rec.error = !error.empty() ? error
                : phase == RequestPhase::kFinished ? std::string(finish_reason_name(finish_reason))
                                                   : std::string("unfinished");
  }
  rec.num_offloads = num_offloads;
  rec.num_migrations = num_migrations;
  rec.num_preemptions = num_preemptions;
  return rec;
}

}  // namespace asc
