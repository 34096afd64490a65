// N-API surface of the native backend (loaded by src/tensor/backends/cpu.ts). Every function checks its
// arguments (types, integer sizes, typed-array lengths, index ranges) and throws an Error naming the kernel and the
// mismatch before any kernel touches memory; typed arrays are used in place, never copied.
#include <napi.h>

#include <cmath>
#include <string>
#include <vector>

#include "allocator.h"
#include "cpu_features.h"
#include "gemm.h"
#include "kernels.h"
#include "thread_pool.h"

namespace {

// Set once by Init, before any kernel allocates.
std::string allocator_policy;

struct Floats {
  float* data;
  int64_t length;
};

struct Ints {
  const int32_t* data;
  int64_t length;
};

// Reads and checks the arguments of one call; all errors name the kernel.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* kernel) : info_(info), kernel_(kernel) {}

  [[noreturn]] void fail(const std::string& message) const {
    throw Napi::Error::New(info_.Env(), std::string("cpu.") + kernel_ + ": " + message);
  }

  Floats floats(size_t i, const char* name) const {
    const Napi::Value value = info_[i];
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      fail(std::string(name) + " must be a Float32Array");
    Napi::Float32Array array = value.As<Napi::Float32Array>();
    return Floats{array.Data(), static_cast<int64_t>(array.ElementLength())};
  }

  Floats floats_or_null(size_t i, const char* name) const {
    if (info_[i].IsNull() || info_[i].IsUndefined()) return Floats{nullptr, 0};
    return floats(i, name);
  }

  Ints ints(size_t i, const char* name) const {
    const Napi::Value value = info_[i];
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
      fail(std::string(name) + " must be an Int32Array");
    Napi::Int32Array array = value.As<Napi::Int32Array>();
    return Ints{array.Data(), static_cast<int64_t>(array.ElementLength())};
  }

  Ints ints_or_null(size_t i, const char* name) const {
    if (info_[i].IsNull() || info_[i].IsUndefined()) return Ints{nullptr, 0};
    return ints(i, name);
  }

  double number(size_t i, const char* name) const {
    if (!info_[i].IsNumber()) fail(std::string(name) + " must be a number");
    return info_[i].As<Napi::Number>().DoubleValue();
  }

  // An integer in [min, 2^53).
  int64_t integer(size_t i, const char* name, int64_t min = 0) const {
    const double v = number(i, name);
    if (!std::isfinite(v) || std::floor(v) != v || v < static_cast<double>(min) || v > 9007199254740991.0)
      fail(std::string(name) + " must be an integer >= " + std::to_string(min) + ", got " + Napi::Number::New(info_.Env(), v).ToString().Utf8Value());
    return static_cast<int64_t>(v);
  }

  bool boolean(size_t i, const char* name) const {
    if (!info_[i].IsBoolean()) fail(std::string(name) + " must be a boolean");
    return info_[i].As<Napi::Boolean>().Value();
  }

  // The array must hold at least `needed` elements.
  void need(int64_t length, int64_t needed, const char* name, const std::string& because) const {
    if (length < needed)
      fail(std::string(name) + " has " + std::to_string(length) + " elements but " + std::to_string(needed) + " are needed (" + because + ")");
  }

  void need(const Floats& f, int64_t needed, const char* name, const std::string& because) const {
    need(f.length, needed, name, because);
  }

 private:
  const Napi::CallbackInfo& info_;
  const char* kernel_;
};

std::string shape2(const char* a, int64_t x, const char* b, int64_t y) {
  return std::string(a) + " " + std::to_string(x) + " x " + b + " " + std::to_string(y);
}

// ---- info and threads ----

Napi::Value Describe(const Napi::CallbackInfo& info) {
  const auto& f = toolken::cpu_features();
  std::string text = "cpu backend: " + toolken::gemm_description() + ", " + std::to_string(toolken::pool_threads()) +
                     " threads; cpu avx2=" + (f.avx2 ? "yes" : "no") + " fma=" + (f.fma ? "yes" : "no") +
                     " avx512f=" + (f.avx512f ? "yes" : "no") + "; allocator: " + allocator_policy;
  return Napi::String::New(info.Env(), text);
}

Napi::Value Features(const Napi::CallbackInfo& info) {
  const auto& f = toolken::cpu_features();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("avx2", f.avx2);
  o.Set("fma", f.fma);
  o.Set("avx512f", f.avx512f);
  o.Set("path", toolken::kernel_path_name(toolken::kernel_path()));
  return o;
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), toolken::pool_threads()); }

