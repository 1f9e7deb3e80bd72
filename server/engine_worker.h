// EngineWorker: the one thread that owns one instance (STYLE rule 5).
//
// HTTP threads never touch the instance: they put submissions into a lock-protected inbox and set
// cancel flags on their channels. At every iteration boundary the worker drains the inbox, aborts
// cancelled requests (freeing their KV blocks within one iteration), runs one step and hands tokens
// to the channels without ever blocking on a consumer. End-of-generation tokens and max_tokens are
// enforced here, so a request stops in the same iteration that produced its last token.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/instance_driver.h"
#include "server/request_channel.h"
#include "server/wall_clock.h"

namespace asc::server {

/// A request on its way to an instance, with the channel its tokens go to.
struct Submission {
  std::unique_ptr<Request> request;
  std::shared_ptr<RequestChannel> channel;
  bool started = false;  // first scheduled already (its queue time ended where it was)
  // Migration: `origin` >= 0 is the worker the request was detached from, with its KV bytes.
  int origin = -1;
  bool returning = false;    // refused by the target, on its way back to `origin`
  std::vector<uint8_t> kv;   // [blocks_for(num_computed) * kv_block_bytes], export_kv_blocks layout
};

/// A request to move one request at the owner's next boundary (EngineService::request_migration).
/// `done` runs on the worker's thread: +1 moved, 0 here but could not move, -1 not here.
struct MoveOrder {
  RequestId id = 0;
  int to_worker = -1;
  std::function<void(int)> done;
};

struct WorkerCallbacks {
  std::function<bool(int32_t)> is_eog;                   // end-of-generation test
  std::function<void(Submission, int from_worker)> offload;  // re-route an offloaded request
  std::function<void()> on_dequeued;                      // a queued request started or ended
  /// Delivers a migrated request to worker `to` (its inbox).
  std::function<void(Submission, int to_worker)> migrate;
  /// A migrated request was taken in by worker `at`: `outcome` says how (returned: at its origin).
  std::function<void(AttachOutcome outcome, bool returned)> on_migrated;
  /// Hand-back decision (set on HP workers with migration=1 only): the target worker of each
  /// candidate, -1 for those that stay (migration.h's rule on the published loads).
  std::function<std::vector<int>(std::span<const Request* const> candidates)> plan_hand_back;
};

class EngineWorker {
 public:
  EngineWorker(int index, std::unique_ptr<InstanceDriver> driver, const WallClock& clock,
               WorkerCallbacks callbacks);
  ~EngineWorker();
  EngineWorker(const EngineWorker&) = delete;
  EngineWorker& operator=(const EngineWorker&) = delete;

  void start();
  /// Aborts what is left, finishing every channel, and joins the thread.
  void stop();
  /// Queues a request for the next iteration boundary. Never blocks on the engine.
  void submit(Submission submission);
  /// Wakes the thread so that it sees new cancel flags now rather than after its current wait.
  void wake();
  /// Finishes every active request with kAbort at the next boundary (shutdown).
  void abort_all();
  /// Queues a move, performed at the next boundary on this worker's thread. Answered -1 when the
  /// worker has stopped.
  void request_move(MoveOrder order);

  int index() const { return index_; }
  const std::string& name() const { return name_; }
  const std::string& pool() const { return pool_; }
  /// Load published after the last iteration (plus requests still in the inbox as waiting).
  InstanceLoad load() const;
  int64_t num_iterations() const { return num_iterations_.load(std::memory_order_relaxed); }
  /// Number of requests (queued or running) this worker is responsible for.
  int32_t num_active() const { return num_active_.load(std::memory_order_relaxed); }

 private:
  struct Active {
    std::shared_ptr<RequestChannel> channel;
    int32_t max_output_tokens = 0;
    bool ignore_eos = false;
    int32_t num_generated = 0;
    bool started = false;
  };

  void run();
  void drain_inbox(double now_s);
  void abort_cancelled(double now_s);
  void finish(RequestId id, FinishReason reason, double now_s, std::string error = {});
  void dispatch(std::vector<DriverEvent>& events, double now_s);
  void on_token(RequestId id, Active& active, int32_t token, double now_s);
  void mark_started(Active& active, double now_s);
  void fail_all(const Status& status, double now_s);
  void publish_load();
  // Migration (engine_worker_migration.cpp).
  /// Bookkeeping for a request taken in from `s` (before the request leaves `s`; no channel yet).
  static Active active_for(const Submission& s);
  void admit(Submission& s, double now_s);
  void take_migrated(Submission& s, double now_s);
  void perform_moves();
  void hand_back();
  bool move_out(RequestId id, int to_worker);

  const int index_;
  std::unique_ptr<InstanceDriver> driver_;  // touched only by thread_
  const WallClock& clock_;
  WorkerCallbacks callbacks_;
  std::string name_;
  std::string pool_;

  std::mutex inbox_mutex_;
  std::condition_variable inbox_ready_;
  std::vector<Submission> inbox_;  // guarded by inbox_mutex_
  bool stop_requested_ = false;    // guarded by inbox_mutex_
  bool abort_all_requested_ = false;
  bool wake_requested_ = false;
  std::vector<MoveOrder> moves_;   // guarded by inbox_mutex_
  bool closed_ = false;            // guarded by inbox_mutex_: stop() finished, nothing runs

  std::unordered_map<RequestId, Active> active_;  // owned by thread_
  mutable std::mutex load_mutex_;
  InstanceLoad load_;                              // guarded by load_mutex_
  std::atomic<int64_t> num_iterations_{0};
  std::atomic<int32_t> num_active_{0};
  std::atomic<int32_t> num_inbox_{0};
  // Migrated requests in the inbox and the KV blocks they will take: published as load, so that
  // hand-back decisions made before this worker drains its inbox do not overbook it.
  std::atomic<int32_t> num_inbox_migrated_{0};
  std::atomic<int32_t> num_inbox_blocks_{0};
  std::thread thread_;
};

}  // namespace asc::server
