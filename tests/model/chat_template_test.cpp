// Chat templates: ChatML against llama.cpp's rendering of SmolLM2's real template (golden file),
// the other families against hand-written renderings of their published formats.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/model/chat_template.h"
#include "engine/model/gguf.h"

namespace asc {
namespace {

using Messages = std::vector<ChatMessage>;

const Messages kConversation = {{"system", "Be brief."},
                                {"user", "Hi there"},
                                {"assistant", "Hello!"},
                                {"user", "2+2?"}};

TEST(ChatTemplateTest, SmolLM2TemplateMatchesLlamaCpp) {
  const std::string model = ASC_SOURCE_DIR "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "model file absent: " << model;
  auto gguf = GgufFile::open(model);
  ASSERT_TRUE(gguf.is_ok()) << gguf.status().to_string();
  auto jinja = (*gguf)->get_string("tokenizer.chat_template");
  ASSERT_TRUE(jinja.is_ok());
  auto tmpl = ChatTemplate::from_template_string(*jinja);
  ASSERT_TRUE(tmpl.is_ok()) << tmpl.status().to_string();
  EXPECT_EQ(tmpl->kind(), ChatTemplateKind::kChatMl);
  EXPECT_EQ(tmpl->default_system_prompt(),
            "You are a helpful AI assistant named SmolLM, trained by Hugging Face");
  std::ifstream in(ASC_SOURCE_DIR "/tests/golden/smollm2_reference.json");
  ASSERT_TRUE(in.good());
  const auto golden = nlohmann::json::parse(in);
  ASSERT_GE(golden["chat_templates"].size(), 3u);
  for (const auto& c : golden["chat_templates"]) {
    Messages messages;
    for (const auto& m : c["messages"]) messages.push_back({m["role"], m["content"]});
    auto text = tmpl->render(messages, c["add_generation_prompt"].get<bool>());
    ASSERT_TRUE(text.is_ok()) << text.status().to_string();
    EXPECT_EQ(*text, c["rendered"].get<std::string>()) << c["name"];
  }
}

TEST(ChatTemplateTest, PlainChatMlHasNoDefaultSystem) {
  auto tmpl = ChatTemplate::from_template_string(
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
      "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}");
  ASSERT_TRUE(tmpl.is_ok());
  EXPECT_EQ(tmpl->default_system_prompt(), "");
  const Messages m = {{"user", "Hi"}};
  EXPECT_EQ(*tmpl->render(m, false), "<|im_start|>user\nHi<|im_end|>\n");
  EXPECT_EQ(*tmpl->render(m, true), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplateTest, QwenStyleDefaultSystemWithEscapedNewline) {
  auto tmpl = ChatTemplate::from_template_string(
      "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] "
      "+ '<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are Qwen.<|im_end|>\\n' }}"
      "{%- endif %}");
  ASSERT_TRUE(tmpl.is_ok());
  EXPECT_EQ(tmpl->default_system_prompt(), "You are Qwen.");
}

TEST(ChatTemplateTest, Llama3) {
  auto tmpl = ChatTemplate::from_template_string(
      "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
      "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}");
  ASSERT_TRUE(tmpl.is_ok());
  EXPECT_EQ(tmpl->kind(), ChatTemplateKind::kLlama3);
  EXPECT_EQ(*tmpl->render(kConversation, true),
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplateTest, Llama31DateHeader) {
  auto tmpl = ChatTemplate::from_template_string(
      "<|start_header_id|>system<|end_header_id|>\\n\\nCutting Knowledge Date: December 2023");
  ASSERT_TRUE(tmpl.is_ok());
  const Messages m = {{"user", " Hi "}};
  EXPECT_EQ(*tmpl->render(m, false),
            "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            "Today Date: 26 Jul 2024\n\n<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
}

TEST(ChatTemplateTest, Llama2FoldsSystemIntoFirstUserTurn) {
  auto tmpl = ChatTemplate::from_template_string(
      "{% if messages[0]['role'] == 'system' %}...<<SYS>>\\n' + system_message + '\\n<</SYS>>"
      "...{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}");
  ASSERT_TRUE(tmpl.is_ok());
  EXPECT_EQ(tmpl->kind(), ChatTemplateKind::kLlama2);
  EXPECT_EQ(*tmpl->render(kConversation, true),
            "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi there [/INST] Hello! </s>"
            "<s>[INST] 2+2? [/INST]");
}

TEST(ChatTemplateTest, Mistral) {
  auto tmpl = ChatTemplate::from_template_string(
      "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
      "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + "
      "eos_token }}{% endif %}{% endfor %}");
  ASSERT_TRUE(tmpl.is_ok());
  EXPECT_EQ(tmpl->kind(), ChatTemplateKind::kMistral);
  EXPECT_EQ(*tmpl->render(kConversation, true),
            "[INST] Be brief.\n\nHi there [/INST] Hello!</s>[INST] 2+2? [/INST]");
  const Messages bad = {{"user", "a"}, {"tool", "b"}};
  auto r = tmpl->render(bad, true);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(ChatTemplateTest, UnknownOrMissingTemplateIsAnError) {
  auto unknown = ChatTemplate::from_template_string("{{ '<start_of_turn>' + role }}");
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnimplemented);
  auto missing = ChatTemplate::from_template_string("");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ChatTemplate::from_name("zephyr").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ChatTemplate::from_name("chatml")->kind(), ChatTemplateKind::kChatMl);
}

TEST(ChatTemplateTest, RejectsEmptyConversationAndRole) {
  auto tmpl = ChatTemplate::from_name("chatml");
  ASSERT_TRUE(tmpl.is_ok());
  EXPECT_EQ(tmpl->render(Messages{}, true).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tmpl->render(Messages{{"", "x"}}, true).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace asc
