// Small dense linear algebra for the performance model's least squares (n <= kNumPerfFeatures).
#pragma once

#include <span>

namespace asc {

/// Solves A x = b in place for an n x n row-major A (Gaussian elimination, partial pivoting).
/// Returns false when A is singular to working precision.
bool solve_linear(std::span<double> a, std::span<double> b, int n);

/// Inverts an n x n row-major matrix into `inv`. False when singular.
bool invert_matrix(std::span<const double> a, std::span<double> inv, int n);

}  // namespace asc
