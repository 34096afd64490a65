// Matrix products with weights kept in a compact form (src/tensor/quant.ts), read in place from their bytes:
// - Q8_0, Q4_0, Q4_K (ggml's block layouts), as llama.cpp runs them: the activations are quantized on the fly to int8 per
//   block of 32 (one fp32 scale per block), each block's product is an exact int32 dot product, and the blocks'
//   products are summed in fp32 scaled by both scales (quant.cc). A Q4_K super-block of 256 is eight such sub-blocks,
//   each with its 6-bit scale and min: sum d sc dot(q, y) dy - dmin m sum(y) dy.
// - bf16: the activations rounded to bf16, exact bf16 products summed in fp32 (weights_bf16.cc).
// - NF4 (QLoRA's 4-bit NormalFloat, 64-value blocks with an fp32 absmax): each weight decoded to fp32 and
//   multiplied by the fp32 activations with fp32 sums (nf4.cc).
#pragma once

#include <cstdint>
#include <string>

#include "cpu_features.h"

namespace toolken {

// The formats, by their index in src/tensor/quant.ts QUANT_TYPES.
enum class QuantType : int { Q8_0 = 0, Q4_0 = 1, Bf16 = 2, Nf4 = 3, Q4_K = 4 };
constexpr int kQuantTypeCount = 5;
constexpr int64_t kQuantBlock = 32;

// Bytes one weight row of k values takes: ceil(k / block values) blocks (a row's last block zero-padded).
int64_t quant_row_bytes(QuantType type, int64_t k);

// out (m, n) (+)= x (m, k) @ W^T, W (n, k) stored row by row. Q8_0 / Q4_0 / Q4_K follow quant_path(), bf16 matmul_path()
// and NF4 kernel_path() (cpu_features.h).
void quantized_matmul(QuantType type, const float* x, const uint8_t* w, float* out, int64_t m, int64_t n, int64_t k,
                      bool accumulate);

// The bf16-weight product (weights_bf16.cc): w holds n rows of k little-endian bf16 values.
void bf16_weight_matmul(const float* x, const uint8_t* w, float* out, int64_t m, int64_t n, int64_t k, bool accumulate);

// The path bf16_weight_matmul takes now: avx512-bf16 where matmul_path() (TOOLKEN_MATMUL_PATH) is a bf16-instruction
// path (amx or avx512-bf16) and the CPU has avx512_bf16, fp32 (portable C++ on the widened bf16 values) otherwise.
MatmulPath bf16_weight_path();

// The NF4-weight product (nf4.cc): w holds n rows of ceil(k / 64) blocks of 36 bytes.
void nf4_matmul(const float* x, const uint8_t* w, float* out, int64_t m, int64_t n, int64_t k, bool accumulate);

// True where nf4_matmul runs its AVX-512 kernel (kernel_path() is avx512; TOOLKEN_NATIVE_KERNELS=portable|avx2 or an
// older CPU give the portable one).
bool nf4_uses_avx512();

// The paths in use and the ones this machine can run, for describe().
std::string quant_description();

}  // namespace toolken
