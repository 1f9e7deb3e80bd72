// InstanceDriver: what one engine thread needs from one serving instance.
//
// The engine thread owns the driver and is the only thread that calls it (no locks inside). The real
// driver adapts the decision core's Instance (policy + KV bookkeeping + backend); tests use a small
// deterministic instance of their own. Keeping this seam narrow lets the HTTP layer stay unchanged
// when dual-pool routing, offload and a risk monitor are added (engine_service.h).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/core/request.h"
#include "engine/core/status.h"
#include "engine/core/step.h"
#include "server/request_channel.h"

namespace asc::server {

struct DriverEvent {
  enum class Kind {
    kStarted,    // first scheduled into a batch (queue time ends)
    kToken,      // one generated token
    kFinished,   // the instance ended the request on its own (reason says why)
    kOffloaded,  // the instance gave an unstarted request up; the service re-routes it
  };
  Kind kind = Kind::kToken;
  RequestId id = 0;
  int32_t token = -1;
  FinishReason reason = FinishReason::kNone;
  std::string error;
  std::unique_ptr<Request> detached;  // kOffloaded: the request, taken out of the instance
};

/// A snapshot of one instance's load, for routing and /metrics.
struct InstanceLoad {
  int32_t num_running = 0;
  int32_t num_waiting = 0;
  int32_t num_kv_blocks_used = 0;
  int32_t num_kv_blocks_total = 0;
  int32_t max_seqs = 0;
  /// Predicted seconds before the instance could start a new request (0 without a model).
  double predicted_start_delay_s = 0.0;
  /// Mean absolute percentage error of the performance model's iteration predictions over a
  /// recent window (fraction); < 0 without a model or before any measured iteration.
  double perf_model_mape = -1.0;
};

/// How a migrated request was taken in (InstanceDriver::attach).
enum class AttachOutcome {
  kWithKv,     // joined running with its imported KV: no recompute
  kRecompute,  // its KV could not be placed; it joined waiting and recomputes its tokens
  kRefused,    // the instance cannot hold it at all; the request is handed back untouched
};

class InstanceDriver {
 public:
  virtual ~InstanceDriver() = default;
  /// Admits a request; a failure (e.g. it can never fit in the KV cache) fails only that request.
  /// Requests that were offloaded elsewhere before (num_offloads > 0) are attached, not resubmitted.
  virtual Status submit(std::unique_ptr<Request> request) = 0;
  /// Removes a request wherever it is and frees its KV blocks; no event follows. Unknown ids are
  /// ignored.
  virtual void abort(RequestId id) = 0;
  /// True while any request is waiting or running.
  virtual bool has_work() const = 0;
  /// Runs one iteration at time now_s and appends what happened to `events`.
  virtual Status step(double now_s, std::vector<DriverEvent>& events) = 0;
  virtual InstanceLoad load() const = 0;
  /// Label for logs and /metrics, e.g. "0" or "lp0".
  virtual std::string name() const = 0;
  /// Pool label for /metrics ("default", "low", "high").
  virtual std::string pool() const { return "default"; }

  // Migration of started requests (all called on the owning engine thread, at a boundary).
  /// Takes a request out with its KV bytes in `kv` (empty when nothing is computed, or when the
  /// backend cannot export: then it is reset for recompute). Null when unknown or finished.
  virtual std::unique_ptr<Request> detach(RequestId id, std::vector<uint8_t>& kv) { return nullptr; }
  /// Takes in a request detached elsewhere, with its KV when there is room; else, only when
  /// `recompute_ok`, into waiting for recompute. On kRefused `request` still holds it.
  virtual AttachOutcome attach(std::unique_ptr<Request>& request, std::span<const uint8_t> kv,
                               bool recompute_ok) {
    return AttachOutcome::kRefused;
  }
  /// Started decodes this instance would hand back now (migration.h's rule; empty when the
  /// instance is not pressed). Pointers stay valid until the next call on the driver.
  virtual std::vector<const Request*> hand_back_candidates() const { return {}; }
};

}  // namespace asc::server
