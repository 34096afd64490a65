// N-API surface of the native backend (loaded by src/tensor/backends/cpu.ts). The kernels' arguments are declared
// once, in src/tensor/kernels.ts; at load cpu.ts hands that table to `bind`, which checks it against the handlers'
// C++ signatures below (one reader per argument kind, chosen by the parameter's type) and returns one function per
// kernel. Every argument is checked (type, integer range, typed-array lengths, index ranges) and an Error naming the
// kernel and the argument is thrown before any kernel touches memory; typed arrays are used in place, never copied.
//
// Adding a kernel: write its handler `R Name(const Call& c, <argument types in table order>)` (the argument types
// below: Floats, MaybeFloats, Ints, MaybeInts, Bytes, Count, Positive, Integer, double, bool, Counts, Integers; R is void,
// double or CrossEntropyTotals) and add one line `entry<Name>("name")` to kRegistry. native/README.md has the steps.
#include <napi.h>

#include <cmath>
#include <deque>
#include <initializer_list>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "allocator.h"
#include "cpu_features.h"
#include "gemm.h"
#include "gemm_bf16.h"
#include "kernels.h"
#include "quant.h"
#include "thread_pool.h"

namespace {

// Set once by Init, before any kernel allocates.
std::string allocator_policy;

// ---- argument kinds (the WireKind of src/tensor/kernels.ts) ----

struct Floats {
  float* data;
  int64_t length;
};
struct MaybeFloats : Floats {};  // data is null when the argument was null
struct Ints {
  const int32_t* data;
  int64_t length;
};
struct MaybeInts : Ints {};
struct Bytes {
  const uint8_t* data;
  int64_t length;
};
// Integers: Count >= 0, Positive >= 1, Integer any sign (all below 2^53 in magnitude).
struct Count {
  int64_t v;
  operator int64_t() const { return v; }
};
struct Positive {
  int64_t v;
  operator int64_t() const { return v; }
};
struct Integer {
  int64_t v;
  operator int64_t() const { return v; }
};
struct Counts : std::vector<int64_t> {};
struct Integers : std::vector<int64_t> {};

template <typename T>
struct Kind;
template <> struct Kind<Floats> { static constexpr const char* name = "f32"; };
template <> struct Kind<MaybeFloats> { static constexpr const char* name = "f32?"; };
template <> struct Kind<Ints> { static constexpr const char* name = "i32"; };
template <> struct Kind<MaybeInts> { static constexpr const char* name = "i32?"; };
template <> struct Kind<Bytes> { static constexpr const char* name = "u8"; };
template <> struct Kind<Count> { static constexpr const char* name = "count"; };
template <> struct Kind<Positive> { static constexpr const char* name = "positive"; };
template <> struct Kind<Integer> { static constexpr const char* name = "integer"; };
template <> struct Kind<double> { static constexpr const char* name = "number"; };
template <> struct Kind<bool> { static constexpr const char* name = "bool"; };
template <> struct Kind<Counts> { static constexpr const char* name = "counts"; };
template <> struct Kind<Integers> { static constexpr const char* name = "integers"; };

template <typename R>
struct Result;
template <> struct Result<void> { static constexpr const char* name = "void"; };
template <> struct Result<double> { static constexpr const char* name = "number"; };
template <> struct Result<toolken::CrossEntropyTotals> { static constexpr const char* name = "totals"; };

// One kernel as bound from the table: its name and argument names, for error messages.
struct Signature {
  std::string kernel;
  std::vector<std::string> names;
};

// One call of a kernel: reads its arguments by kind and reports errors naming the kernel and the argument.
class Call {
 public:
  Call(const Napi::CallbackInfo& info, const Signature& sig) : info_(info), sig_(sig) {}

  [[noreturn]] void fail(const std::string& message) const {
    throw Napi::Error::New(info_.Env(), "cpu." + sig_.kernel + ": " + message);
  }

  // The array must hold at least `needed` elements.
  void need(int64_t length, int64_t needed, const char* name, const std::string& because) const {
    if (length < needed)
      fail(std::string(name) + " has " + std::to_string(length) + " elements but " + std::to_string(needed) + " are needed (" + because + ")");
  }
  void need(const Floats& f, int64_t needed, const char* name, const std::string& because) const { need(f.length, needed, name, because); }
  // Each array must hold at least `needed` elements.
  void need_all(std::initializer_list<std::pair<Floats, const char*>> arrays, int64_t needed, const std::string& because) const {
    for (const auto& [f, name] : arrays) need(f.length, needed, name, because);
  }
  // Checks an optional array only when it is given.
  void need_if_given(const Floats& f, int64_t needed, const char* name, const std::string& because) const {
    if (f.data != nullptr) need(f.length, needed, name, because);
  }

  template <typename T>
  T read(size_t i) const;

 private:
  const std::string& name(size_t i) const { return sig_.names[i]; }

