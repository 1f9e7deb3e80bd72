// Ranking of waiting requests by urgency, shared by the Ascendra LP and HP policies.
//
// Order (most urgent first):
//   1. resumed requests (already produced tokens; waiting again after a preemption or a move):
//      their TTFT is settled and every iteration they wait widens a token gap, so they go first,
//      oldest arrival first (as vLLM resumes preempted requests first);
//   2. the rest by value, descending, with hopeless requests (slack <= 0) placed per `hopeless`:
//      kFirst (paper, LP: infinite value sorts first), kLast (paper HP, and the demote extension);
//   ties keep queue order (stable), which is arrival order for new requests. Under shortest-job-
//   first there is no hopeless class (as in the authors' code, its values are always finite).
#pragma once

#include <cstddef>
#include <deque>
#include <vector>

#include "engine/core/request.h"
#include "engine/sched/urgency.h"

namespace asc {

class PerfModel;

enum class HopelessPlace { kFirst, kLast };

struct RankedRequest {
  Request* request = nullptr;
  double value = 0.0;      // urgency_value(); +inf when hopeless under kLeastSlack
  bool hopeless = false;   // slack <= 0
  bool resumed = false;    // has output tokens already
};

/// Urgency inputs of one request at `now`: waited since its (original) arrival, predicted solo
/// prefill of its uncomputed tokens (0 without a model), its own TTFT objective.
UrgencyInputs urgency_inputs(const Request& req, const PerfModel* model, double now);

/// Waiting requests in admission order (see above). `waiting` is not modified.
std::vector<RankedRequest> rank_waiting(const std::deque<Request*>& waiting, const PerfModel* model,
                                        ValueFunction fn, HopelessPlace hopeless, double now);

/// Index of `req` in `waiting`; waiting.size() when absent.
size_t index_in(const std::deque<Request*>& waiting, const Request* req);

}  // namespace asc
