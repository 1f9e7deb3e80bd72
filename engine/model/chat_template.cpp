// Chat template families (see chat_template.h for the exact formats).
#include "engine/model/chat_template.h"

namespace asc {
namespace {

constexpr std::string_view kLlama31Header =
    "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";

std::string trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
                                            c == '\f' || c == '\v'; };
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

/// Jinja string-literal escapes that can appear in a constant system prompt.
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char c = s[++i];
      out.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

/// The constant text of '<|im_start|>system\n...<|im_end|>' in a ChatML template, or "".
std::string find_default_system(std::string_view jinja) {
  for (std::string_view head : {"<|im_start|>system\n", "<|im_start|>system\\n"}) {
    size_t pos = 0;
    while ((pos = jinja.find(head, pos)) != std::string_view::npos) {
      const size_t begin = pos + head.size();
      const size_t end = jinja.find("<|im_end|>", begin);
      pos = begin;
      if (end == std::string_view::npos) break;
      const std::string_view text = jinja.substr(begin, end - begin);
      // Only a constant: no expression, no string concatenation, no quote.
      if (text.empty() || text.find_first_of("'\"+{}") != std::string_view::npos) continue;
      return unescape(text);
    }
  }
  return std::string();
}

Status check_roles(std::span<const ChatMessage> messages) {
  if (messages.empty()) return invalid_argument("chat: no messages");
  for (const ChatMessage& m : messages) {
    if (m.role.empty()) return invalid_argument("chat: a message has an empty role");
  }
  return Status::ok();
}

}  // namespace

StatusOr<ChatTemplate> ChatTemplate::from_template_string(std::string_view jinja) {
  if (jinja.empty()) {
    return invalid_argument("the model has no chat template (tokenizer.chat_template); "
                            "use a raw prompt or name a template");
  }
  if (jinja.find("<|im_start|>") != std::string_view::npos) {
    ChatTemplate t(ChatTemplateKind::kChatMl);
    t.default_system_ = find_default_system(jinja);
    return t;
  }
  if (jinja.find("<|start_header_id|>") != std::string_view::npos) {
    ChatTemplate t(ChatTemplateKind::kLlama3);
    t.llama31_date_header_ = jinja.find("Cutting Knowledge Date") != std::string_view::npos;
    return t;
  }
  if (jinja.find("[INST]") != std::string_view::npos) {
    const bool sys = jinja.find("<<SYS>>") != std::string_view::npos;
    return ChatTemplate(sys ? ChatTemplateKind::kLlama2 : ChatTemplateKind::kMistral);
  }
  return unimplemented("unrecognised chat template (supported: ChatML, Llama-3, Llama-2, "
                       "Mistral); template starts with: " +
                       std::string(jinja.substr(0, 80)));
}

StatusOr<ChatTemplate> ChatTemplate::from_name(std::string_view name) {
  if (name == "chatml") return ChatTemplate(ChatTemplateKind::kChatMl);
  if (name == "llama3") return ChatTemplate(ChatTemplateKind::kLlama3);
  if (name == "llama2") return ChatTemplate(ChatTemplateKind::kLlama2);
  if (name == "mistral") return ChatTemplate(ChatTemplateKind::kMistral);
  return invalid_argument("unknown chat template name '" + std::string(name) +
                          "' (chatml, llama3, llama2, mistral)");
}

const char* ChatTemplate::name() const {
  switch (kind_) {
    case ChatTemplateKind::kChatMl: return "chatml";
    case ChatTemplateKind::kLlama3: return "llama3";
    case ChatTemplateKind::kLlama2: return "llama2";
    case ChatTemplateKind::kMistral: return "mistral";
  }
  return "unknown";
}

StatusOr<std::string> ChatTemplate::render(std::span<const ChatMessage> messages,
                                           bool add_generation_prompt) const {
  ASC_RETURN_IF_ERROR(check_roles(messages));
  switch (kind_) {
    case ChatTemplateKind::kChatMl: return render_chatml(messages, add_generation_prompt);
    case ChatTemplateKind::kLlama3: return render_llama3(messages, add_generation_prompt);
    case ChatTemplateKind::kLlama2:
    case ChatTemplateKind::kMistral: return render_inst(messages);
  }
  return internal_error("chat: bad template kind");
}

std::string ChatTemplate::render_chatml(std::span<const ChatMessage> messages,
                                        bool add_generation_prompt) const {
  std::string out;
  if (!default_system_.empty() && messages.front().role != "system") {
    out += "<|im_start|>system\n" + default_system_ + "<|im_end|>\n";
  }
  for (const ChatMessage& m : messages) {
    out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  }
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

std::string ChatTemplate::render_llama3(std::span<const ChatMessage> messages,
                                        bool add_generation_prompt) const {
  const auto block = [](std::string_view role, std::string_view content) {
    return "<|start_header_id|>" + std::string(role) + "<|end_header_id|>\n\n" +
           std::string(content) + "<|eot_id|>";
  };
  std::string out;
  size_t first = 0;
  if (llama31_date_header_) {
    std::string system(kLlama31Header);
    if (messages.front().role == "system") {
      system += trim(messages.front().content);
      first = 1;
    }
    out += block("system", system);
  }
  for (size_t i = first; i < messages.size(); ++i) {
    out += block(messages[i].role, trim(messages[i].content));
  }
  if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

StatusOr<std::string> ChatTemplate::render_inst(std::span<const ChatMessage> messages) const {
  const bool llama2 = kind_ == ChatTemplateKind::kLlama2;
  std::string system;
  size_t first = 0;
  if (messages.front().role == "system") {
    system = messages.front().content;
    first = 1;
  }
  std::string out;
  bool first_user = true;
  for (size_t i = first; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (m.role == "user") {
      std::string content = llama2 ? trim(m.content) : m.content;
      if (first_user && !system.empty()) {
        content = llama2 ? "<<SYS>>\n" + trim(system) + "\n<</SYS>>\n\n" + content
                         : system + "\n\n" + content;
      }
      out += (first_user || !llama2 ? "" : "<s>");
      out += "[INST] " + content + " [/INST]";
      first_user = false;
    } else if (m.role == "assistant") {
      out += llama2 ? " " + trim(m.content) + " </s>" : " " + m.content + "</s>";
    } else {
      return invalid_argument("chat: role '" + m.role + "' is not supported by the " +
                              std::string(name()) + " template (system first, then user/assistant)");
    }
  }
  return out;
}

}  // namespace asc