  Floats floats(size_t i) const {
    const Napi::Value value = info_[i];
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      fail(name(i) + " must be cpu storage (a Float32Array)");
    Napi::Float32Array array = value.As<Napi::Float32Array>();
    return Floats{array.Data(), static_cast<int64_t>(array.ElementLength())};
  }

  Ints ints(size_t i) const {
    const Napi::Value value = info_[i];
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) fail(name(i) + " must be an Int32Array");
    Napi::Int32Array array = value.As<Napi::Int32Array>();
    return Ints{array.Data(), static_cast<int64_t>(array.ElementLength())};
  }

  Bytes bytes(size_t i) const {
    const Napi::Value value = info_[i];
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) fail(name(i) + " must be a Uint8Array");
    Napi::Uint8Array array = value.As<Napi::Uint8Array>();
    return Bytes{array.Data(), static_cast<int64_t>(array.ElementLength())};
  }

  bool absent(size_t i) const { return info_[i].IsNull() || info_[i].IsUndefined(); }

  double number(size_t i) const {
    if (!info_[i].IsNumber()) fail(name(i) + " must be a number");
    return info_[i].As<Napi::Number>().DoubleValue();
  }

  static bool is_integer(double v) { return std::isfinite(v) && std::floor(v) == v && std::fabs(v) <= 9007199254740991.0; }

  // An integer >= min (or of any sign when min is null).
  int64_t integer(size_t i, const int64_t* min) const {
    const double v = number(i);
    if (!is_integer(v) || (min != nullptr && v < static_cast<double>(*min))) {
      const std::string bound = min == nullptr ? "an integer" : "an integer >= " + std::to_string(*min);
      fail(name(i) + " must be " + bound + ", got " + Napi::Number::New(info_.Env(), v).ToString().Utf8Value());
    }
    return static_cast<int64_t>(v);
  }

  std::vector<int64_t> integer_list(size_t i, bool allow_negative) const {
    const Napi::Value value = info_[i];
    if (!value.IsArray()) fail(name(i) + " must be an array of integers");
    Napi::Array array = value.As<Napi::Array>();
    std::vector<int64_t> out(array.Length());
    for (uint32_t j = 0; j < array.Length(); j++) {
      Napi::Value item = array.Get(j);
      const double v = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : NAN;
      if (!is_integer(v) || (!allow_negative && v < 0))
        fail(name(i) + "[" + std::to_string(j) + "] must be " + (allow_negative ? "an integer" : "a non-negative integer"));
      out[j] = static_cast<int64_t>(v);
    }
    return out;
  }

  const Napi::CallbackInfo& info_;
  const Signature& sig_;
};

constexpr int64_t kZero = 0;
constexpr int64_t kOne = 1;

template <> Floats Call::read<Floats>(size_t i) const { return floats(i); }
template <> MaybeFloats Call::read<MaybeFloats>(size_t i) const { return absent(i) ? MaybeFloats{{nullptr, 0}} : MaybeFloats{floats(i)}; }
template <> Ints Call::read<Ints>(size_t i) const { return ints(i); }
template <> MaybeInts Call::read<MaybeInts>(size_t i) const { return absent(i) ? MaybeInts{{nullptr, 0}} : MaybeInts{ints(i)}; }
template <> Bytes Call::read<Bytes>(size_t i) const { return bytes(i); }
template <> Count Call::read<Count>(size_t i) const { return Count{integer(i, &kZero)}; }
template <> Positive Call::read<Positive>(size_t i) const { return Positive{integer(i, &kOne)}; }
template <> Integer Call::read<Integer>(size_t i) const { return Integer{integer(i, nullptr)}; }
template <> double Call::read<double>(size_t i) const { return number(i); }
template <> bool Call::read<bool>(size_t i) const {
  if (!info_[i].IsBoolean()) fail(name(i) + " must be a boolean");
  return info_[i].As<Napi::Boolean>().Value();
}
template <> Counts Call::read<Counts>(size_t i) const { return Counts{integer_list(i, false)}; }
template <> Integers Call::read<Integers>(size_t i) const { return Integers{integer_list(i, true)}; }

Napi::Value to_js(Napi::Env env, double value) { return Napi::Number::New(env, value); }
Napi::Value to_js(Napi::Env env, const toolken::CrossEntropyTotals& totals) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("loss", totals.loss);
  o.Set("weightTotal", totals.weight_total);
  return o;
}

std::string shape2(const char* a, int64_t x, const char* b, int64_t y) {
  return std::string(a) + " " + std::to_string(x) + " x " + b + " " + std::to_string(y);
}

// ---- info and threads ----

