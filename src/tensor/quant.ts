/**
 * Weight matrices kept in a compact form in memory, multiplied by activations through `Backend.quantizedMatmul`.
 * Every row is cut into blocks (a row whose length is not a multiple of the block ends with a zero-padded block):
 * - ggml's block formats, as GGUF files and llama.cpp store them: 32 values, an f16 scale d, then the values as
 *   integers, x = d * q.
 *   - Q8_0 (34 bytes a block): 32 int8 q, d = max|x| / 127.
 *   - Q4_0 (18 bytes a block): 16 bytes of 4-bit q in 0..15 (element j in the low nibble of byte j, element j + 16 in
 *     the high nibble), x = d * (q - 8), d = -m / 8 where m is the block's value of largest magnitude.
 * - bf16 (2 bytes a value, blocks of one): each value rounded to bfloat16 (nearest even), little-endian, half the
 *   bytes of fp32.
 * - NF4, QLoRA's 4-bit NormalFloat (Dettmers et al. 2023): 64 values, their absmax c as an fp32 (the first 4 bytes,
 *   little-endian), then 32 bytes of 4-bit indices into NF4_CODE (element j in the low nibble of byte j, element
 *   j + 32 in the high nibble), x = c * NF4_CODE[q], q the code nearest x / c. The absmax constants are stored as
 *   fp32, without QLoRA's optional double quantization (which would store them in 8 bits per 256 blocks): 4.5 bits a
 *   weight instead of 4.127.
 * - Q4_K (ggml's, read from GGUF files; 144 bytes a super-block of 256 values): an f16 scale d and an f16 min scale
 *   dmin, 12 bytes packing eight 6-bit scales and eight 6-bit mins (one pair per sub-block of 32), then 128 bytes of
 *   4-bit q; sub-blocks 2i and 2i + 1 share bytes 32i .. 32i + 31 of q (low nibbles, high nibbles), and
 *   x = d * scale_s * q - dmin * min_s (ggml's dequantize_row_q4_K).
 */
import { f16ToF32, f32ToF16 } from './f16.js';
import { bf16ToF32, f32ToBf16 } from './bf16.js';

export type QuantType = 'q8_0' | 'q4_0' | 'bf16' | 'nf4' | 'q4_k';

/** Every format, in the order of their kernel codes (native/quant.h QuantType). */
export const QUANT_TYPES: readonly QuantType[] = ['q8_0', 'q4_0', 'bf16', 'nf4', 'q4_k'];

/** The formats `quantize` produces: Q4_K is only read, from GGUF files that llama.cpp's quantizer wrote. */
export type QuantizeType = Exclude<QuantType, 'q4_k'>;
export const QUANTIZE_TYPES: readonly QuantizeType[] = ['q8_0', 'q4_0', 'bf16', 'nf4'];

/** Values per block of Q8_0 and Q4_0 (and of the int8 activations the native backend multiplies them with). */
export const QUANT_BLOCK = 32;

/** Values and bytes of one block of each type. */
export const QUANT_FORMATS: Readonly<Record<QuantType, { readonly values: number; readonly bytes: number }>> = {
  q8_0: { values: 32, bytes: 34 },
  q4_0: { values: 32, bytes: 18 },
  bf16: { values: 1, bytes: 2 },
  nf4: { values: 64, bytes: 36 },
  q4_k: { values: 256, bytes: 144 },
};

/**
 * The 16 NF4 values (QLoRA, appendix E; bitsandbytes' table, as float32): 8 positive quantiles of the standard
 * normal at evenly spaced probabilities from 0.5 to 1 - (1/30 + 1/32) / 2, 7 negative ones likewise, and an exact
 * zero, all divided by the largest so that they span [-1, 1]. quant.test.ts rebuilds them from the normal quantiles.
 */
export const NF4_CODE: readonly number[] = [
  -1, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1,
];

/** The decision points of NF4 quantization: a normalized value above NF4_MIDPOINTS[i] maps to code i + 1 or higher. */
const NF4_MIDPOINTS = NF4_CODE.slice(1).map((v, i) => Math.fround((v + NF4_CODE[i]!) / 2));

/** A (rows, cols) matrix kept quantized: `data` holds rows * ceil(cols / block values) blocks, row by row. */
export interface QuantizedMatrix {
  readonly type: QuantType;
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
}

