import { readSync } from 'node:fs';
import { TensorFile } from './tensor-file.js';
import { writeStreamingAtomic } from '../util/fs.js';
import { decodeFloats, encodeFloats, isFloatDtype } from './dtypes.js';
import { dequantize, quantize, quantizedByteLength, QUANT_BLOCK, type QuantizedMatrix, type QuantType } from '../tensor/quant.js';
import { CheckpointError } from './errors.js';
import { elementCount, type WeightReader, type WeightTensor } from './types.js';

// GGUF layout (little-endian): magic "GGUF", u32 version, u64 tensor count, u64 metadata count, the metadata
// key/values, the tensor infos, padding to `general.alignment`, then the tensor data (each tensor aligned).

const GGUF_MAGIC = 0x46554747;
const DEFAULT_ALIGNMENT = 32;
/** llama.cpp's GGML_MAX_DIMS: no ggml tensor has more dimensions. */
const MAX_DIMS = 4;

/** llama.cpp accepts any non-zero power of two as `general.alignment`. */
function isValidAlignment(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 2 ** 31 && (value & (value - 1)) === 0;
}

/** Metadata value types, by their GGUF type code. */
export type GgufValueType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'bool' | 'string' | 'array' | 'u64' | 'i64' | 'f64';
const VALUE_TYPES: readonly GgufValueType[] = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'];
/** The fewest bytes one value of each type takes (a string: its 8-byte length; arrays do not nest). */
const VALUE_BYTES: Readonly<Record<GgufValueType, number>> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, bool: 1, string: 8, array: 1, u64: 8, i64: 8, f64: 8 };

/** A metadata value; 64-bit integers are numbers when they fit exactly, bigints otherwise. */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

/** A metadata entry with its stored type (`itemType` for arrays), so a file can be rewritten unchanged. */
export interface GgufMetadataEntry {
  type: GgufValueType;
  itemType?: GgufValueType;
  value: GgufValue;
}

/** Tensor element types this module reads and writes, by ggml type code. */
const TENSOR_TYPES: Readonly<Record<number, { name: GgufTensorType; blockElements: number; blockBytes: number }>> = {
  0: { name: 'F32', blockElements: 1, blockBytes: 4 },
  1: { name: 'F16', blockElements: 1, blockBytes: 2 },
  2: { name: 'Q4_0', blockElements: 32, blockBytes: 18 },
  8: { name: 'Q8_0', blockElements: 32, blockBytes: 34 },
  12: { name: 'Q4_K', blockElements: 256, blockBytes: 144 },
  30: { name: 'BF16', blockElements: 1, blockBytes: 2 },
};

export type GgufTensorType = 'F32' | 'F16' | 'BF16' | 'Q8_0' | 'Q4_0' | 'Q4_K';
const TYPE_CODES: Readonly<Record<GgufTensorType, number>> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, Q4_K: 12, BF16: 30 };

/** The other ggml types by code (ggml.h), so a file using one is refused by name. */
const UNREAD_TYPES: Readonly<Record<number, string>> = {
  3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K', 13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K',
  16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S', 20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS',
  24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64', 29: 'IQ1_M', 34: 'TQ1_0', 35: 'TQ2_0', 39: 'MXFP4',
};

/** The GGUF types a model can keep as they are stored, by the engine's name for the format (src/tensor/quant.ts). */
const QUANT_TYPES: Readonly<Partial<Record<GgufTensorType, QuantType>>> = { Q8_0: 'q8_0', Q4_0: 'q4_0', BF16: 'bf16', Q4_K: 'q4_k' };

/** A tensor's type, shape and data size, as error messages describe it. */
function describeTensor(name: string, type: { name: string; blockElements: number; blockBytes: number }, shape: readonly number[], byteLength: number): string {
  const count = byteLength / type.blockBytes;
  const blocks = type.blockElements > 1 ? `, ${count} block${count === 1 ? '' : 's'} of ${type.blockBytes} bytes` : '';
  return `tensor "${name}" (${type.name}, shape [${shape.join(', ')}]: ${byteLength} bytes${blocks})`;
}