Napi::Value Describe(const Napi::CallbackInfo& info) {
  const auto& f = toolken::cpu_features();
  std::string text = "cpu backend: " + toolken::gemm_description() + ", " + std::to_string(toolken::pool_threads()) +
                     " threads; cpu avx2=" + (f.avx2 ? "yes" : "no") + " fma=" + (f.fma ? "yes" : "no") +
                     " avx512f=" + (f.avx512f ? "yes" : "no") + " avx512_bf16=" + (f.avx512_bf16 ? "yes" : "no") +
                     " avx512_vnni=" + (f.avx512_vnni ? "yes" : "no") + " amx_bf16=" + (f.amx_bf16 ? "yes" : "no") +
                     " amx_int8=" + (f.amx_int8 ? "yes" : "no") + "; " + toolken::gemm_bf16_description() +
                     "; " + toolken::quant_description() + "; allocator: " + allocator_policy;
  return Napi::String::New(info.Env(), text);
}

Napi::Value Features(const Napi::CallbackInfo& info) {
  const auto& f = toolken::cpu_features();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("avx2", f.avx2);
  o.Set("fma", f.fma);
  o.Set("avx512f", f.avx512f);
  o.Set("avx512bf16", f.avx512_bf16);
  o.Set("avx512vnni", f.avx512_vnni);
  o.Set("amxTile", f.amx_tile);
  o.Set("amxBf16", f.amx_bf16);
  o.Set("amxInt8", f.amx_int8);
  o.Set("path", toolken::kernel_path_name(toolken::kernel_path()));
  Napi::Array available = Napi::Array::New(info.Env());
  uint32_t count = 0;
  for (toolken::MatmulPath path : {toolken::MatmulPath::Amx, toolken::MatmulPath::Avx512Bf16, toolken::MatmulPath::Fp32})
    if (toolken::matmul_path_available(path)) available.Set(count++, toolken::matmul_path_name(path));
  o.Set("matmulPaths", available);
  Napi::Array quant = Napi::Array::New(info.Env());
  count = 0;
  for (toolken::QuantPath path : {toolken::QuantPath::Avx512Vnni, toolken::QuantPath::Scalar})
    if (toolken::quant_path_available(path)) quant.Set(count++, toolken::quant_path_name(path));
  o.Set("quantPaths", quant);
  return o;
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), toolken::pool_threads()); }

void SetThreads(const Napi::CallbackInfo& info) {
  const double threads = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : NAN;
  if (!(threads >= 1 && threads <= 4096 && std::floor(threads) == threads))
    throw Napi::Error::New(info.Env(), "cpu.setThreads: threads must be an integer in 1..4096");
  toolken::set_pool_threads(static_cast<int>(threads));
}

// ---- kernel handlers: arguments in the order of src/tensor/kernels.ts, checked, then the kernel ----

// ---- memory ----

void Fill(const Call& c, Floats out, double value, Count offset, Count length) {
  c.need(out, offset + length, "out", "offset + length");
  toolken::fill(out.data + offset, static_cast<float>(value), length);
}

void Copy(const Call& c, Floats src, Count src_offset, Floats out, Count out_offset, Count length) {
  c.need(src, src_offset + length, "src", "srcOffset + length");
  c.need(out, out_offset + length, "out", "outOffset + length");
  toolken::copy(src.data + src_offset, out.data + out_offset, length);
}

void CopyStrided(const Call& c, Floats src, Count offset, Counts shape, Integers strides, Floats out) {
  if (shape.size() != strides.size())
    c.fail("shape has " + std::to_string(shape.size()) + " dimensions but strides has " + std::to_string(strides.size()));
  int64_t total = 1;
  int64_t lowest = offset;
  int64_t highest = offset;
  for (size_t d = 0; d < shape.size(); d++) {
    total *= shape[d];
    if (shape[d] == 0) continue;
    const int64_t reach = (shape[d] - 1) * strides[d];
    (reach < 0 ? lowest : highest) += reach;
  }
  c.need(out, total, "out", "the product of shape");
  if (total > 0) {
    if (lowest < 0) c.fail("the view reaches index " + std::to_string(lowest) + ", before the start of src");
    c.need(src, highest + 1, "src", "offset and strides reach index " + std::to_string(highest));
  }
  toolken::copy_strided(src.data + offset, shape, strides, out.data);
}

// ---- linear algebra ----

void Matmul(const Call& c, Floats a, Floats b, Floats out, Count batch, Count m, Count n, Count k, bool trans_a, bool trans_b,
            Count stride_a, Count stride_b, double alpha, bool accumulate, Count precision) {
  if (batch == 0 || m == 0 || n == 0) return;
  const std::string dims = "batch " + std::to_string(batch) + ", m " + std::to_string(m) + ", n " + std::to_string(n) + ", k " + std::to_string(k);
  c.need(a, (batch - 1) * stride_a + m * k, "a", dims + ", strideA " + std::to_string(stride_a));
  c.need(b, (batch - 1) * stride_b + k * n, "b", dims + ", strideB " + std::to_string(stride_b));
  c.need(out, batch * m * n, "out", dims);
  const toolken::GemmArgs g{a.data, b.data, out.data, m, n, k, n, trans_a, trans_b, static_cast<float>(alpha), accumulate};
  if (precision == 1) {
    toolken::gemm_bf16_batched(g, batch, stride_a, stride_b);
  } else {
    toolken::sgemm_batched(g, batch, stride_a, stride_b);
  }
}