void SetThreads(const Napi::CallbackInfo& info) {
  Args args(info, "setThreads");
  toolken::set_pool_threads(static_cast<int>(args.integer(0, "threads", 1)));
}

// ---- memory ----

void Fill(const Napi::CallbackInfo& info) {
  Args args(info, "fill");
  Floats out = args.floats(0, "out");
  const float value = static_cast<float>(args.number(1, "value"));
  const int64_t offset = args.integer(2, "offset");
  const int64_t length = args.integer(3, "length");
  args.need(out, offset + length, "out", "offset + length");
  toolken::fill(out.data + offset, value, length);
}

void Copy(const Napi::CallbackInfo& info) {
  Args args(info, "copy");
  Floats src = args.floats(0, "src");
  const int64_t src_offset = args.integer(1, "srcOffset");
  Floats out = args.floats(2, "out");
  const int64_t out_offset = args.integer(3, "outOffset");
  const int64_t length = args.integer(4, "length");
  args.need(src, src_offset + length, "src", "srcOffset + length");
  args.need(out, out_offset + length, "out", "outOffset + length");
  toolken::copy(src.data + src_offset, out.data + out_offset, length);
}

std::vector<int64_t> integer_list(const Args& args, const Napi::Value& value, const char* name, bool allow_negative) {
  if (!value.IsArray()) args.fail(std::string(name) + " must be an array of integers");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<int64_t> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    const double v = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(v) || std::floor(v) != v || (!allow_negative && v < 0))
      args.fail(std::string(name) + "[" + std::to_string(i) + "] must be " + (allow_negative ? "an integer" : "a non-negative integer"));
    out[i] = static_cast<int64_t>(v);
  }
  return out;
}

void CopyStrided(const Napi::CallbackInfo& info) {
  Args args(info, "copyStrided");
  Floats src = args.floats(0, "src");
  const int64_t offset = args.integer(1, "offset");
  const std::vector<int64_t> shape = integer_list(args, info[2], "shape", false);
  const std::vector<int64_t> strides = integer_list(args, info[3], "strides", true);
  Floats out = args.floats(4, "out");
  if (shape.size() != strides.size())
    args.fail("shape has " + std::to_string(shape.size()) + " dimensions but strides has " + std::to_string(strides.size()));
  int64_t total = 1;
  int64_t lowest = offset;
  int64_t highest = offset;
  for (size_t d = 0; d < shape.size(); d++) {
    total *= shape[d];
    if (shape[d] == 0) continue;
    const int64_t reach = (shape[d] - 1) * strides[d];
    (reach < 0 ? lowest : highest) += reach;
  }
  args.need(out, total, "out", "the product of shape");
  if (total > 0) {
    if (lowest < 0) args.fail("the view reaches index " + std::to_string(lowest) + ", before the start of src");
    args.need(src, highest + 1, "src", "offset and strides reach index " + std::to_string(highest));
  }
  toolken::copy_strided(src.data + offset, shape, strides, out.data);
}

// ---- linear algebra ----

void Matmul(const Napi::CallbackInfo& info) {
  Args args(info, "matmul");
  Floats a = args.floats(0, "a");
  Floats b = args.floats(1, "b");
  Floats c = args.floats(2, "out");
  const int64_t batch = args.integer(3, "batch");
  const int64_t m = args.integer(4, "m");
  const int64_t n = args.integer(5, "n");
  const int64_t k = args.integer(6, "k");
  const bool trans_a = args.boolean(7, "transA");
  const bool trans_b = args.boolean(8, "transB");
  const int64_t stride_a = args.integer(9, "strideA");
  const int64_t stride_b = args.integer(10, "strideB");
  const float alpha = static_cast<float>(args.number(11, "alpha"));
  const bool accumulate = args.boolean(12, "accumulate");
  if (batch == 0 || m == 0 || n == 0) return;
  const std::string dims = "batch " + std::to_string(batch) + ", m " + std::to_string(m) + ", n " + std::to_string(n) + ", k " + std::to_string(k);
  args.need(a, (batch - 1) * stride_a + m * k, "a", dims + ", strideA " + std::to_string(stride_a));
  args.need(b, (batch - 1) * stride_b + k * n, "b", dims + ", strideB " + std::to_string(stride_b));
  args.need(c, batch * m * n, "out", dims);
  toolken::sgemm_batched(toolken::GemmArgs{a.data, b.data, c.data, m, n, k, n, trans_a, trans_b, alpha, accumulate}, batch, stride_a,
                         stride_b);
}

