// Hand-back targets on published loads (see hand_back.h).
#include "server/hand_back.h"

#include <limits>

#include "engine/cluster/migration.h"
#include "engine/cluster/pool_spec.h"

namespace asc::server {

InstanceStats stats_of(const InstanceLoad& load) {
  InstanceStats s;
  s.num_running = load.num_running;
  s.num_waiting = load.num_waiting;
  s.max_seqs = load.max_seqs;
  s.num_blocks = load.num_kv_blocks_total;
  s.num_free_blocks = load.num_kv_blocks_total - load.num_kv_blocks_used;
  s.kv_usage = load.num_kv_blocks_total > 0
                   ? static_cast<double>(load.num_kv_blocks_used) / load.num_kv_blocks_total : 0.0;
  return s;
}

std::vector<int> plan_hand_back(std::span<const Request* const> candidates, std::vector<InstanceLoad> loads,
                                std::span<const std::string> pools) {
  std::vector<int> targets(candidates.size(), -1);
  const std::string low = pool_role_name(PoolRole::kLow);
  for (size_t c = 0; c < candidates.size(); ++c) {
    const Request& req = *candidates[c];
    int best = -1;
    double best_delay = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < loads.size() && i < pools.size(); ++i) {
      if (pools[i] != low || !has_room_for(stats_of(loads[i]), req)) continue;
      if (loads[i].predicted_start_delay_s < best_delay) {
        best_delay = loads[i].predicted_start_delay_s;
        best = static_cast<int>(i);
      }
    }
    if (best < 0) break;  // no LOW worker has room
    targets[c] = best;
    InstanceLoad& l = loads[static_cast<size_t>(best)];
    ++l.num_running;
    l.num_kv_blocks_used += Request::blocks_for(req.num_tokens() + 1);
  }
  return targets;
}

}  // namespace asc::server
