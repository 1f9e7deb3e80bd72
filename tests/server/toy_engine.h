// A small, real, deterministic engine for the server tests: a byte-level TextCodec and a Backend
// whose "model" is a fixed function of (last token, position), run by the real Instance and the
// real vllm policy. It lets the HTTP layer be tested end to end in milliseconds without a model
// file; the tests against the real model live in serve_binary_test.cpp.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/backend.h"
#include "engine/core/instance.h"
#include "engine/sched/policy.h"
#include "server/core_instance_driver.h"
#include "server/engine_service.h"
#include "server/text_codec.h"

namespace asc::server::toy {

// Token ids: 0..255 are bytes, 256 is EOS.
inline constexpr int32_t kEos = 256;
inline constexpr int32_t kVocab = 257;
// The toy model ends every sequence at this position (so long requests finish with "stop").
inline constexpr int32_t kEosPosition = 96;

/// The toy model's next token after `last` at position `pos` (a lowercase letter or a space).
inline int32_t next_token(int32_t last, int32_t pos) {
  if (pos >= kEosPosition) return kEos;
  int32_t v = (last * 31 + pos * 7 + 3) % 27;
  return v == 26 ? ' ' : 'a' + v;
}

class ByteDecoder final : public TokenDecoder {
 public:
  std::string push(int32_t token) override {
    return token >= 0 && token < 256 ? std::string(1, static_cast<char>(token)) : std::string();
  }
  std::string flush() override { return {}; }
};

class ByteCodec final : public TextCodec {
 public:
  StatusOr<std::string> render_chat(const std::vector<ChatMessage>& messages) const override {
    std::string out;
    for (const ChatMessage& m : messages) out += "<" + m.role + ">" + m.content + "\n";
    return out + "<assistant>";
  }
  StatusOr<std::vector<int32_t>> encode(const std::string& text, bool) const override {
    std::vector<int32_t> ids;
    for (unsigned char c : text) ids.push_back(c);
    return ids;
  }
  std::unique_ptr<TokenDecoder> make_decoder() const override {
    return std::make_unique<ByteDecoder>();
  }
  bool is_eog(int32_t token) const override { return token == kEos; }
  std::vector<int32_t> eog_tokens() const override { return {kEos}; }
  int32_t vocab_size() const override { return kVocab; }
};

class ToyBackend final : public Backend {
 public:
  ToyBackend(int32_t num_blocks, std::chrono::microseconds step_time)
      : num_blocks_(num_blocks), step_time_(step_time) {}
  StatusOr<StepResult> execute(const StepPlan& plan) override {
    StepResult r;
    for (const StepRow& row : plan.rows) {
      int32_t last_pos = row.start_pos + row.num_tokens - 1;
      r.tokens.push_back(row.sample ? next_token(row.tokens.back(), last_pos + 1) : -1);
    }
    if (step_time_.count() > 0) std::this_thread::sleep_for(step_time_);
    return r;
  }
  int32_t num_kv_blocks() const override { return num_blocks_; }
  std::string name() const override { return "toy"; }
  size_t kv_block_bytes() const override { return 0; }
  Status export_kv_blocks(std::span<const int32_t>, std::vector<uint8_t>&) override {
    return unimplemented("toy backend keeps no KV");
  }
  Status import_kv_blocks(std::span<const int32_t>, std::span<const uint8_t>) override {
    return unimplemented("toy backend keeps no KV");
  }

 private:
  int32_t num_blocks_;
  std::chrono::microseconds step_time_;
};

/// The greedy output of the toy model for a prompt, computed directly (the independent reference).
inline std::string reference_output(const std::vector<int32_t>& prompt, int32_t max_tokens) {
  std::string out;
  int32_t last = prompt.back();
  for (int32_t pos = static_cast<int32_t>(prompt.size()); static_cast<int32_t>(out.size()) < max_tokens;
       ++pos) {
    int32_t t = next_token(last, pos);
    if (t == kEos) break;
    out += static_cast<char>(t);
    last = t;
  }
  return out;
}

struct ToyOptions {
  int num_instances = 1;
  int32_t num_blocks = 512;
  int32_t max_seqs = 64;
  int32_t max_queue = 1024;
  std::chrono::microseconds step_time{500};
  std::string policy = "vllm";
  /// With a model: each instance predicts with (and refines) its own copy, and the service runs
  /// admission control with another (EngineServiceOptions::admission_model).
  const PerfModel* admission_model = nullptr;
};

/// N toy instances behind an EngineService with round-robin routing.
inline std::unique_ptr<EngineService> make_toy_service(const ToyOptions& o, const WallClock& clock,
                                                      int32_t ctx_size) {
  std::vector<std::unique_ptr<InstanceDriver>> drivers;
  for (int i = 0; i < o.num_instances; ++i) {
    PolicyContext pc;
    pc.config.max_seqs = o.max_seqs;
    pc.config.max_model_len = ctx_size;
    auto policy = make_policy(o.policy, pc);
    ASC_CHECK(policy.is_ok());
    InstanceConfig ic;
    ic.name = std::to_string(i);
    ic.scheduler = pc.config;
    auto own = o.admission_model ? std::make_unique<PerfModel>(*o.admission_model) : nullptr;
    auto instance = std::make_unique<Instance>(std::make_unique<ToyBackend>(o.num_blocks, o.step_time),
                                               std::move(*policy), ic, own.get());
    drivers.push_back(std::make_unique<CoreInstanceDriver>(std::move(instance), clock, "default", std::move(own)));
  }
  EngineServiceOptions so;
  so.max_queue = o.max_queue;
  if (o.admission_model) so.admission_model = std::make_shared<const PerfModel>(*o.admission_model);
  return std::make_unique<EngineService>(clock, std::move(drivers), make_round_robin_router(),
                                         [](int32_t t) { return t == kEos; }, so);
}

}  // namespace asc::server::toy