void QuantizedMatmul(const Call& c, Floats x, Bytes w, Floats out, Count m, Count n, Count k, Count type, bool accumulate) {
  if (type >= toolken::kQuantTypeCount) c.fail("unknown quantization type code " + std::to_string(type));
  const auto quant = static_cast<toolken::QuantType>(static_cast<int64_t>(type));
  const int64_t row_bytes = toolken::quant_row_bytes(quant, k);
  const std::string dims = "m " + std::to_string(m) + ", n " + std::to_string(n) + ", k " + std::to_string(k);
  c.need(x, m * k, "x", dims);
  c.need(out, m * n, "out", dims);
  c.need(w.length, n * row_bytes, "w", dims + ", " + std::to_string(row_bytes) + " bytes per row");
  toolken::quantized_matmul(quant, x.data, w.data, out.data, m, n, k, accumulate);
}

// ---- elementwise ----

toolken::UnaryOp unary_op(const Call& c, int64_t code) {
  if (code >= toolken::kUnaryOpCount) c.fail("unknown unary op code " + std::to_string(code));
  return static_cast<toolken::UnaryOp>(code);
}

void Binary(const Call& c, Count code, Floats a, Floats b, Floats out, Count size, Positive b_size) {
  if (code > 3) c.fail("unknown binary op code " + std::to_string(code));
  if (size % b_size != 0) c.fail("bSize " + std::to_string(b_size) + " does not divide size " + std::to_string(size));
  c.need(a, size, "a", "size");
  c.need(b, b_size, "b", "bSize");
  c.need(out, size, "out", "size");
  toolken::binary(static_cast<toolken::BinaryOp>(code.v), a.data, b.data, out.data, size, b_size);
}

void Unary(const Call& c, Count code, Floats x, Floats out, Count size) {
  const toolken::UnaryOp op = unary_op(c, code);
  c.need_all({{x, "x"}, {out, "out"}}, size, "size");
  toolken::unary(op, x.data, out.data, size);
}

void UnaryBackward(const Call& c, Count code, Floats x, Floats dy, Floats dx, Count size, bool accumulate) {
  const toolken::UnaryOp op = unary_op(c, code);
  c.need_all({{x, "x"}, {dy, "dy"}, {dx, "dx"}}, size, "size");
  toolken::unary_backward(op, x.data, dy.data, dx.data, size, accumulate);
}

void Axpby(const Call& c, double alpha, Floats x, double beta, Floats out, Count size) {
  c.need_all({{x, "x"}, {out, "out"}}, size, "size");
  toolken::axpby(static_cast<float>(alpha), x.data, static_cast<float>(beta), out.data, size);
}

void SumOuter(const Call& c, Floats x, Floats out, Count outer, Count inner, bool accumulate) {
  c.need(x, outer * inner, "x", shape2("outer", outer, "inner", inner));
  c.need(out, inner, "out", "inner");
  toolken::sum_outer(x.data, out.data, outer, inner, accumulate);
}

void SumRows(const Call& c, Floats x, Floats out, Count rows, Count cols, bool accumulate) {
  c.need(x, rows * cols, "x", shape2("rows", rows, "cols", cols));
  c.need(out, rows, "out", "rows");
  toolken::sum_rows(x.data, out.data, rows, cols, accumulate);
}

double SumSquares(const Call& c, Floats x, Count size) {
  c.need(x, size, "x", "size");
  return toolken::sum_squares(x.data, size);
}

void Swiglu(const Call& c, Floats gate, Floats up, Floats out, Count size) {
  c.need_all({{gate, "gate"}, {up, "up"}, {out, "out"}}, size, "size");
  toolken::swiglu(gate.data, up.data, out.data, size);
}

void SwigluBackward(const Call& c, Floats gate, Floats up, Floats dy, Floats d_gate, Floats d_up, Count size, bool accumulate) {
  c.need_all({{gate, "gate"}, {up, "up"}, {dy, "dy"}, {d_gate, "dGate"}, {d_up, "dUp"}}, size, "size");
  toolken::swiglu_backward(gate.data, up.data, dy.data, d_gate.data, d_up.data, size, accumulate);
}

// ---- normalisation ----

// Checks the (rows, dim) arrays, the (dim) weight, the optional (dim) gradients or bias and the (rows) statistics of a
// norm kernel.
void check_norm(const Call& c, int64_t rows, int64_t dim, std::initializer_list<std::pair<Floats, const char*>> rows_by_dim,
                const Floats& weight, std::initializer_list<std::pair<Floats, const char*>> optional_by_dim,
                std::initializer_list<std::pair<Floats, const char*>> by_row) {
  c.need_all(rows_by_dim, rows * dim, shape2("rows", rows, "dim", dim));
  c.need(weight, dim, "weight", "dim");
  for (const auto& [f, name] : optional_by_dim) c.need_if_given(f, dim, name, "dim");
  c.need_all(by_row, rows, "rows");
}

