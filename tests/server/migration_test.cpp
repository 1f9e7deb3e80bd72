// Mid-decode migration in the server, on the real model and the real CPU backend: two engine workers
// (EngineService over two CoreInstanceDrivers, one compute thread each) and a greedy request.
//   - moved from worker 0 to worker 1 after some tokens streamed, its stream equals the unmoved
//     run's token ids (no gap, no duplicate), the move is counted and worker 0's KV blocks are freed;
//   - a move the target refuses (its KV cache cannot hold the request) resumes at the origin and
//     still produces the same tokens;
//   - a driver that cannot place a moved request's KV refuses it untouched, or recomputes it;
//   - the hand-back rule (migration=1) moves a pressed HIGH worker's decode to LOW, and never fires
//     with the option off or while the HIGH worker's ticket is open.
// plan_hand_back's target choice is tested on fabricated loads (no model). Skips without the model.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/instance.h"
#include "engine/cpu/backend_factory.h"
#include "engine/model/model_loader.h"
#include "engine/sched/policy.h"
#include "server/core_instance_driver.h"
#include "server/engine_service.h"
#include "server/hand_back.h"

namespace asc::server {
namespace {

using namespace std::chrono_literals;

const std::string kModelPath = std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
// A short prompt of ordinary token ids; ignore_eos keeps every run at kMaxTokens tokens.
const std::vector<int32_t> kPrompt = {504, 2365, 1345, 282, 253, 1663, 28, 357, 1488, 314, 2745, 30};
constexpr int32_t kMaxTokens = 40;
constexpr int32_t kMoveAfter = 10;  // tokens streamed before the move is requested
constexpr size_t kKvBytes = size_t{8} << 20;

struct WorkerSpec {
  std::string pool = "default";
  int32_t max_seqs = 4;
  size_t kv_bytes = kKvBytes;
};

struct RunResult {
  std::vector<int32_t> tokens;
  FinishReason reason = FinishReason::kNone;
  std::string error;
};

class MigrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kModelPath)) return;
    auto model = load_model(kModelPath);
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    model_ = (*model).release();
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }
  void SetUp() override {
    if (model_ == nullptr) GTEST_SKIP() << "no model " << kModelPath << " (scripts/fetch-models.sh)";
  }

  std::unique_ptr<InstanceDriver> make_driver(const WorkerSpec& spec, int index) {
    PolicyContext pc;
    pc.config.max_seqs = spec.max_seqs;
    pc.config.max_batch_tokens = 256;
    pc.config.chunk_size = 256;
    pc.config.max_model_len = 256;
    auto policy = make_policy("vllm", pc);
    EXPECT_TRUE(policy.is_ok());
    auto backend = cpu::make_cpu_backend(*model_, 1, spec.kv_bytes, pc.config.max_batch_tokens);
    EXPECT_TRUE(backend.is_ok()) << backend.status().to_string();
    InstanceConfig ic;
    ic.name = spec.pool + std::to_string(index);
    ic.scheduler = pc.config;
    auto instance = std::make_unique<Instance>(std::move(*backend), std::move(*policy), ic);
    return std::make_unique<CoreInstanceDriver>(std::move(instance), clock_, spec.pool);
  }

  /// A service whose new requests all go to worker 0.
  std::unique_ptr<EngineService> make_service(const std::vector<WorkerSpec>& specs, bool hand_back) {
    std::vector<std::unique_ptr<InstanceDriver>> drivers;
    for (size_t i = 0; i < specs.size(); ++i) drivers.push_back(make_driver(specs[i], static_cast<int>(i)));
    EngineServiceOptions options;
    options.hand_back = hand_back;
    return std::make_unique<EngineService>(clock_, std::move(drivers), [](const RouteContext&) { return 0; },
                                           [](int32_t) { return false; }, options);
  }

  /// Submits the test request and reads its stream to the end; `on_tokens(id, n)` runs after
  /// every batch of tokens read (n = tokens so far).
  RunResult run(EngineService& service, const std::function<void(RequestId, size_t)>& on_tokens = nullptr) {
    const RequestId id = service.next_request_id();
    auto request = std::make_unique<Request>(Request::with_prompt(id, clock_.now_s(), kPrompt, kMaxTokens));
    request->ignore_eos = true;
    auto channel = service.submit(std::move(request));
    EXPECT_TRUE(channel.is_ok());
    RunResult out;
    if (!channel.is_ok()) return out;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    ChannelBatch batch;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!(*channel)->wait(100ms, batch)) continue;
      for (const ChannelToken& t : batch.tokens) out.tokens.push_back(t.token);
      if (!batch.tokens.empty() && on_tokens) on_tokens(id, out.tokens.size());
      if (batch.finished) {
        out.reason = batch.reason;
        out.error = batch.error;
        return out;
      }
    }
    ADD_FAILURE() << "the request did not finish within 60 s";
    return out;
  }

  /// The request run alone on one worker, never moved (computed once per suite).
  const RunResult& reference() {
    if (reference_.tokens.empty()) {
      auto service = make_service({WorkerSpec{}}, false);
      reference_ = run(*service);
      EXPECT_EQ(reference_.reason, FinishReason::kLength) << reference_.error;
      EXPECT_EQ(reference_.tokens.size(), static_cast<size_t>(kMaxTokens));
    }
    return reference_;
  }

  /// Runs the request on `service`, asking once, after kMoveAfter tokens, to move it to worker 1.
  RunResult run_with_move(EngineService& service, bool& left_origin) {
    bool asked = false;
    return run(service, [&](RequestId id, size_t n) {
      if (asked || n < static_cast<size_t>(kMoveAfter)) return;
      asked = true;
      std::future<bool> moved = service.request_migration(id, 1);
      ASSERT_EQ(moved.wait_for(10s), std::future_status::ready);
      left_origin = moved.get();
    });
  }

  static bool eventually(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

  WallClock clock_;
  static inline Model* model_ = nullptr;
  static inline RunResult reference_;
};

