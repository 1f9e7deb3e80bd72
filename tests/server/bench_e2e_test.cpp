// `ascendra bench` end to end against an in-test SSE server with fixed token timing and scripted
// faults: records match the known timings, errors are failed records, nothing crashes.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/core/report.h"
#include "server/bench_options.h"
#include "server/bench_runner.h"
#include "tests/server/bench_test_server.h"

namespace asc::server {
namespace {

using testing::BenchTestServer;

constexpr int kFirstTokenMs = 40;
constexpr int kGapMs = 15;

workload::WorkloadRequest wreq(uint64_t id, double arrival_s, int32_t prompt, int32_t output) {
  workload::WorkloadRequest w;
  w.id = id;
  w.arrival_s = arrival_s;
  w.prompt_tokens = prompt;
  w.output_tokens = output;
  w.ttft_slo_s = 0.5;
  w.tbt_slo_s = 0.1;
  return w;
}

BenchTarget target_for(const BenchTestServer& server) {
  BenchTarget t;
  EXPECT_TRUE(parse_bench_url(server.url(), t).is_ok());
  t.model = "test-model";
  t.timeout_s = 10.0;
  return t;
}

TEST(BenchE2eTest, RecordsMatchServerTimingAndFaultsAreFailures) {
  BenchTestServer server{std::chrono::milliseconds(kFirstTokenMs), std::chrono::milliseconds(kGapMs)};
  std::vector<workload::WorkloadRequest> w = {
      wreq(0, 0.00, 30, 4), wreq(1, 0.02, 31, 4), wreq(2, 0.04, 32, testing::kErrorMaxTokens),
      wreq(3, 0.06, 33, testing::kDropMaxTokens), wreq(4, 0.08, 34, testing::kMidErrorTokens),
      wreq(5, 0.10, 35, 1), wreq(6, 0.12, 36, 6)};
  const PromptFactory prompts(3, 5000, ChatCalibration{});
  const BenchRunResult r = run_bench_workload(BenchRunConfig{target_for(server), 0, false, ""}, w, prompts);
  ASSERT_EQ(r.records.size(), w.size());
  // The server's own timeline is the reference: its sleeps may overshoot on a loaded machine, but
  // the client must see each token shortly after it was written, never before.
  const auto timelines = server.timelines();
  double server_gap_sum = 0.0;
  size_t server_gaps = 0;
  for (size_t i : {0u, 1u, 5u, 6u}) {
    const RequestRecord& rec = r.records[i];
    ASSERT_TRUE(rec.success) << i << ": " << rec.error;
    ASSERT_EQ(rec.token_times_s.size(), static_cast<size_t>(w[i].output_tokens));
    EXPECT_EQ(rec.num_output_tokens, w[i].output_tokens);
    const BenchTestServer::Timeline& tl = timelines.at(std::to_string(i));
    ASSERT_EQ(tl.writes_s.size(), rec.token_times_s.size());
    const double client_ttft_ms = (rec.token_times_s[0] - rec.arrival_s) * 1e3;
    const double server_ttft_ms = (tl.writes_s[0] - tl.entry_s) * 1e3;
    EXPECT_GE(server_ttft_ms, kFirstTokenMs - 1.0);
    EXPECT_GE(client_ttft_ms, server_ttft_ms) << i;
    EXPECT_LE(client_ttft_ms, server_ttft_ms + 50.0) << i;
    for (size_t k = 1; k < rec.token_times_s.size(); ++k) {
      const double client_gap_ms = (rec.token_times_s[k] - rec.token_times_s[k - 1]) * 1e3;
      const double server_gap_ms = (tl.writes_s[k] - tl.writes_s[k - 1]) * 1e3;
      EXPECT_GE(server_gap_ms, kGapMs - 1.0);
      EXPECT_NEAR(client_gap_ms, server_gap_ms, 30.0) << i << " gap " << k;
      server_gap_sum += server_gap_ms;
      ++server_gaps;
    }
    EXPECT_GE(rec.arrival_s, w[i].arrival_s);  // never sent early
  }
  EXPECT_NE(r.records[2].error.find("HTTP 500"), std::string::npos) << r.records[2].error;
  EXPECT_FALSE(r.records[3].success);
  EXPECT_LE(r.records[3].token_times_s.size(), 2u);
  EXPECT_FALSE(r.records[4].success);
  EXPECT_NE(r.records[4].error.find("engine failed"), std::string::npos) << r.records[4].error;
  EXPECT_EQ(r.usage_mismatches, 0u);
  EXPECT_EQ(r.short_outputs, 0u);
  const Report rep = compute_report(r.records, r.duration_s);
  EXPECT_EQ(rep.completed, 4u);
  EXPECT_EQ(rep.failed, 3u);
  // Mean of the per-request TPOTs vs the mean server gap: both average out delivery jitter.
  EXPECT_NEAR(rep.tpot.mean_ms, server_gap_sum / static_cast<double>(server_gaps), 8.0);
  EXPECT_NEAR(rep.slo_attainment, 4.0 / 7.0, 1e-12);  // 500 ms / 100 ms objectives are easy here
  // What went over the wire.
  const auto bodies = server.bodies();
  ASSERT_TRUE(bodies.count("1"));
  const nlohmann::json& b = bodies.at("1");
  EXPECT_EQ(b["max_tokens"], 4);
  EXPECT_EQ(b["ignore_eos"], true);
  EXPECT_EQ(b["stream"], true);
  EXPECT_EQ(b["stream_options"]["include_usage"], true);
  EXPECT_EQ(b["prompt"].size(), 31u);
  EXPECT_EQ(b["model"], "test-model");
  EXPECT_DOUBLE_EQ(b["ttft_slo_ms"].get<double>(), 500.0);
}

TEST(BenchE2eTest, UnreachableServerGivesFailedRecordsNotACrash) {
  BenchTarget t;
  ASSERT_TRUE(parse_bench_url("http://127.0.0.1:1", t).is_ok());  // nothing listens on port 1
  const PromptFactory prompts(0, 0, ChatCalibration{});
  std::vector<workload::WorkloadRequest> w = {wreq(0, 0.0, 5, 2), wreq(1, 0.001, 5, 2)};
  const BenchRunResult r = run_bench_workload(BenchRunConfig{t, 1, false, ""}, w, prompts);
  ASSERT_EQ(r.records.size(), 2u);
  for (const RequestRecord& rec : r.records) {
    EXPECT_FALSE(rec.success);
    EXPECT_NE(rec.error.find("connection"), std::string::npos) << rec.error;
  }
}

TEST(BenchE2eTest, WaitsForHealthBeforeStarting) {
  BenchTestServer server{std::chrono::milliseconds(1), std::chrono::milliseconds(1)};
  BenchTarget t = target_for(server);
  EXPECT_TRUE(wait_until_healthy(t, 10.0).is_ok());  // 503 twice, then 200
  BenchTarget nobody;
  ASSERT_TRUE(parse_bench_url("http://127.0.0.1:1", nobody).is_ok());
  const Status st = wait_until_healthy(nobody, 0.3);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
}

std::string write_trace(const std::string& name) {
  const std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream out(path);
  out << "num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio\n";
  for (int i = 0; i < 20; ++i) out << 40 + 13 * i << "," << 2 + i % 4 << ",0,0\n";
  return path;
}

TEST(BenchE2eTest, SweepWritesJsonWithCapacitiesAndPerRequestCsv) {
  BenchTestServer server(std::chrono::milliseconds(5), std::chrono::milliseconds(2));
  BenchOptions o;
  o.url = server.url();
  o.trace_path = write_trace("asc_bench_sweep_trace.csv");
  o.sweep = "20:60:20";
  o.num_requests = 8;
  o.ttft_slo_ms = 1000.0;
  o.tbt_slo_ms = 1000.0;
  o.progress = false;
  o.json_path = (std::filesystem::temp_directory_path() / "asc_bench_sweep.json").string();
  o.per_request_path = (std::filesystem::temp_directory_path() / "asc_bench_sweep.csv").string();
  ASSERT_EQ(run_bench(o), 0);
  std::ifstream in(o.json_path);
  const nlohmann::json j = nlohmann::json::parse(in);
  ASSERT_EQ(j["runs"].size(), 3u);
  EXPECT_DOUBLE_EQ(j["runs"][2]["qps"].get<double>(), 60.0);
  EXPECT_EQ(j["runs"][0]["completed"], 8);
  EXPECT_DOUBLE_EQ(j["runs"][0]["slo_attainment"].get<double>(), 1.0);
  EXPECT_TRUE(j["capacity_qps_90"].is_null());  // never falls below 90% in range
  EXPECT_EQ(j["bench"]["model"], "test-model");
  EXPECT_TRUE(j["runs"][0].contains("client"));
  std::ifstream csv(o.per_request_path);
  std::string line;
  size_t lines = 0;
  while (std::getline(csv, line)) ++lines;
  EXPECT_EQ(lines, 1u + 3u * 8u);
}

TEST(BenchE2eTest, ChatPromptsAreCalibratedAgainstTheServer) {
  BenchTestServer server(std::chrono::milliseconds(1), std::chrono::milliseconds(1));
  BenchOptions o;
  o.url = server.url() + "/v1";
  o.trace_path = write_trace("asc_bench_chat_trace.csv");
  o.endpoint = "chat";
  o.qps = 50.0;
  o.num_requests = 10;
  o.progress = false;
  o.json_path = (std::filesystem::temp_directory_path() / "asc_bench_chat.json").string();
  ASSERT_EQ(run_bench(o), 0);
  std::ifstream in(o.json_path);
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["completed"], 10);
  // The server counts one token per word plus a 12-token template: calibration makes it exact.
  EXPECT_LT(j["client"]["prompt_tokens_mean_abs_error"].get<double>(), 0.5);
  EXPECT_NE(j["bench"]["prompt_lengths"].get<std::string>().find("overhead 12.0"), std::string::npos);
}

TEST(BenchE2eTest, BadOptionsReturnAnErrorCode) {
  BenchOptions o;
  o.url = "https://example.com";
  o.trace_path = write_trace("asc_bench_bad_trace.csv");
  o.progress = false;
  EXPECT_EQ(run_bench(o), 1);
  o.url = "http://127.0.0.1:1";
  o.replay_timestamps = true;  // metron trace has no timestamps
  EXPECT_EQ(run_bench(o), 1);
}

}  // namespace
}  // namespace asc::server