void Rmsnorm(const Call& c, Floats x, Floats weight, Floats out, Floats rstd, Count rows, Count dim, double eps) {
  check_norm(c, rows, dim, {{x, "x"}, {out, "out"}}, weight, {}, {{rstd, "rstd"}});
  toolken::rmsnorm(x.data, weight.data, out.data, rstd.data, rows, dim, static_cast<float>(eps));
}

void RmsnormBackward(const Call& c, Floats x, Floats weight, Floats rstd, Floats dy, Floats dx, MaybeFloats d_weight, Count rows, Count dim,
                     bool accumulate) {
  check_norm(c, rows, dim, {{x, "x"}, {dy, "dy"}, {dx, "dx"}}, weight, {{d_weight, "dWeight"}}, {{rstd, "rstd"}});
  toolken::rmsnorm_backward(x.data, weight.data, rstd.data, dy.data, dx.data, d_weight.data, rows, dim, accumulate);
}

void Layernorm(const Call& c, Floats x, Floats weight, MaybeFloats bias, Floats out, Floats mean, Floats rstd, Count rows, Count dim,
               double eps) {
  check_norm(c, rows, dim, {{x, "x"}, {out, "out"}}, weight, {{bias, "bias"}}, {{mean, "mean"}, {rstd, "rstd"}});
  toolken::layernorm(x.data, weight.data, bias.data, out.data, mean.data, rstd.data, rows, dim, static_cast<float>(eps));
}

void LayernormBackward(const Call& c, Floats x, Floats weight, Floats mean, Floats rstd, Floats dy, Floats dx, MaybeFloats d_weight,
                       MaybeFloats d_bias, Count rows, Count dim, bool accumulate) {
  check_norm(c, rows, dim, {{x, "x"}, {dy, "dy"}, {dx, "dx"}}, weight, {{d_weight, "dWeight"}, {d_bias, "dBias"}}, {{mean, "mean"}, {rstd, "rstd"}});
  toolken::layernorm_backward(x.data, weight.data, mean.data, rstd.data, dy.data, dx.data, d_weight.data, d_bias.data, rows, dim,
                              accumulate);
}

// ---- softmax family ----

void Softmax(const Call& c, Floats x, Floats out, Count rows, Count cols, bool log) {
  const std::string s = shape2("rows", rows, "cols", cols);
  c.need_all({{x, "x"}, {out, "out"}}, rows * cols, s);
  toolken::softmax(x.data, out.data, rows, cols, log);
}

void SoftmaxBackward(const Call& c, Floats y, Floats dy, Floats dx, Count rows, Count cols, bool log, bool accumulate) {
  const std::string s = shape2("rows", rows, "cols", cols);
  c.need_all({{y, "y"}, {dy, "dy"}, {dx, "dx"}}, rows * cols, s);
  toolken::softmax_backward(y.data, dy.data, dx.data, rows, cols, log, accumulate);
}

// ---- embeddings and positions ----

void check_ids(const Call& c, const Ints& ids, int64_t table_rows, const char* table_name) {
  for (int64_t i = 0; i < ids.length; i++) {
    if (ids.data[i] < 0 || ids.data[i] >= table_rows)
      c.fail("ids[" + std::to_string(i) + "] = " + std::to_string(ids.data[i]) + " is outside " + table_name + " rows 0.." +
             std::to_string(table_rows - 1));
  }
}

void Embedding(const Call& c, Floats table, Ints ids, Floats out, Positive dim) {
  check_ids(c, ids, table.length / dim, "table");
  c.need(out, ids.length * dim, "out", "ids.length " + std::to_string(ids.length) + " x dim " + std::to_string(dim));
  toolken::embedding(table.data, ids.data, ids.length, out.data, dim);
}

void EmbeddingBackward(const Call& c, Floats dy, Ints ids, Floats d_table, Positive dim) {
  check_ids(c, ids, d_table.length / dim, "dTable");
  c.need(dy, ids.length * dim, "dy", "ids.length " + std::to_string(ids.length) + " x dim " + std::to_string(dim));
  toolken::embedding_backward(dy.data, ids.data, ids.length, d_table.data, dim);
}

void Rope(const Call& c, Floats x, Floats out, Count batch, Count heads, Count t, Count head_dim, Count start_position, Floats inv_freq,
          MaybeInts positions, bool inverse) {
  if (head_dim % 2 != 0) c.fail("headDim must be even, got " + std::to_string(head_dim));
  const int64_t size = batch * heads * t * head_dim;
  const std::string s = "batch " + std::to_string(batch) + " x heads " + std::to_string(heads) + " x t " + std::to_string(t) +
                        " x headDim " + std::to_string(head_dim);
  c.need(x, size, "x", s);
  c.need(out, size, "out", s);
  c.need(inv_freq, head_dim / 2, "invFreq", "headDim / 2");
  if (positions.data != nullptr) c.need(positions.length, batch * t, "positions", "batch x t");
  const toolken::RopeGeometry g{batch, heads, t, head_dim, start_position, inv_freq.data, positions.data};
  toolken::rope(x.data, out.data, g, inverse);
}

