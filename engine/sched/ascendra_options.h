// AscendraOptions: the knobs of the Ascendra policy family (LP/HP policies, dual-pool dispatcher,
// risk monitor), with the paper's design as the default and each extension behind its own switch.
//
// Options travel as one "key=value,key=value" string (PolicyContext::options,
// DispatcherContext::options) so that drivers (simulate, serve) stay ignorant of them.
//   value=slack|sjf        urgency value function (slack = the paper's 1/slack; sjf = ablation)
//   hopeless=paper|demote  paper: hopeless first on LP, last on HP; demote: last on both
//   offload=1|0            proactive offload of at-risk LP requests (0 = ablation)
//   margin_scale=F         offload margin = F * predicted full-batch time (default 1)
//   margin_ms=N            explicit offload margin, overrides margin_scale
//   margin=full|queue      full: the paper's rule with a full-batch margin; queue (extension):
//                          predict the next LP batch that would carry the request instead
//   ticket=1|0|balanced    ticket entry of new requests straight to HP; balanced (extension):
//                          only while HP carries no more requests than the least-loaded LP
//   tbt_budget=1|0         extension: cap each LP iteration at the tightest decode's TBT slack
//   dispatch=rr|delay      LP dispatch: round-robin (paper) or least predicted delay (extension)
//   hp_aware=1|0           extension: keep an offload on LP when HP is predicted to miss it too
//   admission=1|0          extension: reject at arrival requests that cannot meet their TTFT
//   migration=1|0          extension: a pressed HP instance (ticket closed) hands its started
//                          decodes back to LP with their KV blocks (engine/cluster/migration.h)
//   tbt_headroom=F         with tbt_budget: the share of the TBT slack an iteration is planned to
//                          fill (default 0.9), room for the performance model's error
//   hp_enforce_max_seqs=0|1 0 (the authors' default): HP admits prompts past max_seqs while at
//                          least 5% of its KV blocks are free; 1: max_seqs is a hard cap on HP too
#pragma once

#include <string>

#include "engine/core/status.h"
#include "engine/sched/urgency.h"

namespace asc {

enum class HopelessOrder { kPaper, kDemote };
enum class LpDispatch { kRoundRobin, kPredictedDelay };

struct AscendraOptions {
  ValueFunction value = ValueFunction::kLeastSlack;
  HopelessOrder hopeless = HopelessOrder::kPaper;
  bool offload = true;
  double margin_scale = 1.0;
  double margin_s = -1.0;   // < 0: derived from the performance model
  bool queue_margin = false;  // margin=queue
  bool ticket = true;
  bool ticket_balanced = false;  // ticket=balanced
  bool tbt_budget = false;
  LpDispatch dispatch = LpDispatch::kRoundRobin;
  bool hp_aware = false;
  bool admission = false;
  bool migration = false;
  bool hp_enforce_max_seqs = false;
  double tbt_headroom = 0.9;
};

/// Parses the option string ("" = defaults). kInvalidArgument naming the bad key or value.
StatusOr<AscendraOptions> parse_ascendra_options(const std::string& text);

/// The canonical option string of `options` (every key, in the order documented above).
std::string ascendra_options_to_string(const AscendraOptions& options);

}  // namespace asc
