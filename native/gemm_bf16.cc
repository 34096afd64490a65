#include "gemm_bf16.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <memory>

#include "bf16.h"
#include "cpu_features.h"
#include "thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace toolken {
namespace {

// op(A)[i, l] read through the transpose flag.
inline float a_at(const GemmArgs& g, int64_t i, int64_t l) { return g.trans_a ? g.a[l * g.m + i] : g.a[i * g.k + l]; }

// ---- fp32 path: round the inputs to bf16 values held in fp32, then the fp32 GEMM (products of bf16 are exact). ----
void gemm_bf16_fp32(const GemmArgs& g) {
  const int64_t a_len = g.m * g.k, b_len = g.k * g.n;
  std::unique_ptr<float[]> a(new float[static_cast<size_t>(a_len)]);
  std::unique_ptr<float[]> b(new float[static_cast<size_t>(b_len)]);
  parallel_for(a_len, 4096, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) a[i] = bf16_to_float(to_bf16(g.a[i]));
  });
  parallel_for(b_len, 4096, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) b[i] = bf16_to_float(to_bf16(g.b[i]));
  });
  GemmArgs rounded = g;
  rounded.a = a.get();
  rounded.b = b.get();
  sgemm(rounded);
}

#if defined(__x86_64__)
// ---- packing shared by the AVX-512 BF16 and AMX paths ----
// Both consume pairs of consecutive-depth bf16 values as one 32-bit element (low half the even depth). Packing
// converts 16 values per instruction; depth past k, rows past m and columns past n pack as zeros.

inline __mmask16 first_lanes(int64_t count) {
  return count >= 16 ? static_cast<__mmask16>(0xffff) : count <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << count) - 1);
}

// (Shifts and narrowing are spelled maskz_: GCC 12 warns about the undefined operand of the plain intrinsics.)
// 16 floats -> their bf16 bits in the high half of each lane: round to nearest even, NaN kept a quiet NaN (as to_bf16).
__attribute__((target("avx512f"))) inline __m512i bf16_high(__m512 x) {
  const __m512i u = _mm512_castps_si512(x);
  const __m512i bias = _mm512_add_epi32(_mm512_set1_epi32(0x7fff), _mm512_and_si512(_mm512_maskz_srli_epi32(0xffff, u, 16), _mm512_set1_epi32(1)));
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
  const __m512i rounded = _mm512_mask_or_epi32(_mm512_add_epi32(u, bias), nan, u, _mm512_set1_epi32(0x400000));
  return _mm512_and_si512(rounded, _mm512_set1_epi32(static_cast<int>(0xffff0000u)));
}

// dst[t] = pair(lo[t], hi[t]) for t < width, from the first `count` values of each (null: zeros); zero beyond count.
__attribute__((target("avx512f"))) void pairs_across(const float* lo, const float* hi, int64_t count, int64_t width, uint32_t* dst) {
  const __mmask16 load = first_lanes(count);
  const __m512i l = lo == nullptr ? _mm512_setzero_si512() : _mm512_maskz_srli_epi32(0xffff, bf16_high(_mm512_maskz_loadu_ps(load, lo)), 16);
  const __m512i h = hi == nullptr ? _mm512_setzero_si512() : bf16_high(_mm512_maskz_loadu_ps(load, hi));
  _mm512_mask_storeu_epi32(dst, first_lanes(width), _mm512_or_si512(l, h));
}

// out[0..16) = the 16 pairs of row[0..32), of which the first `count` values are read and the rest are zero.
__attribute__((target("avx512f"))) void pairs_along(const float* row, int64_t count, uint32_t* out) {
  const __m512i v0 = _mm512_maskz_srli_epi32(0xffff, bf16_high(_mm512_maskz_loadu_ps(first_lanes(count), row)), 16);
  const __m512i v1 = _mm512_maskz_srli_epi32(0xffff, bf16_high(_mm512_maskz_loadu_ps(first_lanes(count - 16), row + 16)), 16);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_maskz_cvtepi32_epi16(0xffff, v0));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8), _mm512_maskz_cvtepi32_epi16(0xffff, v1));
}

// Scatters the pairs of one contiguous depth row (row[0..k)) into column `lane` of a [pair][width] panel.
void scatter_row_pairs(const float* row, int64_t k, int64_t kp, int64_t width, int64_t lane, uint32_t* panel) {
  alignas(64) uint32_t pairs[16];
  for (int64_t p0 = 0; p0 < kp; p0 += 16) {
    pairs_along(row + 2 * p0, std::min<int64_t>(32, k - 2 * p0), pairs);
    for (int64_t t = 0; t < std::min<int64_t>(16, kp - p0); t++) panel[(p0 + t) * width + lane] = pairs[t];
  }
}

