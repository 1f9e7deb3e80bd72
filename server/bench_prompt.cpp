// Prompt construction for the load generator (design in bench_prompt.h).
#include "server/bench_prompt.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "engine/model/tokenizer.h"
#include "engine/workload/arrivals.h"

namespace asc::server {
namespace {

// Frequent English words; each is a single token with its leading space in GPT-2-style BPEs
// (llama 2/3, SmolLM2, Mistral, GPT-2). Order is irrelevant: picks are random.
constexpr std::array<const char*, 64> kWords = {
    " the",   " of",    " and",   " to",    " in",    " is",    " for",   " that",  " with",
    " on",    " as",    " it",    " by",    " this",  " be",    " are",   " from",  " at",
    " or",    " an",    " was",   " have",  " not",   " can",   " will",  " all",   " one",
    " more",  " time",  " new",   " has",   " but",   " they",  " which", " their", " we",
    " you",   " his",   " her",   " about", " there", " year",  " people"," other", " when",
    " what",  " some",  " would", " out",   " up",    " into",  " first", " over",  " also",
    " after", " most",  " only",  " work",  " day",   " world", " life",  " long",  " made",
    " state"};

uint64_t request_seed(uint64_t seed, uint64_t request_id) {
  // SplitMix64 finaliser: decorrelates neighbouring request ids.
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (request_id + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

PromptFactory::PromptFactory(uint64_t seed, int32_t n_vocab, ChatCalibration calibration)
    : seed_(seed), calibration_(calibration) {
  end_id_ = n_vocab > 0 ? std::min(n_vocab, kMaxSafeTokenId) : kMaxSafeTokenId;
  first_id_ = std::min(kFirstSafeTokenId, end_id_ / 4);  // tiny vocabularies: keep a usable range
  if (end_id_ <= first_id_) end_id_ = first_id_ + 1;
}

std::vector<int32_t> PromptFactory::token_ids(uint64_t request_id, int32_t prompt_tokens) const {
  workload::Rng rng(request_seed(seed_, request_id));
  std::vector<int32_t> ids;  // [prompt_tokens]
  ids.reserve(static_cast<size_t>(std::max(prompt_tokens, 0)));
  const uint64_t span = static_cast<uint64_t>(end_id_ - first_id_);
  while (static_cast<int32_t>(ids.size()) < prompt_tokens) {
    const int32_t id = first_id_ + static_cast<int32_t>(rng.uniform_index(span));
    if (tokenizer_ != nullptr && tokenizer_->is_control(id)) continue;
    ids.push_back(id);
  }
  return ids;
}

std::string PromptFactory::words(uint64_t request_id, int32_t num_words) const {
  workload::Rng rng(request_seed(seed_ ^ 0x5bd1e995ULL, request_id));
  std::string text;
  text.reserve(static_cast<size_t>(std::max(num_words, 0)) * 6);
  for (int32_t i = 0; i < num_words; ++i) text += kWords[rng.uniform_index(kWords.size())];
  if (!text.empty()) text.erase(0, 1);  // no leading space on the first word
  return text;
}

PromptFactory PromptFactory::salted(uint64_t salt) const {
  PromptFactory copy = *this;
  copy.seed_ = request_seed(seed_ ^ 0xa0761d6478bd642fULL, salt);
  return copy;
}

void PromptFactory::set_tokenizer(std::shared_ptr<const Tokenizer> tokenizer) {
  tokenizer_ = std::move(tokenizer);
  if (tokenizer_ != nullptr && tokenizer_->vocab_size() > 0) {
    end_id_ = std::min(tokenizer_->vocab_size(), kMaxSafeTokenId);
    first_id_ = std::min(kFirstSafeTokenId, end_id_ / 4);
  }
}

std::string PromptFactory::chat_text(uint64_t request_id, int32_t prompt_tokens) const {
  if (tokenizer_ != nullptr) {
    // Exact: adjust the word count until the content encodes to the target (a few passes; each
    // word is about one token, so the first estimate is usually right or off by a few).
    const int32_t target = std::max<int32_t>(
        1, static_cast<int32_t>(std::lround(prompt_tokens - calibration_.template_overhead)));
    int32_t num_words = target;
    std::string text = this->words(request_id, num_words);
    for (int pass = 0; pass < 8; ++pass) {
      const int32_t n = static_cast<int32_t>(tokenizer_->encode(text, false, false).size());
      if (n == target) break;
      num_words = std::max<int32_t>(1, num_words + (target - n));
      text = this->words(request_id, num_words);
    }
    return text;
  }
  const double per_word = calibration_.tokens_per_word > 0.0 ? calibration_.tokens_per_word : 1.0;
  const double words = (static_cast<double>(prompt_tokens) - calibration_.template_overhead) / per_word;
  return this->words(request_id, std::max<int32_t>(1, static_cast<int32_t>(std::lround(words))));
}

ChatCalibration fit_chat_calibration(int32_t words_a, int32_t tokens_a, int32_t words_b, int32_t tokens_b) {
  ChatCalibration c;
  if (words_a == words_b) return c;
  c.tokens_per_word = static_cast<double>(tokens_b - tokens_a) / static_cast<double>(words_b - words_a);
  if (!(c.tokens_per_word > 0.0)) return ChatCalibration{};
  c.template_overhead = static_cast<double>(tokens_a) - c.tokens_per_word * words_a;
  c.measured = true;
  return c;
}

}  // namespace asc::server
