// Prompts of a requested length for `ascendra bench`.
//
// completions endpoint: the prompt is an array of token ids drawn uniformly (seeded per request)
//   from [kFirstSafeTokenId, min(n_vocab, kMaxSafeTokenId)). Low ids hold control, special and
//   byte tokens in the common vocabularies (llama, GPT-2, SmolLM2); ids past 32000 hold the
//   specials of larger vocabularies (Llama 3's start at 128000), so the default stays below them.
//   The server sees exactly the requested number of tokens (plus a BOS it may add itself).
// chat endpoint: the prompt is text made of common English words that are one token each (with
//   their leading space) in the usual BPE vocabularies. The chat template adds tokens around it,
//   so the runner calibrates against the server before the run: two probe requests of different
//   word counts give tokens_per_word (slope) and template_overhead (intercept) from the server's own
//   usage.prompt_tokens; word counts are then solved from the target length. The report header
//   states the calibration and the mean measured prompt-length error of the run.
// With --tokenizer (the model's GGUF, read with engine/model/tokenizer.h), prompts are exact on the
//   client side too: token ids skip control tokens, and chat text is grown or trimmed word by word
//   until the message content encodes to exactly (target - template overhead) tokens, the overhead
//   being measured by the probe as usage.prompt_tokens - tokens of the probe's content.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace asc {
class Tokenizer;
}

namespace asc::server {

inline constexpr int32_t kFirstSafeTokenId = 1000;
inline constexpr int32_t kMaxSafeTokenId = 32000;

/// Linear model of chat prompt length: tokens = overhead + tokens_per_word * words.
struct ChatCalibration {
  double tokens_per_word = 1.0;
  double template_overhead = 0.0;
  bool measured = false;  // false: the defaults above, not a measurement
};

class PromptFactory {
 public:
  /// n_vocab <= 0 means unknown (the safe range then ends at kMaxSafeTokenId).
  PromptFactory(uint64_t seed, int32_t n_vocab, ChatCalibration calibration);

  /// [prompt_tokens] token ids for request `request_id`; deterministic in (seed, request_id).
  std::vector<int32_t> token_ids(uint64_t request_id, int32_t prompt_tokens) const;
  /// Text whose chat-templated length approximates prompt_tokens (see the calibration note).
  std::string chat_text(uint64_t request_id, int32_t prompt_tokens) const;
  /// Text of exactly `num_words` words (used by the calibration probes).
  std::string words(uint64_t request_id, int32_t num_words) const;
  /// Uses the model's tokenizer for exact lengths (see above); its vocabulary bounds the ids.
  void set_tokenizer(std::shared_ptr<const Tokenizer> tokenizer);
  const Tokenizer* tokenizer() const { return tokenizer_.get(); }

  int32_t first_token_id() const { return first_id_; }
  int32_t end_token_id() const { return end_id_; }
  const ChatCalibration& calibration() const { return calibration_; }
  /// The same factory with its prompt contents drawn from another stream (`salt`): lengths and
  /// calibration are unchanged, every prompt's tokens differ.
  PromptFactory salted(uint64_t salt) const;

 private:
  uint64_t seed_;
  int32_t first_id_;
  int32_t end_id_;  // exclusive
  ChatCalibration calibration_;
  std::shared_ptr<const Tokenizer> tokenizer_;  // optional
};

/// Fits tokens = overhead + slope * words from two probes (words_a != words_b).
ChatCalibration fit_chat_calibration(int32_t words_a, int32_t tokens_a, int32_t words_b, int32_t tokens_b);

}  // namespace asc::server
