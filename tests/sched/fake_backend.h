// Test builders: a fake backend (fixed tokens, duration from a formula) and request makers.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/core/backend.h"
#include "engine/core/instance.h"
#include "engine/core/request.h"
#include "engine/sched/policy.h"

namespace asc::test {

/// Returns token `token` for every sampled row; duration = 1 ms + 0.01 ms per token. Records plans.
class FakeBackend final : public Backend {
 public:
  explicit FakeBackend(int32_t num_blocks, int32_t token = 7) : num_blocks_(num_blocks), token_(token) {}
  StatusOr<StepResult> execute(const StepPlan& plan) override {
    if (fail_next) {
      fail_next = false;
      return internal_error("injected failure");
    }
    StepResult r;
    for (const StepRow& row : plan.rows) r.tokens.push_back(row.sample ? token_ : -1);
    r.duration_s = 1e-3 + 1e-5 * plan.num_tokens();
    return r;
  }
  int32_t num_kv_blocks() const override { return num_blocks_; }
  std::string name() const override { return "fake"; }
  size_t kv_block_bytes() const override { return 0; }
  Status export_kv_blocks(std::span<const int32_t>, std::vector<uint8_t>& out) override {
    out.clear();
    return Status::ok();
  }
  Status import_kv_blocks(std::span<const int32_t>, std::span<const uint8_t>) override { return Status::ok(); }
  bool fail_next = false;

 private:
  int32_t num_blocks_;
  int32_t token_;
};

inline std::unique_ptr<Instance> make_instance(const std::string& policy, int32_t num_blocks,
                                               SchedulerConfig cfg = {}, FakeBackend** backend = nullptr) {
  PolicyContext ctx;
  ctx.config = cfg;
  auto p = make_policy(policy, ctx);
  auto b = std::make_unique<FakeBackend>(num_blocks);
  if (backend) *backend = b.get();
  InstanceConfig icfg;
  icfg.scheduler = cfg;
  return std::make_unique<Instance>(std::move(b), std::move(*p), icfg);
}

/// A request with prompt ids 1..n (n = prompt length), arriving at t.
inline std::unique_ptr<Request> make_request(RequestId id, double t, int32_t prompt, int32_t max_out) {
  std::vector<int32_t> ids(static_cast<size_t>(prompt));
  for (int32_t i = 0; i < prompt; ++i) ids[static_cast<size_t>(i)] = 100 + (i * 37 + static_cast<int32_t>(id)) % 900;
  return std::make_unique<Request>(Request::with_prompt(id, t, std::move(ids), max_out));
}

}  // namespace asc::test
