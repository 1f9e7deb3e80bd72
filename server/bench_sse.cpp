// SSE parsing and OpenAI stream chunk tracking for the load generator. Design note: the tracker
// counts a token when a chunk carries non-empty text (choices[0].text for completions,
// choices[0].delta.content for chat), as `vllm bench serve` does; the usage chunk's
// completion_tokens is kept separately so that the runner can report disagreements (servers that
// hold back partial UTF-8 or merge tokens into one chunk).
#include "server/bench_sse.h"

#include <nlohmann/json.hpp>

namespace asc::server {

void SseParser::feed(std::string_view bytes, const EventFn& on_event) {
  for (char c : bytes) {
    if (last_was_cr_) {
      last_was_cr_ = false;
      if (c == '\n') continue;  // the \n of a \r\n split across feeds or not: already handled
    }
    if (c == '\n' || c == '\r') {
      last_was_cr_ = c == '\r';
      handle_line(line_, on_event);
      line_.clear();
      continue;
    }
    line_.push_back(c);
  }
}

void SseParser::finish(const EventFn& on_event) {
  if (!line_.empty()) {
    handle_line(line_, on_event);
    line_.clear();
  }
  if (has_data_) on_event(data_);
  data_.clear();
  has_data_ = false;
}

void SseParser::handle_line(std::string_view line, const EventFn& on_event) {
  if (line.empty()) {  // dispatch
    if (has_data_) on_event(data_);
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // comment / keep-alive ping
  const size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field != "data") return;
  if (has_data_) data_.push_back('\n');
  data_.append(value);
  has_data_ = true;
}

namespace {

// Text carried by a chunk's first choice, chat or completions style; empty when none.
std::string_view chunk_text(const nlohmann::json& chunk) {
  const auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty()) return {};
  const nlohmann::json& choice = (*choices)[0];
  if (const auto text = choice.find("text"); text != choice.end() && text->is_string()) {
    return text->get_ref<const std::string&>();
  }
  if (const auto delta = choice.find("delta"); delta != choice.end() && delta->is_object()) {
    if (const auto content = delta->find("content"); content != delta->end() && content->is_string()) {
      return content->get_ref<const std::string&>();
    }
  }
  return {};
}

}  // namespace

void StreamTracker::on_event(std::string_view data, double now_s) {
  if (data == "[DONE]") {
    done_ = true;
    return;
  }
  nlohmann::json chunk = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (chunk.is_discarded() || !chunk.is_object()) {
    if (error_.empty()) error_ = "unparsable stream chunk: " + std::string(data.substr(0, 120));
    return;
  }
  if (const auto err = chunk.find("error"); err != chunk.end() && !err->is_null()) {
    if (error_.empty()) error_ = "server error in stream: " + err->dump().substr(0, 200);
    return;
  }
  if (!chunk_text(chunk).empty()) token_times_s_.push_back(now_s);
  if (const auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
    if (const auto c = usage->find("completion_tokens"); c != usage->end() && c->is_number_integer()) {
      usage_completion_tokens_ = c->get<int32_t>();
    }
    if (const auto p = usage->find("prompt_tokens"); p != usage->end() && p->is_number_integer()) {
      usage_prompt_tokens_ = p->get<int32_t>();
    }
  }
}

}  // namespace asc::server
