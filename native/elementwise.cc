// Memory, elementwise and reduction kernels. Large arrays are split over the pool in contiguous ranges.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels.h"
#include "thread_pool.h"
#include "vec.h"

namespace toolken {
namespace {

// Below this many elements a kernel is cheaper than waking the pool.
constexpr int64_t kElementGrain = 1 << 15;

constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluC = 0.044715f;

inline float sigmoidf(float x) { return 1.0f / (1.0f + std::exp(-x)); }

inline float unary_value(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return std::log(x);
    case UnaryOp::Sqrt: return std::sqrt(x);
    case UnaryOp::Rsqrt: return 1.0f / std::sqrt(x);
    case UnaryOp::Square: return x * x;
    case UnaryOp::Silu: return x * sigmoidf(x);
    case UnaryOp::Gelu: return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + kGeluC * x * x * x)));
    case UnaryOp::Relu: return x > 0.0f ? x : 0.0f;
    case UnaryOp::Tanh: return std::tanh(x);
    case UnaryOp::Sigmoid: return sigmoidf(x);
  }
  return x;
}

// d op(x) / dx
inline float unary_derivative(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::Neg: return -1.0f;
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return 1.0f / x;
    case UnaryOp::Sqrt: return 0.5f / std::sqrt(x);
    case UnaryOp::Rsqrt: return -0.5f / (x * std::sqrt(x));
    case UnaryOp::Square: return 2.0f * x;
    case UnaryOp::Silu: {
      const float s = sigmoidf(x);
      return s * (1.0f + x * (1.0f - s));
    }
    case UnaryOp::Gelu: {
      const float th = std::tanh(kSqrt2OverPi * (x + kGeluC * x * x * x));
      const float du = kSqrt2OverPi * (1.0f + 3.0f * kGeluC * x * x);
      return 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * du;
    }
    case UnaryOp::Relu: return x > 0.0f ? 1.0f : 0.0f;
    case UnaryOp::Tanh: {
      const float th = std::tanh(x);
      return 1.0f - th * th;
    }
    case UnaryOp::Sigmoid: {
      const float s = sigmoidf(x);
      return s * (1.0f - s);
    }
  }
  return 0.0f;
}

TOOLKEN_VECTOR_CLONES
void binary_range(BinaryOp op, const float* a, const float* b, float* out, int64_t n) {
  switch (op) {
    case BinaryOp::Add: for (int64_t i = 0; i < n; i++) out[i] = a[i] + b[i]; break;
    case BinaryOp::Sub: for (int64_t i = 0; i < n; i++) out[i] = a[i] - b[i]; break;
    case BinaryOp::Mul: for (int64_t i = 0; i < n; i++) out[i] = a[i] * b[i]; break;
    case BinaryOp::Div: for (int64_t i = 0; i < n; i++) out[i] = a[i] / b[i]; break;
  }
}

TOOLKEN_VECTOR_CLONES
void binary_scalar_range(BinaryOp op, const float* a, float b, float* out, int64_t n) {
  switch (op) {
    case BinaryOp::Add: for (int64_t i = 0; i < n; i++) out[i] = a[i] + b; break;
    case BinaryOp::Sub: for (int64_t i = 0; i < n; i++) out[i] = a[i] - b; break;
    case BinaryOp::Mul: for (int64_t i = 0; i < n; i++) out[i] = a[i] * b; break;
    case BinaryOp::Div: for (int64_t i = 0; i < n; i++) out[i] = a[i] / b; break;
  }
}

TOOLKEN_VECTOR_CLONES
void axpby_range(float alpha, const float* x, float beta, float* out, int64_t n) {
  if (beta == 0.0f) {
    for (int64_t i = 0; i < n; i++) out[i] = alpha * x[i];
  } else {
    for (int64_t i = 0; i < n; i++) out[i] = alpha * x[i] + beta * out[i];
  }
}

// The op is a template parameter so each loop is compiled (and vectorised where the math allows) per op.
template <UnaryOp op>
void unary_range(const float* x, float* out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = unary_value(op, x[i]);
}

