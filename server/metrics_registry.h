// MetricsRegistry: counters, gauges and histograms rendered in the Prometheus text exposition
// format (version 0.0.4). Families are declared once, then updated by name from any thread (one
// mutex; updates are per request, not per token, so it is never hot).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace asc::server {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram };

class MetricsRegistry {
 public:
  /// Declares a family. Names follow [a-zA-Z_:][a-zA-Z0-9_:]*; buckets (histograms only) are
  /// increasing upper bounds, +Inf is implied.
  void add_counter(const std::string& name, const std::string& help);
  void add_gauge(const std::string& name, const std::string& help);
  void add_histogram(const std::string& name, const std::string& help, std::vector<double> buckets);

  /// Counter += value (value >= 0). Unknown names are a programming error (ASC_CHECK).
  void increment(const std::string& name, double value = 1.0, const MetricLabels& labels = {});
  /// Gauge = value.
  void set(const std::string& name, double value, const MetricLabels& labels = {});
  /// Adds observations to a histogram.
  void observe(const std::string& name, std::span<const double> values,
               const MetricLabels& labels = {});
  void observe(const std::string& name, double value, const MetricLabels& labels = {}) {
    observe(name, std::span<const double>(&value, 1), labels);
  }
  /// Current value of a counter or gauge series (0 when never set); for tests and routing.
  double value(const std::string& name, const MetricLabels& labels = {}) const;

  /// The whole registry in the text exposition format.
  std::string render() const;

 private:
  struct Series {
    double value = 0.0;               // counter / gauge
    std::vector<uint64_t> counts;     // histogram: [buckets + 1], non-cumulative, last is +Inf
    double sum = 0.0;
    uint64_t count = 0;
  };
  struct Family {
    std::string name;
    std::string help;
    MetricType type = MetricType::kCounter;
    std::vector<double> buckets;
    std::map<std::string, Series> series;  // keyed by the rendered label set
  };

  void add_family(const std::string& name, const std::string& help, MetricType type,
                  std::vector<double> buckets);
  Family& family(const std::string& name, MetricType type);
  static void render_family(const Family& f, std::string& out);

  mutable std::mutex mutex_;
  std::vector<Family> families_;              // in declaration order
  std::map<std::string, size_t> index_;       // name -> position in families_
};

/// {a="x",b="y"} with Prometheus escaping of \, " and newlines; "" for no labels.
std::string render_labels(const MetricLabels& labels);
/// Prometheus number formatting: integers without exponent, +Inf/-Inf/NaN spelled out.
std::string format_metric_value(double value);

}  // namespace asc::server