// Packs `panels` row panels of op(A), `rows` (<= 16) rows each, as pairs [pair][row]: panel q at q * kp * rows.
void pack_a_pairs(const GemmArgs& g, int64_t rows, int64_t panels, int64_t kp, uint32_t* out) {
  parallel_for(panels, 1, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; q++) {
      uint32_t* dst = out + q * kp * rows;
      const int64_t i0 = q * rows, count = std::min(rows, g.m - i0);
      if (g.trans_a) {  // A is (k, m): a depth row holds consecutive rows of op(A)
        for (int64_t p = 0; p < kp; p++)
          pairs_across(g.a + 2 * p * g.m + i0, 2 * p + 1 < g.k ? g.a + (2 * p + 1) * g.m + i0 : nullptr, count, rows, dst + p * rows);
      } else {
        for (int64_t r = 0; r < rows; r++) {
          if (r < count) scatter_row_pairs(g.a + (i0 + r) * g.k, g.k, kp, rows, r, dst);
          else for (int64_t p = 0; p < kp; p++) dst[p * rows + r] = 0;
        }
      }
    }
  });
}

// Packs `panels` column panels of op(B), `cols` (16 or 32) columns each, as pairs [pair][column]; pairs past the
// depth (kp may exceed (k + 1) / 2, for AMX tiles) are zero.
void pack_b_pairs(const GemmArgs& g, int64_t cols, int64_t panels, int64_t kp, uint32_t* out) {
  parallel_for(panels, 1, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; q++) {
      uint32_t* dst = out + q * kp * cols;
      const int64_t j0 = q * cols;
      if (g.trans_b) {  // B is (n, k): each column of op(B) is a contiguous depth row
        for (int64_t c = 0; c < cols; c++) {
          if (j0 + c < g.n) scatter_row_pairs(g.b + (j0 + c) * g.k, g.k, kp, cols, c, dst);
          else for (int64_t p = 0; p < kp; p++) dst[p * cols + c] = 0;
        }
      } else {
        for (int64_t p = 0; p < kp; p++) {
          const float* lo = 2 * p < g.k ? g.b + 2 * p * g.n : nullptr;
          const float* hi = 2 * p + 1 < g.k ? g.b + (2 * p + 1) * g.n : nullptr;
          for (int64_t c = 0; c < cols; c += 16)
            pairs_across(lo == nullptr ? nullptr : lo + j0 + c, hi == nullptr ? nullptr : hi + j0 + c, g.n - j0 - c, 16, dst + p * cols + c);
        }
      }
    }
  });
}

// ---- AVX-512 BF16 path: a 12 x 32 register tile of fp32 sums, vdpbf16ps adding one depth pair per step. ----
constexpr int64_t DP_MR = 12;
constexpr int64_t DP_NR = 32;
// Depth pairs per block (512 depth): a 256 x 32 pair panel of B is 32 KiB, reused across an A block held in L2.
constexpr int64_t DP_KP = 256;
constexpr int64_t DP_MC = 8 * DP_MR;
constexpr int64_t DP_NC = 8 * DP_NR;

// C tile (mr x nr) (+)= alpha * Apanel @ Bpanel over kp depth pairs.
__attribute__((target("avx512f,avx512bw,avx512bf16"))) void dp_micro_kernel(
    int64_t kp, const uint32_t* a, const uint32_t* b, float* c, int64_t ldc, int64_t mr, int64_t nr, float alpha, bool load_c) {
  __m512 acc[DP_MR][2];
  for (int r = 0; r < DP_MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kp; p++) {
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + p * DP_NR);
    const __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + p * DP_NR + 16);
    const uint32_t* ap = a + p * DP_MR;
#pragma GCC unroll 12
    for (int r = 0; r < DP_MR; r++) {
      const __m512bh ar = (__m512bh)_mm512_set1_epi32(static_cast<int>(ap[r]));
      acc[r][0] = _mm512_dpbf16_ps(acc[r][0], ar, b0);
      acc[r][1] = _mm512_dpbf16_ps(acc[r][1], ar, b1);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha);
  const __mmask16 m0 = nr >= 16 ? 0xffff : static_cast<__mmask16>((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? 0xffff : nr <= 16 ? 0 : static_cast<__mmask16>((1u << (nr - 16)) - 1);
  for (int64_t r = 0; r < mr; r++) {
    float* row = c + r * ldc;
    __m512 v0 = _mm512_mul_ps(va, acc[r][0]);
    __m512 v1 = _mm512_mul_ps(va, acc[r][1]);
    if (load_c) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, row));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, row + 16));
    }
    _mm512_mask_storeu_ps(row, m0, v0);
    _mm512_mask_storeu_ps(row + 16, m1, v1);
  }
}

