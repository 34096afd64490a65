#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "cpu_features.h"
#include "thread_pool.h"
#include "vec.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace toolken {
namespace {

// Register tile: MR rows of A times NR columns of B stay in 12 vector accumulators (NR = 16 with ymm, 32 with zmm).
constexpr int MR = 6;
constexpr int NR_MAX = 32;
// Depth and column blocks, tuned on Zen 4 (32 KiB L1d, 1 MiB L2 per core, 32 MiB shared L3): a KC x NR panel of
// B is reused across the MC / MR row panels of an A block (in L2), and a KC x NC block of B lives in L3. A long
// KC amortises loading and storing the C tile; measured best of KC 256..768 x MC 24..288 (per kernel below).
constexpr int64_t KC = 512;
constexpr int64_t NC = 4096;
// Below this many rows the product is a set of dot products / row updates: packing would cost more than it saves.
constexpr int64_t SMALL_M = 3;

// C tile (MR x nr) = alpha * Apanel @ Bpanel (+ C when load_c); Apanel is (kc, MR), Bpanel (kc, nr), packed.
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, bool load_c);

constexpr int NR = 16;  // the portable and AVX2 tile width

void micro_kernel_portable(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, bool load_c) {
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; p++) {
    for (int r = 0; r < MR; r++) {
      const float ar = a[p * MR + r];
      for (int j = 0; j < NR; j++) acc[r][j] += ar * b[p * NR + j];
    }
  }
  for (int r = 0; r < MR; r++) {
    for (int j = 0; j < NR; j++) {
      const float v = alpha * acc[r][j];
      c[r * ldc + j] = load_c ? c[r * ldc + j] + v : v;
    }
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void micro_kernel_avx2(
    int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, bool load_c) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int r = 0; r < MR; r++) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    __m256 ar = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(ar, b0, c00);
    c01 = _mm256_fmadd_ps(ar, b1, c01);
    ar = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(ar, b0, c10);
    c11 = _mm256_fmadd_ps(ar, b1, c11);
    ar = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(ar, b0, c20);
    c21 = _mm256_fmadd_ps(ar, b1, c21);
    ar = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(ar, b0, c30);
    c31 = _mm256_fmadd_ps(ar, b1, c31);
    ar = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(ar, b0, c40);
    c41 = _mm256_fmadd_ps(ar, b1, c41);
    ar = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(ar, b0, c50);
    c51 = _mm256_fmadd_ps(ar, b1, c51);
    a += MR;
    b += NR;
  }
  const __m256 va = _mm256_set1_ps(alpha);
  __m256 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < MR; r++) {
    float* cr = c + r * ldc;
    __m256 v0 = _mm256_mul_ps(va, rows[r][0]);
    __m256 v1 = _mm256_mul_ps(va, rows[r][1]);
    if (load_c) {
      v0 = _mm256_add_ps(v0, _mm256_loadu_ps(cr));
      v1 = _mm256_add_ps(v1, _mm256_loadu_ps(cr + 8));
    }
    _mm256_storeu_ps(cr, v0);
    _mm256_storeu_ps(cr + 8, v1);
  }
}

// The same 6-row tile twice as wide: on Zen 4 a zmm FMA does the work of two ymm ones at the same throughput but
// halves the instructions and loads per flop (measured +3..5% over the AVX2 kernel).
constexpr int NR_WIDE = 32;

__attribute__((target("avx512f"))) void micro_kernel_avx512(
    int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, bool load_c) {
  __m512 acc[MR][2];
  for (int r = 0; r < MR; r++) {
    acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    // C is read at the very end; fetching it now hides the miss behind the k loop (measured +3%).
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
    for (int r = 0; r < MR; r++) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
    a += MR;
    b += NR_WIDE;
  }
  const __m512 va = _mm512_set1_ps(alpha);
  for (int r = 0; r < MR; r++) {
    float* cr = c + r * ldc;
    __m512 v0 = _mm512_mul_ps(va, acc[r][0]);
    __m512 v1 = _mm512_mul_ps(va, acc[r][1]);
    if (load_c) {
      v0 = _mm512_add_ps(v0, _mm512_loadu_ps(cr));
      v1 = _mm512_add_ps(v1, _mm512_loadu_ps(cr + 16));
    }
    _mm512_storeu_ps(cr, v0);
    _mm512_storeu_ps(cr + 16, v1);
  }
}
#endif

