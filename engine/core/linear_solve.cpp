#include "engine/core/linear_solve.h"

#include <cmath>
#include <utility>
#include <vector>

namespace asc {

bool solve_linear(std::span<double> a, std::span<double> b, int n) {
  auto at = [&](int r, int c) -> double& { return a[static_cast<size_t>(r * n + c)]; };
  for (int col = 0; col < n; ++col) {
    int pivot = col;
    for (int r = col + 1; r < n; ++r) {
      if (std::fabs(at(r, col)) > std::fabs(at(pivot, col))) pivot = r;
    }
    if (std::fabs(at(pivot, col)) < 1e-300) return false;
    if (pivot != col) {
      for (int c = 0; c < n; ++c) std::swap(at(col, c), at(pivot, c));
      std::swap(b[static_cast<size_t>(col)], b[static_cast<size_t>(pivot)]);
    }
    for (int r = col + 1; r < n; ++r) {
      const double f = at(r, col) / at(col, col);
      for (int c = col; c < n; ++c) at(r, c) -= f * at(col, c);
      b[static_cast<size_t>(r)] -= f * b[static_cast<size_t>(col)];
    }
  }
  for (int r = n - 1; r >= 0; --r) {
    double v = b[static_cast<size_t>(r)];
    for (int c = r + 1; c < n; ++c) v -= at(r, c) * b[static_cast<size_t>(c)];
    b[static_cast<size_t>(r)] = v / at(r, r);
  }
  return true;
}

bool invert_matrix(std::span<const double> a, std::span<double> inv, int n) {
  for (int col = 0; col < n; ++col) {
    std::vector<double> m(a.begin(), a.begin() + n * n);  // [n, n]
    std::vector<double> e(static_cast<size_t>(n), 0.0);   // [n]
    e[static_cast<size_t>(col)] = 1.0;
    if (!solve_linear(m, e, n)) return false;
    for (int r = 0; r < n; ++r) inv[static_cast<size_t>(r * n + col)] = e[static_cast<size_t>(r)];
  }
  return true;
}

}  // namespace asc