template <UnaryOp op>
void unary_backward_range(const float* x, const float* dy, float* dx, int64_t n, bool accumulate) {
  if (accumulate) {
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * unary_derivative(op, x[i]);
  } else {
    for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * unary_derivative(op, x[i]);
  }
}

template <UnaryOp... ops>
struct UnaryTables {
  static constexpr void (*forward[])(const float*, float*, int64_t) = {unary_range<ops>...};
  static constexpr void (*backward[])(const float*, const float*, float*, int64_t, bool) = {unary_backward_range<ops>...};
};

// Indexed by UnaryOp, in declaration order.
using Unary = UnaryTables<UnaryOp::Neg, UnaryOp::Exp, UnaryOp::Log, UnaryOp::Sqrt, UnaryOp::Rsqrt, UnaryOp::Square, UnaryOp::Silu,
                          UnaryOp::Gelu, UnaryOp::Relu, UnaryOp::Tanh, UnaryOp::Sigmoid>;
static_assert(sizeof(Unary::forward) / sizeof(Unary::forward[0]) == kUnaryOpCount, "one loop per unary op");

}  // namespace

void fill(float* out, float value, int64_t length) {
  parallel_for(length, kElementGrain, [&](int64_t i0, int64_t i1) { std::fill(out + i0, out + i1, value); });
}

void copy(const float* src, float* out, int64_t length) {
  // memmove: the caller may copy within one storage with overlapping ranges.
  if (length > 0) std::memmove(out, src, static_cast<size_t>(length) * sizeof(float));
}

void copy_strided(const float* src, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, float* out) {
  const size_t rank = shape.size();
  int64_t total = 1;
  for (const int64_t s : shape) total *= s;
  if (total == 0) return;
  if (rank == 0) {
    out[0] = src[0];
    return;
  }
  // The innermost dimension is one row; rows are independent, so they are split over the pool.
  const int64_t inner = shape[rank - 1];
  const int64_t inner_stride = strides[rank - 1];
  const int64_t rows = total / inner;
  parallel_for(rows, std::max<int64_t>(1, kElementGrain / std::max<int64_t>(inner, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      int64_t offset = 0;
      int64_t rest = r;
      for (size_t d = rank - 1; d-- > 0;) {
        offset += (rest % shape[d]) * strides[d];
        rest /= shape[d];
      }
      const float* s = src + offset;
      float* o = out + r * inner;
      if (inner_stride == 1) {
        std::memcpy(o, s, static_cast<size_t>(inner) * sizeof(float));
      } else {
        for (int64_t i = 0; i < inner; i++) o[i] = s[i * inner_stride];
      }
    }
  });
}

void binary(BinaryOp op, const float* a, const float* b, float* out, int64_t size, int64_t b_size) {
  if (b_size == 1) {
    const float scalar = b[0];
    parallel_for(size, kElementGrain, [&](int64_t i0, int64_t i1) { binary_scalar_range(op, a + i0, scalar, out + i0, i1 - i0); });
    return;
  }
  // a is (size / b_size) rows of b_size; b is one row repeated.
  const int64_t rows = size / b_size;
  parallel_for(rows, std::max<int64_t>(1, kElementGrain / b_size), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) binary_range(op, a + r * b_size, b, out + r * b_size, b_size);
  });
}

void unary(UnaryOp op, const float* x, float* out, int64_t size) {
  const auto range = Unary::forward[static_cast<int>(op)];
  parallel_for(size, kElementGrain / 4, [&](int64_t i0, int64_t i1) { range(x + i0, out + i0, i1 - i0); });
}

void unary_backward(UnaryOp op, const float* x, const float* dy, float* dx, int64_t size, bool accumulate) {
  const auto range = Unary::backward[static_cast<int>(op)];
  parallel_for(size, kElementGrain / 4, [&](int64_t i0, int64_t i1) { range(x + i0, dy + i0, dx + i0, i1 - i0, accumulate); });
}

