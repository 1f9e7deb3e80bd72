// Benchmark (prints figures): time to first token of a 1-token prompt through the HTTP server
// (loopback, streaming, client-side clock) versus the same iteration run in-process on an Instance.
// The difference is the server's overhead: parsing, admission, the engine thread hand-off, SSE.
// Opt-in (ASC_HTTP_OVERHEAD=1) so the suite stays fast; skips without the default model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "engine/cpu/backend_factory.h"
#include "engine/model/model_loader.h"
#include "server/model_text_codec.h"
#include "tests/server/server_test_util.h"

namespace asc::server {
namespace {

const std::string kModel = std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
constexpr int kReps = 40;
constexpr int kThreads = 2;

/// The q-quantile (nearest rank) of v.
double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

std::unique_ptr<Instance> make_instance(const Model& model, const std::string& name) {
  PolicyContext pc;
  pc.config.max_model_len = 512;
  pc.config.max_batch_tokens = 512;
  auto backend = cpu::make_cpu_backend(model, kThreads, size_t(32) << 20, 512);
  EXPECT_TRUE(backend.is_ok()) << backend.status().to_string();
  InstanceConfig ic;
  ic.name = name;
  ic.scheduler = pc.config;
  return std::make_unique<Instance>(std::move(*backend), make_policy("vllm", pc).value(), ic);
}

TEST(HttpOverhead, TtftOfOneTokenPromptServerVsInProcess) {
  if (std::getenv("ASC_HTTP_OVERHEAD") == nullptr) {
    GTEST_SKIP() << "benchmark: run with ASC_HTTP_OVERHEAD=1 (prints the figure)";
  }
  if (!std::filesystem::exists(kModel)) GTEST_SKIP() << "no model " << kModel << " (scripts/fetch-models.sh)";
  auto model = load_model(kModel);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  const int32_t prompt_token = 504;  // an ordinary word piece

  // In-process: submit + one iteration (prefill of 1 token, sample) on an Instance directly.
  // Through the server: HttpServer + EngineService over an identical instance, loopback client.
  // The two are measured alternately so that load from other processes hits both alike.
  std::unique_ptr<Instance> direct = make_instance(**model, "direct");
  WallClock clock;
  auto codec = ModelTextCodec::create(**model);
  ASSERT_TRUE(codec.is_ok());
  std::vector<std::unique_ptr<InstanceDriver>> drivers;
  drivers.push_back(std::make_unique<CoreInstanceDriver>(make_instance(**model, "0"), clock, "default"));
  EngineService service(clock, std::move(drivers), make_round_robin_router(), [](int32_t) { return false; }, {});
  ServerMetrics metrics("smol");
  HttpOptions http_options;
  http_options.served_model_name = "smol";
  HttpServer http(http_options, metrics);
  int port = *http.bind("127.0.0.1", 0);
  ServingContext context{service, **codec, ModelLimits{"smol", 512}};
  http.set_ready(&context);
  std::thread listener([&] { http.listen(); });
  std::string body = R"({"prompt":[504],"max_tokens":1,"temperature":0,"stream":true,"ignore_eos":true})";
  std::vector<double> in_process, via_http;
  for (int r = 0; r < kReps; ++r) {
    double t0 = clock.now_s(), first = -1;
    auto req = std::make_unique<Request>(Request::with_prompt(r + 1, t0, {prompt_token}, 1));
    ASSERT_TRUE(direct->submit(std::move(req)).is_ok());
    while (direct->has_work()) direct->step(clock.now_s());
    for (const EngineEvent& e : direct->take_events()) {
      if (e.kind == EngineEventKind::kToken && first < 0) first = clock.now_s();
    }
    direct->take_finished();
    in_process.push_back(first - t0);

    t0 = clock.now_s();
    first = -1;
    toy::post_stream(port, "/v1/completions", body, {}, [&](const toy::StreamResult& s) {
      if (!s.data.empty() && first < 0) first = clock.now_s();
      return true;
    });
    via_http.push_back(first - t0);
  }
  http.shutdown(std::chrono::milliseconds(0));
  listener.join();
  std::vector<double> added;  // per rep: the HTTP request minus the in-process step just before it
  for (size_t i = 0; i < via_http.size(); ++i) added.push_back(via_http[i] - in_process[i]);
  double a = quantile(in_process, 0.5) * 1e3, b = quantile(via_http, 0.5) * 1e3;
  std::printf("[http overhead] 1-token prompt TTFT p50: in-process %.3f ms, through HTTP %.3f ms, "
              "added %.3f ms (target < 2 ms; %d reps, %d threads)\n", a, b, b - a, kReps, kThreads);
  std::printf("[http overhead] p90: in-process %.3f ms, through HTTP %.3f ms; paired added p50 %.3f ms, "
              "p90 %.3f ms\n", quantile(in_process, 0.9) * 1e3, quantile(via_http, 0.9) * 1e3,
              quantile(added, 0.5) * 1e3, quantile(added, 0.9) * 1e3);
  EXPECT_GT(b, 0.0);  // the figure is the product, printed above
}

}  // namespace
}  // namespace asc::server
