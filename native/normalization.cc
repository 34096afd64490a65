// RMSNorm, LayerNorm and softmax over the last dimension: rows are independent and split over the pool; weight
// gradients are reduced per column range so no two threads write the same element.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels.h"
#include "thread_pool.h"
#include "vec.h"

namespace toolken {
namespace {

constexpr int64_t kRowGrainElements = 1 << 14;

int64_t row_grain(int64_t dim) { return std::max<int64_t>(1, kRowGrainElements / std::max<int64_t>(dim, 1)); }

inline void store(float* out, int64_t i, float value, bool accumulate) { out[i] = accumulate ? out[i] + value : value; }

// d_weight[i] (+)= sum_r column_term(r, i), each part owning a range of columns.
template <typename ColumnTerm>
void reduce_columns(float* d_weight, int64_t rows, int64_t dim, bool accumulate, ColumnTerm term) {
  parallel_for(dim, 16, [&](int64_t i0, int64_t i1) {
    std::vector<double> acc(static_cast<size_t>(i1 - i0), 0.0);
    for (int64_t r = 0; r < rows; r++)
      for (int64_t i = i0; i < i1; i++) acc[i - i0] += term(r, i);
    for (int64_t i = i0; i < i1; i++) store(d_weight, i, static_cast<float>(acc[i - i0]), accumulate);
  });
}

}  // namespace

// x (rows, dim), weight (dim) -> out (rows, dim), rstd (rows)
void rmsnorm(const float* x, const float* weight, float* out, float* rstd, int64_t rows, int64_t dim, float eps) {
  parallel_for(rows, row_grain(dim), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * dim;
      float* yr = out + r * dim;
      double ss = 0.0;
      for (int64_t i = 0; i < dim; i++) ss += static_cast<double>(xr[i]) * xr[i];
      const float rs = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(dim) + eps));
      rstd[r] = rs;
      for (int64_t i = 0; i < dim; i++) yr[i] = xr[i] * rs * weight[i];
    }
  });
}

// y_i = x_i r w_i with r = (mean(x^2) + eps)^-1/2:  dx_i = r w_i dy_i - x_i r^3 / dim * sum_j(w_j dy_j x_j);
// d_weight_i = sum_rows dy_i x_i r
void rmsnorm_backward(const float* x, const float* weight, const float* rstd, const float* dy, float* dx, float* d_weight,
                      int64_t rows, int64_t dim, bool accumulate) {
  parallel_for(rows, row_grain(dim), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * dim;
      const float* dyr = dy + r * dim;
      const double rs = rstd[r];
      double wdx = 0.0;
      for (int64_t i = 0; i < dim; i++) wdx += static_cast<double>(weight[i]) * dyr[i] * xr[i];
      const float c = static_cast<float>(rs * rs * rs * wdx / static_cast<double>(dim));
      const float rsf = static_cast<float>(rs);
      for (int64_t i = 0; i < dim; i++) store(dx, r * dim + i, rsf * weight[i] * dyr[i] - xr[i] * c, accumulate);
    }
  });
  if (d_weight != nullptr)
    reduce_columns(d_weight, rows, dim, accumulate,
                   [&](int64_t r, int64_t i) { return static_cast<double>(dy[r * dim + i]) * x[r * dim + i] * rstd[r]; });
}

void layernorm(const float* x, const float* weight, const float* bias, float* out, float* mean, float* rstd, int64_t rows,
               int64_t dim, float eps) {
  parallel_for(rows, row_grain(dim), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * dim;
      float* yr = out + r * dim;
      double s = 0.0;
      for (int64_t i = 0; i < dim; i++) s += xr[i];
      const double mu = s / static_cast<double>(dim);
      double var = 0.0;
      for (int64_t i = 0; i < dim; i++) var += (xr[i] - mu) * (xr[i] - mu);
      const float rs = static_cast<float>(1.0 / std::sqrt(var / static_cast<double>(dim) + eps));
      const float muf = static_cast<float>(mu);
      mean[r] = muf;
      rstd[r] = rs;
      for (int64_t i = 0; i < dim; i++) yr[i] = (xr[i] - muf) * rs * weight[i] + (bias == nullptr ? 0.0f : bias[i]);
    }
  });
}

// xhat = (x - mean) r;  dx_i = r (g_i - mean(g) - xhat_i mean(g xhat)) with g = dy w;
// d_weight = sum_rows dy xhat;  d_bias = sum_rows dy
void layernorm_backward(const float* x, const float* weight, const float* mean, const float* rstd, const float* dy, float* dx,
                        float* d_weight, float* d_bias, int64_t rows, int64_t dim, bool accumulate) {
  parallel_for(rows, row_grain(dim), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * dim;
      const float* dyr = dy + r * dim;
      const float mu = mean[r];
      const float rs = rstd[r];
      double g_mean = 0.0;
      double gx_mean = 0.0;
      for (int64_t i = 0; i < dim; i++) {
        const double g = static_cast<double>(dyr[i]) * weight[i];
        g_mean += g;
        gx_mean += g * (xr[i] - mu) * rs;
      }
      const float gm = static_cast<float>(g_mean / static_cast<double>(dim));
      const float gxm = static_cast<float>(gx_mean / static_cast<double>(dim));
      for (int64_t i = 0; i < dim; i++) {
        const float xhat = (xr[i] - mu) * rs;
        store(dx, r * dim + i, rs * (dyr[i] * weight[i] - gm - xhat * gxm), accumulate);
      }
    }
  });
  if (d_weight != nullptr)
    reduce_columns(d_weight, rows, dim, accumulate, [&](int64_t r, int64_t i) {
      return static_cast<double>(dy[r * dim + i]) * (x[r * dim + i] - mean[r]) * rstd[r];
    });
  if (d_bias != nullptr)
    reduce_columns(d_bias, rows, dim, accumulate, [&](int64_t r, int64_t i) { return static_cast<double>(dy[r * dim + i]); });
}

// x (rows, cols) -> out (rows, cols): exp(x - lse) or x - lse per row
void softmax(const float* x, float* out, int64_t rows, int64_t cols, bool log) {
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      float* yr = out + r * cols;
      const float max = max_value(xr, cols);
      const double sum = exp_shifted_sum(xr, max, yr, cols);
      if (log) {
        const float lse = max + static_cast<float>(std::log(sum));
        for (int64_t c = 0; c < cols; c++) yr[c] = xr[c] - lse;
      } else {
        const float inv_sum = static_cast<float>(1.0 / sum);
        for (int64_t c = 0; c < cols; c++) yr[c] *= inv_sum;
      }
    }
  });
}

// softmax: dx = y (dy - sum(dy y));  log-softmax: dx = dy - exp(y) sum(dy)
void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool log, bool accumulate) {
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* yr = y + r * cols;
      const float* dyr = dy + r * cols;
      double s = 0.0;
      for (int64_t c = 0; c < cols; c++) s += log ? dyr[c] : static_cast<double>(dyr[c]) * yr[c];
      const float sf = static_cast<float>(s);
      for (int64_t c = 0; c < cols; c++) {
        const float g = log ? dyr[c] - std::exp(yr[c]) * sf : yr[c] * (dyr[c] - sf);
        store(dx, r * cols + c, g, accumulate);
      }
    }
  });
}

}  // namespace toolken