export interface GgufTensorInfo {
  name: string;
  /** Outermost dimension first (PyTorch order); GGUF itself stores the innermost (ne[0]) first. */
  shape: number[];
  type: string;
  /** Absolute file offset of the data. */
  offset: number;
  byteLength: number;
}

/** Reads the header sequentially through a small window, so a large vocabulary never needs the whole file in memory. */
class HeaderCursor {
  private buf = new Uint8Array(0);
  private bufStart = 0;
  pos = 0;

  constructor(
    private readonly fd: number,
    private readonly fileSize: number,
    private readonly file: string,
  ) {}

  private view(n: number, what: string): DataView {
    if (this.pos + n > this.fileSize) throw new CheckpointError(`${this.file}: file ends inside ${what} at byte ${this.pos} (truncated GGUF)`);
    if (this.pos < this.bufStart || this.pos + n > this.bufStart + this.buf.byteLength) {
      const size = Math.min(Math.max(n, 1 << 20), this.fileSize - this.pos);
      this.buf = new Uint8Array(size);
      let got = 0;
      while (got < size) {
        const n = readSync(this.fd, this.buf, got, size - got, this.pos + got);
        if (n === 0) throw new CheckpointError(`${this.file}: file shrank while reading ${what}`);
        got += n;
      }
      this.bufStart = this.pos;
    }
    const view = new DataView(this.buf.buffer, this.pos - this.bufStart, n);
    this.pos += n;
    return view;
  }

  u32(what: string): number {
    return this.view(4, what).getUint32(0, true);
  }

  u64(what: string): number {
    const v = this.view(8, what).getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CheckpointError(`${this.file}: ${what} ${v} is implausibly large (corrupt GGUF)`);
    return Number(v);
  }

  /**
   * An element count: each element takes at least `minBytes`, so a count the remaining bytes cannot hold is
   * corruption, refused before anything is allocated for it.
   */
  count(what: string, minBytes = 1): number {
    const n = this.u64(what);
    if (n * minBytes > this.fileSize - this.pos) throw new CheckpointError(`${this.file}: ${what} ${n} exceeds the remaining ${this.fileSize - this.pos} bytes (corrupt or truncated GGUF)`);
    return n;
  }

  string(what: string): string {
    const n = this.u64(`${what} length`);
    const v = this.view(n, what);
    return Buffer.from(v.buffer, v.byteOffset, n).toString('utf8');
  }

  scalar(type: GgufValueType, what: string): GgufValue {
    switch (type) {
      case 'u8':
        return this.view(1, what).getUint8(0);
      case 'i8':
        return this.view(1, what).getInt8(0);
      case 'u16':
        return this.view(2, what).getUint16(0, true);
      case 'i16':
        return this.view(2, what).getInt16(0, true);
      case 'u32':
        return this.view(4, what).getUint32(0, true);
      case 'i32':
        return this.view(4, what).getInt32(0, true);
      case 'f32':
        return this.view(4, what).getFloat32(0, true);
      case 'bool':
        return this.view(1, what).getUint8(0) !== 0;
      case 'string':
        return this.string(what);
      case 'u64':
      case 'i64': {
        const v = type === 'u64' ? this.view(8, what).getBigUint64(0, true) : this.view(8, what).getBigInt64(0, true);
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 'f64':
        return this.view(8, what).getFloat64(0, true);
      case 'array':
        throw new CheckpointError(`${this.file}: nested array in ${what} is not supported`);
    }
  }

  valueType(what: string): GgufValueType {
    const code = this.u32(what);
    const type = VALUE_TYPES[code];
    if (!type) throw new CheckpointError(`${this.file}: unknown metadata value type ${code} for ${what}`);
    return type;
  }
}

/** A lazily read GGUF file (v2 or v3): metadata and tensor infos are parsed on open, tensor data on `read`. */
export class GgufFile extends TensorFile<GgufTensorInfo> {
  readonly version: number;
  readonly metadata = new Map<string, GgufMetadataEntry>();
  readonly alignment: number;

