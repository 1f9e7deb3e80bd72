// Instance: submit validation, EOS and length finishes, abort at the iteration boundary, a failed
// backend step failing only its rows, offload-free take_request, and event order.
#include <gtest/gtest.h>

#include "engine/core/clock.h"
#include "tests/sched/fake_backend.h"

namespace asc {
namespace {

TEST(Instance, RejectsBadRequests) {
  auto inst = test::make_instance("sarathi", 8);
  EXPECT_EQ(inst->submit(test::make_request(1, 0, 0, 4)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(inst->submit(test::make_request(2, 0, 4, 0)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(inst->submit(test::make_request(3, 0, 8 * kKvBlockSize, 4)).code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(inst->submit(test::make_request(4, 0, 10, 4)).is_ok());
  EXPECT_EQ(inst->submit(test::make_request(4, 0, 10, 4)).code(), StatusCode::kInvalidArgument);
}

TEST(Instance, EmitsTokensThenOneFinishAndStopsOnEos) {
  VirtualClock clock;
  auto inst = test::make_instance("vllm", 64);
  auto a = test::make_request(1, 0, 10, 5);
  auto b = test::make_request(2, 0, 10, 5);
  b->eos_ids = {7};  // the fake backend always samples 7
  ASSERT_TRUE(inst->submit(std::move(a)).is_ok());
  ASSERT_TRUE(inst->submit(std::move(b)).is_ok());
  while (inst->step(clock.now_s())) clock.advance_by(0.01);
  int tokens_a = 0, finished = 0;
  for (const EngineEvent& ev : inst->take_events()) {
    if (ev.kind == EngineEventKind::kToken && ev.request_id == 1) ++tokens_a;
    if (ev.kind == EngineEventKind::kFinished) {
      ++finished;
      EXPECT_EQ(ev.finish_reason, ev.request_id == 1 ? FinishReason::kLength : FinishReason::kStop);
    }
  }
  EXPECT_EQ(tokens_a, 5);
  EXPECT_EQ(finished, 2);
  auto done = inst->take_finished();
  ASSERT_EQ(done.size(), 2u);
  for (auto& r : done) {
    RequestRecord rec = r->to_record();
    EXPECT_TRUE(rec.success);
    EXPECT_EQ(rec.num_output_tokens, r->id == 1 ? 5 : 1);
    for (size_t i = 1; i < rec.token_times_s.size(); ++i) EXPECT_GT(rec.token_times_s[i], rec.token_times_s[i - 1]);
  }
}

TEST(Instance, AbortFreesBlocksAtTheNextBoundary) {
  VirtualClock clock;
  auto inst = test::make_instance("sarathi", 64);
  ASSERT_TRUE(inst->submit(test::make_request(1, 0, 40, 100)).is_ok());
  ASSERT_TRUE(inst->step(0.0));
  EXPECT_GT(inst->stats().kv_usage, 0.0);
  inst->abort(1);
  inst->abort(999);  // unknown: ignored
  EXPECT_FALSE(inst->step(1.0));
  EXPECT_EQ(inst->stats().num_free_blocks, 64);
  auto evs = inst->take_events();
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back().kind, EngineEventKind::kFinished);
  EXPECT_EQ(evs.back().finish_reason, FinishReason::kAbort);
  EXPECT_FALSE(inst->take_finished().front()->to_record().success);
}

TEST(Instance, FailedStepFailsItsRowsAndTheLoopGoesOn) {
  test::FakeBackend* backend = nullptr;
  auto inst = test::make_instance("sarathi", 64, {}, &backend);
  ASSERT_TRUE(inst->submit(test::make_request(1, 0, 10, 3)).is_ok());
  backend->fail_next = true;
  ASSERT_TRUE(inst->step(0.0));
  ASSERT_TRUE(inst->submit(test::make_request(2, 0, 10, 3)).is_ok());
  while (inst->step(1.0)) {}
  auto done = inst->take_finished();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0]->finish_reason, FinishReason::kError);
  EXPECT_NE(done[0]->error.find("injected"), std::string::npos);
  EXPECT_EQ(done[1]->finish_reason, FinishReason::kLength);
  EXPECT_EQ(inst->stats().num_free_blocks, 64);
}

TEST(Instance, TakeAndAttachMovesRequestsBetweenInstances) {
  auto a = test::make_instance("sarathi", 64);
  auto b = test::make_instance("sarathi", 64);
  ASSERT_TRUE(a->submit(test::make_request(1, 0, 40, 4)).is_ok());
  ASSERT_TRUE(a->step(0.0));  // started: holds blocks
  std::vector<uint8_t> kv;
  auto req = a->take_request(1, &kv);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(a->stats().num_free_blocks, 64);
  EXPECT_EQ(req->num_computed, 40);
  ASSERT_TRUE(b->attach_request(std::move(req), std::span<const uint8_t>()).is_ok());  // no bytes: recompute
  while (b->step(1.0)) {}
  auto done = b->take_finished();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]->num_output_tokens(), 4);
  EXPECT_EQ(done[0]->num_preemptions, 1);
}

}  // namespace
}  // namespace asc
