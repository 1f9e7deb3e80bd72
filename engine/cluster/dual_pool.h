// DualPoolDispatcher ("dual-pool"): Ascendra's routing over low- and high-priority instances.
//
// - Offloaded requests (moved by an LP instance's risk monitor) go to the HP pool, round-robin
//   (reroute()); they keep their arrival time.
// - Ticket entry: a new request goes straight to an HP instance whose ticket is open: nothing
//   waiting there, fewer than half its max sequences running, more than 10% of its KV blocks free
//   (the authors' `running < (1 - running/max) * max` is the same as running < max/2).
//   ticket=balanced (extension) also asks HP to be no busier than the least-loaded LP instance.
// - Otherwise new requests go to the LP pool: round-robin (paper) or, with dispatch=delay, to the
//   LP instance with the least predicted delay before it could start the request.
// - admission=1 (extension): admit() rejects a request whose best predicted TTFT over all
//   instances already exceeds its objective, so it fails fast with a clear reason instead of
//   occupying an instance it cannot be served by in time.
// - migration=1 (extension): pressed HP instances hand their started decodes back to LP with
//   their KV blocks (migration.h), checked every kMigrationTickS.
// - hp_aware=1 (extension): reroute() keeps an offloaded request on its LP instance when the HP
//   pool is predicted to miss its TTFT too (HP is saturated: moving it would only add to the HP
//   backlog). The request stays once (the risk monitor never offloads a request twice).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/cluster/dispatcher.h"
#include "engine/cluster/migration.h"
#include "engine/sched/ascendra_options.h"

namespace asc {

/// Requests an instance carries: running + waiting (the load ticket=balanced compares).
inline int32_t num_carried(const InstanceStats& s) { return s.num_running + s.num_waiting; }

/// Ticket condition of one HP instance (see above). With `max_hp_load` >= 0 (ticket=balanced,
/// extension: the least-loaded LP instance's num_carried) HP must also carry no more requests than
/// that. The paper sizes HP as one device beside two busy LP devices; with one LP beside one HP
/// (the 2-core CPU set-up) the paper's ticket, open whenever HP has nothing waiting and runs under
/// half its max sequences, sends most requests to HP while LP idles.
bool ticket_open(const InstanceStats& hp, int32_t max_hp_load = -1);

/// Predicted seconds before `instance` could start a new request: the solo prefills of its waiting
/// requests plus one iteration of its running decodes (0 without a model). With `now` >= 0,
/// waiting requests that are already hopeless at `now` are left out (an HP instance serves them
/// last, so they do not delay a new urgent request).
double predicted_start_delay_s(const Instance& instance, const PerfModel* model, double now = -1.0);

/// Admission control (admission=1 here, `--admission-control` in the server): kDeadlineExceeded
/// when the request's best predicted TTFT -- time waited by `now`, plus `best_start_delay_s` (the
/// least predicted start delay over the instances), plus its solo prefill -- misses its TTFT
/// objective; OK for a request without one.
Status admission_check(const Request& request, const PerfModel& model, double best_start_delay_s, double now);

class DualPoolDispatcher final : public Dispatcher {
 public:
  DualPoolDispatcher(const PerfModel* model, AscendraOptions options)
      : model_(model), options_(options) {}
  std::string name() const override { return "dual-pool"; }
  Status admit(const Request& request, const ClusterView& cluster, double now) override;
  size_t route(const Request& request, const ClusterView& cluster, double now) override;
  size_t reroute(const Request& request, size_t from, const ClusterView& cluster, double now) override;
  /// With migration=1: ticks every kMigrationTickS to hand pressed HP decodes back to LP.
  double tick_interval_s() const override { return options_.migration ? kMigrationTickS : 0.0; }
  void on_tick(const ClusterView& cluster, double now) override;
  const MigrationStats& migration_stats() const { return migration_; }

  static constexpr double kMigrationTickS = 0.005;

  int64_t num_ticket_entries() const { return num_ticket_entries_; }
  int64_t num_rerouted() const { return num_rerouted_; }
  int64_t num_rejected() const { return num_rejected_; }
  int64_t num_refused() const { return num_refused_; }

 private:
  /// Next instance of `role` in turn starting after `cursor` (advances it); npos when none.
  static size_t next_of(PoolRole role, const ClusterView& cluster, size_t& cursor);
  size_t route_lp(const ClusterView& cluster);

  const PerfModel* model_;
  AscendraOptions options_;
  size_t lp_cursor_ = 0;
  size_t hp_cursor_ = 0;
  int64_t num_ticket_entries_ = 0;
  int64_t num_rerouted_ = 0;
  int64_t num_rejected_ = 0;
  int64_t num_refused_ = 0;
  MigrationStats migration_;
};

/// Factory registered as "dual-pool" (options from context.options, ASC_CHECKed valid).
std::unique_ptr<Dispatcher> make_dual_pool_dispatcher(const DispatcherContext& context);

}  // namespace asc
