// Request-length traces: the CSV files in ../shared/traces (see its README.md).
//
// Two formats, told apart by the header row:
//   azure   "TIMESTAMP,ContextTokens,GeneratedTokens"   -- with arrival timestamps
//           ("2023-11-16 18:15:46.6805900", UTC wall time, fractional seconds of any precision)
//   metron  "num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio"  -- lengths only
// Column order is taken from the header, so extra columns or a different order are tolerated.
// Timestamps are returned in seconds relative to the first data row (first row = 0.0).
// Errors name the source and the 1-based line number of the offending row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"

namespace asc::workload {

enum class TraceFormat { kAzure, kMetron };

/// "azure" or "metron".
const char* trace_format_name(TraceFormat format);

struct TraceRow {
  std::optional<double> timestamp_s;  // seconds since the first row; absent for metron traces
  int32_t prompt_tokens = 0;          // >= 0 as read; workloads clip to >= 1
  int32_t output_tokens = 0;
};

struct Trace {
  std::string source;  // file path or the name given to parse_trace
  TraceFormat format = TraceFormat::kMetron;
  std::vector<TraceRow> rows;  // in file order
  /// True when every row has a timestamp (azure traces).
  bool has_timestamps() const { return format == TraceFormat::kAzure; }
};

/// Parses CSV text. Blank lines are skipped, CRLF line ends accepted. Fails with kInvalidArgument
/// on an unknown header, a row with too few fields, a non-integer or negative length, or a
/// malformed timestamp; kInvalidArgument also when there are no data rows.
StatusOr<Trace> parse_trace(std::string_view text, std::string_view source_name);

/// Reads and parses a trace file. kNotFound when the file cannot be opened.
StatusOr<Trace> read_trace(const std::string& path);

/// Parses "YYYY-MM-DD HH:MM:SS[.fraction]" (also 'T' as the separator) into seconds since
/// 1970-01-01 UTC. Pure arithmetic: no time zone database, no clock reads.
StatusOr<double> parse_timestamp_s(std::string_view text);

}  // namespace asc::workload
