/**
 * Quantized weight matrices in ggml's block formats, as GGUF files and llama.cpp store them: every row is cut into
 * blocks of 32 values, each block an f16 scale d followed by its values as integers, x = d * q.
 * - Q8_0 (34 bytes a block): 32 int8 q, d = max|x| / 127.
 * - Q4_0 (18 bytes a block): 16 bytes of 4-bit q in 0..15 (element j in the low nibble of byte j, element j + 16 in
 *   the high nibble), x = d * (q - 8), d = -m / 8 where m is the block's value of largest magnitude.
 * A row whose length is not a multiple of 32 ends with a zero-padded block (GGUF files never need one).
 *
 * The matrices stay in this form in memory; `Backend.quantizedMatmul` multiplies them by activations.
 */
import { f16ToF32, f32ToF16 } from './f16.js';

export type QuantType = 'q8_0' | 'q4_0';

/** Values per block. */
export const QUANT_BLOCK = 32;

/** Bytes per block of each type. */
export const QUANT_BLOCK_BYTES: Readonly<Record<QuantType, number>> = { q8_0: 34, q4_0: 18 };

/** A (rows, cols) matrix kept quantized: `data` holds rows * ceil(cols / 32) blocks, row by row. */
export interface QuantizedMatrix {
  readonly type: QuantType;
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
}

/** Bytes a (rows, cols) matrix of `type` takes. */
export function quantizedByteLength(type: QuantType, rows: number, cols: number): number {
  return rows * Math.ceil(cols / QUANT_BLOCK) * QUANT_BLOCK_BYTES[type];
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

/**
 * Quantizes a row-major (rows, cols) fp32 matrix the way llama.cpp's reference quantizers do (fp32 arithmetic,
 * the same rounding), so the blocks match a GGUF file that llama.cpp quantized from the same values.
 */
export function quantize(type: QuantType, values: Float32Array, rows: number, cols: number): QuantizedMatrix {
  if (values.length !== rows * cols) throw new RangeError(`quantize: ${values.length} values do not fill (${rows}, ${cols})`);
  const blocks = Math.ceil(cols / QUANT_BLOCK);
  const blockBytes = QUANT_BLOCK_BYTES[type];
  const data = new Uint8Array(rows * blocks * blockBytes);
  const signed = new Int8Array(data.buffer);
  const f = Math.fround;
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocks; b++) {
      // The block's values are values[begin .. end); the padding past a row's end counts as zeros.
      const begin = r * cols + b * QUANT_BLOCK;
      const end = begin + Math.min(QUANT_BLOCK, cols - b * QUANT_BLOCK);
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
      if (type === 'q8_0') {
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
  const blocks = Math.ceil(cols / QUANT_BLOCK);
  const blockBytes = QUANT_BLOCK_BYTES[type];
  const out = new Float32Array(count * cols);
  const signed = new Int8Array(data.buffer, data.byteOffset, data.byteLength);
  for (let r = 0; r < count; r++) {
    for (let b = 0; b < blocks; b++) {
      const at = ((first + r) * blocks + b) * blockBytes;
      const d = f16ToF32(data[at]! | (data[at + 1]! << 8));
      const begin = r * cols + b * QUANT_BLOCK;
      const width = Math.min(QUANT_BLOCK, cols - b * QUANT_BLOCK);
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
