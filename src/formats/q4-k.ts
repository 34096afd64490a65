/**
 * GGUF's Q4_K (ggml type 12), read by dequantizing to fp32 on load: super-blocks of 256 values, 144 bytes each — an
 * f16 scale d and an f16 min scale dmin, 12 bytes packing eight 6-bit scales and eight 6-bit mins (one pair per
 * sub-block of 32), then 128 bytes of 4-bit q. Sub-block pair (2i, 2i + 1) shares bytes 32i .. 32i + 31 of q: the
 * low nibbles are sub-block 2i, the high nibbles 2i + 1; value = d * scale_s * q - dmin * min_s (ggml's
 * dequantize_row_q4_K, fp32 arithmetic).
 */
import { f16ToF32 } from '../tensor/f16.js';

export const Q4_K_BLOCK_VALUES = 256;
export const Q4_K_BLOCK_BYTES = 144;

/** Sub-block s's 6-bit scale and min from the 12 packed bytes at `at` (ggml's get_scale_min_k4). */
function scaleAndMin(bytes: Uint8Array, at: number, s: number): [number, number] {
  if (s < 4) return [bytes[at + s]! & 63, bytes[at + s + 4]! & 63];
  const low = bytes[at + s + 4]!;
  return [(low & 0x0f) | ((bytes[at + s - 4]! >> 6) << 4), (low >> 4) | ((bytes[at + s]! >> 6) << 4)];
}

/** The `count` fp32 values (a multiple of 256) of Q4_K super-blocks. */
export function dequantizeQ4K(bytes: Uint8Array, count: number): Float32Array {
  const blocks = count / Q4_K_BLOCK_VALUES;
  if (!Number.isInteger(blocks) || bytes.byteLength !== blocks * Q4_K_BLOCK_BYTES) {
    throw new RangeError(`dequantizeQ4K: ${count} values take ${Math.ceil(count / Q4_K_BLOCK_VALUES) * Q4_K_BLOCK_BYTES} bytes of whole 256-value blocks, got ${bytes.byteLength}`);
  }
  const f = Math.fround;
  const out = new Float32Array(count);
  for (let b = 0; b < blocks; b++) {
    const at = b * Q4_K_BLOCK_BYTES;
    const d = f16ToF32(bytes[at]! | (bytes[at + 1]! << 8));
    const dmin = f16ToF32(bytes[at + 2]! | (bytes[at + 3]! << 8));
    for (let pair = 0; pair < 4; pair++) {
      const q = at + 16 + 32 * pair;
      for (let half = 0; half < 2; half++) {
        const [scale, min] = scaleAndMin(bytes, at + 4, 2 * pair + half);
        const step = f(d * scale), offset = f(dmin * min);
        const base = b * Q4_K_BLOCK_VALUES + 64 * pair + 32 * half;
        for (let l = 0; l < 32; l++) {
          const nibble = half === 0 ? bytes[q + l]! & 0x0f : bytes[q + l]! >> 4;
          out[base + l] = f(f(step * nibble) - offset);
        }
      }
    }
  }
  return out;
}
