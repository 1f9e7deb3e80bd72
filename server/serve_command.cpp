// `ascendra serve`: options, start-up order and signal handling.
//
// Start-up: block SIGINT/SIGTERM in every thread (the mask is inherited), bind and start the HTTP
// listener (GET /health answers 503 while loading), load the model, build the instances, mark the
// server ready, then wait for a signal on this thread with sigwait -- no handler, no global flag.
// Shutdown: refuse new requests, let in-flight ones finish within --shutdown-grace-s, abort the
// rest with a final chunk, stop listening, exit 0.
#include <CLI/CLI.hpp>

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "engine/app/commands.h"
#include "engine/model/model_loader.h"
#include "server/http_server.h"
#include "server/model_text_codec.h"
#include "server/serve_engine.h"
#include "server/serve_options.h"

namespace asc::server {
namespace {

std::string default_model_name(const std::string& path) {
  std::filesystem::path p(path);
  if (p.has_filename() && p.extension() == ".gguf") return p.stem().string();
  return p.filename().empty() ? p.parent_path().filename().string() : p.filename().string();
}

/// The part of serve that needs the model: everything between "listening" and "ready".
struct LoadedEngine {
  std::unique_ptr<Model> model;
  std::unique_ptr<ModelTextCodec> codec;
  std::unique_ptr<EngineService> service;
  std::unique_ptr<ServingContext> context;
};

Status load_engine(const ServeOptions& o, const WallClock& clock, LoadedEngine& out) {
  auto model = load_model(o.model_path);
  if (!model) return model.status();
  out.model = std::move(*model);
  auto codec = ModelTextCodec::create(*out.model, o.chat_template);
  if (!codec) return codec.status();
  out.codec = std::move(*codec);
  auto engine = build_serve_engine(o, *out.model, clock);
  if (!engine) return engine.status();
  EngineServiceOptions so;
  so.max_queue = o.max_queue;
  so.hand_back = engine->hand_back;
  so.admission_model = engine->admission_model;
  const ModelTextCodec* codec_ptr = out.codec.get();
  out.service = std::make_unique<EngineService>(clock, std::move(engine->drivers), std::move(engine->router),
                                                [codec_ptr](int32_t t) { return codec_ptr->is_eog(t); }, so);
  ModelLimits limits{o.served_model_name, o.ctx_size, o.ttft_slo_ms / 1000.0, o.tbt_slo_ms / 1000.0};
  out.context = std::make_unique<ServingContext>(ServingContext{*out.service, *out.codec, limits});
  return Status::ok();
}

int run_serve(ServeOptions o) {
  if (o.served_model_name.empty()) o.served_model_name = default_model_name(o.model_path);
  if (Status valid = validate_policy_options(o); !valid.is_ok()) {
    std::fprintf(stderr, "ascendra serve: %s\n", valid.to_string().c_str());
    return 1;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a client that vanishes mid-write must not kill the process

  ServerMetrics metrics(o.served_model_name);
  HttpOptions http_options;
  http_options.api_key = o.api_key;
  http_options.max_body_bytes = static_cast<size_t>(o.max_body_mib) << 20;
  http_options.num_threads = o.http_threads;
  http_options.served_model_name = o.served_model_name;
  HttpServer http(http_options, metrics);
  StatusOr<int> port = http.bind(o.host, o.port);
  if (!port) {
    std::fprintf(stderr, "ascendra serve: %s\n", port.status().to_string().c_str());
    return 1;
  }
  std::thread listener([&http] { http.listen(); });
  std::fprintf(stderr, "ascendra serve: listening on http://%s:%d (loading %s)\n", o.host.c_str(), *port,
               o.model_path.c_str());
  WallClock clock;
  LoadedEngine engine;
  auto t0 = std::chrono::steady_clock::now();
  Status loaded = load_engine(o, clock, engine);
  if (!loaded.is_ok()) {
    std::fprintf(stderr, "ascendra serve: %s\n", loaded.to_string().c_str());
    http.shutdown(std::chrono::milliseconds(0));
    listener.join();
    return 1;
  }
  http.set_ready(engine.context.get());
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "ascendra serve: ready in %.2f s: model '%s', policy %s, %zu instance(s), ctx %d\n",
               load_s, o.served_model_name.c_str(), o.policy.c_str(), engine.service->num_workers(), o.ctx_size);
  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "ascendra serve: %s, draining (grace %.1f s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM",
               o.shutdown_grace_s);
  http.shutdown(std::chrono::milliseconds(static_cast<int64_t>(o.shutdown_grace_s * 1000)));
  listener.join();
  std::fprintf(stderr, "ascendra serve: stopped\n");
  return 0;
}

}  // namespace

