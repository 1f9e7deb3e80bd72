// TokenizerData from GGUF metadata, and its validation.
#include "engine/model/tokenizer_data.h"

#include "engine/model/gguf.h"

namespace asc {
namespace {

/// An optional integer key: kNoToken when absent, the error when present but malformed.
StatusOr<int32_t> optional_id(const GgufFile& gguf, const char* key) {
  if (!gguf.has_key(key)) return kNoToken;
  auto v = gguf.get_int(key);
  if (!v) return v.status();
  if (*v < -1 || *v > INT32_MAX) return invalid_argument(std::string(key) + " out of range");
  return static_cast<int32_t>(*v);
}

StatusOr<bool> optional_bool(const GgufFile& gguf, const char* key, bool fallback) {
  if (!gguf.has_key(key)) return fallback;
  return gguf.get_bool(key);
}

Status read_special_ids(const GgufFile& gguf, TokenizerData& d) {
  struct Key { const char* name; int32_t* id; };
  const Key keys[] = {
      {"tokenizer.ggml.bos_token_id", &d.bos_id}, {"tokenizer.ggml.eos_token_id", &d.eos_id},
      {"tokenizer.ggml.eot_token_id", &d.eot_id}, {"tokenizer.ggml.eom_token_id", &d.eom_id},
      {"tokenizer.ggml.unknown_token_id", &d.unk_id},
      {"tokenizer.ggml.padding_token_id", &d.pad_id}};
  for (const Key& k : keys) {
    auto v = optional_id(gguf, k.name);
    if (!v) return v.status();
    *k.id = *v;
  }
  return Status::ok();
}

}  // namespace

StatusOr<TokenizerData> tokenizer_data_from_gguf(const GgufFile& gguf) {
  TokenizerData d;
  auto model = gguf.get_string("tokenizer.ggml.model");
  if (!model) return model.status();
  if (*model == "gpt2") {
    d.model = TokenizerModel::kByteBpe;
  } else if (*model == "llama") {
    d.model = TokenizerModel::kSentencePiece;
  } else {
    return unimplemented("tokenizer model '" + *model + "' is not supported (gpt2, llama)");
  }
  auto tokens = gguf.get_string_array("tokenizer.ggml.tokens");
  if (!tokens) return tokens.status();
  d.tokens = std::move(*tokens);
  if (gguf.has_key("tokenizer.ggml.pre")) {
    auto pre = gguf.get_string("tokenizer.ggml.pre");
    if (!pre) return pre.status();
    d.pre = *pre;
  }
  if (gguf.has_key("tokenizer.ggml.scores")) {
    auto scores = gguf.get_float_array("tokenizer.ggml.scores");
    if (!scores) return scores.status();
    d.scores = std::move(*scores);
  }
  if (gguf.has_key("tokenizer.ggml.token_type")) {
    auto types = gguf.get_int_array("tokenizer.ggml.token_type");
    if (!types) return types.status();
    d.types.reserve(types->size());
    for (int32_t t : *types) {
      d.types.push_back(t >= 0 && t <= 6 ? static_cast<TokenType>(t) : TokenType::kUndefined);
    }
  }
  if (gguf.has_key("tokenizer.ggml.merges")) {
    auto merges = gguf.get_string_array("tokenizer.ggml.merges");
    if (!merges) return merges.status();
    d.merges = std::move(*merges);
  }
  ASC_RETURN_IF_ERROR(read_special_ids(gguf, d));
  // Defaults follow llama.cpp: SentencePiece adds BOS, byte-level BPE only for llama3-style pre.
  const bool default_bos = d.model == TokenizerModel::kSentencePiece || d.pre == "llama3" ||
                           d.pre == "llama-bpe" || d.pre == "llama-v3";
  auto add_bos = optional_bool(gguf, "tokenizer.ggml.add_bos_token", default_bos);
  auto add_eos = optional_bool(gguf, "tokenizer.ggml.add_eos_token", false);
  auto space = optional_bool(gguf, "tokenizer.ggml.add_space_prefix",
                             d.model == TokenizerModel::kSentencePiece);
  if (!add_bos) return add_bos.status();
  if (!add_eos) return add_eos.status();
  if (!space) return space.status();
  d.add_bos = *add_bos;
  d.add_eos = *add_eos;
  d.add_space_prefix = *space;
  if (gguf.has_key("tokenizer.chat_template")) {
    auto tmpl = gguf.get_string("tokenizer.chat_template");
    if (!tmpl) return tmpl.status();
    d.chat_template = *tmpl;
  }
  ASC_RETURN_IF_ERROR(validate_tokenizer_data(d));
  return d;
}

Status validate_tokenizer_data(const TokenizerData& d) {
  const auto n = static_cast<int64_t>(d.tokens.size());
  if (n == 0) return invalid_argument("tokenizer: empty vocabulary");
  if (!d.scores.empty() && static_cast<int64_t>(d.scores.size()) != n) {
    return invalid_argument("tokenizer: " + std::to_string(d.scores.size()) + " scores for " +
                            std::to_string(n) + " tokens");
  }
  if (!d.types.empty() && static_cast<int64_t>(d.types.size()) != n) {
    return invalid_argument("tokenizer: " + std::to_string(d.types.size()) + " token types for " +
                            std::to_string(n) + " tokens");
  }
  for (int32_t id : {d.bos_id, d.eos_id, d.eot_id, d.eom_id, d.unk_id, d.pad_id}) {
    if (id != kNoToken && (id < 0 || id >= n)) {
      return invalid_argument("tokenizer: special token id " + std::to_string(id) +
                              " outside the vocabulary of " + std::to_string(n));
    }
  }
  if (d.add_bos && d.bos_id == kNoToken) return invalid_argument("tokenizer: add_bos without a BOS id");
  if (d.add_eos && d.eos_id == kNoToken) return invalid_argument("tokenizer: add_eos without an EOS id");
  return Status::ok();
}

}  // namespace asc
