// `ascendra generate` and `--version` through the real CLI registration: JSON output on the model
// (greedy tokens as llama.cpp's), and one-line errors with a non-zero exit for a bad model path.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/app/commands.h"

namespace asc::app {
namespace {

std::string model_path() { return std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"; }

/// Parses and runs `generate` with the given arguments (after the program name).
void run_cli(std::vector<std::string> args) {
  CLI::App app;
  register_generate(app);
  args.insert(args.begin(), "ascendra");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
}

TEST(Generate, JsonOutputMatchesLlamaCppGreedyTokens) {
  if (!std::filesystem::exists(model_path())) GTEST_SKIP() << model_path() << " is absent";
  ::testing::internal::CaptureStdout();
  run_cli({"generate", "-m", model_path(), "-p", "The quick brown fox jumps over the lazy dog.", "-n", "6",
           "--threads", "1", "--json"});
  const std::string out = ::testing::internal::GetCapturedStdout();
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["prompt_tokens"].get<std::vector<int32_t>>(),
            (std::vector<int32_t>{504, 2365, 6354, 16438, 27003, 690, 260, 23790, 2767, 30}));
  // llama.cpp's greedy continuation (tests/golden/smollm2_reference.json, "plain").
  EXPECT_EQ(j["tokens"].get<std::vector<int32_t>>(), (std::vector<int32_t>{198, 198, 788, 451, 1183, 28}));
  EXPECT_EQ(j["text"].get<std::string>(), "\n\nIn this example,");
  EXPECT_GT(j["prefill_tokens_per_s"].get<double>(), 0.0);
  EXPECT_GT(j["decode_tokens_per_s"].get<double>(), 0.0);
}

TEST(Generate, BadModelFailsWithOneLineError) {
  ::testing::internal::CaptureStderr();
  EXPECT_THROW(run_cli({"generate", "-m", "/nonexistent/model.gguf", "-p", "hi"}), CLI::RuntimeError);
  const std::string missing = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(missing.find("NOT_FOUND"), std::string::npos) << missing;
  EXPECT_NE(missing.find("/nonexistent/model.gguf"), std::string::npos) << missing;
  const std::string bad = std::string(ASC_BINARY_DIR) + "/generate_test_bad.gguf";
  std::ofstream(bad) << "GGUF but not really";
  ::testing::internal::CaptureStderr();
  EXPECT_THROW(run_cli({"generate", "-m", bad, "-p", "hi"}), CLI::RuntimeError);
  const std::string corrupt = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(corrupt.begin(), corrupt.end(), '\n'), 1) << corrupt;
  std::filesystem::remove(bad);
}

TEST(Version, PrintsVersionBackendsAndSimd) {
  ::testing::internal::CaptureStdout();
  print_version();
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("ascendra "), std::string::npos);
  EXPECT_NE(out.find("backends: cpu"), std::string::npos);
  EXPECT_NE(out.find("simd detected:"), std::string::npos);
  EXPECT_NE(out.find("simd in use:"), std::string::npos);
}

}  // namespace
}  // namespace asc::app