// ---- elementwise ----

toolken::UnaryOp unary_op(const Args& args, int64_t code) {
  if (code >= toolken::kUnaryOpCount) args.fail("unknown unary op code " + std::to_string(code));
  return static_cast<toolken::UnaryOp>(code);
}

void Binary(const Napi::CallbackInfo& info) {
  Args args(info, "binary");
  const int64_t code = args.integer(0, "op");
  if (code > 3) args.fail("unknown binary op code " + std::to_string(code));
  Floats a = args.floats(1, "a");
  Floats b = args.floats(2, "b");
  Floats out = args.floats(3, "out");
  const int64_t size = args.integer(4, "size");
  const int64_t b_size = args.integer(5, "bSize", 1);
  if (size % b_size != 0) args.fail("bSize " + std::to_string(b_size) + " does not divide size " + std::to_string(size));
  args.need(a, size, "a", "size");
  args.need(b, b_size, "b", "bSize");
  args.need(out, size, "out", "size");
  toolken::binary(static_cast<toolken::BinaryOp>(code), a.data, b.data, out.data, size, b_size);
}

void Unary(const Napi::CallbackInfo& info) {
  Args args(info, "unary");
  const toolken::UnaryOp op = unary_op(args, args.integer(0, "op"));
  Floats x = args.floats(1, "x");
  Floats out = args.floats(2, "out");
  const int64_t size = args.integer(3, "size");
  args.need(x, size, "x", "size");
  args.need(out, size, "out", "size");
  toolken::unary(op, x.data, out.data, size);
}

void UnaryBackward(const Napi::CallbackInfo& info) {
  Args args(info, "unaryBackward");
  const toolken::UnaryOp op = unary_op(args, args.integer(0, "op"));
  Floats x = args.floats(1, "x");
  Floats dy = args.floats(2, "dy");
  Floats dx = args.floats(3, "dx");
  const int64_t size = args.integer(4, "size");
  const bool accumulate = args.boolean(5, "accumulate");
  args.need(x, size, "x", "size");
  args.need(dy, size, "dy", "size");
  args.need(dx, size, "dx", "size");
  toolken::unary_backward(op, x.data, dy.data, dx.data, size, accumulate);
}

void Axpby(const Napi::CallbackInfo& info) {
  Args args(info, "axpby");
  const float alpha = static_cast<float>(args.number(0, "alpha"));
  Floats x = args.floats(1, "x");
  const float beta = static_cast<float>(args.number(2, "beta"));
  Floats out = args.floats(3, "out");
  const int64_t size = args.integer(4, "size");
  args.need(x, size, "x", "size");
  args.need(out, size, "out", "size");
  toolken::axpby(alpha, x.data, beta, out.data, size);
}

void SumOuter(const Napi::CallbackInfo& info) {
  Args args(info, "sumOuter");
  Floats x = args.floats(0, "x");
  Floats out = args.floats(1, "out");
  const int64_t outer = args.integer(2, "outer");
  const int64_t inner = args.integer(3, "inner");
  const bool accumulate = args.boolean(4, "accumulate");
  args.need(x, outer * inner, "x", shape2("outer", outer, "inner", inner));
  args.need(out, inner, "out", "inner");
  toolken::sum_outer(x.data, out.data, outer, inner, accumulate);
}

void SumRows(const Napi::CallbackInfo& info) {
  Args args(info, "sumRows");
  Floats x = args.floats(0, "x");
  Floats out = args.floats(1, "out");
  const int64_t rows = args.integer(2, "rows");
  const int64_t cols = args.integer(3, "cols");
  const bool accumulate = args.boolean(4, "accumulate");
  args.need(x, rows * cols, "x", shape2("rows", rows, "cols", cols));
  args.need(out, rows, "out", "rows");
  toolken::sum_rows(x.data, out.data, rows, cols, accumulate);
}

Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  Args args(info, "sumSquares");
  Floats x = args.floats(0, "x");
  const int64_t size = args.integer(1, "size");
  args.need(x, size, "x", "size");
  return Napi::Number::New(info.Env(), toolken::sum_squares(x.data, size));
}

