// HTTP side of `ascendra bench`: the target server, one streamed request, and the start-up queries
// (model list, chat prompt calibration). cpp-httplib client; plain http only.
//
// Output length is requested as {"max_tokens": N, "ignore_eos": true}. Servers honour it as:
//   vLLM          max_tokens + ignore_eos (its sampling extension)
//   llama-server  max_tokens is an alias of its n_predict; ignore_eos adds -inf logit bias to the
//                 end-of-generation tokens (tools/server/server-schema.cpp)
//   ascendra      max_tokens + ignore_eos (server/openai_request.h)
// and every request is checked afterwards: the runner counts responses shorter than asked.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/request_record.h"
#include "engine/core/status.h"
#include "engine/workload/workload.h"
#include "server/bench_prompt.h"

namespace httplib {
class Client;
}

namespace asc::server {

enum class BenchEndpoint { kCompletions, kChat };

struct BenchTarget {
  std::string origin;       // "http://host:port"
  std::string path_prefix;  // "" or "/prefix" (a trailing /v1 is removed and added back per path)
  BenchEndpoint endpoint = BenchEndpoint::kCompletions;
  std::string model;        // sent as "model"
  std::string api_key;      // Authorization: Bearer, when non-empty
  double timeout_s = 600.0; // per-request read timeout
  /// "/prefix/v1/completions" or "/prefix/v1/chat/completions".
  std::string request_path() const;
};

/// Splits a URL "http://host[:port][/prefix]" into origin and prefix. kInvalidArgument otherwise
/// (https needs a TLS build of cpp-httplib, which this client does not use).
Status parse_bench_url(const std::string& url, BenchTarget& target);

/// A connected client with the bench's timeouts and TCP_NODELAY; keep-alive across requests.
std::unique_ptr<httplib::Client> make_bench_client(const BenchTarget& target);

/// What one streamed request produced besides its RequestRecord.
struct RequestExtras {
  std::optional<int32_t> usage_completion_tokens;
  std::optional<int32_t> usage_prompt_tokens;
  int32_t content_chunks = 0;
};

/// The JSON body for one request (stream, usage, max_tokens, ignore_eos, SLO fields when set).
std::string build_request_body(const BenchTarget& target, const workload::WorkloadRequest& request,
                               const PromptFactory& prompts);

/// Sends one request and streams the answer. Times are seconds since `epoch_s` on the steady
/// clock (the caller's run start). Never throws: HTTP errors, dropped connections and malformed
/// streams become a failed record with the reason in `error`.
RequestRecord send_request(httplib::Client& client, const BenchTarget& target,
                           const workload::WorkloadRequest& request, const std::string& body,
                           double epoch_s, RequestExtras* extras);

/// Seconds on the steady clock (the bench's only clock).
double steady_now_s();

/// Model id and vocabulary size (llama-server reports meta.n_vocab; 0 when unknown) from GET /v1/models.
struct ServerModelInfo {
  std::string id;
  int32_t n_vocab = 0;
};
StatusOr<ServerModelInfo> query_models(const BenchTarget& target);

/// Waits until GET /health answers 200 (llama-server and ascendra answer 503 while loading the
/// model). A 404 means the server has no health route: ready. kUnavailable after timeout_s.
Status wait_until_healthy(const BenchTarget& target, double timeout_s);

/// Non-streamed chat probe with max_tokens 1: the server's usage.prompt_tokens for `text`.
StatusOr<int32_t> probe_chat_prompt_tokens(const BenchTarget& target, const std::string& text);

}  // namespace asc::server
