// Trace parsing: both formats, timestamps, malformed rows with line numbers, the shipped traces.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "engine/workload/trace.h"

namespace asc::workload {
namespace {

TEST(TraceTest, ParsesMetronFormat) {
  const char* text =
      "num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio\n"
      "3772,54,3826,69.85\n"
      "2015,156,2171,12.9\n";
  StatusOr<Trace> t = parse_trace(text, "m.csv");
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->format, TraceFormat::kMetron);
  EXPECT_FALSE(t->has_timestamps());
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0].prompt_tokens, 3772);
  EXPECT_EQ(t->rows[0].output_tokens, 54);
  EXPECT_EQ(t->rows[1].prompt_tokens, 2015);
  EXPECT_EQ(t->rows[1].output_tokens, 156);
  EXPECT_FALSE(t->rows[0].timestamp_s.has_value());
}

TEST(TraceTest, ParsesAzureFormatWithRelativeTimestamps) {
  // CRLF line ends, no trailing newline, a day boundary crossed.
  const char* text =
      "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
      "2023-11-16 23:59:59.5000000,374,44\r\n"
      "2023-11-17 00:00:01.2500000,396,109\r\n"
      "2023-11-17 00:00:01.25,10,1";
  StatusOr<Trace> t = parse_trace(text, "a.csv");
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->format, TraceFormat::kAzure);
  ASSERT_EQ(t->rows.size(), 3u);
  EXPECT_DOUBLE_EQ(*t->rows[0].timestamp_s, 0.0);
  EXPECT_NEAR(*t->rows[1].timestamp_s, 1.75, 1e-6);
  EXPECT_NEAR(*t->rows[2].timestamp_s, 1.75, 1e-6);
  EXPECT_EQ(t->rows[1].prompt_tokens, 396);
  EXPECT_EQ(t->rows[2].output_tokens, 1);
}

TEST(TraceTest, TimestampMatchesKnownEpochSeconds) {
  // 2023-11-16 18:15:46 UTC == 1700158546 (date -u -d '2023-11-16 18:15:46' +%s).
  StatusOr<double> s = parse_timestamp_s("2023-11-16 18:15:46.6805900");
  ASSERT_TRUE(s.is_ok());
  EXPECT_NEAR(*s, 1700158546.68059, 1e-5);
  StatusOr<double> leap = parse_timestamp_s("2024-03-01T00:00:00");  // after Feb 29
  ASSERT_TRUE(leap.is_ok());
  EXPECT_DOUBLE_EQ(*leap, 1709251200.0);
  EXPECT_FALSE(parse_timestamp_s("2023-13-01 00:00:00").is_ok());
  EXPECT_FALSE(parse_timestamp_s("2023-11-16 18:15").is_ok());
  EXPECT_FALSE(parse_timestamp_s("2023-11-16 18:15:46.").is_ok());
  EXPECT_FALSE(parse_timestamp_s("2023-11-16 18:15:46.12x").is_ok());
}

TEST(TraceTest, ColumnOrderComesFromHeader) {
  const char* text = "pd_ratio,num_decode_tokens,num_prefill_tokens\n0.5,7,9\n";
  StatusOr<Trace> t = parse_trace(text, "r.csv");
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->rows[0].prompt_tokens, 9);
  EXPECT_EQ(t->rows[0].output_tokens, 7);
}

void expect_error_at(const std::string& text, const std::string& needle) {
  StatusOr<Trace> t = parse_trace(text, "bad.csv");
  ASSERT_FALSE(t.is_ok()) << "expected failure for: " << text;
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find(needle), std::string::npos) << t.status().message();
}

TEST(TraceTest, MalformedRowsNameTheLine) {
  const std::string header = "num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio\n";
  expect_error_at(header + "1,2,3,1.0\n12,abc,3,1\n", "bad.csv:3:");
  expect_error_at(header + "1,2,3,1.0\n\n5,6\n", "bad.csv:4:");      // too few fields
  expect_error_at(header + "-5,2,3,1.0\n", "out of range");            // negative
  expect_error_at(header + "5.5,2,3,1.0\n", "not an integer");
  expect_error_at(header + "99999999999,2,3,1.0\n", "out of range");
  expect_error_at("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 1:2:3,1,1\n", "bad.csv:2:");
  expect_error_at("foo,bar\n1,2\n", "unknown trace header");
  expect_error_at(header, "no data rows");
  expect_error_at("", "empty trace");
}

TEST(TraceTest, MissingFileIsNotFound) {
  StatusOr<Trace> t = read_trace("/nonexistent/trace.csv");
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
}

std::string shared_trace(const char* name) {
  return std::string(ASC_SOURCE_DIR) + "/../shared/traces/" + name;
}

TEST(TraceTest, ReadsTheSharedTraces) {
  struct Expect {
    const char* name;
    size_t rows;
    TraceFormat format;
  };
  // README.md says 19,365 azure rows; the file holds 19,366 (its last row has no newline).
  const Expect expected[] = {{"azure_conv_2023.csv", 19366, TraceFormat::kAzure},
                             {"sharegpt_8k.csv", 30731, TraceFormat::kMetron},
                             {"arxiv_4k.csv", 28257, TraceFormat::kMetron}};
  for (const Expect& e : expected) {
    const std::string path = shared_trace(e.name);
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "trace " << path << " absent (../shared/traces)";
    StatusOr<Trace> t = read_trace(path);
    ASSERT_TRUE(t.is_ok()) << t.status().to_string();
    EXPECT_EQ(t->rows.size(), e.rows) << e.name;
    EXPECT_EQ(t->format, e.format) << e.name;
  }
  StatusOr<Trace> azure = read_trace(shared_trace("azure_conv_2023.csv"));
  ASSERT_TRUE(azure.is_ok());
  // One hour trace: 18:15:46.68 -> 19:14:08.40.
  EXPECT_NEAR(*azure->rows.back().timestamp_s, 3501.722, 1e-3);
  EXPECT_EQ(azure->rows[0].prompt_tokens, 374);
  EXPECT_EQ(azure->rows[0].output_tokens, 44);
}

}  // namespace
}  // namespace asc::workload
