// Which instruction sets this CPU offers, read once at load time, and which micro-kernels the addon uses.
#pragma once

namespace toolken {

struct CpuFeatures {
  bool avx2;
  bool fma;
  bool avx512f;
};

const CpuFeatures& cpu_features();

// The widest kernel set this CPU runs. TOOLKEN_NATIVE_KERNELS=portable|avx2 caps it (to test the other paths).
enum class KernelPath { Portable, Avx2Fma, Avx512 };
KernelPath kernel_path();

// "scalar", "avx2-fma" or "avx512".
const char* kernel_path_name(KernelPath path);

}  // namespace toolken
