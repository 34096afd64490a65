#include "vec.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace toolken {

TOOLKEN_VECTOR_CLONES
float dot(const float* a, const float* b, int64_t n) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; i++) sum += a[i] * b[i];
  return sum;
}

TOOLKEN_VECTOR_CLONES
void axpy(float alpha, const float* x, float* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

TOOLKEN_VECTOR_CLONES
float max_value(const float* x, int64_t n) {
  float result = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : result)
  for (int64_t i = 0; i < n; i++) result = std::max(result, x[i]);
  return result;
}

namespace {

double exp_shifted_sum_portable(const float* x, float shift, float* out, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; i++) {
    out[i] = std::exp(x[i] - shift);
    sum += out[i];
  }
  return sum;
}

#if defined(__x86_64__)
// exp(v) = 2^k exp(r) with k = round(v / ln 2) and r = v - k ln 2 in [-ln2/2, ln2/2] (ln 2 split in two parts so
// k ln 2 is exact); exp(r) by its degree-7 Taylor polynomial, whose truncation error is below 1e-8 there.
// Inputs below -87.3 give 0, as float exp does; NaN passes through.
__attribute__((target("avx2,fma"))) inline __m256 exp_avx2(__m256 v) {
  const __m256 ln2_hi = _mm256_set1_ps(0.693359375f);
  const __m256 ln2_lo = _mm256_set1_ps(-2.12194440e-4f);
  const __m256 underflow = _mm256_set1_ps(-87.3f);
  const __m256 clamped = _mm256_min_ps(_mm256_max_ps(v, underflow), _mm256_set1_ps(88.3f));
  const __m256 k = _mm256_round_ps(_mm256_mul_ps(clamped, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(k, ln2_hi, clamped);
  r = _mm256_fnmadd_ps(k, ln2_lo, r);
  __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  __m256 result = _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
  result = _mm256_blendv_ps(result, _mm256_setzero_ps(), _mm256_cmp_ps(v, underflow, _CMP_LT_OQ));
  return _mm256_blendv_ps(result, v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

__attribute__((target("avx2,fma"))) double exp_shifted_sum_avx2(const float* x, float shift, float* out, int64_t n) {
  const __m256 vshift = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), vshift));
    _mm256_storeu_ps(out + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  double sum = 0.0;
  for (const float lane : lanes) sum += lane;
  return sum + exp_shifted_sum_portable(x + i, shift, out + i, n - i);
}

__attribute__((target("avx2,fma"))) void sigmoid_avx2(const float* x, float* out, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_loadu_ps(x + i)));
    _mm256_storeu_ps(out + i, _mm256_div_ps(one, _mm256_add_ps(one, e)));
  }
  for (; i < n; i++) out[i] = 1.0f / (1.0f + std::exp(-x[i]));
}
#endif

}  // namespace

void sigmoid(const float* x, float* out, int64_t n) {
#if defined(__x86_64__)
  if (kernel_path() != KernelPath::Portable) return sigmoid_avx2(x, out, n);
#endif
  for (int64_t i = 0; i < n; i++) out[i] = 1.0f / (1.0f + std::exp(-x[i]));
}

double exp_shifted_sum(const float* x, float shift, float* out, int64_t n) {
#if defined(__x86_64__)
  if (kernel_path() != KernelPath::Portable) return exp_shifted_sum_avx2(x, shift, out, n);
#endif
  return exp_shifted_sum_portable(x, shift, out, n);
}

}  // namespace toolken
