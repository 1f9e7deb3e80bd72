// `ascendra serve --policy ascendra --pools low:1,high:1` as a real process on the default model:
//   - bad --policy-options end start-up at once with one line on stderr and a non-zero exit;
//   - a request the LP instance's risk monitor offloads to HP before it starts streams normally,
//     its greedy output equals the same request's on a single sarathi instance, and /metrics counts
//     the offload;
//   - with migration=1 a request ticket entry put on HP is handed back to LP mid-decode with its KV
//     and streams the same text; /metrics counts the migration and shows each perf model's error;
//   - with --admission-control a request whose TTFT objective (x-slo-ttft-ms: 1) is below its
//     predicted solo prefill is refused at once with 429 and counted; requests without one stream.
// The offload is forced deterministically: --max-seqs 1 keeps the LP instance full with a first
// request, --ttft-slo-ms 1 puts every waiting request at risk, ticket=0 keeps new requests off HP.
// Skips when the binary or the model is absent.
#include <gtest/gtest.h>


#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/server/prometheus_parser.h"
#include "tests/server/serve_process.h"

namespace asc::server {
namespace {

using nlohmann::json;

/// `ascendra serve` on the default model with this file's common flags and `extra`.
bool spawn(ServeProcess& server, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--ctx-size", "512", "--served-model-name", "smol"};
  args.insert(args.end(), extra.begin(), extra.end());
  return server.spawn(kServeBinary, kServeModel, args);
}

struct Stream {
  int status = 0;
  std::vector<std::string> data;  // "data:" payloads in order, "[DONE]" included
  std::string text;               // concatenated completion text
  std::string finish_reason;
};

/// POSTs a streamed completion; `on_event` runs after every SSE event.
Stream stream_completion(int port, const json& body, const std::function<void()>& on_event = nullptr) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(120, 0);
  Stream out;
  std::string buffer;
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/completions";
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  req.response_handler = [&](const httplib::Response& res) {
    out.status = res.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    buffer.append(data, n);
    size_t end;
    while ((end = buffer.find("\n\n")) != std::string::npos) {
      std::string event = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      if (event.rfind("data: ", 0) != 0) continue;
      out.data.push_back(event.substr(6));
      if (out.data.back() != "[DONE]") {
        json chunk = json::parse(out.data.back());
        const json& choice = chunk["choices"][0];
        out.text += choice.value("text", "");
        if (!choice["finish_reason"].is_null()) out.finish_reason = choice["finish_reason"];
      }
      if (on_event) on_event();
    }
    return true;
  };
  auto res = cli.send(req);
  if (res && out.status == 0) out.status = res->status;
  return out;
}

json completion(const std::string& prompt, int max_tokens, bool ignore_eos) {
  return json{{"model", "smol"}, {"prompt", prompt}, {"max_tokens", max_tokens},
              {"temperature", 0},  {"stream", true},   {"ignore_eos", ignore_eos}};
}

/// GET /metrics, parsed (and checked) as Prometheus text.
prom::Exposition scrape(int port) {
  httplib::Client cli("127.0.0.1", port);
  prom::Exposition e;
  auto res = cli.Get("/metrics");
  EXPECT_TRUE(res && res->status == 200);
  if (res) {
    EXPECT_EQ(prom::parse_exposition(res->body, e), "") << res->body;
  }
  return e;
}

/// Values of every series of `name`.
std::vector<double> values_of(const prom::Exposition& e, const std::string& name) {
  std::vector<double> out;
  for (const prom::Sample& s : e.samples) {
    if (s.name == name) out.push_back(s.value);
  }
  return out;
}

const char* const kPrompt = "The three primary colours of light are";
constexpr int kMaxTokens = 24;

TEST(AscendraServe, BadPolicyOptionsExitAtStartWithOneLine) {
  std::string why;
  if (!serve_prerequisites(why)) GTEST_SKIP() << why;
  ServeProcess server;
  ASSERT_TRUE(spawn(server, {"--policy", "ascendra", "--pools", "low:1,high:1", "--policy-options", "bogus=1"}));
  const int status = server.wait_exit(20000);
  ASSERT_NE(status, ServeProcess::kRunning) << "the server kept running with bad --policy-options";
  EXPECT_GT(status, 0);
  const std::string err = server.stderr_text();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("--policy-options"), std::string::npos) << err;
  EXPECT_NE(err.find("bogus"), std::string::npos) << err;
}

// The reference stream: the request alone on one sarathi instance with one compute thread.
void stream_on_sarathi(bool ignore_eos, Stream& out) {
  ServeProcess sarathi;
  ASSERT_TRUE(spawn(sarathi, {"--policy", "sarathi", "--threads", "1"}));
  ASSERT_TRUE(sarathi.wait_ready());
  out = stream_completion(sarathi.port(), completion(kPrompt, kMaxTokens, ignore_eos));
  ASSERT_EQ(out.status, 200);
  ASSERT_FALSE(out.text.empty());
}

