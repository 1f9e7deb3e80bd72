#include "engine/core/step.h"

namespace asc {

int32_t StepPlan::num_tokens() const {
  int32_t n = 0;
  for (const StepRow& r : rows) n += r.num_tokens;
  return n;
}

int32_t StepPlan::num_prefill_tokens() const {
  int32_t n = 0;
  for (const StepRow& r : rows) n += r.is_prefill ? r.num_tokens : 0;
  return n;
}

int32_t StepPlan::num_decode_rows() const {
  int32_t n = 0;
  for (const StepRow& r : rows) n += r.is_prefill ? 0 : 1;
  return n;
}

}  // namespace asc