/** Bytes one row of `cols` values of `type` takes. */
export function quantizedRowBytes(type: QuantType, cols: number): number {
  const { values, bytes } = QUANT_FORMATS[type];
  return Math.ceil(cols / values) * bytes;
}

/** Bytes a (rows, cols) matrix of `type` takes. */
export function quantizedByteLength(type: QuantType, rows: number, cols: number): number {
  return rows * quantizedRowBytes(type, cols);
}

/** C's roundf: halves away from zero (Math.round sends -2.5 to -2). */
function roundAway(v: number): number {
  return Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
}

/** The f16 bits of a block scale; a scale beyond f16's range cannot be stored and is refused. */
function scaleBits(d: number, type: QuantType, row: number, block: number, peak: number): number {
  const bits = f32ToF16(d);
  if ((bits & 0x7c00) === 0x7c00 && Number.isFinite(d)) {
    throw new RangeError(`${type}: row ${row}, block ${block} holds ${peak}, beyond what an f16 block scale can represent`);
  }
  return bits;
}

/** The NF4 index of a value already divided by its block's absmax (in [-1, 1]): the nearest code, the lower at a tie. */
export function nf4Index(normalized: number): number {
  let q = 0;
  while (q < 15 && normalized > NF4_MIDPOINTS[q]!) q++;
  return q;
}

/**
 * Quantizes a row-major (rows, cols) fp32 matrix. Q8_0 and Q4_0 follow llama.cpp's reference quantizers (fp32
 * arithmetic, the same rounding), so the blocks match a GGUF file that llama.cpp quantized from the same values;
 * NF4 follows bitsandbytes (x times the fp32 reciprocal of the absmax, then the nearest code).
 */
export function quantize(type: QuantizeType, values: Float32Array, rows: number, cols: number): QuantizedMatrix {
  if (values.length !== rows * cols) throw new RangeError(`quantize: ${values.length} values do not fill (${rows}, ${cols})`);
  const data = new Uint8Array(quantizedByteLength(type, rows, cols));
  if (type === 'bf16') {
    for (let i = 0; i < values.length; i++) {
      const bits = f32ToBf16(values[i]!);
      data[2 * i] = bits & 0xff;
      data[2 * i + 1] = bits >> 8;
    }
    return { type, rows, cols, data };
  }
  const { values: blockValues, bytes: blockBytes } = QUANT_FORMATS[type];
  const blocks = Math.ceil(cols / blockValues);
  const signed = new Int8Array(data.buffer);
  const view = new DataView(data.buffer);
  const f = Math.fround;
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocks; b++) {
      // The block's values are values[begin .. end); the padding past a row's end counts as zeros.
      const begin = r * cols + b * blockValues;
      const end = begin + Math.min(blockValues, cols - b * blockValues);
      const at = (r * blocks + b) * blockBytes;
      let amax = 0;
      let peak = 0;
      for (let i = begin; i < end; i++) {
        const v = values[i]!;
        if (Math.abs(v) > amax) {
          amax = Math.abs(v);
          peak = v;
        }
      }
      if (type === 'nf4') {
        if (!Number.isFinite(amax)) throw new RangeError(`nf4: row ${r}, block ${b} holds ${amax}, which has no absmax scale`);
        view.setFloat32(at, amax, true);
        const inverse = amax !== 0 ? f(1 / amax) : 0;
        const q = (i: number): number => (i < end ? nf4Index(f(values[i]! * inverse)) : 7);
        for (let j = 0; j < blockValues / 2; j++) data[at + 4 + j] = q(begin + j) | (q(begin + j + 32) << 4);
      } else if (type === 'q8_0') {
        const d = f(amax / 127);
        const id = d !== 0 ? f(1 / d) : 0;
        const bits = scaleBits(d, type, r, b, amax);
        data[at] = bits & 0xff;
        data[at + 1] = bits >> 8;
        for (let i = begin; i < end; i++) signed[at + 2 + i - begin] = roundAway(f(values[i]! * id));
      } else {
        const d = f(peak / -8);
        const id = d !== 0 ? f(1 / d) : 0;
        const bits = scaleBits(d, type, r, b, peak);
        data[at] = bits & 0xff;
        data[at + 1] = bits >> 8;
        const q = (i: number): number => (i < end ? Math.min(15, Math.trunc(f(f(values[i]! * id) + 8.5))) : 8);
        for (let j = 0; j < QUANT_BLOCK / 2; j++) data[at + 2 + j] = q(begin + j) | (q(begin + j + 16) << 4);
      }
    }
  }
  return { type, rows, cols, data };
}

