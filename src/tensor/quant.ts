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
  const view = new DataView(data.buffer);
  const x = new Float32Array(QUANT_BLOCK);
  const f = Math.fround;
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocks; b++) {
      x.fill(0);
      const begin = r * cols + b * QUANT_BLOCK;
      x.set(values.subarray(begin, begin + Math.min(QUANT_BLOCK, cols - b * QUANT_BLOCK)));
      const at = (r * blocks + b) * blockBytes;
      if (type === 'q8_0') {
        let amax = 0;
        for (const v of x) amax = Math.max(amax, Math.abs(v));
        const d = f(amax / 127);
        const id = d !== 0 ? f(1 / d) : 0;
        view.setUint16(at, scaleBits(d, type, r, b, amax), true);
        for (let j = 0; j < QUANT_BLOCK; j++) view.setInt8(at + 2 + j, roundAway(f(x[j]! * id)));
      } else {
        let amax = 0;
        let peak = 0;
        for (const v of x) {
          if (Math.abs(v) > amax) {
            amax = Math.abs(v);
            peak = v;
          }
        }
        const d = f(peak / -8);
        const id = d !== 0 ? f(1 / d) : 0;
        view.setUint16(at, scaleBits(d, type, r, b, peak), true);
        const q = (v: number): number => Math.min(15, Math.trunc(f(f(v * id) + 8.5)));
        for (let j = 0; j < QUANT_BLOCK / 2; j++) data[at + 2 + j] = q(x[j]!) | (q(x[j + 16]!) << 4);
      }
    }
  }
  return { type, rows, cols, data };
}

/** The fp32 values a quantized matrix stands for, (rows, cols) row-major (the padding of a last block dropped). */
export function dequantize(matrix: QuantizedMatrix): Float32Array {
  const { type, rows, cols, data } = matrix;
  const expected = quantizedByteLength(type, rows, cols);
  if (data.byteLength !== expected) {
    throw new RangeError(`dequantize: a ${type} (${rows}, ${cols}) matrix takes ${expected} bytes, got ${data.byteLength}`);
  }
  const blocks = Math.ceil(cols / QUANT_BLOCK);
  const blockBytes = QUANT_BLOCK_BYTES[type];
  const out = new Float32Array(rows * cols);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const block = new Float32Array(QUANT_BLOCK);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocks; b++) {
      const at = (r * blocks + b) * blockBytes;
      const d = f16ToF32(view.getUint16(at, true));
      if (type === 'q8_0') {
        for (let j = 0; j < QUANT_BLOCK; j++) block[j] = d * view.getInt8(at + 2 + j);
      } else {
        for (let j = 0; j < QUANT_BLOCK / 2; j++) {
          const q = data[at + 2 + j]!;
          block[j] = d * ((q & 0x0f) - 8);
          block[j + 16] = d * ((q >> 4) - 8);
        }
      }
      const width = Math.min(QUANT_BLOCK, cols - b * QUANT_BLOCK);
      out.set(width === QUANT_BLOCK ? block : block.subarray(0, width), r * cols + b * QUANT_BLOCK);
    }
  }
  return out;
}
