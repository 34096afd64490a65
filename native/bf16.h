// Scalar bfloat16 conversions shared by the bf16 kernels (gemm_bf16.cc, weights_bf16.cc).
#pragma once

#include <cstdint>
#include <cstring>

namespace toolken {

// fp32 -> bf16 bits, round to nearest even; NaN stays a (quiet) NaN. Denormals are kept, unlike vcvtneps2bf16.
inline uint16_t to_bf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

inline float bf16_to_float(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float x;
  std::memcpy(&x, &bits, 4);
  return x;
}

}  // namespace toolken