// ---- attention ----

toolken::AttentionGeometry attention_geometry(const Call& c, Count batch, Positive heads, Positive kv_heads, Count tq, Count tk,
                                              Positive head_dim, Count past_length, bool causal, double scale, Count kv_head_stride) {
  const toolken::AttentionGeometry g{batch, heads, kv_heads, tq, tk, head_dim, past_length, causal, static_cast<float>(scale), kv_head_stride};
  if (g.heads % g.kv_heads != 0)
    c.fail("heads " + std::to_string(g.heads) + " is not a multiple of kvHeads " + std::to_string(g.kv_heads));
  if (g.kv_head_stride < g.tk * g.head_dim)
    c.fail("kvHeadStride " + std::to_string(g.kv_head_stride) + " is smaller than tk x headDim " + std::to_string(g.tk * g.head_dim));
  if (g.causal && g.past_length + g.tq > g.tk)
    c.fail("pastLength " + std::to_string(g.past_length) + " + tq " + std::to_string(g.tq) + " exceeds tk " + std::to_string(g.tk));
  if (!g.causal && g.tk == 0 && g.tq > 0) c.fail("non-causal attention needs tk >= 1");
  return g;
}

void check_attention_arrays(const Call& c, const toolken::AttentionGeometry& g, std::initializer_list<std::pair<Floats, const char*>> q_like,
                            std::initializer_list<std::pair<Floats, const char*>> kv_like, const Floats& lse) {
  const int64_t q_size = g.batch * g.heads * g.tq * g.head_dim;
  const int64_t kv_size = g.batch * g.kv_heads == 0 ? 0 : (g.batch * g.kv_heads - 1) * g.kv_head_stride + g.tk * g.head_dim;
  const std::string q_shape = "batch x heads x tq x headDim = " + std::to_string(q_size);
  const std::string kv_shape = "batch x kvHeads heads of stride " + std::to_string(g.kv_head_stride) + ", tk " + std::to_string(g.tk);
  for (const auto& [f, name] : q_like) c.need(f, q_size, name, q_shape);
  for (const auto& [f, name] : kv_like) c.need(f, kv_size, name, kv_shape);
  c.need(lse, g.batch * g.heads * g.tq, "lse", "batch x heads x tq");
}

void Attention(const Call& c, Floats q, Floats k, Floats v, Floats out, Floats lse, Count batch, Positive heads, Positive kv_heads, Count tq,
               Count tk, Positive head_dim, Count past_length, bool causal, double scale, Count kv_head_stride) {
  const toolken::AttentionGeometry g = attention_geometry(c, batch, heads, kv_heads, tq, tk, head_dim, past_length, causal, scale, kv_head_stride);
  check_attention_arrays(c, g, {{q, "q"}, {out, "out"}}, {{k, "k"}, {v, "v"}}, lse);
  toolken::attention(q.data, k.data, v.data, out.data, lse.data, g);
}

void AttentionBackward(const Call& c, Floats q, Floats k, Floats v, Floats out, Floats lse, Floats d_out, Floats dq, Floats dk, Floats dv,
                       Count batch, Positive heads, Positive kv_heads, Count tq, Count tk, Positive head_dim, Count past_length, bool causal,
                       double scale, Count kv_head_stride) {
  const toolken::AttentionGeometry g = attention_geometry(c, batch, heads, kv_heads, tq, tk, head_dim, past_length, causal, scale, kv_head_stride);
  check_attention_arrays(c, g, {{q, "q"}, {out, "out"}, {d_out, "dOut"}, {dq, "dq"}}, {{k, "k"}, {v, "v"}, {dk, "dk"}, {dv, "dv"}}, lse);
  toolken::attention_backward(q.data, k.data, v.data, out.data, lse.data, d_out.data, dq.data, dk.data, dv.data, g);
}

// ---- losses ----

