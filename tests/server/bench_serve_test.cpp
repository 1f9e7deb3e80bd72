// `ascendra bench` against the real `ascendra serve` (the built binary and the default model).
// Skips with a message when either is absent. Small on purpose: 4 short requests.
#include <gtest/gtest.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "server/bench_options.h"
#include "tests/server/free_port.h"

extern char** environ;

namespace asc::server {
namespace {

// Runs `ascendra serve` for the lifetime of the object.
class ServeProcess {
 public:
  ServeProcess(const std::string& binary, const std::string& model, int port) {
    std::vector<std::string> args = {binary, "serve", "-m", model, "--host", "127.0.0.1", "--port",
                                     std::to_string(port), "--threads", "1"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, binary.c_str(), nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~ServeProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  bool started() const { return pid_ > 0; }
  bool running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

bool wait_ready(int port, const ServeProcess& process, int seconds) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1, 0);
  for (int i = 0; i < seconds * 4; ++i) {
    if (!process.running()) return false;
    // /health, not /v1/models: ascendra lists its model while the weights are still loading.
    if (auto res = client.Get("/health"); res && res->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return false;
}

TEST(BenchServeTest, CompletesShortRequestsAgainstAscendraServe) {
  const std::string binary = std::string(ASC_BINARY_DIR) + "/ascendra";
  const std::string model = std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(binary)) GTEST_SKIP() << "ascendra binary absent at " << binary;
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "model absent at " << model << " (scripts/fetch-models.sh)";
  const int port = free_port();
  ServeProcess serve(binary, model, port);
  ASSERT_GT(port, 0);
  ASSERT_TRUE(serve.started());
  ASSERT_TRUE(wait_ready(port, serve, 120)) << "ascendra serve did not answer GET /health with 200";
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