void axpby(float alpha, const float* x, float beta, float* out, int64_t size) {
  parallel_for(size, kElementGrain, [&](int64_t i0, int64_t i1) { axpby_range(alpha, x + i0, beta, out + i0, i1 - i0); });
}

// x (outer, inner) -> out (inner): each part owns a range of columns and sums all rows into float64 partials.
void sum_outer(const float* x, float* out, int64_t outer, int64_t inner, bool accumulate) {
  parallel_for(inner, std::max<int64_t>(16, kElementGrain / std::max<int64_t>(outer, 1)), [&](int64_t j0, int64_t j1) {
    std::vector<double> acc(static_cast<size_t>(j1 - j0), 0.0);
    for (int64_t i = 0; i < outer; i++) {
      const float* row = x + i * inner;
      for (int64_t j = j0; j < j1; j++) acc[j - j0] += row[j];
    }
    for (int64_t j = j0; j < j1; j++) out[j] = accumulate ? out[j] + static_cast<float>(acc[j - j0]) : static_cast<float>(acc[j - j0]);
  });
}

// x (rows, cols) -> out (rows)
void sum_rows(const float* x, float* out, int64_t rows, int64_t cols, bool accumulate) {
  parallel_for(rows, std::max<int64_t>(1, kElementGrain / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      double acc = 0.0;
      const float* row = x + r * cols;
      for (int64_t c = 0; c < cols; c++) acc += row[c];
      out[r] = accumulate ? out[r] + static_cast<float>(acc) : static_cast<float>(acc);
    }
  });
}

double sum_squares(const float* x, int64_t size) {
  // One float64 partial per part, added in part order: the same total for the same thread count.
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(4 * pool_threads(), size / kElementGrain));
  std::vector<double> partial(static_cast<size_t>(parts), 0.0);
  parallel_parts(parts, [&](int64_t p) {
    double acc = 0.0;
    for (int64_t i = size * p / parts; i < size * (p + 1) / parts; i++) acc += static_cast<double>(x[i]) * x[i];
    partial[p] = acc;
  });
  double total = 0.0;
  for (const double s : partial) total += s;
  return total;
}

// The sigmoids of a range are computed a block at a time into a stack buffer (vectorised exp), then combined.
constexpr int64_t kSigmoidBlock = 256;

void swiglu(const float* gate, const float* up, float* out, int64_t size) {
  parallel_for(size, kElementGrain / 4, [&](int64_t i0, int64_t i1) {
    float s[kSigmoidBlock];
    for (int64_t b0 = i0; b0 < i1; b0 += kSigmoidBlock) {
      const int64_t n = std::min(kSigmoidBlock, i1 - b0);
      sigmoid(gate + b0, s, n);
      for (int64_t i = 0; i < n; i++) out[b0 + i] = gate[b0 + i] * s[i] * up[b0 + i];
    }
  });
}

// out = silu(g) u with silu(g) = g s, s = sigmoid(g):  d_gate = dy u s (1 + g (1 - s)),  d_up = dy g s
void swiglu_backward(const float* gate, const float* up, const float* dy, float* d_gate, float* d_up, int64_t size, bool accumulate) {
  parallel_for(size, kElementGrain / 4, [&](int64_t i0, int64_t i1) {
    float s[kSigmoidBlock];
    for (int64_t b0 = i0; b0 < i1; b0 += kSigmoidBlock) {
      const int64_t n = std::min(kSigmoidBlock, i1 - b0);
      sigmoid(gate + b0, s, n);
      for (int64_t i = 0; i < n; i++) {
        const int64_t at = b0 + i;
        const float dg = dy[at] * up[at] * s[i] * (1.0f + gate[at] * (1.0f - s[i]));
        const float du = dy[at] * gate[at] * s[i];
        d_gate[at] = accumulate ? d_gate[at] + dg : dg;
        d_up[at] = accumulate ? d_up[at] + du : du;
      }
    }
  });
}

}  // namespace toolken
