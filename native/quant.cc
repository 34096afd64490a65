#include "quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cpu_features.h"
#include "thread_pool.h"

namespace toolken {
namespace {

// IEEE half bits -> float, subnormals, infinities and NaN included (the portable path; VNNI uses F16C).
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;  // mantissa * 2^-24
    return sign != 0 ? -magnitude : magnitude;
  }
  if (exponent == 0x1f) bits = sign | 0x7f800000u | (mantissa << 13);
  else bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  float out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

uint16_t load_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// Activations quantized to Q8_0 blocks: row i's block b holds q[(i * blocks + b) * 32 + j] with scale d[i * blocks + b]
// (fp32, so no range of activations overflows it); x ~ d * q with |x - d q| <= d / 2.
struct QuantizedActivations {
  std::vector<int8_t> q;
  std::vector<float> d;
  // The sum of each block's q (Q4_K subtracts its mins times it).
  std::vector<int32_t> sum;
};

// Reused across calls (decode quantizes one row per matmul; no allocation per token once grown).
thread_local QuantizedActivations activations;

void quantize_activations(const float* x, int64_t m, int64_t k, int64_t blocks, QuantizedActivations& a) {
  const size_t values = static_cast<size_t>(m * blocks * kQuantBlock);
  if (a.q.size() < values) a.q.resize(values);
  if (a.d.size() < static_cast<size_t>(m * blocks)) a.d.resize(static_cast<size_t>(m * blocks));
  if (a.sum.size() < static_cast<size_t>(m * blocks)) a.sum.resize(static_cast<size_t>(m * blocks));
  parallel_for(m, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const float* row = x + i * k;
      for (int64_t b = 0; b < blocks; b++) {
        const int64_t begin = b * kQuantBlock, end = std::min(k, begin + kQuantBlock);
        float amax = 0.0f;
        for (int64_t j = begin; j < end; j++) amax = std::fmax(amax, std::fabs(row[j]));
        const float scale = amax / 127.0f;
        const float inverse = scale != 0.0f ? 1.0f / scale : 0.0f;
        int8_t* q = a.q.data() + (i * blocks + b) * kQuantBlock;
        int32_t sum = 0;
        for (int64_t j = 0; j < kQuantBlock; j++) {
          // Rounded to nearest even, as the SIMD quantizers of llama.cpp do; fmin/fmax also map NaN to a bound.
          const float v = begin + j < end ? row[begin + j] * inverse : 0.0f;
          q[j] = static_cast<int8_t>(std::nearbyint(std::fmin(127.0f, std::fmax(-127.0f, v))));
          sum += q[j];
        }
        a.d[static_cast<size_t>(i * blocks + b)] = scale;
        a.sum[static_cast<size_t>(i * blocks + b)] = sum;
      }
    }
  });
}

// ---- portable path ----

// The int32 dot product of one weight block with 32 quantized activations.
int32_t block_dot(QuantType type, const uint8_t* block, const int8_t* y) {
  const uint8_t* qs = block + 2;
  int32_t sum = 0;
  if (type == QuantType::Q8_0) {
    for (int j = 0; j < 32; j++) sum += static_cast<int8_t>(qs[j]) * y[j];
  } else {
    // Q4_0: the low nibbles hold elements 0..15, the high nibbles 16..31, each offset by 8.
    for (int j = 0; j < 16; j++) sum += ((qs[j] & 0x0f) - 8) * y[j] + ((qs[j] >> 4) - 8) * y[j + 16];
  }
  return sum;
}

