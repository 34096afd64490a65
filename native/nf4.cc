// out (m, n) (+)= x (m, k) @ W^T with W kept in NF4 blocks (src/tensor/quant.ts): 64 values a block, an fp32 absmax c
// (4 bytes, little-endian), then 32 bytes of 4-bit code indices (element j in the low nibble of byte j, element j + 32
// in the high nibble). Each weight row is decoded to fp32 (c * code, exactly the values dequantize gives) into a small
// buffer and multiplied by the fp32 activations with fp32 sums. Threads split the weight rows; activation rows go in
// panels of 64, so a panel of x stays in cache while the decoded weight rows pass.
#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cpu_features.h"
#include "quant.h"
#include "simd.h"
#include "thread_pool.h"

namespace toolken {
namespace {

constexpr int64_t kBlock = 64;
constexpr int64_t kBlockBytes = 36;
constexpr int64_t kPanel = 64;

// QLoRA's NormalFloat code book (src/tensor/quant.ts NF4_CODE), as float32.
alignas(64) constexpr float kCode[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
    -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
    0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

float block_scale(const uint8_t* block) {
  float c;
  std::memcpy(&c, block, 4);
  return c;
}

// ---- portable path ----

void decode_row_portable(const uint8_t* row, int64_t k, float* dst) {
  for (int64_t b = 0; b * kBlock < k; b++) {
    const uint8_t* block = row + b * kBlockBytes;
    const float c = block_scale(block);
    const int64_t width = std::min(kBlock, k - b * kBlock);
    for (int64_t j = 0; j < width; j++) {
      const uint8_t q = block[4 + (j & 31)];
      dst[b * kBlock + j] = c * kCode[j < 32 ? q & 0x0f : q >> 4];
    }
  }
}

void rows_portable(const float* x, const uint8_t* w, float* out, int64_t m, int64_t n, int64_t k, int64_t r0, int64_t r1,
                   bool accumulate) {
  const int64_t row_bytes = quant_row_bytes(QuantType::Nf4, k);
  std::vector<float> row(static_cast<size_t>(k));
  for (int64_t i0 = 0; i0 < m; i0 += kPanel) {
    const int64_t i1 = std::min(m, i0 + kPanel);
    for (int64_t r = r0; r < r1; r++) {
      decode_row_portable(w + r * row_bytes, k, row.data());
      for (int64_t i = i0; i < i1; i++) {
        const float* xi = x + i * k;
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int64_t l = 0; l < k; l++) sum += xi[l] * row[static_cast<size_t>(l)];
        float& o = out[i * n + r];
        o = accumulate ? o + sum : sum;
      }
    }
  }
}

// ---- AVX-512 path: the code book in one register, indices looked up 16 at a time (vpermps) ----

#if defined(__x86_64__)
#define TOOLKEN_NF4 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))

TOOLKEN_NF4 inline __mmask16 first_lanes(int64_t count) {
  return count >= 16 ? static_cast<__mmask16>(0xffff) : count <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << count) - 1);
}

// Decodes a row of k values into dst, which has room for whole blocks (ceil(k / 64) * 64 floats).
TOOLKEN_NF4 void decode_row_avx512(const uint8_t* row, int64_t k, float* dst) {
  const __m512 code = _mm512_load_ps(kCode);
  const __m256i low = _mm256_set1_epi8(0x0f);
  for (int64_t b = 0; b * kBlock < k; b++) {
    const uint8_t* block = row + b * kBlockBytes;
    const __m512 c = _mm512_set1_ps(block_scale(block));
    const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 4));
    const __m256i lo = _mm256_and_si256(packed, low);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low);
    const __m128i parts[4] = {_mm256_castsi256_si128(lo), _mm256_extracti128_si256(lo, 1), _mm256_castsi256_si128(hi),
                              _mm256_extracti128_si256(hi, 1)};
    for (int t = 0; t < 4; t++) {
      const __m512 v = _mm512_maskz_permutexvar_ps(0xffff, _mm512_maskz_cvtepu8_epi32(0xffff, parts[t]), code);
      _mm512_storeu_ps(dst + b * kBlock + 16 * t, _mm512_mul_ps(v, c));
    }
  }
}

// MR activation rows times one decoded weight row: each weight vector loaded once for the MR rows.
template <int MR>
TOOLKEN_NF4 void dot_rows(const float* x, int64_t k, const float* row, float* out, int64_t ldo, bool accumulate) {
  __m512 acc[MR];
  for (int i = 0; i < MR; i++) acc[i] = _mm512_setzero_ps();
  for (int64_t l = 0; l < k; l += 16) {
    const __mmask16 mask = first_lanes(k - l);
    const __m512 wv = _mm512_maskz_loadu_ps(mask, row + l);
    for (int i = 0; i < MR; i++) acc[i] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, x + i * k + l), wv, acc[i]);
  }
  for (int i = 0; i < MR; i++) {
    const float sum = sum_lanes(acc[i]);
    float& o = out[i * ldo];
    o = accumulate ? o + sum : sum;
  }
}

TOOLKEN_NF4 void rows_avx512(const float* x, const uint8_t* w, float* out, int64_t m, int64_t n, int64_t k, int64_t r0,
                             int64_t r1, bool accumulate) {
  const int64_t row_bytes = quant_row_bytes(QuantType::Nf4, k);
  std::vector<float> row(static_cast<size_t>((k + kBlock - 1) / kBlock * kBlock));
  for (int64_t i0 = 0; i0 < m; i0 += kPanel) {
    const int64_t i1 = std::min(m, i0 + kPanel);
    for (int64_t r = r0; r < r1; r++) {
      decode_row_avx512(w + r * row_bytes, k, row.data());
      int64_t i = i0;
      for (; i + 4 <= i1; i += 4) dot_rows<4>(x + i * k, k, row.data(), out + i * n + r, n, accumulate);
      switch (i1 - i) {
        case 3: dot_rows<3>(x + i * k, k, row.data(), out + i * n + r, n, accumulate); break;
        case 2: dot_rows<2>(x + i * k, k, row.data(), out + i * n + r, n, accumulate); break;
        case 1: dot_rows<1>(x + i * k, k, row.data(), out + i * n + r, n, accumulate); break;
        default: break;
      }
    }
  }
}
#endif

}  // namespace

bool nf4_uses_avx512() { return kernel_path() == KernelPath::Avx512; }

void nf4_matmul(const float* x, const uint8_t* w, float* out, int64_t m, int64_t n, int64_t k, bool accumulate) {
  if (k == 0) {
    if (!accumulate) std::fill(out, out + m * n, 0.0f);
    return;
  }
  const bool avx512 = nf4_uses_avx512();
  const int64_t grain = std::max<int64_t>(4, 8192 / k);
  parallel_for(n, grain, [&](int64_t r0, int64_t r1) {
#if defined(__x86_64__)
    if (avx512) return rows_avx512(x, w, out, m, n, k, r0, r1, accumulate);
#endif
    rows_portable(x, w, out, m, n, k, r0, r1, accumulate);
  });
}

}  // namespace toolken
