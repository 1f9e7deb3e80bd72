// Loading a tokenizer from a Hugging Face folder: a hand-made tokenizer.json (merge order checked
// by hand), and the real SmolLM2 folder when scripts/make-safetensors.py has written one (it must
// tokenize every golden prompt exactly as the GGUF vocabulary does).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/model/gguf.h"
#include "engine/model/tokenizer.h"

namespace asc {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

class HfFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("asc_hf_tok_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

constexpr const char* kTokenizerJson = R"({
  "version": "1.0",
  "added_tokens": [{"id": 11, "content": "<|end|>", "special": true}],
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
  "model": {"type": "BPE", "byte_fallback": false,
    "vocab": {"h": 0, "e": 1, "l": 2, "o": 3, "\u0120": 4, "he": 5, "ll": 6, "llo": 7,
              "hello": 8, "\u0120h": 9, "\u0120he": 10},
    "merges": ["h e", "l l", "ll o", "he llo", ["\u0120", "h"], "\u0120h e"]}
})";

TEST_F(HfFolderTest, HandMadeByteLevelBpe) {
  write_file(dir_ / "tokenizer.json", kTokenizerJson);
  write_file(dir_ / "tokenizer_config.json",
             R"({"eos_token": "<|end|>", "add_bos_token": false,
                 "chat_template": "{{'<|im_start|>' + message['role']}}"})");
  auto tok = Tokenizer::from_hf_folder(dir_.string());
  ASSERT_TRUE(tok.is_ok()) << tok.status().to_string();
  EXPECT_EQ((*tok)->vocab_size(), 12);
  EXPECT_EQ((*tok)->eos_id(), 11);
  EXPECT_TRUE((*tok)->is_eog(11));
  EXPECT_EQ((*tok)->data().pre, "gpt2");
  EXPECT_NE((*tok)->chat_template().find("<|im_start|>"), std::string::npos);
  // "hello": he(0), ll(1), llo(2), hello(3). " hello": Ġ h e l l o -> "h e" (rank 0) beats
  // "Ġ h" (rank 4), so the result is Ġ + hello, not Ġhe + llo.
  const auto ids = (*tok)->encode("hello hello<|end|>", false, true);
  EXPECT_EQ(ids, (std::vector<int32_t>{8, 4, 8, 11}));
  EXPECT_EQ((*tok)->decode(ids), "hello hello");
  EXPECT_EQ((*tok)->decode(ids, true), "hello hello<|end|>");
}

TEST_F(HfFolderTest, MissingOrUnsupportedFolder) {
  auto missing = Tokenizer::from_hf_folder((dir_ / "nope").string());
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  write_file(dir_ / "tokenizer.json", R"({"model": {"type": "Unigram", "vocab": []}})");
  EXPECT_EQ(Tokenizer::from_hf_folder(dir_.string()).status().code(), StatusCode::kUnimplemented);
  write_file(dir_ / "tokenizer.json", "{not json");
  EXPECT_EQ(Tokenizer::from_hf_folder(dir_.string()).status().code(), StatusCode::kInvalidArgument);
}

/// A folder under models/ holding a tokenizer.json (written by scripts/make-safetensors.py).
std::string find_hf_folder() {
  const fs::path models = ASC_SOURCE_DIR "/models";
  if (!fs::is_directory(models)) return std::string();
  for (const auto& entry : fs::recursive_directory_iterator(models)) {
    if (entry.is_regular_file() && entry.path().filename() == "tokenizer.json") {
      return entry.path().parent_path().string();
    }
  }
  return std::string();
}

TEST(HfRealFolderTest, SmolLM2FolderMatchesGguf) {
  const std::string folder = find_hf_folder();
  if (folder.empty()) GTEST_SKIP() << "no tokenizer.json under models/ (scripts/make-safetensors.py)";
  auto hf = Tokenizer::from_hf_folder(folder);
  ASSERT_TRUE(hf.is_ok()) << hf.status().to_string();
  std::ifstream in(ASC_SOURCE_DIR "/tests/golden/smollm2_reference.json");
  ASSERT_TRUE(in.good());
  const auto golden = nlohmann::json::parse(in);
  for (const auto& p : golden["prompts"]) {
    EXPECT_EQ((*hf)->encode(p["prompt"].get<std::string>(), true, true),
              p["prompt_ids"].get<std::vector<int32_t>>())
        << folder << ": " << p["name"];
  }
}

}  // namespace
}  // namespace asc