TEST_F(MigrationTest, MovedRequestStreamsTheUnmovedTokens) {
  const RunResult& expected = reference();
  auto service = make_service({WorkerSpec{}, WorkerSpec{}}, false);
  bool left_origin = false;
  bool origin_freed = false;
  bool asked = false;
  RunResult moved = run(*service, [&](RequestId id, size_t n) {
    if (asked || n < static_cast<size_t>(kMoveAfter)) return;
    asked = true;
    std::future<bool> answer = service->request_migration(id, 1);
    ASSERT_EQ(answer.wait_for(10s), std::future_status::ready);
    left_origin = answer.get();
    // Worker 0 gave the request up with its KV: its blocks are free while the stream goes on.
    origin_freed = eventually([&] {
      return service->worker(0).load().num_kv_blocks_used == 0 && service->worker(0).num_active() == 0;
    });
  });
  EXPECT_TRUE(left_origin);
  EXPECT_TRUE(origin_freed);
  EXPECT_EQ(moved.reason, FinishReason::kLength) << moved.error;
  EXPECT_EQ(moved.tokens, expected.tokens);
  EXPECT_EQ(service->num_migrations(), 1);
  EXPECT_EQ(service->num_migrations_returned(), 0);
  EXPECT_EQ(service->num_migrations_recomputed(), 0) << "the KV did not come along";
  EXPECT_GT(service->worker(1).num_iterations(), 0) << "worker 1 never decoded the moved request";
  EXPECT_TRUE(eventually([&] { return service->worker(1).load().num_kv_blocks_used == 0; }));
}

TEST_F(MigrationTest, RefusedMoveResumesAtItsOriginWithTheSameTokens) {
  const RunResult& expected = reference();
  // Worker 1's cache is one block (16 positions): the moved request (12 prompt tokens plus at least
  // kMoveAfter generated) cannot be placed there, with or without its KV.
  auto probe = cpu::make_cpu_backend(*model_, 1, kKvBytes, 16);
  ASSERT_TRUE(probe.is_ok());
  WorkerSpec tiny;
  tiny.kv_bytes = (*probe)->kv_block_bytes();
  auto service = make_service({WorkerSpec{}, tiny}, false);
  bool left_origin = false;
  RunResult moved = run_with_move(*service, left_origin);
  EXPECT_TRUE(left_origin);
  EXPECT_EQ(moved.reason, FinishReason::kLength) << moved.error;
  EXPECT_EQ(moved.tokens, expected.tokens);
  EXPECT_EQ(service->num_migrations(), 0);
  EXPECT_EQ(service->num_migrations_returned(), 1);
  EXPECT_EQ(service->num_migrations_recomputed(), 0);  // its origin still had room for its KV
  EXPECT_EQ(service->worker(1).num_iterations(), 0);
}

