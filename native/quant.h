// Matrix products with quantized weights kept in ggml's block layouts (Q8_0, Q4_0), as llama.cpp runs them: the
// activations are quantized on the fly to int8 per block of 32 (one fp32 scale per block), each block's product
// is an exact int32 dot product, and the blocks' products are summed in fp32 scaled by both scales.
#pragma once

#include <cstdint>
#include <string>

namespace toolken {

// The block formats, by their code in src/tensor/kernels.ts (QUANT_TYPES).
enum class QuantType : int { Q8_0 = 0, Q4_0 = 1 };
constexpr int kQuantTypeCount = 2;
constexpr int64_t kQuantBlock = 32;

// Bytes of one block of 32 weights: an fp16 scale, then 32 int8 (Q8_0) or 16 bytes of 4-bit values (Q4_0).
int64_t quant_block_bytes(QuantType type);

// out (m, n) (+)= x (m, k) @ W^T, W (n, k) stored row by row in ceil(k / 32) blocks each (a row's last block is
// zero-padded when k is not a multiple of 32). The path follows quant_path() (cpu_features.h).
void quantized_matmul(QuantType type, const float* x, const uint8_t* w, float* out, int64_t m, int64_t n, int64_t k,
                      bool accumulate);

// The int8 path in use and the ones this machine can run, for describe().
std::string quant_description();

}  // namespace toolken