void rows_scalar(QuantType type, const uint8_t* w, const QuantizedActivations& a, float* out, int64_t m, int64_t n,
                 int64_t blocks, int64_t r0, int64_t r1, bool accumulate) {
  const int64_t bytes = type == QuantType::Q8_0 ? 34 : 18;
  for (int64_t r = r0; r < r1; r++) {
    const uint8_t* row = w + r * blocks * bytes;
    for (int64_t i = 0; i < m; i++) {
      const int8_t* y = a.q.data() + i * blocks * kQuantBlock;
      const float* dy = a.d.data() + i * blocks;
      float sum = 0.0f;
      for (int64_t b = 0; b < blocks; b++) {
        const uint8_t* block = row + b * bytes;
        sum += static_cast<float>(block_dot(type, block, y + b * kQuantBlock)) * (half_to_float(load_u16(block)) * dy[b]);
      }
      float& o = out[i * n + r];
      o = accumulate ? o + sum : sum;
    }
  }
}

// ---- Q4_K: super-blocks of 256 = 8 sub-blocks of 32, each with a 6-bit scale and min ----

constexpr int64_t kQ4KBytes = 144;

// The eight sub-blocks' scales and mins of the super-block at `block` (ggml's get_scale_min_k4).
void q4k_scales(const uint8_t* block, int32_t* scale, int32_t* min) {
  const uint8_t* p = block + 4;
  for (int s = 0; s < 4; s++) {
    scale[s] = p[s] & 63;
    min[s] = p[s + 4] & 63;
    scale[s + 4] = (p[s + 8] & 0x0f) | ((p[s] >> 6) << 4);
    min[s + 4] = (p[s + 8] >> 4) | ((p[s + 4] >> 6) << 4);
  }
}

// Row i, super-block b: sum over sub-blocks of (d sc dot - dmin m sum(y)) dy, dot exact in int32.
template <typename Dot>
float q4k_block(const uint8_t* block, const QuantizedActivations& a, int64_t at, Dot dot) {
  int32_t scale[8], min[8];
  q4k_scales(block, scale, min);
  const float d = half_to_float(load_u16(block)), dmin = half_to_float(load_u16(block + 2));
  float sum = 0.0f;
  for (int s = 0; s < 8; s++) {
    const size_t sb = static_cast<size_t>(at + s);
    sum += (d * static_cast<float>(scale[s]) * static_cast<float>(dot(s)) - dmin * static_cast<float>(min[s]) * static_cast<float>(a.sum[sb])) * a.d[sb];
  }
  return sum;
}

// `blocks` counts activation sub-blocks: 8 per super-block.
void rows_scalar_q4k(const uint8_t* w, const QuantizedActivations& a, float* out, int64_t m, int64_t n, int64_t blocks,
                     int64_t r0, int64_t r1, bool accumulate) {
  const int64_t supers = blocks / 8;
  for (int64_t r = r0; r < r1; r++) {
    for (int64_t i = 0; i < m; i++) {
      float sum = 0.0f;
      for (int64_t b = 0; b < supers; b++) {
        const uint8_t* block = w + (r * supers + b) * kQ4KBytes;
        const int8_t* y = a.q.data() + (i * blocks + 8 * b) * kQuantBlock;
        sum += q4k_block(block, a, i * blocks + 8 * b, [&](int s) {
          const uint8_t* qs = block + 16 + 32 * (s >> 1);
          int32_t dot = 0;
          for (int l = 0; l < 32; l++) dot += ((s & 1) ? qs[l] >> 4 : qs[l] & 0x0f) * y[s * kQuantBlock + l];
          return dot;
        });
      }
      float& o = out[i * n + r];
      o = accumulate ? o + sum : sum;
    }
  }
}

// ---- AVX-512 VNNI path ----

#if defined(__x86_64__)
#define TOOLKEN_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))

// One weight block as 32 signed bytes (Q4_0's nibbles unpacked to -8..7).
template <QuantType T>
TOOLKEN_VNNI inline __m256i load_weights(const uint8_t* block) {
  if constexpr (T == QuantType::Q8_0) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
  } else {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
    const __m128i low = _mm_set1_epi8(0x0f);
    const __m256i nibbles = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), low), _mm_and_si128(packed, low));
    return _mm256_sub_epi8(nibbles, _mm256_set1_epi8(8));
  }
}

TOOLKEN_VNNI inline float horizontal_sum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

