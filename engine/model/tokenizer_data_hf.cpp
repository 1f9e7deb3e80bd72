// TokenizerData from a Hugging Face tokenizer folder (tokenizer.json + tokenizer_config.json).
//
// Only byte-level BPE tokenizers are read (model.type "BPE" with a ByteLevel pre-tokenizer); the
// pre-tokenizer family is recognised from its regex / Digits settings. Added tokens become
// control tokens (special: true) or user-defined tokens.
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/model/tokenizer_data.h"

namespace asc {
namespace {

using nlohmann::json;

StatusOr<json> read_json(const std::string& path, bool required) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (required) return not_found("cannot open " + path);
    return json();
  }
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument(path + ": not valid JSON");
  return j;
}

/// Recognises the pre-tokenizer family from the serialized pre_tokenizer section.
StatusOr<std::string> detect_pre(const json& pre) {
  const std::string s = pre.dump();
  if (s.find("ByteLevel") == std::string::npos) {
    return unimplemented("tokenizer.json: only ByteLevel BPE pre-tokenizers are supported");
  }
  if (s.find(R"(\\p{N}{1,3})") != std::string::npos) return std::string("llama3");
  if (s.find(R"(\\p{N}| ?)") != std::string::npos) return std::string("qwen2");
  if (s.find("\"Digits\"") != std::string::npos &&
      s.find("\"individual_digits\":true") != std::string::npos) {
    return std::string("smollm");
  }
  if (s.find("\"Split\"") != std::string::npos) {
    return unimplemented("tokenizer.json: unrecognised Split pre-tokenizer regex");
  }
  return std::string("gpt2");
}

/// A special token named in tokenizer_config.json: a string or {"content": ...}.
std::string token_name(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    return v["content"].get<std::string>();
  }
  return std::string();
}

Status read_vocab(const json& model, TokenizerData& d) {
  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    return invalid_argument("tokenizer.json: model.vocab missing");
  }
  for (const auto& [text, id_json] : model["vocab"].items()) {
    if (!id_json.is_number_integer()) return invalid_argument("tokenizer.json: bad vocab id");
    const int64_t id = id_json.get<int64_t>();
    if (id < 0 || id > (1 << 24)) return invalid_argument("tokenizer.json: vocab id out of range");
    if (static_cast<size_t>(id) >= d.tokens.size()) {
      d.tokens.resize(id + 1);
      d.types.resize(id + 1, TokenType::kUnused);
    }
    d.tokens[id] = text;
    d.types[id] = TokenType::kNormal;
  }
  if (model.contains("merges") && model["merges"].is_array()) {
    for (const json& m : model["merges"]) {
      if (m.is_string()) {
        d.merges.push_back(m.get<std::string>());
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        d.merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
      } else {
        return invalid_argument("tokenizer.json: bad merge entry");
      }
    }
  }
  return Status::ok();
}

Status read_added_tokens(const json& added, TokenizerData& d) {
  if (!added.is_array()) return Status::ok();
  for (const json& t : added) {
    if (!t.contains("id") || !t["id"].is_number_integer() || !t.contains("content")) {
      return invalid_argument("tokenizer.json: bad added_tokens entry");
    }
    const int64_t id = t["id"].get<int64_t>();
    if (id < 0 || id > (1 << 24)) return invalid_argument("tokenizer.json: added token id out of range");
    if (static_cast<size_t>(id) >= d.tokens.size()) {
      d.tokens.resize(id + 1);
      d.types.resize(id + 1, TokenType::kUnused);
    }
    d.tokens[id] = t["content"].get<std::string>();
    d.types[id] = t.value("special", false) ? TokenType::kControl : TokenType::kUserDefined;
  }
  return Status::ok();
}

int32_t id_of(const TokenizerData& d, const std::string& text) {
  if (text.empty()) return kNoToken;
  for (size_t i = 0; i < d.tokens.size(); ++i) {
    if (d.tokens[i] == text) return static_cast<int32_t>(i);
  }
  return kNoToken;
}

void apply_config(const json& cfg, TokenizerData& d) {
  if (!cfg.is_object()) return;
  d.bos_id = id_of(d, token_name(cfg.value("bos_token", json())));
  d.eos_id = id_of(d, token_name(cfg.value("eos_token", json())));
  d.unk_id = id_of(d, token_name(cfg.value("unk_token", json())));
  d.pad_id = id_of(d, token_name(cfg.value("pad_token", json())));
  if (cfg.contains("add_bos_token") && cfg["add_bos_token"].is_boolean()) {
    d.add_bos = cfg["add_bos_token"].get<bool>() && d.bos_id != kNoToken;
  }
  if (cfg.contains("add_eos_token") && cfg["add_eos_token"].is_boolean()) {
    d.add_eos = cfg["add_eos_token"].get<bool>() && d.eos_id != kNoToken;
  }
  const json& tmpl = cfg.value("chat_template", json());
  if (tmpl.is_string()) {
    d.chat_template = tmpl.get<std::string>();
  } else if (tmpl.is_array()) {  // named templates: take "default"
    for (const json& t : tmpl) {
      if (t.value("name", "") == "default" && t.contains("template")) {
        d.chat_template = t["template"].get<std::string>();
      }
    }
  }
}

}  // namespace

StatusOr<TokenizerData> tokenizer_data_from_hf_folder(const std::string& folder) {
  auto tok = read_json(folder + "/tokenizer.json", true);
  if (!tok) return tok.status();
  auto cfg = read_json(folder + "/tokenizer_config.json", false);
  if (!cfg) return cfg.status();
  const json& model = tok->value("model", json());
  if (!model.is_object() || model.value("type", "") != "BPE") {
    return unimplemented(folder + "/tokenizer.json: only BPE models are supported");
  }
  if (model.value("byte_fallback", false)) {
    return unimplemented(folder + "/tokenizer.json: SentencePiece-style BPE (byte_fallback) is "
                         "supported from GGUF only");
  }
  TokenizerData d;
  d.model = TokenizerModel::kByteBpe;
  d.add_space_prefix = false;
  auto pre = detect_pre(tok->value("pre_tokenizer", json()));
  if (!pre) return pre.status();
  d.pre = *pre;
  d.add_bos = d.pre == "llama3";
  ASC_RETURN_IF_ERROR(read_vocab(model, d));
  ASC_RETURN_IF_ERROR(read_added_tokens(tok->value("added_tokens", json()), d));
  apply_config(*cfg, d);
  if (d.add_bos && d.bos_id == kNoToken) d.add_bos = false;
  ASC_RETURN_IF_ERROR(validate_tokenizer_data(d));
  return d;
}

}  // namespace asc
