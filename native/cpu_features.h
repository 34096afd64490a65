// Which instruction sets this CPU offers, read once at load time by CPUID (never from the build machine's compile
// flags), and which micro-kernels the addon uses.
#pragma once

namespace toolken {

struct CpuFeatures {
  bool avx2;
  bool fma;
  bool avx512f;
  bool avx512bw;
  bool avx512vl;
  bool avx512_vnni;
  bool f16c;
  bool avx512_bf16;
  bool amx_tile;
  bool amx_bf16;
  bool amx_int8;
};

const CpuFeatures& cpu_features();

// The widest kernel set this CPU runs. TOOLKEN_NATIVE_KERNELS=portable|avx2 caps it (to test the other paths).
enum class KernelPath { Portable, Avx2Fma, Avx512 };
KernelPath kernel_path();

// "scalar", "avx2-fma" or "avx512".
const char* kernel_path_name(KernelPath path);

// How a bf16-precision matmul runs: AMX tiles, AVX-512 BF16 dot products (vdpbf16ps), or fp32 FMA on the
// bf16-rounded inputs. All three compute the same products (bf16 x bf16 is exact in fp32) with fp32 sums.
enum class MatmulPath { Fp32, Avx512Bf16, Amx };

// The fastest bf16 path this CPU and kernel permit. AMX counts only once Linux granted the tile-data permission
// (requested once, on first use).
MatmulPath best_matmul_path();

// The path a bf16 matmul takes now: best_matmul_path(), or the one TOOLKEN_MATMUL_PATH=amx|avx512-bf16|fp32 names
// when this machine can run it. Read at every call, so tests can switch paths within one process.
MatmulPath matmul_path();

// True where this machine can run `path`.
bool matmul_path_available(MatmulPath path);

// "amx", "avx512-bf16" or "fp32".
const char* matmul_path_name(MatmulPath path);

// How a quantized (Q8_0 / Q4_0) matmul runs: int8 dot products with AVX-512 VNNI (vpdpbusd on 32-byte blocks), or
// portable scalar C++. Both quantize the activations identically and sum exact int32 block products; they differ
// only in the order of the fp32 sums.
enum class QuantPath { Scalar, Avx512Vnni };

// True where this machine can run `path`.
bool quant_path_available(QuantPath path);

// The path a quantized matmul takes now: the fastest available, or the one TOOLKEN_QUANT_PATH=avx512-vnni|scalar
// names when this machine can run it. Read at every call, so tests can switch paths within one process.
QuantPath quant_path();

// "avx512-vnni" or "scalar".
const char* quant_path_name(QuantPath path);

}  // namespace toolken
