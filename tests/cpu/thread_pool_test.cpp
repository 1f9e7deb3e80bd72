#include "engine/cpu/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace asc::cpu {
namespace {

void expect_each_index_once(ThreadPool& pool, int64_t n, int64_t grain, int max_parts = 0) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::atomic<int> max_index{-1};
  pool.parallel_for_chunked(n, grain, [&](int64_t begin, int64_t end, int t) {
    EXPECT_LT(begin, end);
    EXPECT_GE(t, 0);
    EXPECT_LT(t, pool.num_threads());
    if (begin % grain != 0) ADD_FAILURE() << "split point " << begin << " not a multiple of " << grain;
    for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
    int prev = max_index.load();
    while (t > prev && !max_index.compare_exchange_weak(prev, t)) {
    }
  }, max_parts);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "index " << i;
}

TEST(ThreadPool, EveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.num_threads(), threads);
    for (int64_t n : {1, 2, 3, 7, 64, 1000, 4097}) {
      expect_each_index_once(pool, n, 1);
      expect_each_index_once(pool, n, 16);
      expect_each_index_once(pool, n, 16, 4 * threads);  // more parts than threads
    }
  }
}

TEST(ThreadPool, LateWorkerDoesNotStallTheJob) {
  // The first part to start blocks until another part has finished: with static one-part-per-thread
  // scheduling and 2 parts this would only finish if both threads ran; with dynamic claiming the
  // submitter can take both parts, so it must finish whatever the workers do. Many parts, 2 threads.
  ThreadPool pool(2);
  for (int rep = 0; rep < 50; ++rep) {
    std::atomic<int64_t> total{0};
    pool.parallel_for_chunked(64, 1, [&](int64_t b, int64_t e, int) { total += e - b; }, 16);
    ASSERT_EQ(total.load(), 64);
  }
}

TEST(ThreadPool, ZeroAndNegativeDoNothing) {
  ThreadPool pool(3);
  int calls = 0;
  pool.parallel_for(0, [&](int64_t, int64_t, int) { ++calls; });
  pool.parallel_for(-5, [&](int64_t, int64_t, int) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPool, SingleThreadRunsInlineAsOneRange) {
  ThreadPool pool(0);  // clamped to 1
  EXPECT_EQ(pool.num_threads(), 1);
  int calls = 0;
  pool.parallel_for(100, [&](int64_t b, int64_t e, int t) {
    ++calls;
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 100);
    EXPECT_EQ(t, 0);
  });
  EXPECT_EQ(calls, 1);
}

TEST(ThreadPool, UsesDistinctThreadIndicesAndSums) {
  ThreadPool pool(4);
  std::vector<int64_t> partial(4, 0);
  for (int rep = 0; rep < 200; ++rep) {  // many back-to-back jobs: the generation handshake
    std::fill(partial.begin(), partial.end(), 0);
    pool.parallel_for(10000, [&](int64_t b, int64_t e, int t) {
      for (int64_t i = b; i < e; ++i) partial[static_cast<size_t>(t)] += i;
    });
    int64_t total = 0;
    for (int64_t p : partial) total += p;
    ASSERT_EQ(total, 10000LL * 9999 / 2);
  }
}

TEST(ThreadPool, NestedCallRunsSeriallyOnTheSameThread) {
  ThreadPool pool(2);
  std::atomic<int64_t> inner_total{0};
  pool.parallel_for(2, [&](int64_t b, int64_t e, int t) {
    for (int64_t i = b; i < e; ++i) {
      pool.parallel_for(10, [&](int64_t ib, int64_t ie, int it) {
        EXPECT_EQ(ib, 0);
        EXPECT_EQ(ie, 10);
        EXPECT_EQ(it, t);  // the nested call keeps the outer thread's index
        inner_total += ie - ib;
      });
    }
  });
  EXPECT_EQ(inner_total.load(), 20);
}

TEST(ThreadPool, TwoExternalThreadsShareOnePool) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  auto work = [&] {
    for (int rep = 0; rep < 50; ++rep) {
      pool.parallel_for(100, [&](int64_t b, int64_t e, int) { total += e - b; });
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(total.load(), 2 * 50 * 100);
}

TEST(ThreadPool, IdlePoolSleepsAndWakes) {
  ThreadPool pool(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // workers go past their spin
  std::atomic<int> ranges{0};
  pool.parallel_for(2, [&](int64_t, int64_t, int) { ranges++; });
  EXPECT_EQ(ranges.load(), 2);
}

}  // namespace
}  // namespace asc::cpu
