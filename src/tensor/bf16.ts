/**
 * bfloat16: the top 16 bits of a float32 (8 exponent bits, 7 mantissa bits), rounded to nearest even. The reference
 * of the bf16 matmul precision (backend.ts MatmulParams.precision) and of its tests, and the element type of
 * matrices kept as bf16 (quant.ts, 'bf16') and of checkpoints' BF16 tensors.
 */
const scratch = new Float32Array(1);
const bits = new Uint32Array(scratch.buffer);

/** x rounded to the nearest bfloat16 (ties to even), as a number; NaN stays NaN, infinities stay infinite. */
export function roundToBf16(x: number): number {
  scratch[0] = x;
  const u = bits[0]!;
  if ((u & 0x7fffffff) > 0x7f800000) return Number.NaN;
  bits[0] = ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) << 16;
  return scratch[0];
}

/** A copy of `values` with every element rounded to bfloat16. */
export function bf16Rounded(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = roundToBf16(values[i]!);
  return out;
}

/** bfloat16 bits -> float32 value. */
export function bf16ToF32(b: number): number {
  bits[0] = b << 16;
  return scratch[0]!;
}

/** float32 value -> bfloat16 bits, rounding to nearest even; NaN stays a (quiet) NaN. */
export function f32ToBf16(value: number): number {
  scratch[0] = value;
  const x = bits[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}
