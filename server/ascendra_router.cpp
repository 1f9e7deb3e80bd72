// Dual-pool routing in the server (see ascendra_router.h).
#include "server/ascendra_router.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include "engine/cluster/dual_pool.h"
#include "engine/cluster/pool_spec.h"
#include "server/hand_back.h"

namespace asc::server {
namespace {

struct Cursors {
  std::atomic<uint64_t> low{0};
  std::atomic<uint64_t> high{0};
};

std::vector<int> workers_of(const RouteContext& ctx, const char* pool) {
  std::vector<int> out;
  for (size_t i = 0; i < ctx.pools.size(); ++i) {
    if (ctx.pools[i] == pool) out.push_back(static_cast<int>(i));
  }
  return out;
}

int pick_in_turn(const std::vector<int>& workers, std::atomic<uint64_t>& cursor) {
  return workers[cursor.fetch_add(1) % workers.size()];
}

/// dispatch=delay: the worker with the least published predicted start delay (the simulator's
/// rule, DualPoolDispatcher); equal delays (e.g. idle workers) go by fewer waiting, then fewer
/// running requests. The scan starts at the cursor so full ties rotate.
int pick_least_delay(const RouteContext& ctx, const std::vector<int>& workers, std::atomic<uint64_t>& cursor) {
  const size_t start = cursor.fetch_add(1) % workers.size();
  int best = workers[start];
  for (size_t k = 1; k < workers.size(); ++k) {
    const int i = workers[(start + k) % workers.size()];
    const InstanceLoad& a = ctx.loads[static_cast<size_t>(i)];
    const InstanceLoad& b = ctx.loads[static_cast<size_t>(best)];
    if (a.predicted_start_delay_s != b.predicted_start_delay_s) {
      if (a.predicted_start_delay_s < b.predicted_start_delay_s) best = i;
    } else if (a.num_waiting < b.num_waiting || (a.num_waiting == b.num_waiting && a.num_running < b.num_running)) {
      best = i;
    }
  }
  return best;
}

}  // namespace

RouteFn make_dual_pool_router(const AscendraOptions& options) {
  auto cursors = std::make_shared<Cursors>();
  return [cursors, options](const RouteContext& ctx) -> int {
    const std::vector<int> low = workers_of(ctx, pool_role_name(PoolRole::kLow));
    const std::vector<int> high = workers_of(ctx, pool_role_name(PoolRole::kHigh));
    if (ctx.from_worker >= 0 && !high.empty()) return pick_in_turn(high, cursors->high);
    if (options.ticket) {
      int32_t least_lp = -1;  // ticket=balanced: HP may carry no more than the least-loaded LOW
      if (options.ticket_balanced) {
        for (int i : low) {
          const int32_t load = num_carried(stats_of(ctx.loads[static_cast<size_t>(i)]));
          least_lp = least_lp < 0 ? load : std::min(least_lp, load);
        }
      }
      for (size_t k = 0; k < high.size(); ++k) {
        const int i = high[(cursors->high.load() + k) % high.size()];
        if (!ticket_open(stats_of(ctx.loads[static_cast<size_t>(i)]), least_lp)) continue;
        cursors->high.fetch_add(1);
        return i;
      }
    }
    if (low.empty()) return high.empty() ? 0 : pick_in_turn(high, cursors->high);
    if (options.dispatch == LpDispatch::kPredictedDelay) return pick_least_delay(ctx, low, cursors->low);
    return pick_in_turn(low, cursors->low);
  };
}

}  // namespace asc::server