TEST(AscendraServe, OffloadedRequestStreamsLikeSarathi) {
  std::string why;
  if (!serve_prerequisites(why)) GTEST_SKIP() << why;
  // Reference: the request alone on one sarathi instance with one compute thread (each ascendra
  // instance below also gets one: --threads 2 over two instances).
  Stream reference;
  ASSERT_NO_FATAL_FAILURE(stream_on_sarathi(false, reference));
  ServeProcess server;
  ASSERT_TRUE(spawn(server, {"--policy", "ascendra", "--pools", "low:1,high:1", "--threads", "2", "--max-seqs",
                            "1", "--ttft-slo-ms", "1", "--policy-options", "ticket=0"}));
  ASSERT_TRUE(server.wait_ready());
  // A long request occupies the only LP sequence slot; once it streams, the next request can only
  // wait on LP, where the risk monitor moves it to HP.
  std::atomic<bool> first_streaming{false};
  Stream occupant;
  std::thread occupant_thread([&] {
    occupant = stream_completion(server.port(), completion("Once upon a time", 160, true),
                                 [&] { first_streaming.store(true); });
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!first_streaming.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(first_streaming.load()) << server.stderr_text();
  Stream moved = stream_completion(server.port(), completion(kPrompt, kMaxTokens, false));
  occupant_thread.join();

  const prom::Exposition metrics = scrape(server.port());
  EXPECT_EQ(values_of(metrics, "ascendra_offloads_total"), std::vector<double>{1.0});
  EXPECT_EQ(values_of(metrics, "ascendra_migrations_total"), std::vector<double>{0.0});

  ASSERT_EQ(moved.status, 200);
  ASSERT_FALSE(moved.data.empty());
  EXPECT_EQ(moved.data.back(), "[DONE]");
  EXPECT_EQ(moved.finish_reason, reference.finish_reason);
  // Same content without a gap or a duplicate: the text is compared whole. The number of SSE events
  // is not compared: the server coalesces the tokens that reached a stream's channel between two
  // writes into one chunk, so the event count depends on timing.
  EXPECT_EQ(moved.text, reference.text);
  EXPECT_EQ(occupant.status, 200);
  EXPECT_EQ(occupant.finish_reason, "length");
}

// migration=1: ticket entry puts the request on HP; with --max-seqs 2 its one running decode closes
// the HP ticket, so the hand-back rule moves it, with its KV, to LP mid-decode.
TEST(AscendraServe, HandedBackRequestStreamsLikeSarathi) {
  std::string why;
  if (!serve_prerequisites(why)) GTEST_SKIP() << why;
  Stream reference;
  ASSERT_NO_FATAL_FAILURE(stream_on_sarathi(true, reference));
  ServeProcess server;
  ASSERT_TRUE(spawn(server, {"--policy", "ascendra", "--pools", "low:1,high:1", "--threads", "2", "--max-seqs",
                            "2", "--policy-options", "migration=1", "--admission-control"}));
  ASSERT_TRUE(server.wait_ready());
  Stream moved = stream_completion(server.port(), completion(kPrompt, kMaxTokens, true));
  httplib::Client cli("127.0.0.1", server.port());
  auto refused = cli.Post("/v1/completions", {{"x-slo-ttft-ms", "1"}}, completion(kPrompt, 4, false).dump(),
                          "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429) << refused->body;
  EXPECT_EQ(json::parse(refused->body)["error"]["code"], "slo_unattainable");

  const prom::Exposition metrics = scrape(server.port());
  EXPECT_EQ(metrics.sum("ascendra_requests_rejected_total"), 1.0);
  EXPECT_EQ(values_of(metrics, "ascendra_migrations_total"), std::vector<double>{1.0});
  EXPECT_EQ(values_of(metrics, "ascendra_offloads_total"), std::vector<double>{0.0});
  // Both instances refined their performance model on measured iterations.
  const std::vector<double> mape = values_of(metrics, "ascendra_perf_model_mape");
  ASSERT_EQ(mape.size(), 2u);
  for (double m : mape) EXPECT_GE(m, 0.0);

  ASSERT_EQ(moved.status, 200);
  ASSERT_FALSE(moved.data.empty());
  EXPECT_EQ(moved.data.back(), "[DONE]");
  EXPECT_EQ(moved.finish_reason, "length");
  EXPECT_EQ(moved.text, reference.text);  // no gap, no duplicate
}

}  // namespace
}  // namespace asc::server