toolken::CrossEntropyGeometry cross_entropy_geometry(const Call& c, const Floats& hidden, const Floats& weight, const Ints& targets,
                                                    const Floats& lse, Count rows, Count dim, Positive vocab, Integer ignore_index,
                                                    Positive chunk, MaybeFloats row_weights, MaybeFloats kept_logits, double label_smoothing,
                                                    Count smooth_begin, Count smooth_end, MaybeFloats smoothing_targets,
                                                    MaybeFloats row_losses, MaybeFloats row_scales, Count precision) {
  if (!(label_smoothing >= 0.0 && label_smoothing < 1.0)) c.fail("labelSmoothing must be in [0, 1)");
  if (!(smooth_begin < smooth_end && smooth_end <= vocab))
    c.fail("smoothing classes " + std::to_string(smooth_begin) + ".." + std::to_string(smooth_end) + " are not a non-empty range of the vocabulary");
  c.need(hidden, rows * dim, "hidden", shape2("rows", rows, "dim", dim));
  c.need(weight, vocab * dim, "weight", shape2("vocab", vocab, "dim", dim));
  c.need(targets.length, rows, "targets", "rows");
  c.need(lse, rows, "lse", "rows");
  c.need_if_given(row_weights, rows, "rowWeights", "rows");
  c.need_if_given(kept_logits, rows * vocab, "keptLogits", shape2("rows", rows, "vocab", vocab));
  c.need_if_given(smoothing_targets, rows * (smooth_end - smooth_begin), "smoothingTargets",
                  shape2("rows", rows, "smoothing classes", smooth_end - smooth_begin));
  c.need_if_given(row_losses, rows, "rowLosses", "rows");
  c.need_if_given(row_scales, rows, "rowScales", "rows");
  for (int64_t r = 0; r < rows; r++) {
    const int64_t t = targets.data[r];
    if (t != ignore_index && (t < 0 || t >= vocab))
      c.fail("targets[" + std::to_string(r) + "] = " + std::to_string(t) + " is outside the vocabulary 0.." + std::to_string(vocab - 1) +
             " and is not ignoreIndex " + std::to_string(ignore_index));
  }
  return toolken::CrossEntropyGeometry{rows, dim, vocab, ignore_index, chunk, row_weights.data, kept_logits.data, label_smoothing,
                                       smooth_begin, smooth_end, smoothing_targets.data, row_losses.data, row_scales.data, precision == 1};
}

toolken::CrossEntropyTotals LinearCrossEntropy(const Call& c, Floats hidden, Floats weight, Ints targets, Floats lse, Count rows, Count dim,
                                               Positive vocab, Integer ignore_index, Positive chunk, MaybeFloats row_weights,
                                               MaybeFloats kept_logits, double label_smoothing, Count smooth_begin, Count smooth_end,
                                               MaybeFloats smoothing_targets, MaybeFloats row_losses, MaybeFloats row_scales, Count precision) {
  const toolken::CrossEntropyGeometry g =
      cross_entropy_geometry(c, hidden, weight, targets, lse, rows, dim, vocab, ignore_index, chunk, row_weights, kept_logits, label_smoothing,
                             smooth_begin, smooth_end, smoothing_targets, row_losses, row_scales, precision);
  return toolken::linear_cross_entropy(hidden.data, weight.data, targets.data, lse.data, g);
}

void LinearCrossEntropyBackward(const Call& c, Floats hidden, Floats weight, Ints targets, Floats lse, double scale, MaybeFloats d_hidden,
                                MaybeFloats d_weight, Count rows, Count dim, Positive vocab, Integer ignore_index, Positive chunk,
                                MaybeFloats row_weights, MaybeFloats kept_logits, double label_smoothing, Count smooth_begin, Count smooth_end,
                                MaybeFloats smoothing_targets, MaybeFloats row_losses, MaybeFloats row_scales, Count precision) {
  const toolken::CrossEntropyGeometry g =
      cross_entropy_geometry(c, hidden, weight, targets, lse, rows, dim, vocab, ignore_index, chunk, row_weights, kept_logits, label_smoothing,
                             smooth_begin, smooth_end, smoothing_targets, row_losses, row_scales, precision);
  c.need_if_given(d_hidden, rows * dim, "dHidden", shape2("rows", rows, "dim", dim));
  c.need_if_given(d_weight, vocab * dim, "dWeight", shape2("vocab", vocab, "dim", dim));
  toolken::linear_cross_entropy_backward(hidden.data, weight.data, targets.data, lse.data, static_cast<float>(scale), d_hidden.data,
                                         d_weight.data, g);
}

// ---- optimizers ----

void Adamw(const Call& c, Floats param, Floats grad, Floats m, Floats v, Count size, double lr, double beta1, double beta2, double eps,
           double weight_decay, Positive step) {
  c.need_all({{param, "param"}, {grad, "grad"}, {m, "m"}, {v, "v"}}, size, "size");
  toolken::adamw(param.data, grad.data, m.data, v.data, size, toolken::AdamWHyper{lr, beta1, beta2, eps, weight_decay, step});
}

// ---- the registry: kernel name -> handler, its argument kinds and result read off the handler's signature ----

struct Entry {
  const char* name;
  std::vector<const char*> kinds;
  const char* result;
  Napi::Value (*call)(const Napi::CallbackInfo& info);
};

template <typename R, typename... P, size_t... I>
Napi::Value invoke(R (*fn)(const Call&, P...), const Napi::CallbackInfo& info, std::index_sequence<I...>) {
  const Call c(info, *static_cast<const Signature*>(info.Data()));
  // Braced initialisation reads the arguments left to right, so the first bad one is the one reported.
  std::tuple<P...> args{c.template read<P>(I)...};
  if constexpr (std::is_void_v<R>) {
    std::apply([&](auto&&... a) { fn(c, a...); }, args);
    return info.Env().Undefined();
  } else {
    return to_js(info.Env(), std::apply([&](auto&&... a) { return fn(c, a...); }, args));
  }
}

