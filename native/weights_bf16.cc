// out (m, n) (+)= bf16(x) (m, k) @ W^T with W kept as bf16 (half the bytes of fp32 per decoded token): the
// activations are rounded to bf16 once per call (nearest even), each product of two bf16 values is exact in fp32,
// and the products are summed in fp32. Threads split the weight rows, so each streams its share of the weights
// once per call whatever m is (decode: m = 1).
#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "bf16.h"
#include "cpu_features.h"
#include "quant.h"
#include "simd.h"
#include "thread_pool.h"

namespace toolken {
namespace {

// Values per vdpbf16ps step: 16 pairs.
constexpr int64_t kChunk = 32;

// The activations as bf16 bits, row i at i * padded, zero past k (so the vector loop reads whole chunks of x).
// Reused across calls: decode rounds one row per matmul and allocates nothing once grown.
thread_local std::vector<uint16_t> rounded;

void round_activations(const float* x, int64_t m, int64_t k, int64_t padded) {
  if (rounded.size() < static_cast<size_t>(m * padded)) rounded.resize(static_cast<size_t>(m * padded));
  uint16_t* dst = rounded.data();
  parallel_for(m, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      for (int64_t l = 0; l < k; l++) dst[i * padded + l] = to_bf16(x[i * k + l]);
      std::fill(dst + i * padded + k, dst + (i + 1) * padded, static_cast<uint16_t>(0));
    }
  });
}

// ---- portable path: the weights widened to fp32 (exact), fp32 products and sums ----

void rows_portable(const uint16_t* xb, int64_t padded, const uint8_t* w, float* out, int64_t m, int64_t n, int64_t k,
                   int64_t r0, int64_t r1, bool accumulate) {
  std::vector<float> row(static_cast<size_t>(k));
  for (int64_t r = r0; r < r1; r++) {
    const uint8_t* wr = w + r * k * 2;
    for (int64_t l = 0; l < k; l++) row[static_cast<size_t>(l)] = bf16_to_float(static_cast<uint16_t>(wr[2 * l] | (wr[2 * l + 1] << 8)));
    for (int64_t i = 0; i < m; i++) {
      const uint16_t* xi = xb + i * padded;
      float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
      for (int64_t l = 0; l < k; l++) sum += bf16_to_float(xi[l]) * row[static_cast<size_t>(l)];
      float& o = out[i * n + r];
      o = accumulate ? o + sum : sum;
    }
  }
}

// ---- AVX-512 BF16 path: vdpbf16ps over MR activation rows x NR weight rows of 16-lane fp32 sums ----

#if defined(__x86_64__)
#define TOOLKEN_DPBF16 __attribute__((target("avx512f,avx512bw,avx512bf16")))

// acc[i][j] += the pairs of x row i times weight vector j over one chunk at depth `at`.
template <int MR, int NR>
TOOLKEN_DPBF16 inline void step(__m512 (&acc)[MR][NR], const uint16_t* xb, int64_t padded, int64_t at, const __m512bh (&wv)[NR]) {
  for (int i = 0; i < MR; i++) {
    const __m512bh xv = (__m512bh)_mm512_loadu_si512(xb + i * padded + at);
    for (int j = 0; j < NR; j++) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], xv, wv[j]);
  }
}

// MR rows of x (xb, stride padded) times NR weight rows (w, stride k values): `full` whole chunks of 32, then the
// `tail` lanes of the last chunk (weights masked, x zero-padded).
template <int MR, int NR>
TOOLKEN_DPBF16 void tile(const uint16_t* xb, int64_t padded, const uint8_t* w, int64_t k, int64_t full, __mmask32 tail,
                         float* out, int64_t ldo, bool accumulate) {
  __m512 acc[MR][NR];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) acc[i][j] = _mm512_setzero_ps();
  __m512bh wv[NR];
  for (int64_t c = 0; c < full; c++) {
    // Eight cache lines ahead in each weight row: decode streams the weights from memory once, and four rows at
    // once are more streams than the hardware prefetcher follows well.
    for (int j = 0; j < NR; j++) _mm_prefetch(reinterpret_cast<const char*>(w + (j * k + c * kChunk) * 2 + 512), _MM_HINT_T0);
    for (int j = 0; j < NR; j++) wv[j] = (__m512bh)_mm512_loadu_si512(w + (j * k + c * kChunk) * 2);
    step<MR, NR>(acc, xb, padded, c * kChunk, wv);
  }
  if (tail != 0) {
    for (int j = 0; j < NR; j++) wv[j] = (__m512bh)_mm512_maskz_loadu_epi16(tail, w + (j * k + full * kChunk) * 2);
    step<MR, NR>(acc, xb, padded, full * kChunk, wv);
  }
  for (int i = 0; i < MR; i++) {
    for (int j = 0; j < NR; j++) {
      const float sum = sum_lanes(acc[i][j]);
      float& o = out[i * ldo + j];
      o = accumulate ? o + sum : sum;
    }
  }
}

