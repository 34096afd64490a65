// Scalar conversions between float32 and the 16-bit float formats stored in checkpoints.
import { f16ToF32, f32ToF16 } from '../tensor/f16.js';
import { bf16ToF32, f32ToBf16 } from '../tensor/bf16.js';

export { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 };

/** Decodes little-endian f16 values from `bytes` into float32. */
export function decodeF16(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = f16ToF32(view.getUint16(2 * i, true));
  return out;
}

/** Decodes little-endian bf16 values from `bytes` into float32. */
export function decodeBf16(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = bf16ToF32(view.getUint16(2 * i, true));
  return out;
}

/**
 * Little-endian f32 values of `bytes` as a Float32Array: a view sharing `bytes`' memory when it is 4-byte aligned
 * (no second copy of a large tensor), a copy otherwise.
 */
export function decodeF32(bytes: Uint8Array): Float32Array {
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  const copy = new Uint8Array(bytes);
  return new Float32Array(copy.buffer, 0, copy.byteLength >> 2);
}

/** The 16/32-bit float types stored in checkpoints, which both formats decode alike. */
export type FloatDtype = 'F32' | 'F16' | 'BF16';

export function isFloatDtype(dtype: string): dtype is FloatDtype {
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
}

/** Decodes little-endian values of a 16/32-bit float type into float32 (the inverse of `encodeFloats`). */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDtype): Float32Array {
  if (dtype === 'F32') return decodeF32(bytes);
  return dtype === 'F16' ? decodeF16(bytes) : decodeBf16(bytes);
}

/** Encodes float32 values as little-endian bytes of the given 16/32-bit float type. */
export function encodeFloats(data: Float32Array, dtype: FloatDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  const convert = dtype === 'F16' ? f32ToF16 : f32ToBf16;
  for (let i = 0; i < data.length; i++) view.setUint16(2 * i, convert(data[i]!), true);
  return out;
}
