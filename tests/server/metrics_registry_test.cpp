// The Prometheus registry renders text that a strict parser accepts, with the values it was given;
// histograms agree with a direct count of random observations.
#include <gtest/gtest.h>

#include <random>

#include "server/metrics_registry.h"
#include "tests/server/prometheus_parser.h"

namespace asc::server {
namespace {

TEST(MetricsRegistry, RendersParsableTextWithLabelsAndEscapes) {
  MetricsRegistry r;
  r.add_counter("asc_requests_total", "Requests.");
  r.add_gauge("vllm:num_requests_running", "Running.");
  r.increment("asc_requests_total", 2, {{"reason", "stop"}});
  r.increment("asc_requests_total", 1, {{"reason", "a\"b\\c\nd"}});
  r.set("vllm:num_requests_running", 3.5, {{"model_name", "m"}});
  std::string text = r.render();
  prom::Exposition e;
  ASSERT_EQ(prom::parse_exposition(text, e), "") << text;
  EXPECT_EQ(e.types["asc_requests_total"], "counter");
  EXPECT_EQ(e.types["vllm:num_requests_running"], "gauge");
  EXPECT_DOUBLE_EQ(e.sum("asc_requests_total", {{"reason", "stop"}}), 2.0);
  EXPECT_DOUBLE_EQ(e.sum("asc_requests_total", {{"reason", "a\"b\\c\nd"}}), 1.0);
  EXPECT_DOUBLE_EQ(e.sum("vllm:num_requests_running"), 3.5);
}

TEST(MetricsRegistry, HistogramMatchesDirectCounts) {
  MetricsRegistry r;
  std::vector<double> bounds = {0.01, 0.1, 1.0};
  r.add_histogram("lat_seconds", "Latency.", bounds);
  std::mt19937 rng(7);
  std::exponential_distribution<double> dist(5.0);
  std::vector<double> values(500);
  for (double& v : values) v = dist(rng);
  r.observe("lat_seconds", std::span<const double>(values), {{"pool", "low"}});
  prom::Exposition e;
  std::string text = r.render();
  ASSERT_EQ(prom::parse_exposition(text, e), "") << text;
  ASSERT_EQ(prom::check_histograms(e), "");
  double sum = 0;
  for (double v : values) sum += v;
  EXPECT_NEAR(e.sum("lat_seconds_sum"), sum, 1e-6 * sum);
  EXPECT_EQ(e.sum("lat_seconds_count"), 500.0);
  for (double b : bounds) {
    double expected = 0;
    for (double v : values) expected += v <= b;
    EXPECT_EQ(e.sum("lat_seconds_bucket", {{"le", format_metric_value(b)}, {"pool", "low"}}), expected);
  }
}

TEST(PrometheusParser, RejectsMalformedText) {
  prom::Exposition e;
  EXPECT_NE(prom::parse_exposition("x 1", e), "");                       // no newline at the end
  EXPECT_NE(prom::parse_exposition("9x 1\n", e), "");                     // bad name
  EXPECT_NE(prom::parse_exposition("x{a=b} 1\n", e), "");                 // unquoted label
  EXPECT_NE(prom::parse_exposition("x one\n", e), "");                    // bad value
  EXPECT_NE(prom::parse_exposition("# TYPE x counter\nx -1\n", e), "");   // negative counter
  prom::Exposition f;
  EXPECT_NE(prom::parse_exposition("x 1\ny 1\nx 2\n", f), "");            // family split
}

}  // namespace
}  // namespace asc::server