void gemm_bf16_avx512(const GemmArgs& g) {
  const int64_t kp = (g.k + 1) / 2;
  const int64_t a_panels = (g.m + DP_MR - 1) / DP_MR, b_panels = (g.n + DP_NR - 1) / DP_NR;
  std::unique_ptr<uint32_t[]> pa(new uint32_t[static_cast<size_t>(a_panels * DP_MR * kp)]);
  std::unique_ptr<uint32_t[]> pb(new uint32_t[static_cast<size_t>(b_panels * DP_NR * kp)]);
  pack_a_pairs(g, DP_MR, a_panels, kp, pa.get());
  pack_b_pairs(g, DP_NR, b_panels, kp, pb.get());
  const int64_t row_blocks = (g.m + DP_MC - 1) / DP_MC, col_blocks = (g.n + DP_NC - 1) / DP_NC;
  // Each part owns one (DP_MC x DP_NC) block of C and runs the whole depth over it, block by block.
  parallel_parts(row_blocks * col_blocks, [&](int64_t part) {
    const int64_t i0 = (part / col_blocks) * DP_MC, j0 = (part % col_blocks) * DP_NC;
    const int64_t i1 = std::min(g.m, i0 + DP_MC), j1 = std::min(g.n, j0 + DP_NC);
    for (int64_t p0 = 0; p0 < kp; p0 += DP_KP) {
      const int64_t kc = std::min(DP_KP, kp - p0);
      const bool load_c = p0 > 0 || g.accumulate;
      for (int64_t j = j0; j < j1; j += DP_NR) {
        const uint32_t* b_panel = pb.get() + (j / DP_NR) * DP_NR * kp + p0 * DP_NR;
        for (int64_t i = i0; i < i1; i += DP_MR) {
          const uint32_t* a_panel = pa.get() + (i / DP_MR) * DP_MR * kp + p0 * DP_MR;
          dp_micro_kernel(kc, a_panel, b_panel, g.c + i * g.ldc + j, g.ldc, std::min(DP_MR, i1 - i), std::min(DP_NR, j1 - j),
                          g.alpha, load_c);
        }
      }
    }
  });
}

// ---- AMX path: a 32 x 32 block of C in four 16 x 16 fp32 accumulator tiles, 32 depth values per tdpbf16ps. ----
// A is packed row-major as pairs (rows padded to 32, pairs to 16), so a 16-row x 16-pair A tile is a strided load;
// B as 16-column panels of pairs [pair][column], so a 16-pair x 16-column B tile is 1 KiB contiguous.
constexpr int64_t AMX_TILE = 16;
constexpr int64_t AMX_BLOCK = 32;
// Rows of C per part: the part's 32-column slab of B (all depth) stays in L2 while its row blocks stream past it.
constexpr int64_t AMX_MC = 128;

struct TileConfig {
  uint8_t palette;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

// Packs op(A) into (rows_padded, kpp) pairs, row-major (kpp a multiple of 16).
void pack_a_rows(const GemmArgs& g, int64_t rows_padded, int64_t kpp, uint32_t* out) {
  parallel_for(rows_padded, 16, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      uint32_t* dst = out + i * kpp;
      if (i >= g.m) {
        std::fill(dst, dst + kpp, 0u);
      } else if (!g.trans_a) {
        for (int64_t p0 = 0; p0 < kpp; p0 += 16) pairs_along(g.a + i * g.k + 2 * p0, g.k - 2 * p0, dst + p0);
      } else {
        for (int64_t p = 0; p < kpp; p++) {
          const uint32_t lo = 2 * p < g.k ? to_bf16(a_at(g, i, 2 * p)) : 0;
          const uint32_t hi = 2 * p + 1 < g.k ? to_bf16(a_at(g, i, 2 * p + 1)) : 0;
          dst[p] = lo | (hi << 16);
        }
      }
    }
  });
}

// Adds (or stores) alpha * a 32 x 32 fp32 block into C, clipped to mr x nr.
__attribute__((target("avx512f"))) void amx_store_block(const float* block, float* c, int64_t ldc, int64_t mr, int64_t nr, float alpha,
                                                         bool load_c) {
  const __m512 va = _mm512_set1_ps(alpha);
  for (int64_t r = 0; r < mr; r++) {
    for (int64_t j = 0; j < nr; j += 16) {
      const __mmask16 mask = nr - j >= 16 ? 0xffff : static_cast<__mmask16>((1u << (nr - j)) - 1);
      __m512 v = _mm512_mul_ps(va, _mm512_loadu_ps(block + r * AMX_BLOCK + j));
      if (load_c) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, c + r * ldc + j));
      _mm512_mask_storeu_ps(c + r * ldc + j, mask, v);
    }
  }
}

