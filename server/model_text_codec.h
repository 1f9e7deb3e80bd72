// ModelTextCodec: the TextCodec of a real model -- its Tokenizer (GGUF or Hugging Face metadata),
// its chat template family and a streaming Detokenizer per request.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/model/chat_template.h"
#include "engine/model/model_loader.h"
#include "engine/model/tokenizer.h"
#include "server/text_codec.h"

namespace asc::server {

class ModelTextCodec final : public TextCodec {
 public:
  /// Builds the tokenizer from the model's metadata and recognises its chat template;
  /// `template_override` ("chatml", "llama3", ...) replaces the model's. A model without a usable
  /// template still serves /v1/completions; chat requests then get a 400 saying why.
  static StatusOr<std::unique_ptr<ModelTextCodec>> create(const Model& model,
                                                          const std::string& template_override = "");

  StatusOr<std::string> render_chat(const std::vector<ChatMessage>& messages) const override;
  StatusOr<std::vector<int32_t>> encode(const std::string& text, bool is_chat) const override;
  std::unique_ptr<TokenDecoder> make_decoder() const override;
  bool is_eog(int32_t token) const override { return tokenizer_->is_eog(token); }
  std::vector<int32_t> eog_tokens() const override { return eog_; }
  int32_t vocab_size() const override { return tokenizer_->vocab_size(); }

  const Tokenizer& tokenizer() const { return *tokenizer_; }

  /// Use create(); `chat_status` says why `chat` is empty.
  ModelTextCodec(std::unique_ptr<Tokenizer> tokenizer, std::optional<ChatTemplate> chat,
                 Status chat_status);

 private:
  std::unique_ptr<Tokenizer> tokenizer_;
  std::optional<ChatTemplate> chat_;
  Status chat_status_;          // why chat_ is empty
  std::vector<int32_t> eog_;    // every end-of-generation id
};

}  // namespace asc::server