TEST_F(MigrationTest, MoveOfAnUnknownRequestIsRefused) {
  auto service = make_service({WorkerSpec{}, WorkerSpec{}}, false);
  std::future<bool> answer = service->request_migration(12345, 1);
  ASSERT_EQ(answer.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(answer.get());
  EXPECT_FALSE(service->request_migration(1, 7).get());  // no such worker
}

// HIGH worker 0 with max_seqs 2: one running decode closes its ticket (running >= max/2).
TEST_F(MigrationTest, HandBackMovesAPressedHighDecodeToLow) {
  const RunResult& expected = reference();
  auto service = make_service({WorkerSpec{"high", 2}, WorkerSpec{"low", 4}}, /*hand_back=*/true);
  RunResult moved = run(*service);
  EXPECT_EQ(moved.reason, FinishReason::kLength) << moved.error;
  EXPECT_EQ(moved.tokens, expected.tokens);
  EXPECT_EQ(service->num_migrations(), 1);
  EXPECT_EQ(service->num_migrations_recomputed(), 0);
  EXPECT_GT(service->worker(1).num_iterations(), 0);
}

TEST_F(MigrationTest, HandBackNeverFiresWithoutTheOptionOrPressure) {
  const RunResult& expected = reference();
  auto off = make_service({WorkerSpec{"high", 2}, WorkerSpec{"low", 4}}, /*hand_back=*/false);
  EXPECT_EQ(run(*off).tokens, expected.tokens);
  EXPECT_EQ(off->num_migrations(), 0);
  EXPECT_EQ(off->worker(1).num_iterations(), 0);
  // max_seqs 8: one decode leaves the ticket open, so the HIGH worker is not pressed.
  auto calm = make_service({WorkerSpec{"high", 8}, WorkerSpec{"low", 4}}, /*hand_back=*/true);
  EXPECT_EQ(run(*calm).tokens, expected.tokens);
  EXPECT_EQ(calm->num_migrations(), 0);
  EXPECT_EQ(calm->worker(1).num_iterations(), 0);
}

// The driver half of a refused move, on one thread: a request whose KV cannot be placed is refused
// untouched unless recompute is allowed; recomputed, it still produces the unmoved tokens.
TEST_F(MigrationTest, DriverRecomputesWhenItsKvCannotBePlaced) {
  constexpr int32_t kShort = 16;
  const std::vector<int32_t> expected(reference().tokens.begin(), reference().tokens.begin() + kShort);
  auto probe = cpu::make_cpu_backend(*model_, 1, kKvBytes, 16);
  ASSERT_TRUE(probe.is_ok());
  WorkerSpec small;
  small.kv_bytes = 3 * (*probe)->kv_block_bytes();  // room for one of the two requests' KV below
  auto source = make_driver(WorkerSpec{}, 0);
  auto target = make_driver(small, 1);
  for (RequestId id : {1, 2}) {
    auto r = std::make_unique<Request>(Request::with_prompt(id, 0.0, kPrompt, kShort));
    r->ignore_eos = true;
    ASSERT_TRUE(source->submit(std::move(r)).is_ok());
  }
  std::vector<int32_t> tokens_b;  // request 2's stream, across both drivers
  auto step = [&](InstanceDriver& d) {
    std::vector<DriverEvent> events;
    ASSERT_TRUE(d.step(clock_.now_s(), events).is_ok());
    for (const DriverEvent& e : events) {
      if (e.id == 2 && e.kind == DriverEvent::Kind::kToken) tokens_b.push_back(e.token);
    }
  };
  while (tokens_b.size() < 6) step(*source);  // 12 + 6 tokens: two blocks of KV each
  std::vector<uint8_t> kv_a, kv_b;
  std::unique_ptr<Request> a = source->detach(1, kv_a);
  std::unique_ptr<Request> b = source->detach(2, kv_b);
  ASSERT_TRUE(a && b);
  ASSERT_FALSE(kv_b.empty());
  EXPECT_FALSE(source->has_work());
  EXPECT_EQ(target->attach(a, kv_a, false), AttachOutcome::kWithKv);
  EXPECT_EQ(target->attach(b, kv_b, false), AttachOutcome::kRefused);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->num_computed, b->num_tokens() - 1) << "a refused request must come back untouched";
  EXPECT_EQ(target->attach(b, kv_b, true), AttachOutcome::kRecompute);
  for (int i = 0; i < 200 && target->has_work(); ++i) step(*target);
  EXPECT_FALSE(target->has_work());
  EXPECT_EQ(tokens_b, expected);
}

InstanceLoad load_of(int32_t running, int32_t used, int32_t total, double delay_s) {
  InstanceLoad l;
  l.num_running = running;
  l.num_kv_blocks_used = used;
  l.num_kv_blocks_total = total;
  l.max_seqs = 4;
  l.predicted_start_delay_s = delay_s;
  return l;
}

TEST(HandBackPlan, PicksTheLowWorkerWithRoomAndTheLeastDelay) {
  Request a = Request::with_prompt(1, 0.0, std::vector<int32_t>(40, 7), 64);  // 3 blocks with the next token
  Request b = a;
  b.id = 2;
  const std::vector<std::string> pools = {"high", "low", "low", "low"};
  std::vector<InstanceLoad> loads = {load_of(2, 10, 100, 0.0),   // HIGH: never a target
                                     load_of(4, 0, 100, 0.0),    // LOW, no sequence slot
                                     load_of(0, 95, 100, 0.01),  // LOW, room for one request only
                                     load_of(1, 0, 100, 0.05)};  // LOW, slower but roomy
  std::vector<const Request*> candidates = {&a, &b};
  // a goes to the least delayed LOW worker with room; that pick is booked, so b goes elsewhere.
  EXPECT_EQ(plan_hand_back(candidates, loads, pools), (std::vector<int>{2, 3}));
  loads[3] = load_of(4, 0, 100, 0.0);  // now only worker 2 has room, for one request
  EXPECT_EQ(plan_hand_back(candidates, loads, pools), (std::vector<int>{2, -1}));
  const std::vector<std::string> no_low = {"high", "high", "high", "high"};
  EXPECT_EQ(plan_hand_back(candidates, loads, no_low), (std::vector<int>{-1, -1}));
}

}  // namespace
}  // namespace asc::server
