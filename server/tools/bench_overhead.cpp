// bench_overhead: measures the load generator's own cost, so that `ascendra bench` is known not to
// be the bottleneck. A trivial in-process SSE server answers every request with one token at once;
// the bench client sends 1-token requests at a fixed rate (default 200 req/s). Both sides read the
// same steady clock, so
//   client overhead = client TTFT - (server first write - server handler entry)
// is everything the client and the HTTP stack add: serialising and sending the request, parsing
// it on the server, and receiving and parsing the SSE chunk. Prints percentiles; exits 0.
//
// Usage: bench_overhead [--qps 200] [--num-requests 2000] [--prompt-tokens 16]
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "engine/core/report.h"
#include "server/bench_runner.h"

namespace {

struct Options {
  double qps = 200.0;
  size_t num_requests = 2000;
  int32_t prompt_tokens = 16;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--qps") == 0) o.qps = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--num-requests") == 0) o.num_requests = std::strtoul(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--prompt-tokens") == 0) o.prompt_tokens = std::atoi(argv[i + 1]);
  }
  return o;
}

// Server-side handler entry and first-write times per x-request-id, seconds on the steady clock.
class ServerTimes {
 public:
  void record(const std::string& id, double entry_s, double write_s) {
    std::lock_guard<std::mutex> lock(mutex_);
    times_[id] = write_s - entry_s;
  }
  double handling_s(uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = times_.find(std::to_string(id));
    return it == times_.end() ? -1.0 : it->second;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, double> times_;
};

void install_handler(httplib::Server& server, ServerTimes& times) {
  server.Post("/v1/completions", [&times](const httplib::Request& req, httplib::Response& res) {
    const double entry_s = asc::server::steady_now_s();
    const std::string id = req.get_header_value("x-request-id");
    res.set_chunked_content_provider("text/event-stream", [&times, id, entry_s](size_t, httplib::DataSink& sink) {
      static constexpr char kToken[] = "data: {\"choices\":[{\"index\":0,\"text\":\" a\"}]}\n\n";
      static constexpr char kTail[] =
          "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":16,\"completion_tokens\":1}}\n\n"
          "data: [DONE]\n\n";
      times.record(id, entry_s, asc::server::steady_now_s());
      sink.write(kToken, sizeof(kToken) - 1);
      sink.write(kTail, sizeof(kTail) - 1);
      sink.done();
      return true;
    });
  });
}

void print_stat(const char* name, const std::vector<double>& v_s) {
  std::printf("%-34s p50 %8.3f ms   p90 %8.3f ms   p99 %8.3f ms\n", name, asc::percentile(v_s, 50) * 1e3,
              asc::percentile(v_s, 90) * 1e3, asc::percentile(v_s, 99) * 1e3);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(256); };  // httplib owns the queue
  server.set_tcp_nodelay(true);
  ServerTimes times;
  install_handler(server, times);
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread listener([&server] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  std::vector<asc::workload::WorkloadRequest> requests =
      [&] {
        std::vector<double> arrivals = asc::workload::poisson_arrivals(o.num_requests, o.qps, 1);
        std::vector<asc::workload::WorkloadRequest> w(arrivals.size());
        for (size_t i = 0; i < w.size(); ++i) {
          w[i].id = i;
          w[i].arrival_s = arrivals[i];
          w[i].prompt_tokens = o.prompt_tokens;
          w[i].output_tokens = 1;
        }
        return w;
      }();
  asc::server::BenchRunConfig config;
  (void)asc::server::parse_bench_url("http://127.0.0.1:" + std::to_string(port), config.target);
  const asc::server::PromptFactory prompts(1, 0, asc::server::ChatCalibration{});
  const asc::server::BenchRunResult r = asc::server::run_bench_workload(config, requests, prompts);
  server.stop();
  listener.join();

  std::vector<double> ttft, handling, overhead;  // seconds, successful requests
  size_t failed = 0;
  for (const asc::RequestRecord& rec : r.records) {
    const double h = times.handling_s(rec.id);
    if (!rec.success || rec.token_times_s.empty() || h < 0.0) {
      ++failed;
      continue;
    }
    ttft.push_back(rec.token_times_s[0] - rec.arrival_s);
    handling.push_back(h);
    overhead.push_back(ttft.back() - h);
  }
  std::printf("bench_overhead: %zu requests of 1 output token at %.1f req/s (Poisson), prompt %d ids\n",
              requests.size(), o.qps, o.prompt_tokens);
  std::printf("achieved %.1f req/s over %.2f s, %zu failed\n",
              static_cast<double>(r.records.size() - failed) / r.duration_s, r.duration_s, failed);
  print_stat("client TTFT", ttft);
  print_stat("server handling (entry->write)", handling);
  print_stat("client overhead (TTFT-handling)", overhead);
  print_stat("dispatch lag (send - schedule)", r.dispatch_lag_s);
  return failed == 0 ? 0 : 1;
}
