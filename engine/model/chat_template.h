// Chat templates: render {role, content} messages into a prompt string for the model's format.
//
// Models ship a Jinja template (tokenizer.chat_template). We do not run Jinja: we recognise the
// family from marker substrings and render it with fixed code, checked against llama.cpp's
// rendering of the real template (tests/golden/smollm2_reference.json).
//   ChatML (SmolLM2, Qwen):  "<|im_start|>" -> <|im_start|>{role}\n{content}<|im_end|>\n ...
//       plus <|im_start|>assistant\n when add_generation_prompt. A constant default system
//       prompt written in the template ('<|im_start|>system\n...<|im_end|>') is inserted when the
//       first message is not a system message (SmolLM2: "You are a helpful AI assistant named
//       SmolLM, trained by Hugging Face").
//   Llama-3: "<|start_header_id|>" -> <|start_header_id|>{role}<|end_header_id|>\n\n{trimmed
//       content}<|eot_id|> ..., then <|start_header_id|>assistant<|end_header_id|>\n\n.
//       Templates with the Llama-3.1 "Cutting Knowledge Date" header always get that system block.
//   Llama-2: "[INST]" and "<<SYS>>" -> [INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST]
//       {assistant} </s><s>[INST] {user} [/INST] (contents stripped).
//   Mistral: "[INST]" without "<<SYS>>" -> [INST] {system}\n\n{user} [/INST] {assistant}</s>
//       [INST] {user} [/INST].
// The leading BOS is never rendered: the tokenizer adds it (add_bos), so it is not doubled.
// Render the output with Tokenizer::encode(text, add_special=true, parse_special=true).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace asc {

struct ChatMessage {
  std::string role;     // "system", "user", "assistant" (ChatML and Llama-3 accept any role)
  std::string content;
};

enum class ChatTemplateKind { kChatMl, kLlama3, kLlama2, kMistral };

class ChatTemplate {
 public:
  /// Recognises the family of a Jinja template string. INVALID_ARGUMENT when the string is empty
  /// (the model has no template), UNIMPLEMENTED when no known family matches.
  static StatusOr<ChatTemplate> from_template_string(std::string_view jinja);
  /// A family by name: "chatml", "llama3", "llama2", "mistral" (for a --chat-template override).
  static StatusOr<ChatTemplate> from_name(std::string_view name);

  /// The prompt for `messages`. INVALID_ARGUMENT for an empty list, an empty role, or roles the
  /// format cannot express (Llama-2/Mistral: only system first, then user/assistant).
  StatusOr<std::string> render(std::span<const ChatMessage> messages,
                               bool add_generation_prompt) const;

  ChatTemplateKind kind() const { return kind_; }
  /// "chatml", "llama3", "llama2" or "mistral".
  const char* name() const;
  /// The system prompt inserted when the conversation has none (empty: none).
  const std::string& default_system_prompt() const { return default_system_; }

 private:
  explicit ChatTemplate(ChatTemplateKind kind) : kind_(kind) {}

  std::string render_chatml(std::span<const ChatMessage> messages, bool add_generation_prompt) const;
  std::string render_llama3(std::span<const ChatMessage> messages, bool add_generation_prompt) const;
  StatusOr<std::string> render_inst(std::span<const ChatMessage> messages) const;

  ChatTemplateKind kind_;
  std::string default_system_;
  bool llama31_date_header_ = false;
};

}  // namespace asc
