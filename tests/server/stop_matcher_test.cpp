// StopMatcher against an independent reference: on random texts split into random pieces, the
// emitted text equals the text before the stop occurrence that ends first (ties: starts first).
#include <gtest/gtest.h>

#include <random>

#include "server/stop_matcher.h"

namespace asc::server {
namespace {

std::string reference(const std::string& text, const std::vector<std::string>& stops) {
  for (size_t end = 1; end <= text.size(); ++end) {  // scan as a generator would, char by char
    size_t best = std::string::npos;
    for (const auto& s : stops) {
      if (s.size() <= end && text.compare(end - s.size(), s.size(), s) == 0) {
        best = std::min(best, end - s.size());
      }
    }
    if (best != std::string::npos) return text.substr(0, best);
  }
  return text;
}

TEST(StopMatcher, HoldsBackPartialMatchesAndCutsTheStop) {
  StopMatcher m({"\n\nUser:"});
  EXPECT_EQ(m.push("Hello\n"), "Hello");  // "\n" may start the stop string
  EXPECT_EQ(m.push("\nUs"), "");
  EXPECT_EQ(m.push("e"), "");
  EXPECT_EQ(m.push("r: more"), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.push("x"), "");
  EXPECT_EQ(m.flush(), "");
  StopMatcher n({"END"});
  EXPECT_EQ(n.push("the EN"), "the ");
  EXPECT_EQ(n.push("D"), "");
  EXPECT_TRUE(n.stopped());
  StopMatcher k({"END"});
  EXPECT_EQ(k.push("EN"), "");
  EXPECT_EQ(k.push("d"), "ENd");  // released once it cannot match any more
  EXPECT_EQ(k.flush(), "");
}

TEST(StopMatcher, MatchesReferenceOnRandomStreams) {
  std::mt19937 rng(1234);
  const std::string alphabet = "ab\n ";
  for (int trial = 0; trial < 2000; ++trial) {
    std::string text;
    int len = std::uniform_int_distribution<int>(0, 40)(rng);
    for (int i = 0; i < len; ++i) text += alphabet[rng() % alphabet.size()];
    std::vector<std::string> stops;
    int num_stops = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int s = 0; s < num_stops; ++s) {
      std::string stop;
      int sl = std::uniform_int_distribution<int>(1, 4)(rng);
      for (int i = 0; i < sl; ++i) stop += alphabet[rng() % alphabet.size()];
      stops.push_back(stop);
    }
    StopMatcher m(stops);
    std::string emitted;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t piece = std::uniform_int_distribution<size_t>(1, 5)(rng);
      emitted += m.push(text.substr(pos, piece));
      pos += piece;
    }
    emitted += m.flush();
    ASSERT_EQ(emitted, reference(text, stops)) << "trial " << trial;
    ASSERT_EQ(m.stopped(), reference(text, stops) != text);
  }
}

}  // namespace
}  // namespace asc::server