// A micro-kernel with its tile width and the A block height that suits it.
struct KernelChoice {
  MicroKernel kernel;
  int64_t nr;
  int64_t mc;
  const char* name;
};

const KernelChoice& chosen_kernel() {
  static const KernelChoice choice = []() -> KernelChoice {
    switch (kernel_path()) {
#if defined(__x86_64__)
      case KernelPath::Avx512: return {micro_kernel_avx512, NR_WIDE, 24, "avx512 6x32"};
      case KernelPath::Avx2Fma: return {micro_kernel_avx2, NR, 48, "avx2-fma 6x16"};
#endif
      default: return {micro_kernel_portable, NR, 48, "portable 6x16"};
    }
  }();
  return choice;
}

// 64-byte aligned scratch that only grows; one per thread so nested (per-batch) products never share it.
class ScratchBuffer {
 public:
  float* get(int64_t floats) {
    if (floats > capacity_) {
      const int64_t bytes = ((floats * static_cast<int64_t>(sizeof(float)) + 63) / 64) * 64;
      data_.reset(static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(bytes))));
      if (!data_) throw std::bad_alloc();
      capacity_ = floats;
    }
    return data_.get();
  }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  int64_t capacity_ = 0;
};

thread_local ScratchBuffer packed_a_scratch;
thread_local ScratchBuffer packed_b_scratch;

#if defined(__x86_64__)
// Transposes the 8x8 block held in r[0..7] (r[i] = row i) in place, so that r[j] becomes column j.
__attribute__((target("avx2,fma"))) inline void transpose8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// dst[p * ld_dst + c] = src[c * ld_src + p] for c < cols (at most 8), p < depth: 8 x 8 blocks transposed in
// registers instead of one scalar store per element. Rows past cols read as 0; exactly cols floats are written
// per p, so nothing beyond a panel's row of dst is touched.
__attribute__((target("avx2,fma"))) void transpose_columns_avx2(const float* src, int64_t ld_src, int64_t cols, int64_t depth,
                                                                 float* dst, int64_t ld_dst) {
  alignas(32) float lanes[8];
  int64_t p = 0;
  for (; p + 8 <= depth; p += 8) {
    __m256 r[8];
    for (int c = 0; c < 8; c++) r[c] = c < cols ? _mm256_loadu_ps(src + c * ld_src + p) : _mm256_setzero_ps();
    transpose8x8(r);
    for (int q = 0; q < 8; q++) {
      float* d = dst + (p + q) * ld_dst;
      if (cols == 8) {
        _mm256_storeu_ps(d, r[q]);
      } else {
        _mm256_store_ps(lanes, r[q]);
        for (int64_t c = 0; c < cols; c++) d[c] = lanes[c];
      }
    }
  }
  for (; p < depth; p++)
    for (int64_t c = 0; c < cols; c++) dst[p * ld_dst + c] = src[c * ld_src + p];
}
#endif

// Packs rows [i0, i0 + mr) x depth [p0, p0 + kc) of op(A) into dst[p * MR + r], zero-padding rows mr..MR-1.
void pack_a_panel(const GemmArgs& g, int64_t i0, int64_t mr, int64_t p0, int64_t kc, float* dst) {
  if (!g.trans_a) {
#if defined(__x86_64__)
    if (kernel_path() != KernelPath::Portable) {
      transpose_columns_avx2(g.a + i0 * g.k + p0, g.k, mr, kc, dst, MR);
    } else
#endif
    {
      for (int64_t r = 0; r < mr; r++) {
        const float* src = g.a + (i0 + r) * g.k + p0;
        for (int64_t p = 0; p < kc; p++) dst[p * MR + r] = src[p];
      }
    }
  } else {
    for (int64_t p = 0; p < kc; p++) {
      const float* src = g.a + (p0 + p) * g.m + i0;
      for (int64_t r = 0; r < mr; r++) dst[p * MR + r] = src[r];
    }
  }
  for (int64_t r = mr; r < MR; r++)
    for (int64_t p = 0; p < kc; p++) dst[p * MR + r] = 0.0f;
}

