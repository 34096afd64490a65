// Small AVX-512 helpers shared by the weight-format kernels (weights_bf16.cc, nf4.cc).
#pragma once

#if defined(__x86_64__)
#include <immintrin.h>

namespace toolken {

// The sum of the 16 lanes. (Spelled with maskz_ extracts: GCC 12 warns about the undefined operand inside
// _mm512_reduce_add_ps.)
__attribute__((target("avx512f"))) inline float sum_lanes(__m512 v) {
  const __m128 a = _mm_add_ps(_mm512_maskz_extractf32x4_ps(0xf, v, 0), _mm512_maskz_extractf32x4_ps(0xf, v, 1));
  const __m128 b = _mm_add_ps(_mm512_maskz_extractf32x4_ps(0xf, v, 2), _mm512_maskz_extractf32x4_ps(0xf, v, 3));
  const __m128 s = _mm_add_ps(a, b);
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

}  // namespace toolken
#endif
