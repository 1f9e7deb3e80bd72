#include "server/model_text_codec.h"

#include <span>
#include <utility>

#include "engine/model/gguf.h"
#include "engine/model/tokenizer_detokenizer.h"

namespace asc::server {
namespace {

class DetokenizerDecoder final : public TokenDecoder {
 public:
  explicit DetokenizerDecoder(const Tokenizer& tokenizer) : detok_(tokenizer) {}
  std::string push(int32_t token) override { return detok_.push(token); }
  std::string flush() override { return detok_.flush(); }

 private:
  Detokenizer detok_;
};

}  // namespace

ModelTextCodec::ModelTextCodec(std::unique_ptr<Tokenizer> tokenizer,
                               std::optional<ChatTemplate> chat, Status chat_status)
    : tokenizer_(std::move(tokenizer)), chat_(std::move(chat)), chat_status_(std::move(chat_status)) {
  for (int32_t id = 0; id < tokenizer_->vocab_size(); ++id) {
    if (tokenizer_->is_eog(id)) eog_.push_back(id);
  }
}

StatusOr<std::unique_ptr<ModelTextCodec>> ModelTextCodec::create(const Model& model,
                                                                 const std::string& template_override) {
  StatusOr<std::unique_ptr<Tokenizer>> tokenizer =
      model.gguf() ? Tokenizer::from_gguf(*model.gguf()) : Tokenizer::from_hf_folder(model.path());
  if (!tokenizer) return tokenizer.status();
  StatusOr<ChatTemplate> chat = template_override.empty()
                                    ? ChatTemplate::from_template_string((*tokenizer)->chat_template())
                                    : ChatTemplate::from_name(template_override);
  std::optional<ChatTemplate> chat_value;
  Status chat_status;
  if (chat) chat_value = std::move(*chat);
  else chat_status = chat.status();
  return std::make_unique<ModelTextCodec>(std::move(*tokenizer), std::move(chat_value),
                                          std::move(chat_status));
}

StatusOr<std::string> ModelTextCodec::render_chat(const std::vector<ChatMessage>& messages) const {
  if (!chat_) {
    return invalid_argument("this model has no usable chat template (" + chat_status_.message() +
                            "); use /v1/completions");
  }
  return chat_->render(std::span<const ChatMessage>(messages), /*add_generation_prompt=*/true);
}

StatusOr<std::vector<int32_t>> ModelTextCodec::encode(const std::string& text, bool /*is_chat*/) const {
  // Rendered chat prompts carry control tokens (<|im_start|>); raw prompts may too, as in
  // llama.cpp's and vLLM's servers. BOS is added when the vocabulary asks for it.
  return tokenizer_->encode(text, /*add_special=*/true, /*parse_special=*/true);
}

std::unique_ptr<TokenDecoder> ModelTextCodec::make_decoder() const {
  return std::make_unique<DetokenizerDecoder>(*tokenizer_);
}

}  // namespace asc::server
