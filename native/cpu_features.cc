#include "cpu_features.h"

#include <cstdlib>
#include <cstring>

namespace toolken {

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = [] {
    CpuFeatures f{false, false, false};
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f.avx2 = __builtin_cpu_supports("avx2");
    f.fma = __builtin_cpu_supports("fma");
    f.avx512f = __builtin_cpu_supports("avx512f");
#endif
    return f;
  }();
  return features;
}

KernelPath kernel_path() {
  static const KernelPath chosen = [] {
    const CpuFeatures& f = cpu_features();
    KernelPath best = KernelPath::Portable;
    if (f.avx2 && f.fma) best = f.avx512f ? KernelPath::Avx512 : KernelPath::Avx2Fma;
    const char* cap = std::getenv("TOOLKEN_NATIVE_KERNELS");
    if (cap != nullptr && std::strcmp(cap, "portable") == 0) return KernelPath::Portable;
    if (cap != nullptr && std::strcmp(cap, "avx2") == 0 && best == KernelPath::Avx512) return KernelPath::Avx2Fma;
    return best;
  }();
  return chosen;
}

const char* kernel_path_name(KernelPath path) {
  switch (path) {
    case KernelPath::Avx512: return "avx512";
    case KernelPath::Avx2Fma: return "avx2-fma";
    case KernelPath::Portable: return "scalar";
  }
  return "scalar";
}

}  // namespace toolken