/** The fp32 values a quantized matrix stands for, (rows, cols) row-major (the padding of a last block dropped). */
export function dequantize(matrix: QuantizedMatrix): Float32Array {
  return dequantizeRows(matrix, 0, matrix.rows);
}

/**
 * Rows first .. first + count - 1 of a quantized matrix as fp32, (count, cols) row-major: a panel of the weight,
 * for work that needs fp32 values without holding the whole matrix in fp32.
 */
export function dequantizeRows(matrix: QuantizedMatrix, first: number, count: number): Float32Array {
  const { type, rows, cols, data } = matrix;
  const expected = quantizedByteLength(type, rows, cols);
  if (data.byteLength !== expected) {
    throw new RangeError(`dequantize: a ${type} (${rows}, ${cols}) matrix takes ${expected} bytes, got ${data.byteLength}`);
  }
  if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 0 || first + count > rows) {
    throw new RangeError(`dequantizeRows: rows ${first} .. ${first + count - 1} are outside the ${type} (${rows}, ${cols}) matrix`);
  }
  const out = new Float32Array(count * cols);
  if (type === 'bf16') {
    const base = first * cols * 2;
    for (let i = 0; i < out.length; i++) out[i] = bf16ToF32(data[base + 2 * i]! | (data[base + 2 * i + 1]! << 8));
    return out;
  }
  const { values: blockValues, bytes: blockBytes } = QUANT_FORMATS[type];
  const blocks = Math.ceil(cols / blockValues);
  const signed = new Int8Array(data.buffer, data.byteOffset, data.byteLength);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let r = 0; r < count; r++) {
    for (let b = 0; b < blocks; b++) {
      const at = ((first + r) * blocks + b) * blockBytes;
      const begin = r * cols + b * blockValues;
      const width = Math.min(blockValues, cols - b * blockValues);
      if (type === 'q4_k') {
        dequantizeQ4KBlock(data, at, out, begin, width);
        continue;
      }
      if (type === 'nf4') {
        const c = view.getFloat32(at, true);
        for (let j = 0; j < width; j++) {
          const q = data[at + 4 + (j & 31)]!;
          out[begin + j] = c * NF4_CODE[j < 32 ? q & 0x0f : q >> 4]!;
        }
        continue;
      }
      const d = f16ToF32(data[at]! | (data[at + 1]! << 8));
      if (type === 'q8_0') {
        for (let j = 0; j < width; j++) out[begin + j] = d * signed[at + 2 + j]!;
      } else {
        for (let j = 0; j < width; j++) {
          const q = data[at + 2 + (j & 15)]!;
          out[begin + j] = d * ((j < 16 ? q & 0x0f : q >> 4) - 8);
        }
      }
    }
  }
  return out;
}

/** Sub-block s's 6-bit scale and min from the 12 packed bytes at `at` (ggml's get_scale_min_k4). */
function q4kScaleAndMin(bytes: Uint8Array, at: number, s: number): [number, number] {
  if (s < 4) return [bytes[at + s]! & 63, bytes[at + s + 4]! & 63];
  const low = bytes[at + s + 4]!;
  return [(low & 0x0f) | ((bytes[at + s - 4]! >> 6) << 4), (low >> 4) | ((bytes[at + s]! >> 6) << 4)];
}

/** The first `width` values of the Q4_K super-block at data[at] into out[begin ..], in fp32 arithmetic as ggml. */
function dequantizeQ4KBlock(data: Uint8Array, at: number, out: Float32Array, begin: number, width: number): void {
  const f = Math.fround;
  const d = f16ToF32(data[at]! | (data[at + 1]! << 8));
  const dmin = f16ToF32(data[at + 2]! | (data[at + 3]! << 8));
  for (let s = 0; s * 32 < width; s++) {
    const [scale, min] = q4kScaleAndMin(data, at + 4, s);
    const step = f(d * scale), offset = f(dmin * min);
    const q = at + 16 + 32 * (s >> 1);
    for (let l = 0; l < 32 && s * 32 + l < width; l++) {
      const nibble = s % 2 === 0 ? data[q + l]! & 0x0f : data[q + l]! >> 4;
      out[begin + s * 32 + l] = f(f(step * nibble) - offset);
    }
  }
}
