// Trace CSV reader. Design note: the files are small (< 1 MB), so the whole text is read at once
// and split in place with string_views; no allocation per field. Columns are located by name from
// the header so that the two known formats (and column reorderings) share one parser.
#include "engine/workload/trace.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace asc::workload {
namespace {

struct Columns {
  TraceFormat format = TraceFormat::kMetron;
  int timestamp = -1;  // column index, -1 when absent
  int prompt = -1;
  int output = -1;
  int num_fields = 0;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      fields.push_back(trim(line.substr(start)));
      return fields;
    }
    fields.push_back(trim(line.substr(start, comma - start)));
    start = comma + 1;
  }
}

StatusOr<Columns> detect_columns(std::string_view header, std::string_view source) {
  std::vector<std::string_view> names = split_fields(header);
  Columns c;
  c.num_fields = static_cast<int>(names.size());
  for (int i = 0; i < c.num_fields; ++i) {
    std::string_view n = names[static_cast<size_t>(i)];
    if (n == "TIMESTAMP") c.timestamp = i;
    if (n == "ContextTokens" || n == "num_prefill_tokens") c.prompt = i;
    if (n == "GeneratedTokens" || n == "num_decode_tokens") c.output = i;
  }
  if (c.prompt < 0 || c.output < 0) {
    return invalid_argument(std::string(source) + ":1: unknown trace header '" + std::string(header) +
                            "' (expected azure 'TIMESTAMP,ContextTokens,GeneratedTokens' or metron "
                            "'num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio')");
  }
  c.format = c.timestamp >= 0 ? TraceFormat::kAzure : TraceFormat::kMetron;
  return c;
}

std::string where(std::string_view source, size_t line_no) {
  return std::string(source) + ":" + std::to_string(line_no) + ": ";
}

StatusOr<int32_t> parse_length(std::string_view field, std::string_view what, std::string_view source,
                               size_t line_no) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (ec != std::errc() || ptr != field.data() + field.size() || field.empty()) {
    return invalid_argument(where(source, line_no) + std::string(what) + " '" + std::string(field) +
                            "' is not an integer");
  }
  if (value < 0 || value > INT32_MAX) {
    return invalid_argument(where(source, line_no) + std::string(what) + " " + std::to_string(value) +
                            " is out of range");
  }
  return static_cast<int32_t>(value);
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil algorithm).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool parse_fixed(std::string_view s, size_t pos, size_t len, int64_t* out) {
  if (pos + len > s.size()) return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

StatusOr<TraceRow> parse_row(std::string_view line, const Columns& c, std::string_view source,
                             size_t line_no) {
  std::vector<std::string_view> f = split_fields(line);
  if (static_cast<int>(f.size()) < c.num_fields) {
    return invalid_argument(where(source, line_no) + "expected " + std::to_string(c.num_fields) +
                            " fields, found " + std::to_string(f.size()));
  }
  TraceRow row;
  StatusOr<int32_t> prompt = parse_length(f[static_cast<size_t>(c.prompt)], "prompt length", source, line_no);
  if (!prompt) return prompt.status();
  StatusOr<int32_t> output = parse_length(f[static_cast<size_t>(c.output)], "output length", source, line_no);
  if (!output) return output.status();
  row.prompt_tokens = *prompt;
  row.output_tokens = *output;
  if (c.timestamp >= 0) {
    StatusOr<double> ts = parse_timestamp_s(f[static_cast<size_t>(c.timestamp)]);
    if (!ts) return invalid_argument(where(source, line_no) + ts.status().message());
    row.timestamp_s = *ts;
  }
  return row;
}

}  // namespace

const char* trace_format_name(TraceFormat format) {
  return format == TraceFormat::kAzure ? "azure" : "metron";
}

StatusOr<double> parse_timestamp_s(std::string_view text) {
  text = trim(text);
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  const bool ok = text.size() >= 19 && parse_fixed(text, 0, 4, &y) && text[4] == '-' &&
                  parse_fixed(text, 5, 2, &mo) && text[7] == '-' && parse_fixed(text, 8, 2, &d) &&
                  (text[10] == ' ' || text[10] == 'T') && parse_fixed(text, 11, 2, &h) &&
                  text[13] == ':' && parse_fixed(text, 14, 2, &mi) && text[16] == ':' &&
                  parse_fixed(text, 17, 2, &s);
  if (!ok || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return invalid_argument("malformed timestamp '" + std::string(text) +
                            "' (expected YYYY-MM-DD HH:MM:SS[.fraction])");
  }
  double fraction = 0.0;
  if (text.size() > 19) {
    if (text[19] != '.' || text.size() == 20) {
      return invalid_argument("malformed timestamp '" + std::string(text) + "'");
    }
    double scale = 0.1;
    for (size_t i = 20; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return invalid_argument("malformed timestamp '" + std::string(text) + "'");
      }
      fraction += (text[i] - '0') * scale;
      scale *= 0.1;
    }
  }
  const int64_t whole = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  return static_cast<double>(whole) + fraction;
}

StatusOr<Trace> parse_trace(std::string_view text, std::string_view source_name) {
  Trace trace;
  trace.source = std::string(source_name);
  std::optional<Columns> columns;
  std::optional<double> first_ts;
  size_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? text.size() - start : nl - start);
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    line = trim(line);
    if (line.empty()) continue;
    if (!columns) {
      StatusOr<Columns> c = detect_columns(line, source_name);
      if (!c) return c.status();
      columns = *c;
      trace.format = columns->format;
      continue;
    }
    StatusOr<TraceRow> row = parse_row(line, *columns, source_name, line_no);
    if (!row) return row.status();
    if (row->timestamp_s) {
      if (!first_ts) first_ts = *row->timestamp_s;
      row->timestamp_s = *row->timestamp_s - *first_ts;
    }
    trace.rows.push_back(*row);
  }
  if (!columns) return invalid_argument(std::string(source_name) + ": empty trace (no header)");
  if (trace.rows.empty()) return invalid_argument(std::string(source_name) + ": trace has no data rows");
  return trace;
}

StatusOr<Trace> read_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot open trace file '" + path + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return data_loss("error reading trace file '" + path + "'");
  return parse_trace(buffer.str(), path);
}

}  // namespace asc::workload
