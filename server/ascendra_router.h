// The server's dual-pool router for `--policy ascendra`: the same rules as the simulator's
// DualPoolDispatcher (engine/cluster/dual_pool.h), evaluated on the workers' published loads
// because the HTTP and engine threads may not touch another thread's Instance.
//   - a re-routed (offloaded) request goes to the HIGH pool, round-robin;
//   - ticket entry: a new request goes to a HIGH worker whose ticket is open (ticket_open());
//     with ticket=balanced only while it carries no more requests than the least-loaded LOW
//     worker (ticket_open()'s bound);
//   - otherwise round-robin over the LOW pool, or with dispatch=delay the LOW worker with the
//     least predicted start delay (InstanceLoad::predicted_start_delay_s, the simulator's measure;
//     equal delays go by fewer waiting, then fewer running requests).
// Workers are told apart by their pool label ("low", "high"; pool_role_name()).
#pragma once

#include "engine/sched/ascendra_options.h"
#include "server/engine_service.h"

namespace asc::server {

/// Thread-safe router (atomic cursors): route() runs on HTTP threads and on engine threads
/// (offload callbacks) at the same time.
RouteFn make_dual_pool_router(const AscendraOptions& options);

}  // namespace asc::server
