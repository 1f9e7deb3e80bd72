// TokenizerData: everything a tokenizer needs, as plain values, filled from GGUF metadata or a
// Hugging Face tokenizer folder (tokenizer.json + tokenizer_config.json), or built by hand in tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/status.h"

namespace asc {

class GgufFile;

/// Token types; values are GGUF's tokenizer.ggml.token_type (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
  kUndefined = 0, kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6,
};

/// Tokenizer algorithm: "gpt2" (byte-level BPE) or "llama" (SentencePiece BPE).
enum class TokenizerModel { kByteBpe, kSentencePiece };

inline constexpr int32_t kNoToken = -1;

struct TokenizerData {
  TokenizerModel model = TokenizerModel::kByteBpe;
  std::string pre = "default";          // tokenizer.ggml.pre (byte-level BPE only)
  std::vector<std::string> tokens;      // [vocab_size] token text as stored (byte-mapped / U+2581)
  std::vector<float> scores;            // [vocab_size] or empty (SentencePiece merge priority)
  std::vector<TokenType> types;         // [vocab_size] or empty (all normal)
  std::vector<std::string> merges;      // "left right", rank = index (byte-level BPE)
  int32_t bos_id = kNoToken;
  int32_t eos_id = kNoToken;
  int32_t eot_id = kNoToken;
  int32_t eom_id = kNoToken;
  int32_t unk_id = kNoToken;
  int32_t pad_id = kNoToken;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = true;         // SentencePiece: prefix " " to the text (dummy prefix)
  std::string chat_template;            // tokenizer.chat_template, empty when absent
};

/// Reads tokenizer.ggml.* and tokenizer.chat_template. NOT_FOUND when the vocabulary is missing,
/// UNIMPLEMENTED for a tokenizer model other than "gpt2"/"llama", INVALID_ARGUMENT when array
/// lengths disagree or special ids are out of range.
StatusOr<TokenizerData> tokenizer_data_from_gguf(const GgufFile& gguf);

/// Reads `folder`/tokenizer.json (BPE model: vocab, merges, added tokens, pre-tokenizer) and, when
/// present, tokenizer_config.json (chat_template, add_bos_token, add_eos_token, bos/eos tokens).
StatusOr<TokenizerData> tokenizer_data_from_hf_folder(const std::string& folder);

/// Checks the invariants the tokenizer relies on (sizes agree, special ids in range).
Status validate_tokenizer_data(const TokenizerData& data);

}  // namespace asc
