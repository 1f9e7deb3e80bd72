#include "server/metrics_registry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/core/status.h"

namespace asc::server {

std::string render_labels(const MetricLabels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first;
    out += "=\"";
    for (char c : labels[i].second) {
      if (c == '\\') out += "\\\\";
      else if (c == '"') out += "\\\"";
      else if (c == '\n') out += "\\n";
      else out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string format_metric_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", value);
  } else {
    std::snprintf(buf, sizeof(buf), "%.9g", value);
  }
  return buf;
}

void MetricsRegistry::add_family(const std::string& name, const std::string& help, MetricType type,
                                 std::vector<double> buckets) {
  std::lock_guard lock(mutex_);
  ASC_CHECK_MSG(!index_.count(name), "metric declared twice: " + name);
  ASC_CHECK(std::is_sorted(buckets.begin(), buckets.end()));
  index_[name] = families_.size();
  families_.push_back(Family{name, help, type, std::move(buckets), {}});
}

void MetricsRegistry::add_counter(const std::string& name, const std::string& help) {
  add_family(name, help, MetricType::kCounter, {});
}
void MetricsRegistry::add_gauge(const std::string& name, const std::string& help) {
  add_family(name, help, MetricType::kGauge, {});
}
void MetricsRegistry::add_histogram(const std::string& name, const std::string& help,
                                    std::vector<double> buckets) {
  add_family(name, help, MetricType::kHistogram, std::move(buckets));
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, MetricType type) {
  auto it = index_.find(name);
  ASC_CHECK_MSG(it != index_.end(), "unknown metric " + name);
  Family& f = families_[it->second];
  ASC_CHECK_MSG(f.type == type, "metric used with the wrong type: " + name);
  return f;
}

void MetricsRegistry::increment(const std::string& name, double value, const MetricLabels& labels) {
  std::lock_guard lock(mutex_);
  family(name, MetricType::kCounter).series[render_labels(labels)].value += std::max(0.0, value);
}

void MetricsRegistry::set(const std::string& name, double value, const MetricLabels& labels) {
  std::lock_guard lock(mutex_);
  family(name, MetricType::kGauge).series[render_labels(labels)].value = value;
}

void MetricsRegistry::observe(const std::string& name, std::span<const double> values,
                              const MetricLabels& labels) {
  std::lock_guard lock(mutex_);
  Family& f = family(name, MetricType::kHistogram);
  Series& s = f.series[render_labels(labels)];
  if (s.counts.empty()) s.counts.assign(f.buckets.size() + 1, 0);
  for (double v : values) {
    size_t b = std::lower_bound(f.buckets.begin(), f.buckets.end(), v) - f.buckets.begin();
    ++s.counts[b];  // first bucket with v <= le
    s.sum += v;
    ++s.count;
  }
}

double MetricsRegistry::value(const std::string& name, const MetricLabels& labels) const {
  std::lock_guard lock(mutex_);
  auto it = index_.find(name);
  if (it == index_.end()) return 0.0;
  const Family& f = families_[it->second];
  auto s = f.series.find(render_labels(labels));
  if (s == f.series.end()) return 0.0;
  return f.type == MetricType::kHistogram ? static_cast<double>(s->second.count) : s->second.value;
}

void MetricsRegistry::render_family(const Family& f, std::string& out) {
  static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
  out += "# HELP " + f.name + " " + f.help + "\n";
  out += "# TYPE " + f.name + " " + kTypeNames[static_cast<int>(f.type)] + "\n";
  for (const auto& [labels, s] : f.series) {
    if (f.type != MetricType::kHistogram) {
      out += f.name + labels + " " + format_metric_value(s.value) + "\n";
      continue;
    }
    // The le label joins any existing labels: {a="x"} -> {a="x",le="0.1"}.
    std::string prefix = labels.empty() ? "{" : labels.substr(0, labels.size() - 1) + ",";
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= f.buckets.size(); ++b) {
      cumulative += s.counts[b];
      std::string le = b < f.buckets.size() ? format_metric_value(f.buckets[b]) : "+Inf";
      out += f.name + "_bucket" + prefix + "le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += f.name + "_sum" + labels + " " + format_metric_value(s.sum) + "\n";
    out += f.name + "_count" + labels + " " + std::to_string(s.count) + "\n";
  }
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const Family& f : families_) render_family(f, out);
  return out;
}

}  // namespace asc::server