// MR activation rows (i0..i0+MR-1) times one weight row: vpdpbusd multiplies unsigned by signed bytes, so each
// product w*y is taken as |w| * (y with w's sign), exact for every weight byte (|-128| = 128 fits a u8) and for
// activations, which never hold -128. The weight block is loaded once for all MR rows.
template <QuantType T, int MR>
TOOLKEN_VNNI void row_vnni(const uint8_t* row, const QuantizedActivations& a, int64_t i0, int64_t blocks, float* out,
                           int64_t ldo, bool accumulate) {
  constexpr int64_t bytes = T == QuantType::Q8_0 ? 34 : 18;
  __m256 acc[MR];
  for (int i = 0; i < MR; i++) acc[i] = _mm256_setzero_ps();
  const int8_t* y = a.q.data() + i0 * blocks * kQuantBlock;
  const float* dy = a.d.data() + i0 * blocks;
  for (int64_t b = 0; b < blocks; b++) {
    const uint8_t* block = row + b * bytes;
    _mm_prefetch(reinterpret_cast<const char*>(block + 8 * bytes), _MM_HINT_T0);
    const __m256i w = load_weights<T>(block);
    const __m256i magnitude = _mm256_abs_epi8(w);
    const float dw = _cvtsh_ss(load_u16(block));
    for (int i = 0; i < MR; i++) {
      const __m256i yi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y + (i * blocks + b) * kQuantBlock));
      const __m256i dot = _mm256_dpbusd_epi32(_mm256_setzero_si256(), magnitude, _mm256_sign_epi8(yi, w));
      acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(dw * dy[i * blocks + b]), acc[i]);
    }
  }
  for (int i = 0; i < MR; i++) {
    const float sum = horizontal_sum(acc[i]);
    float& o = out[i * ldo];
    o = accumulate ? o + sum : sum;
  }
}

template <QuantType T>
TOOLKEN_VNNI void rows_vnni(const uint8_t* w, const QuantizedActivations& a, float* out, int64_t m, int64_t n,
                            int64_t blocks, int64_t r0, int64_t r1, bool accumulate) {
  constexpr int64_t bytes = T == QuantType::Q8_0 ? 34 : 18;
  for (int64_t r = r0; r < r1; r++) {
    const uint8_t* row = w + r * blocks * bytes;
    int64_t i = 0;
    for (; i + 4 <= m; i += 4) row_vnni<T, 4>(row, a, i, blocks, out + i * n + r, n, accumulate);
    switch (m - i) {
      case 3: row_vnni<T, 3>(row, a, i, blocks, out + i * n + r, n, accumulate); break;
      case 2: row_vnni<T, 2>(row, a, i, blocks, out + i * n + r, n, accumulate); break;
      case 1: row_vnni<T, 1>(row, a, i, blocks, out + i * n + r, n, accumulate); break;
      default: break;
    }
  }
}
// Q4_K: the nibbles are unsigned (0..15), so vpdpbusd multiplies them by the signed activations directly.
TOOLKEN_VNNI void rows_vnni_q4k(const uint8_t* w, const QuantizedActivations& a, float* out, int64_t m, int64_t n,
                                int64_t blocks, int64_t r0, int64_t r1, bool accumulate) {
  const int64_t supers = blocks / 8;
  const __m256i low = _mm256_set1_epi8(0x0f);
  for (int64_t r = r0; r < r1; r++) {
    for (int64_t i = 0; i < m; i++) {
      float sum = 0.0f;
      for (int64_t b = 0; b < supers; b++) {
        const uint8_t* block = w + (r * supers + b) * kQ4KBytes;
        _mm_prefetch(reinterpret_cast<const char*>(block + 2 * kQ4KBytes), _MM_HINT_T0);
        const int8_t* y = a.q.data() + (i * blocks + 8 * b) * kQuantBlock;
        int32_t dots[8];
        for (int p = 0; p < 4; p++) {
          const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 16 + 32 * p));
          const __m256i lo = _mm256_and_si256(packed, low), hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low);
          const __m256i y0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y + (2 * p) * kQuantBlock));
          const __m256i y1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y + (2 * p + 1) * kQuantBlock));
          const __m256i d0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), lo, y0);
          const __m256i d1 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), hi, y1);
          // Both sums at once: hadd pairs the lanes of d0 and d1, then the 128-bit halves and the rest fold.
          const __m256i h = _mm256_hadd_epi32(d0, d1);
          const __m128i f = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
          const __m128i g = _mm_hadd_epi32(f, f);
          dots[2 * p] = _mm_cvtsi128_si32(g);
          dots[2 * p + 1] = _mm_extract_epi32(g, 1);
        }
        sum += q4k_block(block, a, i * blocks + 8 * b, [&](int s) { return dots[s]; });
      }
      float& o = out[i * n + r];
      o = accumulate ? o + sum : sum;
    }
  }
}
#endif

}  // namespace