  constructor(path: string) {
    super(path);
    ({ version: this.version, alignment: this.alignment } = this.parseHeader((fd, fileSize) => this.parse(fd, fileSize)));
  }

  private parse(fd: number, fileSize: number): { version: number; alignment: number } {
    const path = this.path;
    const cur = new HeaderCursor(fd, fileSize, path);
    const magic = cur.u32('magic');
    if (magic !== GGUF_MAGIC) throw new CheckpointError(`${path}: not a GGUF file (magic 0x${magic.toString(16)}, expected "GGUF")`);
    const version = cur.u32('version');
    if (version !== 2 && version !== 3) throw new CheckpointError(`${path}: GGUF version ${version} is not supported (only 2 and 3)`);
    // A tensor info takes at least 24 bytes (name length, rank, type, offset); a key/value at least 12.
    const tensorCount = cur.count('tensor count', 24);
    const kvCount = cur.count('metadata count', 12);
    for (let i = 0; i < kvCount; i++) {
      const key = cur.string(`metadata key #${i}`);
      if (this.metadata.has(key)) throw new CheckpointError(`${path}: metadata key "${key}" appears twice`);
      const type = cur.valueType(`metadata "${key}"`);
      if (type === 'array') {
        const itemType = cur.valueType(`metadata "${key}" item type`);
        const n = cur.count(`metadata "${key}" length`, VALUE_BYTES[itemType]);
        const items: GgufValue[] = new Array<GgufValue>(n);
        for (let j = 0; j < n; j++) items[j] = cur.scalar(itemType, `metadata "${key}"[${j}]`);
        this.metadata.set(key, { type, itemType, value: items });
      } else {
        this.metadata.set(key, { type, value: cur.scalar(type, `metadata "${key}"`) });
      }
    }
    const alignmentEntry = this.metadata.get('general.alignment');
    const alignment = alignmentEntry?.value ?? DEFAULT_ALIGNMENT;
    if ((alignmentEntry !== undefined && alignmentEntry.type !== 'u32') || !isValidAlignment(alignment)) {
      throw new CheckpointError(`${path}: general.alignment ${String(alignment)} is not a u32 power of two`);
    }
    // As llama.cpp: tensor data follows in the order of the infos, each at the next aligned offset, so every
    // byte belongs to exactly one tensor; a changed type or shape moves every later offset and is caught.
    const padded = (n: number): number => Math.ceil(n / alignment) * alignment;
    const infos: { name: string; shape: number[]; type: (typeof TENSOR_TYPES)[number]; relOffset: number; byteLength: number }[] = [];
    const seen = new Set<string>();
    let expectedOffset = 0;
    for (let i = 0; i < tensorCount; i++) {
      const name = cur.string(`tensor #${i} name`);
      if (seen.has(name)) throw new CheckpointError(`${path}: tensor "${name}" appears twice`);
      seen.add(name);
      const nDims = cur.u32(`tensor "${name}" rank`);
      if (nDims > MAX_DIMS) throw new CheckpointError(`${path}: tensor "${name}" has rank ${nDims}, more than ggml's ${MAX_DIMS} (corrupt GGUF)`);
      const ne: number[] = [];
      for (let d = 0; d < nDims; d++) ne.push(cur.u64(`tensor "${name}" dimension`));
      const code = cur.u32(`tensor "${name}" type`);
      const type = TENSOR_TYPES[code];
      if (!type) {
        const known = UNREAD_TYPES[code];
        throw new CheckpointError(
          `${path}: tensor "${name}" has ${known === undefined ? `ggml type ${code}` : `type ${known} (ggml type ${code})`}, which is not supported ` +
            '(toolken reads F32, F16, BF16, Q8_0, Q4_0 and Q4_K); requantize the model to Q8_0 or Q4_0 with llama.cpp\'s llama-quantize, or convert it to F16',
        );
      }
      const relOffset = cur.u64(`tensor "${name}" offset`);
      const count = elementCount(ne);
      if (!Number.isSafeInteger(count) || count > fileSize * type.blockElements) {
        throw new CheckpointError(`${path}: tensor "${name}" dimensions [${ne.join(', ')}] are larger than the file (corrupt GGUF)`);
      }
      if ((ne[0] ?? 1) % type.blockElements !== 0) {
        throw new CheckpointError(`${path}: tensor "${name}" has rows of ${ne[0]} elements, not a multiple of the ${type.name} block size ${type.blockElements}`);
      }
      if (relOffset !== expectedOffset) {
        const previous = infos.at(-1);
        // A previous tensor whose data runs to this offset holds a different number of bytes than its shape implies.
        const size = previous === undefined || relOffset < previous.relOffset
          ? ''
          : `: ${describeTensor(previous.name, previous.type, previous.shape, previous.byteLength)} is followed by ${relOffset - previous.relOffset} bytes, so its data does not match its shape`;
        throw new CheckpointError(
          `${path}: tensor "${name}" data is at offset ${relOffset} but the tensors before it end at ${expectedOffset}${size} (overlapping, aliased or gapped tensor data; corrupt GGUF)`,
        );
      }
      const byteLength = (count / type.blockElements) * type.blockBytes;
      expectedOffset = padded(relOffset + byteLength);
      infos.push({ name, shape: ne.reverse(), type, relOffset, byteLength });
    }
    const dataStart = padded(cur.pos);
    const dataEnd = infos.length === 0 ? dataStart : dataStart + infos.at(-1)!.relOffset + infos.at(-1)!.byteLength;
    const last = infos.at(-1);
    const lastTensor = last === undefined ? '' : describeTensor(last.name, last.type, last.shape, last.byteLength);
    if (fileSize < dataEnd) {
      const held = Math.max(0, fileSize - (dataEnd - last!.byteLength));
      throw new CheckpointError(`${path}: tensor "${last!.name}" data ends at byte ${dataEnd} but the file has ${fileSize} bytes (truncated GGUF): ${lastTensor}, of which the file holds ${held}`);
    }
    if (fileSize > Math.max(padded(dataEnd), cur.pos)) {
      throw new CheckpointError(`${path}: ${fileSize - dataEnd} bytes follow the last tensor's data, more than the alignment padding: ${lastTensor} does not match its shape, or the file is corrupt`);
    }
    for (const info of infos) {
      this.tensors.set(info.name, { name: info.name, shape: info.shape, type: info.type.name, offset: dataStart + info.relOffset, byteLength: info.byteLength });
    }
    return { version, alignment };
  }

