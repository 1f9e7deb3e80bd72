// MappedFile: contents, move semantics, errors.
#include "engine/model/mmap_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace asc {
namespace {

std::string write_temp(const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

TEST(MappedFileTest, MapsWholeFileAndMoves) {
  std::mt19937 rng(5);
  std::vector<uint8_t> bytes(10007);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  const std::string path = write_temp("mmap_test.bin", bytes);
  auto f = MappedFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_EQ(f->size(), bytes.size());
  EXPECT_EQ(std::vector<uint8_t>(f->data(), f->data() + f->size()), bytes);
  EXPECT_EQ(f->path(), path);
  const uint8_t* data = f->data();
  MappedFile moved = std::move(f).value();
  EXPECT_EQ(moved.data(), data);  // the mapping itself does not move
  MappedFile other;
  other = std::move(moved);
  EXPECT_EQ(other.data(), data);
  EXPECT_EQ(moved.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(other.bytes()[17], bytes[17]);
  std::filesystem::remove(path);
}

TEST(MappedFileTest, EmptyFileMapsToEmptySpan) {
  const std::string path = write_temp("mmap_empty.bin", {});
  auto f = MappedFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_EQ(f->size(), 0u);
  EXPECT_TRUE(f->bytes().empty());
  std::filesystem::remove(path);
}

TEST(MappedFileTest, ErrorsNameThePath) {
  auto missing = MappedFile::open("/nonexistent/file.bin");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/file.bin"), std::string::npos);
  auto dir = MappedFile::open(::testing::TempDir());
  EXPECT_EQ(dir.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace asc