// Packs depth [p0, p0 + kc) x columns [j0, j0 + nr) of op(B) into dst[p * width + j], zero-padding columns
// nr..width-1 (width is the micro-kernel's tile width).
void pack_b_panel(const GemmArgs& g, int64_t j0, int64_t nr, int64_t width, int64_t p0, int64_t kc, float* dst) {
  if (!g.trans_b) {
    for (int64_t p = 0; p < kc; p++) {
      const float* src = g.b + (p0 + p) * g.n + j0;
      float* d = dst + p * width;
      std::memcpy(d, src, static_cast<size_t>(nr) * sizeof(float));
      for (int64_t j = nr; j < width; j++) d[j] = 0.0f;
    }
    return;
  }
#if defined(__x86_64__)
  if (kernel_path() != KernelPath::Portable) {
    for (int64_t j = 0; j < nr; j += 8)
      transpose_columns_avx2(g.b + (j0 + j) * g.k + p0, g.k, std::min<int64_t>(8, nr - j), kc, dst + j, width);
  } else
#endif
  {
    for (int64_t j = 0; j < nr; j++) {
      const float* src = g.b + (j0 + j) * g.k + p0;
      for (int64_t p = 0; p < kc; p++) dst[p * width + j] = src[p];
    }
  }
  for (int64_t j = nr; j < width; j++)
    for (int64_t p = 0; p < kc; p++) dst[p * width + j] = 0.0f;
}

// Runs the micro-kernel on a full tile in place, or through a scratch tile when it hangs over C's edge.
inline void compute_tile(const KernelChoice& k, int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t mr,
                         int64_t nr, float alpha, bool load_c) {
  if (mr == MR && nr == k.nr) {
    k.kernel(kc, a, b, c, ldc, alpha, load_c);
    return;
  }
  alignas(64) float tile[MR * NR_MAX];
  k.kernel(kc, a, b, tile, k.nr, alpha, false);
  for (int64_t r = 0; r < mr; r++)
    for (int64_t j = 0; j < nr; j++) c[r * ldc + j] = load_c ? c[r * ldc + j] + tile[r * k.nr + j] : tile[r * k.nr + j];
}

// m < SMALL_M: each output row is op(A) row i times op(B), computed as dot products (B transposed, the Linear
// weight layout) or as a sum of scaled rows of B.
void sgemm_small_m(const GemmArgs& g) {
  for (int64_t i = 0; i < g.m; i++) {
    std::unique_ptr<float[]> gathered;
    const float* a_row = g.a + i * g.k;
    if (g.trans_a) {
      gathered.reset(new float[static_cast<size_t>(g.k)]);
      for (int64_t p = 0; p < g.k; p++) gathered[p] = g.a[p * g.m + i];
      a_row = gathered.get();
    }
    float* c_row = g.c + i * g.ldc;
    if (g.trans_b) {
      parallel_for(g.n, 64, [&](int64_t j0, int64_t j1) {
        for (int64_t j = j0; j < j1; j++) {
          const float v = g.alpha * dot(a_row, g.b + j * g.k, g.k);
          c_row[j] = g.accumulate ? c_row[j] + v : v;
        }
      });
    } else {
      parallel_for(g.n, 256, [&](int64_t j0, int64_t j1) {
        std::unique_ptr<float[]> acc(new float[static_cast<size_t>(j1 - j0)]());
        for (int64_t p = 0; p < g.k; p++) axpy(a_row[p], g.b + p * g.n + j0, acc.get(), j1 - j0);
        for (int64_t j = j0; j < j1; j++) {
          const float v = g.alpha * acc[j - j0];
          c_row[j] = g.accumulate ? c_row[j] + v : v;
        }
      });
    }
  }
}

}  // namespace

