// Tokenizer: text <-> token ids for byte-level BPE (GPT-2, Llama-3, Qwen2, SmolLM) and
// SentencePiece BPE (Llama-2, Mistral) vocabularies, matching llama.cpp's tokenization.
//
// encode(): special tokens (control / user-defined) are first cut out of the text verbatim,
// longest first (control tokens only when parse_special is set, as in llama.cpp; user-defined
// tokens always); the text between them is pre-tokenized and merged; BOS/EOS are added when
// add_special is set and the vocabulary asks for them (tokenizer.ggml.add_bos_token ...).
// Thread-safety: all methods are const and may be called from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/model/bpe_byte_level.h"
#include "engine/model/bpe_pretokenize.h"
#include "engine/model/bpe_sentencepiece.h"
#include "engine/model/tokenizer_data.h"
#include "engine/model/tokenizer_vocab.h"

namespace asc {

class GgufFile;

class Tokenizer {
 public:
  /// Validates `data` and builds the lookup tables. INVALID_ARGUMENT / UNIMPLEMENTED on bad data.
  static StatusOr<std::unique_ptr<Tokenizer>> from_data(TokenizerData data);
  /// From GGUF metadata (tokenizer.ggml.*).
  static StatusOr<std::unique_ptr<Tokenizer>> from_gguf(const GgufFile& gguf);
  /// From a Hugging Face folder (tokenizer.json, tokenizer_config.json).
  static StatusOr<std::unique_ptr<Tokenizer>> from_hf_folder(const std::string& folder);

  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  /// Token ids of `text`. add_special: prepend BOS / append EOS when the vocabulary asks for them.
  /// parse_special: recognise control tokens written in the text (e.g. "<|im_start|>").
  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

  /// The bytes of `ids` concatenated. Control and unknown tokens are left out unless
  /// render_special. For SentencePiece vocabularies with a dummy prefix, the leading space of the
  /// first piece is removed, so decode(encode(text)) == text. The bytes may end inside a UTF-8
  /// character; use Detokenizer for streaming.
  std::string decode(std::span<const int32_t> ids, bool render_special = false) const;

  /// The bytes one token stands for (special tokens as their text); empty for an id out of range.
  const std::string& token_piece(int32_t id) const;
  /// The token's text as stored in the vocabulary ("Ġhello", "▁hello", "<|im_end|>").
  std::string_view token_text(int32_t id) const;
  /// Control or unknown tokens: not part of the visible text unless rendered on purpose.
  bool is_control(int32_t id) const;
  /// End of generation: EOS, EOT, EOM and the well-known end-of-turn tokens ("<|im_end|>", ...).
  bool is_eog(int32_t id) const;
  /// The id of an exact token text, or kNoToken.
  int32_t find_token(std::string_view text) const { return vocab_.find(text); }

  int32_t vocab_size() const { return static_cast<int32_t>(data_.tokens.size()); }
  int32_t bos_id() const { return data_.bos_id; }
  int32_t eos_id() const { return data_.eos_id; }
  bool add_bos() const { return data_.add_bos; }
  /// SentencePiece dummy prefix: the first piece of a decoded sequence starts with a space.
  bool strips_leading_space() const;
  /// tokenizer.chat_template, empty when the model has none.
  const std::string& chat_template() const { return data_.chat_template; }
  const TokenizerData& data() const { return data_; }

 private:
  explicit Tokenizer(TokenizerData data);
  Status init();

  /// A piece of the input: raw text [offset, offset + length) or one special token.
  struct Fragment {
    int32_t token = kNoToken;
    size_t offset = 0;
    size_t length = 0;
  };
  std::vector<Fragment> partition_special(std::string_view text, bool parse_special) const;
  void encode_text(std::string_view text, bool after_special, std::vector<int32_t>& out) const;
  std::string make_piece(int32_t id) const;

  TokenizerData data_;
  TokenVocab vocab_;
  PreTokenizer pre_ = PreTokenizer::kDefault;
  std::optional<ByteLevelBpe> bpe_;
  std::optional<SentencePieceBpe> spm_;
  std::vector<std::string> pieces_;       // [vocab_size] bytes of each token
  std::vector<uint8_t> eog_;              // [vocab_size] 1 for end-of-generation tokens
  std::vector<int32_t> special_by_length_;  // control / user-defined / unknown ids, longest first
};

}  // namespace asc