void Swiglu(const Napi::CallbackInfo& info) {
  Args args(info, "swiglu");
  Floats gate = args.floats(0, "gate");
  Floats up = args.floats(1, "up");
  Floats out = args.floats(2, "out");
  const int64_t size = args.integer(3, "size");
  args.need(gate, size, "gate", "size");
  args.need(up, size, "up", "size");
  args.need(out, size, "out", "size");
  toolken::swiglu(gate.data, up.data, out.data, size);
}

void SwigluBackward(const Napi::CallbackInfo& info) {
  Args args(info, "swigluBackward");
  Floats gate = args.floats(0, "gate");
  Floats up = args.floats(1, "up");
  Floats dy = args.floats(2, "dy");
  Floats d_gate = args.floats(3, "dGate");
  Floats d_up = args.floats(4, "dUp");
  const int64_t size = args.integer(5, "size");
  const bool accumulate = args.boolean(6, "accumulate");
  args.need(gate, size, "gate", "size");
  args.need(up, size, "up", "size");
  args.need(dy, size, "dy", "size");
  args.need(d_gate, size, "dGate", "size");
  args.need(d_up, size, "dUp", "size");
  toolken::swiglu_backward(gate.data, up.data, dy.data, d_gate.data, d_up.data, size, accumulate);
}

// ---- normalisation ----

void Rmsnorm(const Napi::CallbackInfo& info) {
  Args args(info, "rmsnorm");
  Floats x = args.floats(0, "x");
  Floats weight = args.floats(1, "weight");
  Floats out = args.floats(2, "out");
  Floats rstd = args.floats(3, "rstd");
  const int64_t rows = args.integer(4, "rows");
  const int64_t dim = args.integer(5, "dim");
  const float eps = static_cast<float>(args.number(6, "eps"));
  const std::string s = shape2("rows", rows, "dim", dim);
  args.need(x, rows * dim, "x", s);
  args.need(weight, dim, "weight", "dim");
  args.need(out, rows * dim, "out", s);
  args.need(rstd, rows, "rstd", "rows");
  toolken::rmsnorm(x.data, weight.data, out.data, rstd.data, rows, dim, eps);
}

void RmsnormBackward(const Napi::CallbackInfo& info) {
  Args args(info, "rmsnormBackward");
  Floats x = args.floats(0, "x");
  Floats weight = args.floats(1, "weight");
  Floats rstd = args.floats(2, "rstd");
  Floats dy = args.floats(3, "dy");
  Floats dx = args.floats(4, "dx");
  Floats d_weight = args.floats_or_null(5, "dWeight");
  const int64_t rows = args.integer(6, "rows");
  const int64_t dim = args.integer(7, "dim");
  const bool accumulate = args.boolean(8, "accumulate");
  const std::string s = shape2("rows", rows, "dim", dim);
  args.need(x, rows * dim, "x", s);
  args.need(weight, dim, "weight", "dim");
  args.need(rstd, rows, "rstd", "rows");
  args.need(dy, rows * dim, "dy", s);
  args.need(dx, rows * dim, "dx", s);
  if (d_weight.data != nullptr) args.need(d_weight, dim, "dWeight", "dim");
  toolken::rmsnorm_backward(x.data, weight.data, rstd.data, dy.data, dx.data, d_weight.data, rows, dim, accumulate);
}

void Layernorm(const Napi::CallbackInfo& info) {
  Args args(info, "layernorm");
  Floats x = args.floats(0, "x");
  Floats weight = args.floats(1, "weight");
  Floats bias = args.floats_or_null(2, "bias");
  Floats out = args.floats(3, "out");
  Floats mean = args.floats(4, "mean");
  Floats rstd = args.floats(5, "rstd");
  const int64_t rows = args.integer(6, "rows");
  const int64_t dim = args.integer(7, "dim");
  const float eps = static_cast<float>(args.number(8, "eps"));
  const std::string s = shape2("rows", rows, "dim", dim);
  args.need(x, rows * dim, "x", s);
  args.need(weight, dim, "weight", "dim");
  if (bias.data != nullptr) args.need(bias, dim, "bias", "dim");
  args.need(out, rows * dim, "out", s);
  args.need(mean, rows, "mean", "rows");
  args.need(rstd, rows, "rstd", "rows");
  toolken::layernorm(x.data, weight.data, bias.data, out.data, mean.data, rstd.data, rows, dim, eps);
}

