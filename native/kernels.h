// The row-wise and elementwise kernels of the Backend interface (src/tensor/backend.ts), on raw pointers.
// Arguments are validated by the binding (binding.cc) before these run. "accumulate" means out += result.
#pragma once

#include <cstdint>
#include <vector>

namespace toolken {

enum class BinaryOp : int { Add = 0, Sub, Mul, Div };
enum class UnaryOp : int { Neg = 0, Exp, Log, Sqrt, Rsqrt, Square, Silu, Gelu, Relu, Tanh, Sigmoid };
constexpr int kUnaryOpCount = 11;

// ---- memory ----
void fill(float* out, float value, int64_t length);
void copy(const float* src, float* out, int64_t length);
// out (contiguous, shape) = src viewed with strides from src[0].
void copy_strided(const float* src, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, float* out);

// ---- elementwise ----
void binary(BinaryOp op, const float* a, const float* b, float* out, int64_t size, int64_t b_size);
void unary(UnaryOp op, const float* x, float* out, int64_t size);
void unary_backward(UnaryOp op, const float* x, const float* dy, float* dx, int64_t size, bool accumulate);
void axpby(float alpha, const float* x, float beta, float* out, int64_t size);
void sum_outer(const float* x, float* out, int64_t outer, int64_t inner, bool accumulate);
void sum_rows(const float* x, float* out, int64_t rows, int64_t cols, bool accumulate);
double sum_squares(const float* x, int64_t size);
void swiglu(const float* gate, const float* up, float* out, int64_t size);
void swiglu_backward(const float* gate, const float* up, const float* dy, float* d_gate, float* d_up, int64_t size, bool accumulate);

// ---- normalisation ----
void rmsnorm(const float* x, const float* weight, float* out, float* rstd, int64_t rows, int64_t dim, float eps);
void rmsnorm_backward(const float* x, const float* weight, const float* rstd, const float* dy, float* dx, float* d_weight,
                      int64_t rows, int64_t dim, bool accumulate);
void layernorm(const float* x, const float* weight, const float* bias, float* out, float* mean, float* rstd, int64_t rows,
               int64_t dim, float eps);
void layernorm_backward(const float* x, const float* weight, const float* mean, const float* rstd, const float* dy, float* dx,
                        float* d_weight, float* d_bias, int64_t rows, int64_t dim, bool accumulate);

// ---- softmax family ----
void softmax(const float* x, float* out, int64_t rows, int64_t cols, bool log);
void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool log, bool accumulate);

// ---- embeddings and positions ----
void embedding(const float* table, const int32_t* ids, int64_t n, float* out, int64_t dim);
void embedding_backward(const float* dy, const int32_t* ids, int64_t n, float* d_table, int64_t dim);

struct RopeGeometry {
  int64_t batch, heads, t, head_dim, start_position;
  const float* inv_freq;   // head_dim / 2
  const int32_t* positions;  // batch * t, or null
};
void rope(const float* x, float* out, const RopeGeometry& g, bool inverse);

// ---- attention ----
struct AttentionGeometry {
  int64_t batch, heads, kv_heads, tq, tk, head_dim, past_length;
  bool causal;
  float scale;
  int64_t kv_head_stride;
};
void attention(const float* q, const float* k, const float* v, float* out, float* lse, const AttentionGeometry& g);
void attention_backward(const float* q, const float* k, const float* v, const float* out, const float* lse, const float* d_out,
                        float* dq, float* dk, float* dv, const AttentionGeometry& g);

// ---- losses ----
struct CrossEntropyGeometry {
  int64_t rows, dim, vocab, ignore_index, chunk;
  const float* row_weights;  // rows, or null for all 1
  // rows * vocab, or null: the forward stores its logits here, chunk by chunk ((rows, cs) blocks at v0 * rows), and
  // the backward reads them instead of recomputing them (one GEMM fewer) when the caller can afford the memory.
  float* kept_logits;
  // Label smoothing e: the target gets 1 - e and the smoothing classes S (columns smooth_begin..smooth_end-1) share e,
  // evenly or, with smoothing_targets, as each row's own distribution q_r over S (knowledge distillation: a teacher's
  // probabilities). Rows whose target is not in S are not smoothed. e = 0: plain cross-entropy.
  double label_smoothing;
  int64_t smooth_begin, smooth_end;
  const float* smoothing_targets;  // rows * |S|, each row summing to 1, or null for the uniform 1 / |S|
  // rows, or null: the forward writes each row's loss before its weight there (0 for rows that carry none).
  float* row_losses;
  // rows, or null for all 1: the backward scales row r's gradient by row_scales[r] too (upstream gradients of
  // per-row losses).
  const float* row_scales;
  // The three GEMMs (logits, d_hidden, d_weight) multiply bf16-rounded operands with fp32 sums (gemm_bf16.h) instead
  // of fp32 ones; the log-sum-exp and the loss are fp32 / double either way.
  bool bf16;
};
struct CrossEntropyTotals {
  double loss;
  double weight_total;
};
CrossEntropyTotals linear_cross_entropy(const float* hidden, const float* weight, const int32_t* targets, float* lse,
                                        const CrossEntropyGeometry& g);
void linear_cross_entropy_backward(const float* hidden, const float* weight, const int32_t* targets, const float* lse, float scale,
                                   float* d_hidden, float* d_weight, const CrossEntropyGeometry& g);

// ---- optimizers ----
struct AdamWHyper {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step;
};
void adamw(float* param, const float* grad, float* m, float* v, int64_t size, const AdamWHyper& h);

}  // namespace toolken
