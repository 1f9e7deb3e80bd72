// Migration of started requests with their KV blocks (extension, `migration=1`).
//
// The rule we found worth its cost in simulation is the hand-back: the HP pool exists to start
// urgent requests quickly, yet every request it starts then decodes there to the end, so under load
// the HP instance fills with decodes, its ticket closes and its prefill-first batches stall them.
// When an HP instance is pressed (its ticket is closed: something waiting, half its sequences
// running, or <= 10% KV free), its started decodes move -- with their KV blocks, no recompute --
// to the LP instance with the least predicted start delay that has room for them.
// Only requests outside the plan in flight can move (Instance::take_request refuses the others),
// which is exactly the decodes an HP prefill-only iteration is stalling.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/cluster/dispatcher.h"

namespace asc {

struct MigrationStats {
  int64_t num_moved = 0;
  int64_t num_failed = 0;  // attach refused after take (fell back to recompute on the source)
};

/// Requests with fewer tokens left than this are about to finish and not worth a move.
inline constexpr int32_t kMinHandBackTokens = 8;

/// The started decodes a pressed HP instance hands back, in running order; empty while its ticket
/// is open. Reads only `hp` (the server calls it on the HP instance's own engine thread).
std::vector<const Request*> hand_back_candidates(const Instance& hp);

/// True when an instance with load `lp` has a sequence slot and the blocks `req` needs (plus a
/// 1% watermark). Takes stats, not the instance, so the server can judge another thread's
/// published load.
bool has_room_for(const InstanceStats& lp, const Request& req);

/// Moves pressed HP instances' decodes to LP instances (see above). Returns how many moved.
int32_t hand_back_decodes(const ClusterView& cluster, const PerfModel* model, double now,
                          MigrationStats& stats);

/// Moves one request with its KV from `from` to `to`. On a refused attach the request returns to
/// `from` for recompute, so it is never lost. False when the request could not be taken (unknown,
/// finished or in the plan in flight) or had to fall back.
bool migrate_request(Instance& from, Instance& to, RequestId id, MigrationStats& stats);

}  // namespace asc