void LayernormBackward(const Napi::CallbackInfo& info) {
  Args args(info, "layernormBackward");
  Floats x = args.floats(0, "x");
  Floats weight = args.floats(1, "weight");
  Floats mean = args.floats(2, "mean");
  Floats rstd = args.floats(3, "rstd");
  Floats dy = args.floats(4, "dy");
  Floats dx = args.floats(5, "dx");
  Floats d_weight = args.floats_or_null(6, "dWeight");
  Floats d_bias = args.floats_or_null(7, "dBias");
  const int64_t rows = args.integer(8, "rows");
  const int64_t dim = args.integer(9, "dim");
  const bool accumulate = args.boolean(10, "accumulate");
  const std::string s = shape2("rows", rows, "dim", dim);
  args.need(x, rows * dim, "x", s);
  args.need(weight, dim, "weight", "dim");
  args.need(mean, rows, "mean", "rows");
  args.need(rstd, rows, "rstd", "rows");
  args.need(dy, rows * dim, "dy", s);
  args.need(dx, rows * dim, "dx", s);
  if (d_weight.data != nullptr) args.need(d_weight, dim, "dWeight", "dim");
  if (d_bias.data != nullptr) args.need(d_bias, dim, "dBias", "dim");
  toolken::layernorm_backward(x.data, weight.data, mean.data, rstd.data, dy.data, dx.data, d_weight.data, d_bias.data, rows, dim,
                              accumulate);
}

// ---- softmax family ----

void Softmax(const Napi::CallbackInfo& info) {
  Args args(info, "softmax");
  Floats x = args.floats(0, "x");
  Floats out = args.floats(1, "out");
  const int64_t rows = args.integer(2, "rows");
  const int64_t cols = args.integer(3, "cols");
  const bool log = args.boolean(4, "log");
  const std::string s = shape2("rows", rows, "cols", cols);
  args.need(x, rows * cols, "x", s);
  args.need(out, rows * cols, "out", s);
  toolken::softmax(x.data, out.data, rows, cols, log);
}

void SoftmaxBackward(const Napi::CallbackInfo& info) {
  Args args(info, "softmaxBackward");
  Floats y = args.floats(0, "y");
  Floats dy = args.floats(1, "dy");
  Floats dx = args.floats(2, "dx");
  const int64_t rows = args.integer(3, "rows");
  const int64_t cols = args.integer(4, "cols");
  const bool log = args.boolean(5, "log");
  const bool accumulate = args.boolean(6, "accumulate");
  const std::string s = shape2("rows", rows, "cols", cols);
  args.need(y, rows * cols, "y", s);
  args.need(dy, rows * cols, "dy", s);
  args.need(dx, rows * cols, "dx", s);
  toolken::softmax_backward(y.data, dy.data, dx.data, rows, cols, log, accumulate);
}

// ---- embeddings and positions ----

void check_ids(const Args& args, const Ints& ids, int64_t table_rows, const char* table_name) {
  for (int64_t i = 0; i < ids.length; i++) {
    if (ids.data[i] < 0 || ids.data[i] >= table_rows)
      args.fail("ids[" + std::to_string(i) + "] = " + std::to_string(ids.data[i]) + " is outside " + table_name + " rows 0.." +
                std::to_string(table_rows - 1));
  }
}

void Embedding(const Napi::CallbackInfo& info) {
  Args args(info, "embedding");
  Floats table = args.floats(0, "table");
  Ints ids = args.ints(1, "ids");
  Floats out = args.floats(2, "out");
  const int64_t dim = args.integer(3, "dim", 1);
  check_ids(args, ids, table.length / dim, "table");
  args.need(out, ids.length * dim, "out", "ids.length " + std::to_string(ids.length) + " x dim " + std::to_string(dim));
  toolken::embedding(table.data, ids.data, ids.length, out.data, dim);
}

void EmbeddingBackward(const Napi::CallbackInfo& info) {
  Args args(info, "embeddingBackward");
  Floats dy = args.floats(0, "dy");
  Ints ids = args.ints(1, "ids");
  Floats d_table = args.floats(2, "dTable");
  const int64_t dim = args.integer(3, "dim", 1);
  check_ids(args, ids, d_table.length / dim, "dTable");
  args.need(dy, ids.length * dim, "dy", "ids.length " + std::to_string(ids.length) + " x dim " + std::to_string(dim));
  toolken::embedding_backward(dy.data, ids.data, ids.length, d_table.data, dim);
}