  /** The metadata value under `key`, or undefined. */
  get(key: string): GgufValue | undefined {
    return this.metadata.get(key)?.value;
  }

  dtype(name: string): string {
    return this.location(name).type;
  }

  /** A Q8_0, Q4_0, Q4_K or BF16 matrix as its stored bytes, never converted to fp32; undefined for any other tensor. */
  quantized(name: string): QuantizedMatrix | undefined {
    const info = this.location(name);
    const type = QUANT_TYPES[info.type as GgufTensorType];
    if (type === undefined || info.shape.length !== 2) return undefined;
    const [rows, cols] = info.shape as [number, number];
    return { type, rows, cols, data: this.readBytes(name) };
  }

  read(name: string): Float32Array {
    const info = this.location(name);
    const bytes = this.readBytes(name);
    const count = elementCount(info.shape);
    const quant = QUANT_TYPES[info.type as GgufTensorType];
    if (quant !== undefined) return dequantize({ type: quant, rows: count / (info.shape.at(-1) ?? 1), cols: info.shape.at(-1) ?? 1, data: bytes });
    if (isFloatDtype(info.type)) return decodeFloats(bytes, info.type);
    throw new CheckpointError(`${this.path}: tensor "${name}" has type ${info.type}, which has no decoder`);
  }
}

/** A growable little-endian byte buffer for the GGUF header. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  /** Appends `width` bytes written by `write(buffer, offset)`, growing the buffer first when needed. */
  private put(width: number, write: (buf: Buffer, at: number) => void): void {
    if (this.length + width > this.buf.length) {
      const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.length + width));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    write(this.buf, this.length);
    this.length += width;
  }

  zeros(n: number): void {
    this.put(n, () => undefined);
  }

  u32(v: number): void {
    this.put(4, (b, at) => b.writeUInt32LE(v, at));
  }

  u64(v: number | bigint): void {
    this.put(8, (b, at) => b.writeBigUInt64LE(BigInt(v), at));
  }

  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.u64(n);
    this.put(n, (b, at) => b.write(s, at, 'utf8'));
  }

  scalar(type: GgufValueType, v: GgufValue, key: string): void {
    const num = (): number => {
      if (typeof v !== 'number') throw new CheckpointError(`GGUF metadata "${key}": ${type} value must be a number, got ${typeof v}`);
      return v;
    };
    switch (type) {
      case 'u8':
        return this.put(1, (b, at) => b.writeUInt8(num(), at));
      case 'i8':
        return this.put(1, (b, at) => b.writeInt8(num(), at));
      case 'u16':
        return this.put(2, (b, at) => b.writeUInt16LE(num(), at));
      case 'i16':
        return this.put(2, (b, at) => b.writeInt16LE(num(), at));
      case 'u32':
        return this.put(4, (b, at) => b.writeUInt32LE(num(), at));
      case 'i32':
        return this.put(4, (b, at) => b.writeInt32LE(num(), at));
      case 'f32':
        return this.put(4, (b, at) => b.writeFloatLE(num(), at));
      case 'bool':
        return this.put(1, (b, at) => b.writeUInt8(v ? 1 : 0, at));
      case 'string':
        if (typeof v !== 'string') throw new CheckpointError(`GGUF metadata "${key}": string value must be a string, got ${typeof v}`);
        return this.string(v);
      case 'u64':
        return this.put(8, (b, at) => b.writeBigUInt64LE(BigInt(v as number | bigint), at));
      case 'i64':
        return this.put(8, (b, at) => b.writeBigInt64LE(BigInt(v as number | bigint), at));
      case 'f64':
        return this.put(8, (b, at) => b.writeDoubleLE(num(), at));
      case 'array':
        throw new CheckpointError(`GGUF metadata "${key}": nested arrays are not supported`);
    }
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

export interface GgufWriteOptions {
  /** Storage type of matrices; vectors (norm weights, biases) always stay F32 as llama.cpp expects, and so do
   * matrices whose rows are not a multiple of the 32-value block under Q8_0 / Q4_0 (llama-quantize's fallback). */
  dtype?: 'F32' | 'F16' | 'BF16' | 'Q8_0' | 'Q4_0';
}

/** The types writeGguf stores tensors as. */
type WrittenType = NonNullable<GgufWriteOptions['dtype']>;

/** The type a tensor of `shape` is written as under `dtype`. */
function storedType(shape: readonly number[], dtype: GgufWriteOptions['dtype']): WrittenType {
  if (shape.length < 2 || dtype === undefined || dtype === 'F32') return 'F32';
  if (dtype === 'F16' || dtype === 'BF16') return dtype;
  return (shape.at(-1)! % QUANT_BLOCK === 0) ? dtype : 'F32';
}

/** The bytes of a tensor stored as `type`. */
function encodeTensor(data: Float32Array, shape: readonly number[], type: WrittenType): Uint8Array {
  if (type !== 'Q8_0' && type !== 'Q4_0') return encodeFloats(data, type);
  const cols = shape.at(-1)!;
  return quantize(type === 'Q8_0' ? 'q8_0' : 'q4_0', data, data.length / cols, cols).data;
}

function storedByteLength(shape: readonly number[], type: WrittenType): number {
  const count = elementCount(shape);
  if (type === 'Q8_0' || type === 'Q4_0') return quantizedByteLength(type === 'Q8_0' ? 'q8_0' : 'q4_0', count / shape.at(-1)!, shape.at(-1)!);
  return count * (type === 'F32' ? 4 : 2);
}

/**
 * Writes a GGUF v3 file atomically from tensors already named and laid out the GGUF way. Metadata keeps the
 * given types; `general.alignment` (default 32) sets the data alignment.
 */
export function writeGguf(
  path: string,
  source: readonly WeightTensor[] | WeightReader,
  metadata: Readonly<Record<string, GgufMetadataEntry>>,
  options: GgufWriteOptions = {},
): void {
  const isReader = !Array.isArray(source);
  const list = source as readonly WeightTensor[];
  const reader = source as WeightReader;
  const names = isReader ? reader.names() : list.map((t) => t.name);
  const shapes = isReader ? names.map((n) => reader.shape(n)) : list.map((t) => t.shape);
  const types = shapes.map((s) => storedType(s, options.dtype));
  const alignmentEntry = metadata['general.alignment'];
  const alignment = alignmentEntry?.value ?? DEFAULT_ALIGNMENT;
  if ((alignmentEntry !== undefined && alignmentEntry.type !== 'u32') || !isValidAlignment(alignment)) {
    throw new CheckpointError(`${path}: general.alignment ${String(alignment)} must be a u32 power of two (as llama.cpp requires)`);
  }

  const sink = new ByteSink();
  sink.u32(GGUF_MAGIC);
  sink.u32(3);
  sink.u64(names.length);
  sink.u64(Object.keys(metadata).length);
  for (const [key, entry] of Object.entries(metadata)) {
    sink.string(key);
    sink.u32(VALUE_TYPES.indexOf(entry.type));
    if (entry.type === 'array') {
      if (!Array.isArray(entry.value) || !entry.itemType) throw new CheckpointError(`GGUF metadata "${key}": an array entry needs an itemType and a list value`);
      sink.u32(VALUE_TYPES.indexOf(entry.itemType));
      sink.u64(entry.value.length);
      for (const item of entry.value) sink.scalar(entry.itemType, item, key);
    } else {
      sink.scalar(entry.type, entry.value, key);
    }
  }
  const padded = (n: number): number => Math.ceil(n / alignment) * alignment;
  let offset = 0;
  const offsets: number[] = [];
  names.forEach((name, i) => {
    sink.string(name);
    sink.u32(shapes[i]!.length);
    for (const d of [...shapes[i]!].reverse()) sink.u64(d);
    sink.u32(TYPE_CODES[types[i]!]);
    sink.u64(offset);
    offsets.push(offset);
    offset = padded(offset + storedByteLength(shapes[i]!, types[i]!));
  });
  sink.zeros(padded(sink.length) - sink.length);

  writeStreamingAtomic(path, (write) => {
    write(sink.bytes());
    let written = 0;
    names.forEach((name, i) => {
      if (written < offsets[i]!) write(new Uint8Array(offsets[i]! - written));
      const data = isReader ? reader.read(name) : list[i]!.data;
      if (data.length !== elementCount(shapes[i]!)) throw new CheckpointError(`${path}: tensor "${name}" has ${data.length} values but shape ${JSON.stringify(shapes[i])}`);
      const bytes = encodeTensor(data, shapes[i]!, types[i]!);
      write(bytes);
      written = offsets[i]! + bytes.byteLength;
    });
  });
}