void register_serve(CLI::App& app) {
  auto options = std::make_shared<ServeOptions>();
  ServeOptions& o = *options;
  CLI::App* sub = app.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API");
  sub->add_option("-m,--model", o.model_path, "GGUF file or Hugging Face folder")->required();
  sub->add_option("--host", o.host, "Address to bind (default 127.0.0.1)");
  sub->add_option("--port", o.port, "Port (default 8080; 0 picks a free one)")->check(CLI::Range(0, 65535));
  sub->add_option("--policy", o.policy, "Scheduling policy")->check(CLI::IsMember({"vllm", "sarathi", "ascendra"}));
  sub->add_option("--pools", o.pools, "Ascendra pools, e.g. low:2,high:1");
  sub->add_option("--policy-options", o.policy_options, "Ascendra options key=value,...");
  sub->add_option("--profile", o.profile,
                  "Ascendra performance model: a JSON from `ascendra profile -m MODEL --out FILE`. "
                  "Without it a short start-up profile runs on the CPU backend (24 small batches, a few seconds for a 135M "
                  "model) and each instance refines it online from its measured iterations");
  sub->add_option("--instances", o.instances, "Instances for vllm/sarathi (round robin)")->check(CLI::PositiveNumber);
  sub->add_option("--threads", o.threads, "Compute threads over all instances (0 = all cores)");
  sub->add_option("--ctx-size", o.ctx_size, "Context length per request (prompt + output)");
  sub->add_option("--max-seqs", o.max_seqs, "Running sequences per instance");
  sub->add_option("--max-batch-tokens", o.max_batch_tokens, "Tokens per iteration (0 = ctx-size)");
  sub->add_option("--chunk-size", o.chunk_size, "Chunked-prefill token budget (sarathi, ascendra)");
  sub->add_option("--kv-cache-mib", o.kv_cache_mib, "KV cache per instance in MiB");
  sub->add_option("--ttft-slo-ms", o.ttft_slo_ms, "Default TTFT objective (0 = none)")->check(CLI::NonNegativeNumber);
  sub->add_option("--tbt-slo-ms", o.tbt_slo_ms, "Default TBT objective (0 = none)")->check(CLI::NonNegativeNumber);
  sub->add_option("--api-key", o.api_key, "Require Authorization: Bearer KEY on /v1/*");
  sub->add_option("--max-queue", o.max_queue, "Waiting requests before 503 + Retry-After")->check(CLI::PositiveNumber);
  sub->add_flag("--admission-control", o.admission_control,
                "Refuse at once (429 + Retry-After) a request whose predicted TTFT, by the performance model at the "
                "current load, misses its TTFT objective (--ttft-slo-ms or the x-slo-ttft-ms header); any policy");
  sub->add_option("--served-model-name", o.served_model_name, "Model id in the API (default: file name)");
  sub->add_option("--http-threads", o.http_threads, "HTTP worker threads (each open stream holds one)")
      ->check(CLI::Range(4, 4096));
  sub->add_option("--max-body-mib", o.max_body_mib, "Largest request body (413 above)")->check(CLI::PositiveNumber);
  sub->add_option("--shutdown-grace-s", o.shutdown_grace_s, "On SIGTERM, time for in-flight requests")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--chat-template", o.chat_template, "Override the chat template family")
      ->check(CLI::IsMember({"chatml", "llama3", "llama2", "mistral"}));
  sub->callback([options] {
    const int rc = run_serve(*options);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace asc::server
