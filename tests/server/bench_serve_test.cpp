// `ascendra bench` against the real `ascendra serve` (the built binary and the default model).
// Skips with a message when either is absent. Small on purpose: 4 short requests.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "server/bench_options.h"
#include "tests/server/serve_process.h"

namespace asc::server {
namespace {

TEST(BenchServeTest, CompletesShortRequestsAgainstAscendraServe) {
  std::string why;
  if (!serve_prerequisites(why)) GTEST_SKIP() << why;
  ServeProcess serve;
  ASSERT_TRUE(serve.spawn(kServeBinary, kServeModel, {"--threads", "1"}));
  ASSERT_TRUE(serve.wait_ready(120));
  const int port = serve.port();
  const std::string trace = (std::filesystem::temp_directory_path() / "asc_bench_serve_trace.csv").string();
  {
    std::ofstream out(trace);
    out << "num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio\n16,4,20,4\n24,3,27,8\n";
  }
  BenchOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(port);
  o.trace_path = trace;
  o.qps = 2.0;
  o.num_requests = 4;
  o.progress = false;
  o.request_timeout_s = 120.0;
  o.json_path = (std::filesystem::temp_directory_path() / "asc_bench_serve.json").string();
  ASSERT_EQ(run_bench(o), 0);
  std::ifstream in(o.json_path);
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["completed"], 4);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["client"]["short_outputs"], 0);
  EXPECT_EQ(j["client"]["missing_usage"], 0);
}

}  // namespace
}  // namespace asc::server