void Rope(const Napi::CallbackInfo& info) {
  Args args(info, "rope");
  Floats x = args.floats(0, "x");
  Floats out = args.floats(1, "out");
  toolken::RopeGeometry g{};
  g.batch = args.integer(2, "batch");
  g.heads = args.integer(3, "heads");
  g.t = args.integer(4, "t");
  g.head_dim = args.integer(5, "headDim");
  g.start_position = args.integer(6, "startPosition");
  Floats inv_freq = args.floats(7, "invFreq");
  Ints positions = args.ints_or_null(8, "positions");
  const bool inverse = args.boolean(9, "inverse");
  if (g.head_dim % 2 != 0) args.fail("headDim must be even, got " + std::to_string(g.head_dim));
  const int64_t size = g.batch * g.heads * g.t * g.head_dim;
  const std::string s = "batch " + std::to_string(g.batch) + " x heads " + std::to_string(g.heads) + " x t " + std::to_string(g.t) +
                        " x headDim " + std::to_string(g.head_dim);
  args.need(x, size, "x", s);
  args.need(out, size, "out", s);
  args.need(inv_freq, g.head_dim / 2, "invFreq", "headDim / 2");
  if (positions.data != nullptr) args.need(positions.length, g.batch * g.t, "positions", "batch x t");
  g.inv_freq = inv_freq.data;
  g.positions = positions.data;
  toolken::rope(x.data, out.data, g, inverse);
}

// ---- attention ----

toolken::AttentionGeometry attention_geometry(const Args& args, size_t first) {
  toolken::AttentionGeometry g{};
  g.batch = args.integer(first, "batch");
  g.heads = args.integer(first + 1, "heads", 1);
  g.kv_heads = args.integer(first + 2, "kvHeads", 1);
  g.tq = args.integer(first + 3, "tq");
  g.tk = args.integer(first + 4, "tk");
  g.head_dim = args.integer(first + 5, "headDim", 1);
  g.past_length = args.integer(first + 6, "pastLength");
  g.causal = args.boolean(first + 7, "causal");
  g.scale = static_cast<float>(args.number(first + 8, "scale"));
  g.kv_head_stride = args.integer(first + 9, "kvHeadStride");
  if (g.heads % g.kv_heads != 0)
    args.fail("heads " + std::to_string(g.heads) + " is not a multiple of kvHeads " + std::to_string(g.kv_heads));
  if (g.kv_head_stride < g.tk * g.head_dim)
    args.fail("kvHeadStride " + std::to_string(g.kv_head_stride) + " is smaller than tk x headDim " + std::to_string(g.tk * g.head_dim));
  if (g.causal && g.past_length + g.tq > g.tk)
    args.fail("pastLength " + std::to_string(g.past_length) + " + tq " + std::to_string(g.tq) + " exceeds tk " + std::to_string(g.tk));
  if (!g.causal && g.tk == 0 && g.tq > 0) args.fail("non-causal attention needs tk >= 1");
  return g;
}

void check_attention_arrays(const Args& args, const toolken::AttentionGeometry& g, const std::vector<std::pair<Floats, const char*>>& q_like,
                            const std::vector<std::pair<Floats, const char*>>& kv_like, const Floats& lse) {
  const int64_t q_size = g.batch * g.heads * g.tq * g.head_dim;
  const int64_t kv_size = g.batch * g.kv_heads == 0 ? 0 : (g.batch * g.kv_heads - 1) * g.kv_head_stride + g.tk * g.head_dim;
  const std::string q_shape = "batch x heads x tq x headDim = " + std::to_string(q_size);
  const std::string kv_shape = "batch x kvHeads heads of stride " + std::to_string(g.kv_head_stride) + ", tk " + std::to_string(g.tk);
  for (const auto& [f, name] : q_like) args.need(f, q_size, name, q_shape);
  for (const auto& [f, name] : kv_like) args.need(f, kv_size, name, kv_shape);
  args.need(lse, g.batch * g.heads * g.tq, "lse", "batch x heads x tq");
}

void Attention(const Napi::CallbackInfo& info) {
  Args args(info, "attention");
  Floats q = args.floats(0, "q");
  Floats k = args.floats(1, "k");
  Floats v = args.floats(2, "v");
  Floats out = args.floats(3, "out");
  Floats lse = args.floats(4, "lse");
  const toolken::AttentionGeometry g = attention_geometry(args, 5);
  check_attention_arrays(args, g, {{q, "q"}, {out, "out"}}, {{k, "k"}, {v, "v"}}, lse);
  toolken::attention(q.data, k.data, v.data, out.data, lse.data, g);
}

