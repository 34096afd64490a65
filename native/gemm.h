// Single-precision matrix multiply: C = alpha * op(A) @ op(B) (+ C), packed panels, cache blocking and a
// register-blocked micro-kernel (AVX2/FMA 6x16, or the portable one), parallel over the thread pool.
#pragma once

#include <cstdint>
#include <string>

namespace toolken {

struct GemmArgs {
  const float* a;  // op(A) is (m, k): stored (m, k), or (k, m) when trans_a
  const float* b;  // op(B) is (k, n): stored (k, n), or (n, k) when trans_b
  float* c;        // (m, n), row-major, leading dimension ldc
  int64_t m, n, k;
  int64_t ldc;
  bool trans_a, trans_b;
  float alpha;
  bool accumulate;  // C += result instead of C = result
};

// One product, parallel over the pool (inline when called from inside a parallel region).
void sgemm(const GemmArgs& g);

// batch products; A and B advance by stride_a / stride_b elements per batch (0 broadcasts), C by m * n.
void sgemm_batched(const GemmArgs& g, int64_t batch, int64_t stride_a, int64_t stride_b);

// The micro-kernel in use and the blocking, for describe().
std::string gemm_description();

}  // namespace toolken
