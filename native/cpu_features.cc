#include "cpu_features.h"

#include <cstdlib>
#include <cstring>
#include <initializer_list>

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace toolken {
namespace {

#if defined(__x86_64__)
// XCR0: which register states the OS saves on context switch. A CPUID bit means nothing without its state bits.
unsigned long long read_xcr0() {
  unsigned int lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}
#endif

// Linux keeps AMX tile data off until a process asks (arch_prctl ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA, 18).
bool request_tile_permission() {
#if defined(__x86_64__) && defined(__linux__)
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = [] {
    CpuFeatures f{};
#if defined(__x86_64__)
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return f;
    const bool osxsave = (ecx >> 27) & 1;
    const bool has_fma = (ecx >> 12) & 1;
    const bool has_f16c = (ecx >> 29) & 1;
    if (!osxsave) return f;
    const unsigned long long xcr0 = read_xcr0();
    const bool ymm_state = (xcr0 & 0x6) == 0x6;
    const bool zmm_state = ymm_state && (xcr0 & 0xe0) == 0xe0;
    const bool tile_state = (xcr0 & 0x60000) == 0x60000;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return f;
    const unsigned int leaf7_ebx = ebx, leaf7_ecx = ecx, leaf7_edx = edx, max_subleaf = eax;
    f.avx2 = ymm_state && ((leaf7_ebx >> 5) & 1);
    f.fma = ymm_state && has_fma;
    f.avx512f = zmm_state && ((leaf7_ebx >> 16) & 1);
    f.avx512bw = f.avx512f && ((leaf7_ebx >> 30) & 1);
    f.avx512vl = f.avx512f && ((leaf7_ebx >> 31) & 1);
    f.f16c = ymm_state && has_f16c;
    f.avx512_vnni = f.avx512f && ((leaf7_ecx >> 11) & 1);
    if (max_subleaf >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) != 0) f.avx512_bf16 = f.avx512bw && ((eax >> 5) & 1);
    f.amx_tile = tile_state && ((leaf7_edx >> 24) & 1);
    f.amx_bf16 = f.amx_tile && ((leaf7_edx >> 22) & 1);
    f.amx_int8 = f.amx_tile && ((leaf7_edx >> 25) & 1);
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

bool matmul_path_available(MatmulPath path) {
  const CpuFeatures& f = cpu_features();
  switch (path) {
    case MatmulPath::Fp32: return true;
    case MatmulPath::Avx512Bf16: return f.avx512_bf16 && kernel_path() == KernelPath::Avx512;
    case MatmulPath::Amx: {
      if (!f.amx_bf16 || !f.avx512bw || kernel_path() != KernelPath::Avx512) return false;
      static const bool permitted = request_tile_permission();
      return permitted;
    }
  }
  return false;
}

MatmulPath best_matmul_path() {
  if (matmul_path_available(MatmulPath::Amx)) return MatmulPath::Amx;
  if (matmul_path_available(MatmulPath::Avx512Bf16)) return MatmulPath::Avx512Bf16;
  return MatmulPath::Fp32;
}

MatmulPath matmul_path() {
  const char* forced = std::getenv("TOOLKEN_MATMUL_PATH");
  if (forced != nullptr) {
    for (MatmulPath path : {MatmulPath::Amx, MatmulPath::Avx512Bf16, MatmulPath::Fp32}) {
      if (std::strcmp(forced, matmul_path_name(path)) == 0 && matmul_path_available(path)) return path;
    }
  }
  return best_matmul_path();
}

const char* matmul_path_name(MatmulPath path) {
  switch (path) {
    case MatmulPath::Amx: return "amx";
    case MatmulPath::Avx512Bf16: return "avx512-bf16";
    case MatmulPath::Fp32: return "fp32";
  }
  return "fp32";
}

bool quant_path_available(QuantPath path) {
  const CpuFeatures& f = cpu_features();
  switch (path) {
    case QuantPath::Scalar: return true;
    case QuantPath::Avx512Vnni:
      return f.avx512_vnni && f.avx512bw && f.avx512vl && f.f16c && f.fma && kernel_path() == KernelPath::Avx512;
  }
  return false;
}

QuantPath quant_path() {
  const char* forced = std::getenv("TOOLKEN_QUANT_PATH");
  if (forced != nullptr) {
    for (QuantPath path : {QuantPath::Avx512Vnni, QuantPath::Scalar}) {
      if (std::strcmp(forced, quant_path_name(path)) == 0 && quant_path_available(path)) return path;
    }
  }
  return quant_path_available(QuantPath::Avx512Vnni) ? QuantPath::Avx512Vnni : QuantPath::Scalar;
}

const char* quant_path_name(QuantPath path) {
  switch (path) {
    case QuantPath::Avx512Vnni: return "avx512-vnni";
    case QuantPath::Scalar: return "scalar";
  }
  return "scalar";
}

}  // namespace toolken