int64_t quant_row_bytes(QuantType type, int64_t k) {
  switch (type) {
    case QuantType::Q8_0: return (k + kQuantBlock - 1) / kQuantBlock * 34;
    case QuantType::Q4_0: return (k + kQuantBlock - 1) / kQuantBlock * 18;
    case QuantType::Bf16: return k * 2;
    case QuantType::Nf4: return (k + 63) / 64 * 36;
    case QuantType::Q4_K: return (k + 255) / 256 * kQ4KBytes;
  }
  return 0;
}

void quantized_matmul(QuantType type, const float* x, const uint8_t* w, float* out, int64_t m, int64_t n, int64_t k,
                      bool accumulate) {
  if (m == 0 || n == 0) return;
  if (type == QuantType::Bf16) return bf16_weight_matmul(x, w, out, m, n, k, accumulate);
  if (type == QuantType::Nf4) return nf4_matmul(x, w, out, m, n, k, accumulate);
  // Q4_K rows are whole super-blocks of 8 activation blocks (the activations past k quantize to zeros).
  const int64_t blocks = type == QuantType::Q4_K ? (k + 255) / 256 * 8 : (k + kQuantBlock - 1) / kQuantBlock;
  if (blocks == 0) {
    if (!accumulate) std::fill(out, out + m * n, 0.0f);
    return;
  }
  QuantizedActivations& a = activations;
  quantize_activations(x, m, k, blocks, a);
  const QuantPath path = quant_path();
  // Threads split the weight rows: each streams its own share of the weights once, whatever m is.
  const int64_t grain = std::max<int64_t>(1, 1024 / (blocks * (m < 4 ? 1 : 4)));
  parallel_for(n, grain, [&](int64_t r0, int64_t r1) {
#if defined(__x86_64__)
    if (path == QuantPath::Avx512Vnni) {
      if (type == QuantType::Q8_0) rows_vnni<QuantType::Q8_0>(w, a, out, m, n, blocks, r0, r1, accumulate);
      else if (type == QuantType::Q4_0) rows_vnni<QuantType::Q4_0>(w, a, out, m, n, blocks, r0, r1, accumulate);
      else rows_vnni_q4k(w, a, out, m, n, blocks, r0, r1, accumulate);
      return;
    }
#endif
    if (type == QuantType::Q4_K) rows_scalar_q4k(w, a, out, m, n, blocks, r0, r1, accumulate);
    else rows_scalar(type, w, a, out, m, n, blocks, r0, r1, accumulate);
  });
}

std::string quant_description() {
  std::string available;
  for (QuantPath path : {QuantPath::Avx512Vnni, QuantPath::Scalar}) {
    if (!quant_path_available(path)) continue;
    if (!available.empty()) available += ", ";
    available += quant_path_name(path);
  }
  return std::string("int8 matmul ") + quant_path_name(quant_path()) + " (available: " + available + "); bf16 weights " +
         matmul_path_name(bf16_weight_path()) + "; nf4 weights " + (nf4_uses_avx512() ? "avx512" : "scalar");
}

}  // namespace toolken
