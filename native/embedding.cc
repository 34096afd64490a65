// Token embeddings (gather / scatter-add) and rotary position embeddings.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "thread_pool.h"

namespace toolken {

// table (vocab, dim), ids (n) -> out (n, dim)
void embedding(const float* table, const int32_t* ids, int64_t n, float* out, int64_t dim) {
  parallel_for(n, std::max<int64_t>(1, 4096 / std::max<int64_t>(dim, 1)), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++)
      std::memcpy(out + i * dim, table + static_cast<int64_t>(ids[i]) * dim, static_cast<size_t>(dim) * sizeof(float));
  });
}

// d_table[ids[i]] += dy[i]. Repeated ids would race if rows were split over threads, so each part owns a range of
// columns and visits the ids in order: race-free and deterministic.
void embedding_backward(const float* dy, const int32_t* ids, int64_t n, float* d_table, int64_t dim) {
  parallel_for(dim, 16, [&](int64_t c0, int64_t c1) {
    for (int64_t i = 0; i < n; i++) {
      float* dst = d_table + static_cast<int64_t>(ids[i]) * dim;
      const float* src = dy + i * dim;
      for (int64_t c = c0; c < c1; c++) dst[c] += src[c];
    }
  });
}

// x (batch, heads, t, head_dim): the pair (x_i, x_{i+half}) is rotated by angle position * inv_freq[i];
// the inverse rotation (backward pass) uses -angle.
void rope(const float* x, float* out, const RopeGeometry& g, bool inverse) {
  const int64_t half = g.head_dim / 2;
  const int64_t rows = g.batch * g.heads * g.t;
  const double sign = inverse ? -1.0 : 1.0;
  // Every head at a position shares its angles, so cos/sin are evaluated once per (position, i) into tables
  // (t, half), or (batch, t, half) with explicit positions; the row loop is then multiply-adds only.
  const int64_t table_batches = g.positions == nullptr ? 1 : g.batch;
  std::vector<float> cos_table(static_cast<size_t>(table_batches * g.t * half));
  std::vector<float> sin_table(cos_table.size());
  parallel_for(table_batches * g.t, std::max<int64_t>(1, 256 / std::max<int64_t>(half, 1)), [&](int64_t p0, int64_t p1) {
    for (int64_t bt = p0; bt < p1; bt++) {
      const double pos = g.positions == nullptr ? static_cast<double>(g.start_position + bt) : g.positions[bt];
      for (int64_t i = 0; i < half; i++) {
        const double angle = pos * static_cast<double>(g.inv_freq[i]);
        cos_table[bt * half + i] = static_cast<float>(std::cos(angle));
        sin_table[bt * half + i] = static_cast<float>(sign * std::sin(angle));
      }
    }
  });
  parallel_for(rows, std::max<int64_t>(1, 2048 / std::max<int64_t>(g.head_dim, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t row = r0; row < r1; row++) {
      const int64_t ti = row % g.t;
      const int64_t b = row / (g.heads * g.t);
      const int64_t bt = g.positions == nullptr ? ti : b * g.t + ti;
      const float* cos_row = cos_table.data() + bt * half;
      const float* sin_row = sin_table.data() + bt * half;
      const float* xr = x + row * g.head_dim;
      float* yr = out + row * g.head_dim;
      for (int64_t i = 0; i < half; i++) {
        const float x1 = xr[i];
        const float x2 = xr[i + half];
        yr[i] = x1 * cos_row[i] - x2 * sin_row[i];
        yr[i + half] = x2 * cos_row[i] + x1 * sin_row[i];
      }
    }
  });
}

}  // namespace toolken
