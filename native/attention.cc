// Fused causal grouped-query attention with a KV-cache offset, blocked so the work runs on the SGEMM: a block of
// queries meets all the keys it can see at once (scores = Q K^T, then P V), and only a (block x tk) tile of scores
// exists at a time, never the full tq x tk matrix. The forward pass writes the row log-sum-exp; the backward pass
// recomputes the probabilities from it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "gemm.h"
#include "kernels.h"
#include "thread_pool.h"
#include "vec.h"

namespace toolken {
namespace {

// Queries per forward / dq task and keys per dk / dv task: big enough for the GEMM to run near its peak, small
// enough that (batch x heads x blocks) gives every thread work and the score tile stays in L2.
constexpr int64_t kQueryBlock = 64;
constexpr int64_t kKeyBlock = 64;

// Keys query i may attend to: all of them, or (causal) those at absolute positions <= past_length + i.
inline int64_t visible_keys(const AttentionGeometry& g, int64_t i) {
  return g.causal ? std::min(g.tk, g.past_length + i + 1) : g.tk;
}

inline int64_t kv_offset(const AttentionGeometry& g, int64_t b, int64_t h) {
  return (b * g.kv_heads + h / (g.heads / g.kv_heads)) * g.kv_head_stride;
}

// out (rows, n) = alpha * a (rows, k) @ b (n, k)^T, or += when accumulate.
inline void gemm_abt(const float* a, const float* b, float* out, int64_t rows, int64_t n, int64_t k, float alpha, bool accumulate) {
  sgemm(GemmArgs{a, b, out, rows, n, k, n, false, true, alpha, accumulate});
}

// out (rows, n) (+)= a (rows, k) @ b (k, n)
inline void gemm_ab(const float* a, const float* b, float* out, int64_t rows, int64_t n, int64_t k, bool accumulate) {
  sgemm(GemmArgs{a, b, out, rows, n, k, n, false, false, 1.0f, accumulate});
}

// One block of query rows i0 .. i0 + rows of head (b, h), with the keys its last row can see.
struct QueryBlock {
  int64_t bh, i0, rows, keys;
  const float* k;
  const float* v;
};

QueryBlock query_block(const AttentionGeometry& g, int64_t task, const float* k, const float* v) {
  const int64_t q_blocks = (g.tq + kQueryBlock - 1) / kQueryBlock;
  QueryBlock blk{};
  blk.bh = task / q_blocks;
  blk.i0 = (task % q_blocks) * kQueryBlock;
  blk.rows = std::min(kQueryBlock, g.tq - blk.i0);
  blk.keys = visible_keys(g, blk.i0 + blk.rows - 1);
  const int64_t offset = kv_offset(g, blk.bh / g.heads, blk.bh % g.heads);
  blk.k = k + offset;
  blk.v = v + offset;
  return blk;
}

// p (rows, keys) holds scale * q k^T for a query block; turns row r into exp(s - lse_r) over its visible keys and 0
// beyond them.
void probabilities_from_lse(const AttentionGeometry& g, const QueryBlock& blk, const float* lse, float* p) {
  for (int64_t r = 0; r < blk.rows; r++) {
    float* row = p + r * blk.keys;
    const int64_t visible = visible_keys(g, blk.i0 + r);
    exp_shifted_sum(row, lse[blk.bh * g.tq + blk.i0 + r], row, visible);
    std::fill(row + visible, row + blk.keys, 0.0f);
  }
}

}  // namespace

// q (batch, heads, tq, d), k/v (batch, kv_heads, tk, d) with head stride kv_head_stride -> out like q, lse (batch, heads, tq)
void attention(const float* q, const float* k, const float* v, float* out, float* lse, const AttentionGeometry& g) {
  const int64_t d = g.head_dim;
  const int64_t q_blocks = (g.tq + kQueryBlock - 1) / kQueryBlock;
  parallel_parts(g.batch * g.heads * q_blocks, [&](int64_t task) {
    const QueryBlock blk = query_block(g, task, k, v);
    const int64_t row0 = blk.bh * g.tq + blk.i0;
    std::vector<float> p(static_cast<size_t>(blk.rows * blk.keys));
    gemm_abt(q + row0 * d, blk.k, p.data(), blk.rows, blk.keys, d, g.scale, false);
    // Row-wise softmax over the visible keys; the masked tail becomes 0 so P V can run over the full block.
    for (int64_t r = 0; r < blk.rows; r++) {
      float* row = p.data() + r * blk.keys;
      const int64_t visible = visible_keys(g, blk.i0 + r);
      const float max = max_value(row, visible);
      const double sum = exp_shifted_sum(row, max, row, visible);
      const float inv_sum = static_cast<float>(1.0 / sum);
      for (int64_t j = 0; j < visible; j++) row[j] *= inv_sum;
      std::fill(row + visible, row + blk.keys, 0.0f);
      lse[row0 + r] = max + static_cast<float>(std::log(sum));
    }
    gemm_ab(p.data(), blk.v, out + row0 * d, blk.rows, d, blk.keys, false);
  });
}

// P = exp(S - lse);  dP = dO V^T;  dS = P (dP - rowsum(dO O)) scale;  dq += dS K;  dk += dS^T Q;  dv += P^T dO.
// Two passes so every output element has one owner: query blocks for dq, then key blocks of a kv head (summing
// over the query heads that share it) for dk and dv. Race-free and deterministic at the cost of recomputing P.
void attention_backward(const float* q, const float* k, const float* v, const float* out, const float* lse, const float* d_out,
                        float* dq, float* dk, float* dv, const AttentionGeometry& g) {
  const int64_t d = g.head_dim;
  const int64_t rows = g.batch * g.heads * g.tq;
  std::vector<float> delta(static_cast<size_t>(rows));  // rowsum(dO * O) per query row
  parallel_for(rows, 256, [&](int64_t r0, int64_t r1) {
    for (int64_t row = r0; row < r1; row++) delta[row] = dot(d_out + row * d, out + row * d, d);
  });

  const int64_t q_blocks = (g.tq + kQueryBlock - 1) / kQueryBlock;
  parallel_parts(g.batch * g.heads * q_blocks, [&](int64_t task) {
    const QueryBlock blk = query_block(g, task, k, v);
    const int64_t row0 = blk.bh * g.tq + blk.i0;
    std::vector<float> p(static_cast<size_t>(blk.rows * blk.keys));
    std::vector<float> dp(static_cast<size_t>(blk.rows * blk.keys));
    gemm_abt(q + row0 * d, blk.k, p.data(), blk.rows, blk.keys, d, g.scale, false);
    probabilities_from_lse(g, blk, lse, p.data());
    gemm_abt(d_out + row0 * d, blk.v, dp.data(), blk.rows, blk.keys, d, 1.0f, false);
    for (int64_t r = 0; r < blk.rows; r++) {
      for (int64_t j = 0; j < blk.keys; j++) {
        const int64_t at = r * blk.keys + j;
        dp[at] = p[at] * (dp[at] - delta[row0 + r]) * g.scale;
      }
    }
    gemm_ab(dp.data(), blk.k, dq + row0 * d, blk.rows, d, blk.keys, true);
  });

  // Key block j0 .. j0 + keys of kv head (b, kvh) against every query that sees any of it, transposed: rows are
  // keys, columns are queries first_query .. tq.
  const int64_t group = g.heads / g.kv_heads;
  const int64_t k_blocks = (g.tk + kKeyBlock - 1) / kKeyBlock;
  parallel_parts(g.batch * g.kv_heads * k_blocks, [&](int64_t task) {
    const int64_t b_kvh = task / k_blocks;
    const int64_t j0 = (task % k_blocks) * kKeyBlock;
    const int64_t keys = std::min(kKeyBlock, g.tk - j0);
    const int64_t first_query = g.causal ? std::max<int64_t>(0, j0 - g.past_length) : 0;
    if (first_query >= g.tq) return;
    const int64_t queries = g.tq - first_query;
    const int64_t offset = b_kvh * g.kv_head_stride + j0 * d;
    std::vector<float> pt(static_cast<size_t>(keys * queries));
    std::vector<float> dpt(static_cast<size_t>(keys * queries));
    for (int64_t h = (b_kvh % g.kv_heads) * group; h < (b_kvh % g.kv_heads + 1) * group; h++) {
      const int64_t row0 = ((b_kvh / g.kv_heads) * g.heads + h) * g.tq + first_query;
      const float* qh = q + row0 * d;
      const float* doh = d_out + row0 * d;
      gemm_abt(k + offset, qh, pt.data(), keys, queries, d, g.scale, false);
      for (int64_t jr = 0; jr < keys; jr++) {
        float* row = pt.data() + jr * queries;
        for (int64_t c = 0; c < queries; c++) row[c] -= lse[row0 + c];
        exp_shifted_sum(row, 0.0f, row, queries);
        // Key j is hidden from the queries before j - past_length.
        if (g.causal) std::fill(row, row + std::clamp<int64_t>(j0 + jr - g.past_length - first_query, 0, queries), 0.0f);
      }
      gemm_ab(pt.data(), doh, dv + offset, keys, d, queries, true);
      gemm_abt(v + offset, doh, dpt.data(), keys, queries, d, 1.0f, false);
      for (int64_t jr = 0; jr < keys; jr++) {
        for (int64_t c = 0; c < queries; c++) {
          const int64_t at = jr * queries + c;
          dpt[at] = pt[at] * (dpt[at] - delta[row0 + c]) * g.scale;
        }
      }
      gemm_ab(dpt.data(), qh, dk + offset, keys, d, queries, true);
    }
  });
}

}  // namespace toolken