// One 32 x 32 block over all kpp pairs: tiles 0-3 accumulate C, 4-5 hold A, 6-7 hold B.
__attribute__((target("amx-tile,amx-bf16"))) void amx_block(const uint32_t* a, int64_t a_stride_bytes, const uint32_t* b0,
                                                            const uint32_t* b1, int64_t kpp, float* block) {
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int64_t p = 0; p < kpp; p += AMX_TILE) {
    _tile_loadd(4, a + p, a_stride_bytes);
    _tile_loadd(5, reinterpret_cast<const char*>(a + p) + AMX_TILE * a_stride_bytes, a_stride_bytes);
    _tile_loadd(6, b0 + p * AMX_TILE, AMX_TILE * 4);
    _tile_loadd(7, b1 + p * AMX_TILE, AMX_TILE * 4);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  constexpr int64_t stride = AMX_BLOCK * 4;
  _tile_stored(0, block, stride);
  _tile_stored(1, block + AMX_TILE, stride);
  _tile_stored(2, block + AMX_TILE * AMX_BLOCK, stride);
  _tile_stored(3, block + AMX_TILE * AMX_BLOCK + AMX_TILE, stride);
}

__attribute__((target("amx-tile"))) void amx_configure() {
  TileConfig config{};
  config.palette = 1;
  for (int t = 0; t < 8; t++) {
    config.rows[t] = AMX_TILE;
    config.colsb[t] = AMX_TILE * 4;
  }
  _tile_loadconfig(&config);
}

__attribute__((target("amx-tile"))) void amx_release() { _tile_release(); }

void gemm_bf16_amx(const GemmArgs& g) {
  const int64_t kpp = ((g.k + 1) / 2 + AMX_TILE - 1) / AMX_TILE * AMX_TILE;
  const int64_t rows_padded = (g.m + AMX_BLOCK - 1) / AMX_BLOCK * AMX_BLOCK;
  const int64_t col_panels = (g.n + AMX_BLOCK - 1) / AMX_BLOCK * 2;
  std::unique_ptr<uint32_t[]> pa(new uint32_t[static_cast<size_t>(rows_padded * kpp)]);
  std::unique_ptr<uint32_t[]> pb(new uint32_t[static_cast<size_t>(col_panels * AMX_TILE * kpp)]);
  pack_a_rows(g, rows_padded, kpp, pa.get());
  pack_b_pairs(g, AMX_TILE, col_panels, kpp, pb.get());
  const int64_t row_parts = (g.m + AMX_MC - 1) / AMX_MC, col_blocks = col_panels / 2;
  parallel_parts(row_parts * col_blocks, [&](int64_t part) {
    const int64_t j = (part % col_blocks) * AMX_BLOCK;
    const int64_t i_end = std::min(g.m, (part / col_blocks + 1) * AMX_MC);
    const uint32_t* b0 = pb.get() + (j / AMX_TILE) * AMX_TILE * kpp;
    const uint32_t* b1 = b0 + AMX_TILE * kpp;
    alignas(64) float block[AMX_BLOCK * AMX_BLOCK];
    amx_configure();
    for (int64_t i = (part / col_blocks) * AMX_MC; i < i_end; i += AMX_BLOCK) {
      amx_block(pa.get() + i * kpp, kpp * 4, b0, b1, kpp, block);
      amx_store_block(block, g.c + i * g.ldc + j, g.ldc, std::min(AMX_BLOCK, g.m - i), std::min(AMX_BLOCK, g.n - j), g.alpha,
                      g.accumulate);
    }
    amx_release();
  });
}
#endif

void gemm_bf16(const GemmArgs& g) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0) {
    if (!g.accumulate)
      for (int64_t i = 0; i < g.m; i++) std::fill(g.c + i * g.ldc, g.c + i * g.ldc + g.n, 0.0f);
    return;
  }
#if defined(__x86_64__)
  switch (matmul_path()) {
    case MatmulPath::Amx: gemm_bf16_amx(g); return;
    case MatmulPath::Avx512Bf16: gemm_bf16_avx512(g); return;
    case MatmulPath::Fp32: break;
  }
#endif
  gemm_bf16_fp32(g);
}

}  // namespace

void gemm_bf16_batched(const GemmArgs& g, int64_t batch, int64_t stride_a, int64_t stride_b) {
  for (int64_t bi = 0; bi < batch; bi++) {
    GemmArgs gi = g;
    gi.a = g.a + bi * stride_a;
    gi.b = g.b + bi * stride_b;
    gi.c = g.c + bi * g.m * g.ldc;
    gemm_bf16(gi);
  }
}

std::string gemm_bf16_description() {
  std::string text = std::string("bf16 matmul ") + matmul_path_name(matmul_path()) + " (available:";
  for (MatmulPath path : {MatmulPath::Amx, MatmulPath::Avx512Bf16, MatmulPath::Fp32})
    if (matmul_path_available(path)) text += std::string(" ") + matmul_path_name(path);
  return text + ")";
}

}  // namespace toolken
