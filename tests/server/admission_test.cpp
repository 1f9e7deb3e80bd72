// Admission control in the server (`ascendra serve --admission-control`, EngineServiceOptions::
// admission_model): a request whose best predicted TTFT -- the least predicted start delay the
// workers publish plus its own solo prefill -- misses its TTFT objective is refused at once with
// kDeadlineExceeded (HTTP 429 + Retry-After, code "slo_unattainable"); requests without an
// objective, or that can still make it, are admitted; with the option off nothing is refused.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "engine/cluster/dual_pool.h"
#include "engine/core/gpu_profiles.h"
#include "tests/server/server_test_util.h"

namespace asc::server {
namespace {

const PerfModel& a100() {
  static const PerfModel model = *builtin_profile("a100-llama-3.1-8b");
  return model;
}

/// A worker whose published load is fixed: `delay_s` before it could start a new request. It
/// holds what it is given (never steps), so only admission is under test.
class FixedLoadDriver final : public InstanceDriver {
 public:
  explicit FixedLoadDriver(double delay_s) : delay_s_(delay_s) {}
  Status submit(std::unique_ptr<Request> request) override {
    held_.push_back(std::move(request));
    return Status::ok();
  }
  void abort(RequestId) override {}
  bool has_work() const override { return false; }
  Status step(double, std::vector<DriverEvent>&) override { return Status::ok(); }
  InstanceLoad load() const override {
    InstanceLoad l;
    l.max_seqs = 8;
    l.num_kv_blocks_total = 100;
    l.predicted_start_delay_s = delay_s_;
    return l;
  }
  std::string name() const override { return "fixed"; }

 private:
  double delay_s_;
  std::vector<std::unique_ptr<Request>> held_;
};

std::unique_ptr<EngineService> service_with_delays(const WallClock& clock, std::vector<double> delays,
                                                   bool admission) {
  std::vector<std::unique_ptr<InstanceDriver>> drivers;
  for (double d : delays) drivers.push_back(std::make_unique<FixedLoadDriver>(d));
  EngineServiceOptions so;
  if (admission) so.admission_model = std::make_shared<const PerfModel>(a100());
  return std::make_unique<EngineService>(clock, std::move(drivers), make_round_robin_router(),
                                         [](int32_t) { return false; }, so);
}

std::unique_ptr<Request> request_with_ttft(const WallClock& clock, int32_t prompt, double ttft_s) {
  auto r = std::make_unique<Request>(Request::with_length(1, clock.now_s(), prompt, 4));
  r->ttft_slo_s = ttft_s;
  return r;
}

TEST(Admission, RefusesOnlyWhatTheBestWorkerIsPredictedToMiss) {
  WallClock clock;
  const double solo = a100().predict_prefill_s(1000);
  // Workers 0.5 s and 0.2 s from free: the best predicted TTFT is 0.2 s + the solo prefill.
  auto service = service_with_delays(clock, {0.5, 0.2}, true);
  StatusOr<std::shared_ptr<RequestChannel>> late = service->submit(request_with_ttft(clock, 1000, 0.2 + solo - 0.02));
  ASSERT_FALSE(late.is_ok());
  EXPECT_EQ(late.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(late.status().message().find("TTFT objective of"), std::string::npos) << late.status().message();
  EXPECT_TRUE(service->submit(request_with_ttft(clock, 1000, 0.2 + solo + 0.1)).is_ok());
  EXPECT_TRUE(service->submit(request_with_ttft(clock, 1000, 0.0)).is_ok());  // no objective
  EXPECT_EQ(service->num_rejected(), 1);
  EXPECT_EQ(service->num_rejected_for_slo(), 1);
  EXPECT_EQ(service->num_queued(), 2) << "a refused request must not hold a queue slot";

  // The same request against the rule the simulator's dispatcher applies.
  Request same = Request::with_length(1, 0.0, 1000, 4);
  same.ttft_slo_s = 0.2 + solo - 0.02;
  EXPECT_EQ(admission_check(same, a100(), 0.2, 0.0).code(), StatusCode::kDeadlineExceeded);
  same.ttft_slo_s = 0.2 + solo + 0.1;
  EXPECT_TRUE(admission_check(same, a100(), 0.2, 0.0).is_ok());
}

TEST(Admission, OffAdmitsEverything) {
  WallClock clock;
  auto service = service_with_delays(clock, {5.0}, false);
  EXPECT_TRUE(service->submit(request_with_ttft(clock, 1000, 0.01)).is_ok());
  EXPECT_EQ(service->num_rejected(), 0);
}

TEST(Admission, HttpAnswers429WithRetryAfterAndServesWhatCanMakeIt) {
  toy::ToyOptions engine;
  engine.admission_model = &a100();  // predicts >= 8 ms for any prefill
  toy::ToyServer server(engine);
  httplib::Client cli = server.client();
  auto body = toy::completion_body("hello", 8, false);
  auto refused = cli.Post("/v1/completions", {{"x-slo-ttft-ms", "1"}}, body, "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
  auto error = nlohmann::json::parse(refused->body)["error"];
  EXPECT_EQ(error["code"], "slo_unattainable");
  EXPECT_NE(error["message"].get<std::string>().find("TTFT objective of 1 ms"), std::string::npos) << error;

  for (const httplib::Headers& headers : {httplib::Headers{{"x-slo-ttft-ms", "60000"}}, httplib::Headers{}}) {
    auto served = cli.Post("/v1/completions", headers, body, "application/json");
    ASSERT_TRUE(served);
    EXPECT_EQ(served->status, 200) << served->body;
    EXPECT_EQ(nlohmann::json::parse(served->body)["choices"][0]["text"],
              toy::reference_completion(server.codec(), "hello", 8));
  }
  EXPECT_EQ(server.service().num_rejected_for_slo(), 1);
  auto metrics = cli.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("ascendra_requests_rejected_total{code=\"429\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace asc::server