void AttentionBackward(const Napi::CallbackInfo& info) {
  Args args(info, "attentionBackward");
  Floats q = args.floats(0, "q");
  Floats k = args.floats(1, "k");
  Floats v = args.floats(2, "v");
  Floats out = args.floats(3, "out");
  Floats lse = args.floats(4, "lse");
  Floats d_out = args.floats(5, "dOut");
  Floats dq = args.floats(6, "dq");
  Floats dk = args.floats(7, "dk");
  Floats dv = args.floats(8, "dv");
  const toolken::AttentionGeometry g = attention_geometry(args, 9);
  check_attention_arrays(args, g, {{q, "q"}, {out, "out"}, {d_out, "dOut"}, {dq, "dq"}}, {{k, "k"}, {v, "v"}, {dk, "dk"}, {dv, "dv"}}, lse);
  toolken::attention_backward(q.data, k.data, v.data, out.data, lse.data, d_out.data, dq.data, dk.data, dv.data, g);
}

// ---- losses ----

toolken::CrossEntropyGeometry cross_entropy_geometry(const Args& args, size_t first, const Floats& hidden, const Floats& weight,
                                                    const Ints& targets, const Floats& lse) {
  toolken::CrossEntropyGeometry g{};
  g.rows = args.integer(first, "rows");
  g.dim = args.integer(first + 1, "dim");
  g.vocab = args.integer(first + 2, "vocab", 1);
  const double ignore = args.number(first + 3, "ignoreIndex");
  if (std::floor(ignore) != ignore) args.fail("ignoreIndex must be an integer");
  g.ignore_index = static_cast<int64_t>(ignore);
  g.chunk = args.integer(first + 4, "chunk", 1);
  Floats row_weights = args.floats_or_null(first + 5, "rowWeights");
  g.row_weights = row_weights.data;
  Floats kept_logits = args.floats_or_null(first + 6, "keptLogits");
  g.kept_logits = kept_logits.data;
  g.label_smoothing = args.number(first + 7, "labelSmoothing");
  if (!(g.label_smoothing >= 0.0 && g.label_smoothing < 1.0)) args.fail("labelSmoothing must be in [0, 1)");
  g.smooth_begin = args.integer(first + 8, "smoothingStart");
  g.smooth_end = args.integer(first + 9, "smoothingEnd");
  if (!(0 <= g.smooth_begin && g.smooth_begin < g.smooth_end && g.smooth_end <= g.vocab))
    args.fail("smoothing classes " + std::to_string(g.smooth_begin) + ".." + std::to_string(g.smooth_end) + " are not a non-empty range of the vocabulary");
  Floats smoothing_targets = args.floats_or_null(first + 10, "smoothingTargets");
  g.smoothing_targets = smoothing_targets.data;
  Floats row_losses = args.floats_or_null(first + 11, "rowLosses");
  g.row_losses = row_losses.data;
  Floats row_scales = args.floats_or_null(first + 12, "rowScales");
  g.row_scales = row_scales.data;
  args.need(hidden, g.rows * g.dim, "hidden", shape2("rows", g.rows, "dim", g.dim));
  args.need(weight, g.vocab * g.dim, "weight", shape2("vocab", g.vocab, "dim", g.dim));
  args.need(targets.length, g.rows, "targets", "rows");
  args.need(lse, g.rows, "lse", "rows");
  if (row_weights.data != nullptr) args.need(row_weights, g.rows, "rowWeights", "rows");
  if (kept_logits.data != nullptr) args.need(kept_logits, g.rows * g.vocab, "keptLogits", shape2("rows", g.rows, "vocab", g.vocab));
  if (smoothing_targets.data != nullptr)
    args.need(smoothing_targets, g.rows * (g.smooth_end - g.smooth_begin), "smoothingTargets", shape2("rows", g.rows, "smoothing classes", g.smooth_end - g.smooth_begin));
  if (row_losses.data != nullptr) args.need(row_losses, g.rows, "rowLosses", "rows");
  if (row_scales.data != nullptr) args.need(row_scales, g.rows, "rowScales", "rows");
  for (int64_t r = 0; r < g.rows; r++) {
    const int64_t t = targets.data[r];
    if (t != g.ignore_index && (t < 0 || t >= g.vocab))
      args.fail("targets[" + std::to_string(r) + "] = " + std::to_string(t) + " is outside the vocabulary 0.." + std::to_string(g.vocab - 1) +
                " and is not ignoreIndex " + std::to_string(g.ignore_index));
  }
  return g;
}

