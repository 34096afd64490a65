// bf16-precision matrix multiply: C = alpha * bf16(op(A)) @ bf16(op(B)) (+ C), the inputs rounded from fp32 to
// bf16 (round to nearest even) and the products summed in fp32. The path (AMX tiles, AVX-512 BF16 or fp32 FMA on
// the rounded inputs) follows matmul_path() (cpu_features.h); every path computes the same products.
#pragma once

#include <cstdint>
#include <string>

#include "gemm.h"

namespace toolken {

void gemm_bf16_batched(const GemmArgs& g, int64_t batch, int64_t stride_a, int64_t stride_b);

// The bf16 path in use and the ones this machine can run, for describe().
std::string gemm_bf16_description();

}  // namespace toolken
