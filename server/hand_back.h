// The server's half of the hand-back rule (engine/cluster/migration.h, `migration=1`): a pressed
// HP worker picks, for each of its started decodes worth moving, the LOW worker with room for it
// and the least predicted start delay, judged on the loads the workers publish (the HP engine
// thread may not read another thread's Instance). The pressed test and the candidates come from
// the HP instance itself (hand_back_candidates, on its own thread); room is has_room_for.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "engine/core/instance.h"
#include "server/instance_driver.h"

namespace asc::server {

/// A published load as the decision core's InstanceStats (room tests, ticket_open).
InstanceStats stats_of(const InstanceLoad& load);

/// Target worker for each candidate, or -1 for those that stay. Each pick books the request's
/// blocks and sequence into `loads` so that later picks see it; once no LOW worker has room the
/// rest stay (as in the simulator). `pools` labels the workers, indexed like `loads`.
std::vector<int> plan_hand_back(std::span<const Request* const> candidates, std::vector<InstanceLoad> loads,
                                std::span<const std::string> pools);

}  // namespace asc::server