template <int NR>
TOOLKEN_DPBF16 void rows_block(const uint16_t* xb, int64_t padded, const uint8_t* w, float* out, int64_t m, int64_t n,
                               int64_t k, int64_t full, __mmask32 tail, bool accumulate) {
  int64_t i = 0;
  for (; i + 4 <= m; i += 4) tile<4, NR>(xb + i * padded, padded, w, k, full, tail, out + i * n, n, accumulate);
  switch (m - i) {
    case 3: tile<3, NR>(xb + i * padded, padded, w, k, full, tail, out + i * n, n, accumulate); break;
    case 2: tile<2, NR>(xb + i * padded, padded, w, k, full, tail, out + i * n, n, accumulate); break;
    case 1: tile<1, NR>(xb + i * padded, padded, w, k, full, tail, out + i * n, n, accumulate); break;
    default: break;
  }
}

// Weight rows r0..r1-1, four at a time (each x chunk loaded once for four rows); activation rows in panels of 64 so
// that a panel of x stays in cache while the weight rows pass.
TOOLKEN_DPBF16 void rows_dpbf16(const uint16_t* xb, int64_t padded, const uint8_t* w, float* out, int64_t m, int64_t n,
                                int64_t k, int64_t r0, int64_t r1, bool accumulate) {
  const int64_t full = k / kChunk;
  const int64_t rest = k - full * kChunk;
  const __mmask32 tail = rest == 0 ? 0 : static_cast<__mmask32>((1ull << rest) - 1);
  constexpr int64_t kPanel = 64;
  for (int64_t i0 = 0; i0 < m; i0 += kPanel) {
    const int64_t rows = std::min(kPanel, m - i0);
    const uint16_t* xp = xb + i0 * padded;
    float* op = out + i0 * n;
    int64_t r = r0;
    // Decode-like calls (fewer than four activation rows) stream one weight row at a time.
    if (rows >= 4)
      for (; r + 4 <= r1; r += 4) rows_block<4>(xp, padded, w + r * k * 2, op + r, rows, n, k, full, tail, accumulate);
    for (; r < r1; r++) rows_block<1>(xp, padded, w + r * k * 2, op + r, rows, n, k, full, tail, accumulate);
  }
}
#endif

}  // namespace

MatmulPath bf16_weight_path() {
  return matmul_path() != MatmulPath::Fp32 && matmul_path_available(MatmulPath::Avx512Bf16) ? MatmulPath::Avx512Bf16 : MatmulPath::Fp32;
}

void bf16_weight_matmul(const float* x, const uint8_t* w, float* out, int64_t m, int64_t n, int64_t k, bool accumulate) {
  if (k == 0) {
    if (!accumulate) std::fill(out, out + m * n, 0.0f);
    return;
  }
  const int64_t padded = (k + kChunk - 1) / kChunk * kChunk;
  round_activations(x, m, k, padded);
  const uint16_t* xb = rounded.data();
  const bool dpbf16 = bf16_weight_path() == MatmulPath::Avx512Bf16;
  // About 16 KiB of weights per task, so both threads get work on the smallest projections.
  const int64_t grain = std::max<int64_t>(4, 8192 / k);
  parallel_for(n, grain, [&](int64_t r0, int64_t r1) {
#if defined(__x86_64__)
    if (dpbf16) return rows_dpbf16(xb, padded, w, out, m, n, k, r0, r1, accumulate);
#endif
    rows_portable(xb, padded, w, out, m, n, k, r0, r1, accumulate);
  });
}

}  // namespace toolken
