// Small vector primitives for the row-wise kernels (attention, softmax, cross-entropy, skinny matmuls). dot and
// axpy get an AVX2/FMA clone chosen at load time by the dynamic loader (GCC target_clones) next to a portable
// default; exp_shifted_sum follows kernel_path().
#pragma once

#include <cstdint>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TOOLKEN_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TOOLKEN_VECTOR_CLONES
#endif

namespace toolken {

// sum_i a[i] * b[i]
float dot(const float* a, const float* b, int64_t n);

// y[i] += alpha * x[i]
void axpy(float alpha, const float* x, float* y, int64_t n);

// max_i x[i] (-inf for n = 0); the row maximum that every softmax subtracts first.
float max_value(const float* x, int64_t n);

// out[i] = exp(x[i] - shift) (out may be x); returns sum_i out[i]. The softmax-family inner loop: AVX2 evaluates
// exp with a polynomial (relative error ~2e-7), the portable path calls std::exp.
double exp_shifted_sum(const float* x, float shift, float* out, int64_t n);

// out[i] = 1 / (1 + exp(-x[i])), with the same exp as exp_shifted_sum.
void sigmoid(const float* x, float* out, int64_t n);

}  // namespace toolken