Napi::Value LinearCrossEntropy(const Napi::CallbackInfo& info) {
  Args args(info, "linearCrossEntropy");
  Floats hidden = args.floats(0, "hidden");
  Floats weight = args.floats(1, "weight");
  Ints targets = args.ints(2, "targets");
  Floats lse = args.floats(3, "lse");
  const toolken::CrossEntropyGeometry g = cross_entropy_geometry(args, 4, hidden, weight, targets, lse);
  const toolken::CrossEntropyTotals totals = toolken::linear_cross_entropy(hidden.data, weight.data, targets.data, lse.data, g);
  Napi::Array result = Napi::Array::New(info.Env(), 2);
  result.Set(0u, totals.loss);
  result.Set(1u, totals.weight_total);
  return result;
}

void LinearCrossEntropyBackward(const Napi::CallbackInfo& info) {
  Args args(info, "linearCrossEntropyBackward");
  Floats hidden = args.floats(0, "hidden");
  Floats weight = args.floats(1, "weight");
  Ints targets = args.ints(2, "targets");
  Floats lse = args.floats(3, "lse");
  const float scale = static_cast<float>(args.number(4, "scale"));
  Floats d_hidden = args.floats_or_null(5, "dHidden");
  Floats d_weight = args.floats_or_null(6, "dWeight");
  const toolken::CrossEntropyGeometry g = cross_entropy_geometry(args, 7, hidden, weight, targets, lse);
  if (d_hidden.data != nullptr) args.need(d_hidden, g.rows * g.dim, "dHidden", shape2("rows", g.rows, "dim", g.dim));
  if (d_weight.data != nullptr) args.need(d_weight, g.vocab * g.dim, "dWeight", shape2("vocab", g.vocab, "dim", g.dim));
  toolken::linear_cross_entropy_backward(hidden.data, weight.data, targets.data, lse.data, scale, d_hidden.data, d_weight.data, g);
}

// ---- optimizers ----

void Adamw(const Napi::CallbackInfo& info) {
  Args args(info, "adamw");
  Floats param = args.floats(0, "param");
  Floats grad = args.floats(1, "grad");
  Floats m = args.floats(2, "m");
  Floats v = args.floats(3, "v");
  const int64_t size = args.integer(4, "size");
  toolken::AdamWHyper h{};
  h.lr = args.number(5, "lr");
  h.beta1 = args.number(6, "beta1");
  h.beta2 = args.number(7, "beta2");
  h.eps = args.number(8, "eps");
  h.weight_decay = args.number(9, "weightDecay");
  h.step = args.integer(10, "step", 1);
  args.need(param, size, "param", "size");
  args.need(grad, size, "grad", "size");
  args.need(m, size, "m", "size");
  args.need(v, size, "v", "size");
  toolken::adamw(param.data, grad.data, m.data, v.data, size, h);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  allocator_policy = toolken::tune_allocator();
  const auto add = [&](const char* name, auto fn) { exports.Set(name, Napi::Function::New(env, fn, name)); };
  add("describe", Describe);
  add("features", Features);
  add("getThreads", GetThreads);
  add("setThreads", SetThreads);
  add("fill", Fill);
  add("copy", Copy);
  add("copyStrided", CopyStrided);
  add("matmul", Matmul);
  add("binary", Binary);
  add("unary", Unary);
  add("unaryBackward", UnaryBackward);
  add("axpby", Axpby);
  add("sumOuter", SumOuter);
  add("sumRows", SumRows);
  add("sumSquares", SumSquares);
  add("swiglu", Swiglu);
  add("swigluBackward", SwigluBackward);
  add("rmsnorm", Rmsnorm);
  add("rmsnormBackward", RmsnormBackward);
  add("layernorm", Layernorm);
  add("layernormBackward", LayernormBackward);
  add("softmax", Softmax);
  add("softmaxBackward", SoftmaxBackward);
  add("embedding", Embedding);
  add("embeddingBackward", EmbeddingBackward);
  add("rope", Rope);
  add("attention", Attention);
  add("attentionBackward", AttentionBackward);
  add("linearCrossEntropy", LinearCrossEntropy);
  add("linearCrossEntropyBackward", LinearCrossEntropyBackward);
  add("adamw", Adamw);
  return exports;
}

}  // namespace

NODE_API_MODULE(toolken_native, Init)
