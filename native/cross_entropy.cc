// Linear layer fused with cross-entropy over vocabulary chunks: logits for `chunk` classes at a time come from the
// SGEMM, feed a running (online) log-sum-exp per row, and are dropped; the full rows x vocab matrix never exists
// unless the caller hands in kept_logits to trade that memory for the backward's recompute GEMM.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <sys/mman.h>

#include "gemm.h"
#include "gemm_bf16.h"
#include "kernels.h"
#include "thread_pool.h"
#include "vec.h"

namespace toolken {
namespace {

inline double row_weight(const CrossEntropyGeometry& g, int64_t r) { return g.row_weights == nullptr ? 1.0 : g.row_weights[r]; }

inline bool carries_loss(const CrossEntropyGeometry& g, const int32_t* targets, int64_t r) {
  return targets[r] != g.ignore_index && row_weight(g, r) != 0.0;
}

inline double row_smoothing(const CrossEntropyGeometry& g, const int32_t* targets, int64_t r) {
  return targets[r] >= g.smooth_begin && targets[r] < g.smooth_end ? g.label_smoothing : 0.0;
}

// Row r's share q_rv of the smoothing mass for smoothing class v.
inline double smoothing_share(const CrossEntropyGeometry& g, int64_t r, int64_t v) {
  const int64_t classes = g.smooth_end - g.smooth_begin;
  return g.smoothing_targets == nullptr ? 1.0 / static_cast<double>(classes) : g.smoothing_targets[r * classes + v - g.smooth_begin];
}

// One of the head's GEMMs at the geometry's precision.
void head_gemm(const CrossEntropyGeometry& g, const GemmArgs& args) {
  if (g.bf16) gemm_bf16_batched(args, 1, 0, 0);
  else sgemm(args);
}

// logits (rows, cs) = hidden (rows, dim) @ weight[v0 : v0 + cs]^T
void chunk_logits(const float* hidden, const float* weight, float* logits, const CrossEntropyGeometry& g, int64_t v0, int64_t cs) {
  head_gemm(g, GemmArgs{hidden, weight + v0 * g.dim, logits, g.rows, cs, g.dim, cs, false, true, 1.0f, false});
}

// The kept logits are a fresh rows x vocab buffer every step, so first-touch page faults cost as much as a good part
// of the GEMM that fills it; asking for transparent huge pages (where the kernel allows them on request) takes
// 512 times fewer faults. Only whole 2 MiB pages inside the buffer are advised; failure just means small pages.
void advise_huge_pages(float* data, int64_t count) {
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data + count)) & ~(kHugePage - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

}  // namespace

CrossEntropyTotals linear_cross_entropy(const float* hidden, const float* weight, const int32_t* targets, float* lse,
                                        const CrossEntropyGeometry& g) {
  const int64_t chunk = std::min(g.chunk, g.vocab);
  std::vector<float> scratch(g.kept_logits == nullptr ? static_cast<size_t>(g.rows * chunk) : 0);
  if (g.kept_logits != nullptr) advise_huge_pages(g.kept_logits, g.rows * g.vocab);
  std::vector<float> running_max(static_cast<size_t>(g.rows), -std::numeric_limits<float>::infinity());
  std::vector<double> running_sum(static_cast<size_t>(g.rows), 0.0);
  std::vector<float> target_logit(static_cast<size_t>(g.rows), 0.0f);
  // Only label smoothing needs sum_{v in S} q_rv logit_rv, the smoothing distribution's expected logit.
  std::vector<double> class_logit_mean(g.label_smoothing > 0.0 ? static_cast<size_t>(g.rows) : 0, 0.0);
  for (int64_t v0 = 0; v0 < g.vocab; v0 += chunk) {
    const int64_t cs = std::min(chunk, g.vocab - v0);
    float* logits = g.kept_logits == nullptr ? scratch.data() : g.kept_logits + v0 * g.rows;
    chunk_logits(hidden, weight, logits, g, v0, cs);
    parallel_for(g.rows, std::max<int64_t>(1, 8192 / cs), [&](int64_t r0, int64_t r1) {
      // Kept logits must survive for the backward, so their exponentials go to a row buffer instead.
      std::vector<float> kept_row_exp(g.kept_logits == nullptr ? 0 : static_cast<size_t>(cs));
      for (int64_t r = r0; r < r1; r++) {
        float* lr = logits + r * cs;
        const float new_max = std::max(running_max[r], max_value(lr, cs));
        const int64_t t = targets[r];
        if (t >= v0 && t < v0 + cs) target_logit[r] = lr[t - v0];
        if (!class_logit_mean.empty()) {
          double s = 0.0;
          for (int64_t v = std::max(v0, g.smooth_begin); v < std::min(v0 + cs, g.smooth_end); v++) s += smoothing_share(g, r, v) * lr[v - v0];
          class_logit_mean[r] += s;
        }
        // Scratch logits are not needed after this, so their exponentials overwrite them.
        float* exp_out = g.kept_logits == nullptr ? lr : kept_row_exp.data();
        running_sum[r] = running_sum[r] * std::exp(static_cast<double>(running_max[r]) - new_max) + exp_shifted_sum(lr, new_max, exp_out, cs);
        running_max[r] = new_max;
      }
    });
  }
  CrossEntropyTotals totals{0.0, 0.0};
  for (int64_t r = 0; r < g.rows; r++) {
    if (!carries_loss(g, targets, r)) {
      lse[r] = 0.0f;
      if (g.row_losses != nullptr) g.row_losses[r] = 0.0f;
      continue;
    }
    const double row_lse = running_max[r] + std::log(running_sum[r]);
    lse[r] = static_cast<float>(row_lse);
    const double smoothed = class_logit_mean.empty() ? 0.0 : row_smoothing(g, targets, r) * (class_logit_mean[r] - target_logit[r]);
    const double row_loss = row_lse - target_logit[r] - smoothed;
    if (g.row_losses != nullptr) g.row_losses[r] = static_cast<float>(row_loss);
    totals.loss += row_weight(g, r) * row_loss;
    totals.weight_total += row_weight(g, r);
  }
  return totals;
}

// dlogits_rv = scale w_r s_r (softmax_rv - (1 - e) [v = target_r] - e [v in S] q_rv);  d_hidden += dlogits @ W;  d_weight += dlogits^T @ hidden
void linear_cross_entropy_backward(const float* hidden, const float* weight, const int32_t* targets, const float* lse, float scale,
                                   float* d_hidden, float* d_weight, const CrossEntropyGeometry& g) {
  const int64_t chunk = std::min(g.chunk, g.vocab);
  std::vector<float> dlogits(static_cast<size_t>(g.rows * chunk));
  for (int64_t v0 = 0; v0 < g.vocab; v0 += chunk) {
    const int64_t cs = std::min(chunk, g.vocab - v0);
    const float* logits = g.kept_logits == nullptr ? dlogits.data() : g.kept_logits + v0 * g.rows;
    if (g.kept_logits == nullptr) chunk_logits(hidden, weight, dlogits.data(), g, v0, cs);
    parallel_for(g.rows, std::max<int64_t>(1, 8192 / cs), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) {
        float* lr = dlogits.data() + r * cs;
        if (!carries_loss(g, targets, r)) {
          std::fill(lr, lr + cs, 0.0f);
          continue;
        }
        const double upstream = g.row_scales == nullptr ? 1.0 : g.row_scales[r];
        const float row_scale = static_cast<float>(scale * row_weight(g, r) * upstream);
        const double smoothing = row_smoothing(g, targets, r);
        exp_shifted_sum(logits + r * cs, lse[r], lr, cs);
        for (int64_t c = 0; c < cs; c++) lr[c] *= row_scale;
        if (smoothing > 0.0) {
          for (int64_t v = std::max(v0, g.smooth_begin); v < std::min(v0 + cs, g.smooth_end); v++)
            lr[v - v0] -= static_cast<float>(row_scale * smoothing * smoothing_share(g, r, v));
        }
        const int64_t t = targets[r];
        if (t >= v0 && t < v0 + cs) lr[t - v0] -= static_cast<float>(row_scale * (1.0 - smoothing));
      }
    });
    // d_hidden (rows, dim) += dlogits (rows, cs) @ W[v0 : v0 + cs] (cs, dim)
    if (d_hidden != nullptr)
      head_gemm(g, GemmArgs{dlogits.data(), weight + v0 * g.dim, d_hidden, g.rows, g.dim, cs, g.dim, false, false, 1.0f, true});
    // d_weight[v0 : v0 + cs] (cs, dim) += dlogits^T (cs, rows) @ hidden (rows, dim)
    if (d_weight != nullptr)
      head_gemm(g, GemmArgs{dlogits.data(), hidden, d_weight + v0 * g.dim, cs, g.dim, g.rows, g.dim, true, false, 1.0f, true});
  }
}

}  // namespace toolken
