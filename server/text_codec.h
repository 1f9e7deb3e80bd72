// TextCodec: everything the HTTP layer needs from a model's tokenizer and chat template.
//
// HTTP threads tokenize and render prompts (STYLE rule 5), so every method is const and must be safe
// to call from many threads at once. Streaming output is decoded by a per-request TokenDecoder that
// never splits a UTF-8 sequence across two pieces.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "server/openai_request.h"

namespace asc::server {

/// Turns generated token ids into text pieces for one request, in order.
class TokenDecoder {
 public:
  virtual ~TokenDecoder() = default;
  /// Text that became complete with this token (may be empty while a UTF-8 sequence is partial).
  virtual std::string push(int32_t token) = 0;
  /// Whatever is still held back at the end of the stream.
  virtual std::string flush() = 0;
};

class TextCodec {
 public:
  virtual ~TextCodec() = default;
  /// Renders chat messages with the model's template, ending with the assistant generation prompt.
  virtual StatusOr<std::string> render_chat(const std::vector<ChatMessage>& messages) const = 0;
  /// Tokenizes a prompt. Chat prompts (already rendered) parse special tokens; raw completion
  /// prompts get the model's BOS when it wants one.
  virtual StatusOr<std::vector<int32_t>> encode(const std::string& text, bool is_chat) const = 0;
  virtual std::unique_ptr<TokenDecoder> make_decoder() const = 0;
  /// True for end-of-generation tokens (EOS, EOT, im_end ...).
  virtual bool is_eog(int32_t token) const = 0;
  /// Every end-of-generation token id (copied into each Request's eos_ids).
  virtual std::vector<int32_t> eog_tokens() const = 0;
  virtual int32_t vocab_size() const = 0;
};

}  // namespace asc::server
