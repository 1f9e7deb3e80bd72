// Workload construction: sampling, in-order, scaling and clipping, arrivals, SLOs, validation.
#include <gtest/gtest.h>

#include <set>

#include "engine/workload/workload.h"

namespace asc::workload {
namespace {

Trace make_trace(size_t rows, bool timestamps) {
  Trace t;
  t.source = "test";
  t.format = timestamps ? TraceFormat::kAzure : TraceFormat::kMetron;
  for (size_t i = 0; i < rows; ++i) {
    TraceRow r;
    r.prompt_tokens = static_cast<int32_t>(100 + i);
    r.output_tokens = static_cast<int32_t>(10 + i);
    if (timestamps) r.timestamp_s = 2.0 * static_cast<double>(i);
    t.rows.push_back(r);
  }
  return t;
}

TEST(WorkloadTest, ScaleAndClip) {
  EXPECT_EQ(scale_and_clip_length(1000, 0.25, 0), 250);
  EXPECT_EQ(scale_and_clip_length(1000, 0.25, 200), 200);
  EXPECT_EQ(scale_and_clip_length(3, 0.1, 0), 1);     // never below 1
  EXPECT_EQ(scale_and_clip_length(0, 1.0, 0), 1);
  EXPECT_EQ(scale_and_clip_length(5, 0.5, 0), 3);     // 2.5 rounds to nearest (away from 0)
}

TEST(WorkloadTest, SampledWithoutReplacementWithinAPass) {
  Trace t = make_trace(50, false);
  WorkloadOptions o;
  o.num_requests = 50;
  o.rate_qps = 2.0;
  o.seed = 9;
  StatusOr<std::vector<WorkloadRequest>> w = build_workload(t, o);
  ASSERT_TRUE(w.is_ok()) << w.status().to_string();
  ASSERT_EQ(w->size(), 50u);
  std::set<size_t> rows;
  bool in_file_order = true;
  for (size_t i = 0; i < w->size(); ++i) {
    const WorkloadRequest& r = (*w)[i];
    rows.insert(r.trace_row);
    in_file_order &= r.trace_row == i;
    EXPECT_EQ(r.id, i);
    EXPECT_EQ(r.prompt_tokens, t.rows[r.trace_row].prompt_tokens);
    EXPECT_EQ(r.output_tokens, t.rows[r.trace_row].output_tokens);
  }
  EXPECT_EQ(rows.size(), 50u);  // a permutation
  EXPECT_FALSE(in_file_order);
  // More requests than rows: every row used twice over two passes.
  o.num_requests = 100;
  StatusOr<std::vector<WorkloadRequest>> w2 = build_workload(t, o);
  ASSERT_TRUE(w2.is_ok());
  std::vector<int> uses(50, 0);
  for (const WorkloadRequest& r : *w2) ++uses[r.trace_row];
  for (int u : uses) EXPECT_EQ(u, 2);
}

TEST(WorkloadTest, SameRowsAtEveryRate) {
  Trace t = make_trace(200, false);
  WorkloadOptions o;
  o.num_requests = 30;
  o.seed = 4;
  o.rate_qps = 1.0;
  StatusOr<std::vector<WorkloadRequest>> slow = build_workload(t, o);
  o.rate_qps = 8.0;
  StatusOr<std::vector<WorkloadRequest>> fast = build_workload(t, o);
  ASSERT_TRUE(slow.is_ok() && fast.is_ok());
  for (size_t i = 0; i < 30; ++i) {
    EXPECT_EQ((*slow)[i].trace_row, (*fast)[i].trace_row);
    EXPECT_NEAR((*fast)[i].arrival_s, (*slow)[i].arrival_s / 8.0, 1e-9);
  }
}

TEST(WorkloadTest, InOrderScaledClippedWithSlos) {
  Trace t = make_trace(3, false);
  WorkloadOptions o;
  o.num_requests = 5;
  o.sample_in_order = true;
  o.length_scale = 0.5;
  o.max_prompt_tokens = 50;
  o.max_output_tokens = 5;
  o.ttft_slo_s = 1.5;
  o.tbt_slo_s = 0.1;
  o.arrivals = ArrivalKind::kGamma;
  o.burstiness = 0.5;
  StatusOr<std::vector<WorkloadRequest>> w = build_workload(t, o);
  ASSERT_TRUE(w.is_ok()) << w.status().to_string();
  ASSERT_EQ(w->size(), 5u);
  const size_t expect_rows[] = {0, 1, 2, 0, 1};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ((*w)[i].trace_row, expect_rows[i]);
    EXPECT_EQ((*w)[i].prompt_tokens, 50);                 // 50..51 scaled, clipped to 50
    EXPECT_EQ((*w)[i].output_tokens, 5);                  // 5..6 scaled, clipped to 5
    EXPECT_DOUBLE_EQ((*w)[i].ttft_slo_s, 1.5);
    EXPECT_DOUBLE_EQ((*w)[i].tbt_slo_s, 0.1);
  }
}

TEST(WorkloadTest, DurationLimitsGeneratedArrivals) {
  Trace t = make_trace(10, false);
  WorkloadOptions o;
  o.duration_s = 100.0;
  o.rate_qps = 2.0;
  StatusOr<std::vector<WorkloadRequest>> w = build_workload(t, o);
  ASSERT_TRUE(w.is_ok());
  EXPECT_GT(w->size(), 150u);
  EXPECT_LT(w->size(), 250u);
  EXPECT_LT(w->back().arrival_s, 100.0);
}

TEST(WorkloadTest, ReplayUsesTraceTimestampsInOrder) {
  Trace t = make_trace(10, true);  // rows every 2 s
  WorkloadOptions o;
  o.arrivals = ArrivalKind::kReplay;
  o.time_scale = 0.25;             // every 0.5 s
  o.duration_s = 2.0;              // keeps arrivals 0, 0.5, 1.0, 1.5
  StatusOr<std::vector<WorkloadRequest>> w = build_workload(t, o);
  ASSERT_TRUE(w.is_ok()) << w.status().to_string();
  ASSERT_EQ(w->size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ((*w)[i].trace_row, i);
    EXPECT_DOUBLE_EQ((*w)[i].arrival_s, 0.5 * static_cast<double>(i));
  }
  o.duration_s = 0.0;
  o.num_requests = 3;
  EXPECT_EQ(build_workload(t, o)->size(), 3u);
}

TEST(WorkloadTest, ValidationRejectsBadOptions) {
  Trace plain = make_trace(5, false);
  WorkloadOptions o;
  o.arrivals = ArrivalKind::kReplay;
  StatusOr<std::vector<WorkloadRequest>> w = build_workload(plain, o);
  ASSERT_FALSE(w.is_ok());
  EXPECT_NE(w.status().message().find("no timestamps"), std::string::npos);
  WorkloadOptions bad_rate;
  bad_rate.rate_qps = 0.0;
  EXPECT_FALSE(build_workload(plain, bad_rate).is_ok());
  WorkloadOptions bad_scale;
  bad_scale.length_scale = -1.0;
  EXPECT_FALSE(build_workload(plain, bad_scale).is_ok());
  WorkloadOptions bad_burst;
  bad_burst.arrivals = ArrivalKind::kGamma;
  bad_burst.burstiness = 0.0;
  EXPECT_FALSE(build_workload(plain, bad_burst).is_ok());
  EXPECT_FALSE(build_workload(Trace{}, WorkloadOptions{}).is_ok());
}

}  // namespace
}  // namespace asc::workload
