// Hand-back migration of HP decodes to LP (see migration.h).
#include "engine/cluster/migration.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "engine/cluster/dual_pool.h"
#include "engine/core/perf_model.h"

namespace asc {

std::vector<const Request*> hand_back_candidates(const Instance& hp) {
  std::vector<const Request*> out;
  if (ticket_open(hp.stats())) return out;
  for (const Request* r : hp.state().running()) {
    if (r->in_prefill() || r->num_output_tokens() == 0) continue;
    if (r->max_output_tokens - r->num_output_tokens() < kMinHandBackTokens) continue;
    out.push_back(r);
  }
  return out;
}

bool has_room_for(const InstanceStats& s, const Request& req) {
  const int32_t need = Request::blocks_for(req.num_tokens() + 1) + s.num_blocks / 100;  // + watermark
  return s.num_running < s.max_seqs && s.num_free_blocks >= need;
}

bool migrate_request(Instance& from, Instance& to, RequestId id, MigrationStats& stats) {
  std::vector<uint8_t> kv;
  std::unique_ptr<Request> req = from.take_request(id, &kv);
  if (!req) return false;
  // attach_request consumes the request even when it fails: keep a copy to return it home.
  Request backup = *req;
  Status s = to.attach_request(std::move(req), kv, /*kv_exported=*/true);
  if (s.is_ok()) {
    ++stats.num_moved;
    return true;
  }
  ++stats.num_failed;
  backup.num_computed = 0;  // its blocks were freed by take_request: recompute at home
  ++backup.num_preemptions;
  Status home = from.attach_request(std::make_unique<Request>(std::move(backup)), {});
  ASC_CHECK_MSG(home.is_ok(), "a migrated request could not return home: " + home.to_string());
  return false;
}

int32_t hand_back_decodes(const ClusterView& cluster, const PerfModel* model, double now,
                          MigrationStats& stats) {
  int32_t moved = 0;
  for (size_t h = 0; h < cluster.instances.size(); ++h) {
    if (cluster.roles[h] != PoolRole::kHigh) continue;
    Instance& hp = *cluster.instances[h];
    std::vector<RequestId> candidates;
    for (const Request* r : hand_back_candidates(hp)) candidates.push_back(r->id);
    for (RequestId id : candidates) {
      const Request* r = hp.find(id);
      if (r == nullptr) continue;
      size_t best = cluster.instances.size();
      double best_delay = std::numeric_limits<double>::infinity();
      for (size_t l = 0; l < cluster.instances.size(); ++l) {
        if (cluster.roles[l] != PoolRole::kLow || !has_room_for(cluster.instances[l]->stats(), *r)) continue;
        const double d = predicted_start_delay_s(*cluster.instances[l], model);
        if (d < best_delay) {
          best_delay = d;
          best = l;
        }
      }
      if (best == cluster.instances.size()) break;  // no LP has room
      if (migrate_request(hp, *cluster.instances[best], id, stats)) ++moved;
    }
  }
  return moved;
}

}  // namespace asc