template <auto Fn>
struct Bind;
template <typename R, typename... P, R (*Fn)(const Call&, P...)>
struct Bind<Fn> {
  static Napi::Value call(const Napi::CallbackInfo& info) { return invoke(Fn, info, std::index_sequence_for<P...>{}); }
  static Entry entry(const char* name) { return Entry{name, {Kind<P>::name...}, Result<R>::name, &call}; }
};

template <auto Fn>
Entry entry(const char* name) {
  return Bind<Fn>::entry(name);
}

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      entry<Fill>("fill"),
      entry<Copy>("copy"),
      entry<CopyStrided>("copyStrided"),
      entry<Matmul>("matmul"),
      entry<QuantizedMatmul>("quantizedMatmul"),
      entry<Binary>("binary"),
      entry<Unary>("unary"),
      entry<UnaryBackward>("unaryBackward"),
      entry<Axpby>("axpby"),
      entry<SumOuter>("sumOuter"),
      entry<SumRows>("sumRows"),
      entry<SumSquares>("sumSquares"),
      entry<Swiglu>("swiglu"),
      entry<SwigluBackward>("swigluBackward"),
      entry<Rmsnorm>("rmsnorm"),
      entry<RmsnormBackward>("rmsnormBackward"),
      entry<Layernorm>("layernorm"),
      entry<LayernormBackward>("layernormBackward"),
      entry<Softmax>("softmax"),
      entry<SoftmaxBackward>("softmaxBackward"),
      entry<Embedding>("embedding"),
      entry<EmbeddingBackward>("embeddingBackward"),
      entry<Rope>("rope"),
      entry<Attention>("attention"),
      entry<AttentionBackward>("attentionBackward"),
      entry<LinearCrossEntropy>("linearCrossEntropy"),
      entry<LinearCrossEntropyBackward>("linearCrossEntropyBackward"),
      entry<Adamw>("adamw"),
  };
  return entries;
}

// bind(table): table is [[kernel, [[argument, kind], ...], result], ...] from src/tensor/kernels.ts. Checks that it
// lists exactly the registry's kernels with the kinds and results of their handlers, and returns { kernel: function }.
Napi::Value BindTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto fail = [&](const std::string& message) -> void {
    throw Napi::Error::New(env, "cpu.bind: the kernel table (src/tensor/kernels.ts) does not match native/binding.cc: " + message);
  };
  if (!info[0].IsArray()) fail("the table must be an array");
  // Signatures live as long as the functions that point at them (the process, as the addon cannot be unloaded).
  static std::deque<Signature> signatures;
  Napi::Array table = info[0].As<Napi::Array>();
  Napi::Object out = Napi::Object::New(env);
  std::vector<bool> bound(registry().size(), false);
  for (uint32_t t = 0; t < table.Length(); t++) {
    Napi::Array row = table.Get(t).As<Napi::Array>();
    const std::string name = row.Get(0u).As<Napi::String>().Utf8Value();
    Napi::Array args = row.Get(1u).As<Napi::Array>();
    const std::string result = row.Get(2u).As<Napi::String>().Utf8Value();
    size_t e = 0;
    while (e < registry().size() && name != registry()[e].name) e++;
    if (e == registry().size()) fail("kernel " + name + " has no handler");
    const Entry& entry = registry()[e];
    if (args.Length() != entry.kinds.size())
      fail(name + " takes " + std::to_string(entry.kinds.size()) + " arguments, the table lists " + std::to_string(args.Length()));
    if (result != entry.result) fail(name + " returns " + entry.result + ", the table says " + result);
    Signature sig{name, {}};
    for (uint32_t i = 0; i < args.Length(); i++) {
      Napi::Array arg = args.Get(i).As<Napi::Array>();
      const std::string arg_name = arg.Get(0u).As<Napi::String>().Utf8Value();
      const std::string kind = arg.Get(1u).As<Napi::String>().Utf8Value();
      if (kind != entry.kinds[i]) fail(name + " argument " + std::to_string(i) + " (" + arg_name + ") is " + entry.kinds[i] + ", the table says " + kind);
      sig.names.push_back(arg_name);
    }
    signatures.push_back(std::move(sig));
    out.Set(name, Napi::Function::New(env, entry.call, name, &signatures.back()));
    bound[e] = true;
  }
  for (size_t e = 0; e < bound.size(); e++)
    if (!bound[e]) fail(std::string("kernel ") + registry()[e].name + " is missing from the table");
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  allocator_policy = toolken::tune_allocator();
  exports.Set("describe", Napi::Function::New(env, Describe, "describe"));
  exports.Set("features", Napi::Function::New(env, Features, "features"));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads, "getThreads"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("bind", Napi::Function::New(env, BindTable, "bind"));
  return exports;
}

}  // namespace

NODE_API_MODULE(toolken_native, Init)
