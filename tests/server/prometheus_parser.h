// A strict parser of the Prometheus text exposition format (0.0.4), written from the format's
// specification for the /metrics tests: it rejects anything a Prometheus scraper would reject and
// also checks histogram consistency (cumulative buckets, +Inf bucket == _count).
#pragma once

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace asc::server::prom {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0.0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter|gauge|histogram|...
  std::vector<Sample> samples;
  /// Sum of the values of samples called `name` whose labels include all of `match`.
  double sum(const std::string& name, const std::map<std::string, std::string>& match = {}) const {
    double total = 0.0;
    for (const Sample& s : samples) {
      if (s.name != name) continue;
      bool ok = true;
      for (const auto& [k, v] : match) ok = ok && s.labels.count(k) && s.labels.at(k) == v;
      if (ok) total += s.value;
    }
    return total;
  }
  bool has(const std::string& name) const {
    for (const Sample& s : samples) if (s.name == name) return true;
    return false;
  }
};

inline bool valid_metric_name(const std::string& n) {
  if (n.empty() || !(std::isalpha((unsigned char)n[0]) || n[0] == '_' || n[0] == ':')) return false;
  for (char c : n) if (!(std::isalnum((unsigned char)c) || c == '_' || c == ':')) return false;
  return true;
}

inline bool valid_label_name(const std::string& n) {
  if (n.empty() || !(std::isalpha((unsigned char)n[0]) || n[0] == '_')) return false;
  for (char c : n) if (!(std::isalnum((unsigned char)c) || c == '_')) return false;
  return true;
}

inline bool parse_value(const std::string& t, double& v) {
  if (t == "+Inf" || t == "Inf") { v = INFINITY; return true; }
  if (t == "-Inf") { v = -INFINITY; return true; }
  if (t == "NaN") { v = NAN; return true; }
  if (t.empty()) return false;
  char* end = nullptr;
  v = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size();
}

/// Family of a sample name given the declared types (histogram suffixes map to the family).
inline std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      std::string base = name.substr(0, name.size() - s.size());
      auto it = types.find(base);
      if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
    }
  }
  return name;
}

/// Parses one sample line; false with `error` set when malformed.
inline bool parse_sample(const std::string& line, Sample& s, std::string& error) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  s.name = line.substr(0, i);
  if (!valid_metric_name(s.name)) { error = "bad metric name"; return false; }
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t eq = line.find('=', i);
      if (eq == std::string::npos) { error = "label without ="; return false; }
      std::string key = line.substr(i, eq - i);
      if (!valid_label_name(key) || s.labels.count(key)) { error = "bad/duplicate label " + key; return false; }
      i = eq + 1;
      if (i >= line.size() || line[i] != '"') { error = "unquoted label value"; return false; }
      std::string val;
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\') {
          if (++i >= line.size()) { error = "dangling escape"; return false; }
          if (line[i] == 'n') val += '\n';
          else if (line[i] == '\\' || line[i] == '"') val += line[i];
          else { error = "bad escape"; return false; }
        } else {
          val += line[i];
        }
      }
      if (i >= line.size()) { error = "unterminated label value"; return false; }
      s.labels[key] = val;
      ++i;
      if (i < line.size() && line[i] == ',') ++i;
      else if (i < line.size() && line[i] != '}') { error = "expected , or }"; return false; }
    }
    if (i >= line.size()) { error = "unterminated label set"; return false; }
    ++i;
  }
  if (i >= line.size() || line[i] != ' ') { error = "missing value"; return false; }
  std::string rest = line.substr(i + 1);
  size_t sp = rest.find(' ');
  std::string value = rest.substr(0, sp);
  if (!parse_value(value, s.value)) { error = "bad value '" + value + "'"; return false; }
  if (sp != std::string::npos) {  // optional integer timestamp
    std::string ts = rest.substr(sp + 1);
    if (ts.empty() || ts.find_first_not_of("-0123456789") != std::string::npos) { error = "bad timestamp"; return false; }
  }
  return true;
}

/// Parses and validates; returns "" on success, else the first problem with its line.
inline std::string parse_exposition(const std::string& text, Exposition& out) {
  if (!text.empty() && text.back() != '\n') return "text does not end with a newline";
  std::set<std::string> closed;  // families whose block has ended
  std::string current;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    std::string where = " (line " + std::to_string(line_no) + ": " + line + ")";
    if (line.empty()) return "empty line" + where;
    if (line[0] == '#') {
      std::string kind = line.substr(0, 7);
      if (kind != "# HELP " && kind != "# TYPE ") return "unknown comment" + where;
      size_t sp = line.find(' ', 7);
      std::string name = line.substr(7, sp == std::string::npos ? std::string::npos : sp - 7);
      if (!valid_metric_name(name)) return "bad name in comment" + where;
      if (name != current) {
        if (closed.count(name)) return "family appears twice" + where;
        if (!current.empty()) closed.insert(current);
        current = name;
      }
      if (kind == "# TYPE ") {
        std::string type = sp == std::string::npos ? "" : line.substr(sp + 1);
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary", "untyped"};
        if (!kTypes.count(type) || out.types.count(name)) return "bad or repeated TYPE" + where;
        out.types[name] = type;
      }
      continue;
    }
    Sample s;
    std::string error;
    if (!parse_sample(line, s, error)) return error + where;
    std::string family = family_of(s.name, out.types);
    if (family != current) {
      if (closed.count(family)) return "samples of a family are not contiguous" + where;
      if (!current.empty()) closed.insert(current);
      current = family;
    }
    auto type = out.types.find(family);
    if (type != out.types.end() && type->second == "counter" && !(s.value >= 0)) return "negative counter" + where;
    out.samples.push_back(std::move(s));
  }
  return {};
}

/// Checks every histogram: buckets cumulative and ending in +Inf equal to _count.
inline std::string check_histograms(const Exposition& e) {
  for (const auto& [family, type] : e.types) {
    if (type != "histogram") continue;
    std::map<std::string, std::vector<std::pair<double, double>>> buckets;  // series -> (le, count)
    std::map<std::string, double> counts;
    for (const Sample& s : e.samples) {
      std::map<std::string, std::string> rest = s.labels;
      rest.erase("le");
      std::string key;
      for (const auto& [k, v] : rest) key += k + "=" + v + ",";
      if (s.name == family + "_bucket") {
        double le = 0;
        if (!s.labels.count("le") || !parse_value(s.labels.at("le"), le)) return family + ": bucket without le";
        buckets[key].push_back({le, s.value});
      } else if (s.name == family + "_count") {
        counts[key] = s.value;
      }
    }
    for (const auto& [key, list] : buckets) {
      for (size_t i = 1; i < list.size(); ++i) {
        if (!(list[i].first > list[i - 1].first) || list[i].second < list[i - 1].second) {
          return family + ": buckets not increasing/cumulative";
        }
      }
      if (list.empty() || !std::isinf(list.back().first)) return family + ": no +Inf bucket";
      if (!counts.count(key) || counts[key] != list.back().second) return family + ": +Inf != _count";
    }
  }
  return {};
}

}  // namespace asc::server::prom