std::string gemm_description() {
  const KernelChoice& k = chosen_kernel();
  return std::string(k.name) + " sgemm, MC=" + std::to_string(k.mc) + " KC=" + std::to_string(KC) + " NC=" + std::to_string(NC);
}

void sgemm(const GemmArgs& g) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0) {
    if (!g.accumulate)
      for (int64_t i = 0; i < g.m; i++) std::fill(g.c + i * g.ldc, g.c + i * g.ldc + g.n, 0.0f);
    return;
  }
  if (g.m < SMALL_M) {
    sgemm_small_m(g);
    return;
  }
  const KernelChoice& kern = chosen_kernel();
  const int64_t mc_block = kern.mc;
  const int64_t width = kern.nr;
  const int64_t ic_blocks = (g.m + mc_block - 1) / mc_block;
  for (int64_t jc = 0; jc < g.n; jc += NC) {
    const int64_t nc = std::min(NC, g.n - jc);
    const int64_t j_panels = (nc + width - 1) / width;
    // Enough tasks to keep every thread busy: split the columns when there are few row blocks, never below 4 panels.
    const int64_t want_tasks = 4 * static_cast<int64_t>(pool_threads());
    const int64_t j_groups = std::max<int64_t>(1, std::min((want_tasks + ic_blocks - 1) / ic_blocks, (j_panels + 3) / 4));
    float* packed_b = packed_b_scratch.get(j_panels * width * KC);
    for (int64_t pc = 0; pc < g.k; pc += KC) {
      const int64_t kc = std::min(KC, g.k - pc);
      const bool load_c = pc > 0 || g.accumulate;
      parallel_for(j_panels, 4, [&](int64_t first, int64_t last) {
        for (int64_t jp = first; jp < last; jp++)
          pack_b_panel(g, jc + jp * width, std::min(width, nc - jp * width), width, pc, kc, packed_b + jp * width * kc);
      });
      // Each task owns a block of C (mc rows x a group of column panels): it packs its rows of A, then sweeps the
      // panels of B, keeping one B panel hot while the A row panels stream past it.
      parallel_parts(ic_blocks * j_groups, [&](int64_t task) {
        const int64_t ic = (task / j_groups) * mc_block;
        const int64_t group = task % j_groups;
        const int64_t mc = std::min(mc_block, g.m - ic);
        const int64_t jp_begin = j_panels * group / j_groups;
        const int64_t jp_end = j_panels * (group + 1) / j_groups;
        float* packed_a = packed_a_scratch.get(mc_block * KC);
        for (int64_t ir = 0; ir < mc; ir += MR) pack_a_panel(g, ic + ir, std::min<int64_t>(MR, mc - ir), pc, kc, packed_a + ir * kc);
        for (int64_t jp = jp_begin; jp < jp_end; jp++) {
          const int64_t nr = std::min(width, nc - jp * width);
          const float* b_panel = packed_b + jp * width * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            float* c_tile = g.c + (ic + ir) * g.ldc + jc + jp * width;
            compute_tile(kern, kc, packed_a + ir * kc, b_panel, c_tile, g.ldc, std::min<int64_t>(MR, mc - ir), nr, g.alpha, load_c);
          }
        }
      });
    }
  }
}

void sgemm_batched(const GemmArgs& g, int64_t batch, int64_t stride_a, int64_t stride_b) {
  const auto one = [&](int64_t bi) {
    GemmArgs gi = g;
    gi.a = g.a + bi * stride_a;
    gi.b = g.b + bi * stride_b;
    gi.c = g.c + bi * g.m * g.ldc;
    sgemm(gi);
  };
  // Many small products (attention-sized) parallelise better across the batch than inside each product.
  const double flops_each = 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  if (batch > 1 && flops_each < 8.0e6) {
    parallel_for(batch, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t bi = b0; bi < b1; bi++) one(bi);
    });
  } else {
    for (int64_t bi = 0; bi < batch; bi++) one(bi);
  }
}

}  // namespace toolken
