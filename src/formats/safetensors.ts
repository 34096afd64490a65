import { existsSync, fstatSync, readFileSync, statSync } from 'node:fs';
import { readExactly } from './read-exactly.js';
import { TensorFile, type TensorLocation } from './tensor-file.js';
import { dirname, join } from 'node:path';
import { writeStreamingAtomic } from '../util/fs.js';
import { decodeFloats, encodeFloats, isFloatDtype } from './dtypes.js';
import { CheckpointError } from './errors.js';
import { elementCount, RoutingWeightReader, type WeightReader, type WeightTensor } from './types.js';
import { pathInside, shardNamesOf } from './shard-names.js';

/** Stored element types this reader converts to float32, with their byte widths. */
const DTYPE_BYTES: Readonly<Record<string, number>> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4 };

/** A JSON header larger than this is treated as corruption rather than parsed (the reference library's bound). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export type SafetensorsWriteDtype = 'F32' | 'F16' | 'BF16';

interface TensorEntry extends TensorLocation {
  readonly dtype: string;
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
}

/**
 * Parses and validates a safetensors header as strictly as the reference implementation: string-only metadata,
 * every tensor's byte range matching its shape, the ranges contiguous from byte 0 with no gap or overlap, and
 * the data section ending exactly where the last tensor does.
 */
function parseHeader(fd: number, file: string): { entries: Map<string, TensorEntry>; metadata: Record<string, string> } {
  const fileSize = fstatSync(fd).size;
  if (fileSize < 8) throw new CheckpointError(`${file}: not a safetensors file (${fileSize} bytes, shorter than the 8-byte header length)`);
  const headerLen = Number(new DataView(readExactly(fd, 8, 0, file, 'header length').buffer).getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > fileSize) {
    throw new CheckpointError(`${file}: header length ${headerLen} exceeds the file size ${fileSize} (truncated or not a safetensors file)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(readExactly(fd, headerLen, 8, file, 'header')).toString('utf8'));
  } catch (err) {
    throw new CheckpointError(`${file}: header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new CheckpointError(`${file}: header is not a JSON object`);
  const dataStart = 8 + headerLen;
  const dataSize = fileSize - dataStart;
  const entries = new Map<string, TensorEntry>();
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CheckpointError(`${file}: "__metadata__" is not an object of strings`);
      for (const [key, value] of Object.entries(raw)) {
        if (typeof value !== 'string') throw new CheckpointError(`${file}: "__metadata__" entry "${key}" is ${JSON.stringify(value)}, not a string`);
        metadata[key] = value;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null) throw new CheckpointError(`${file}: tensor "${name}": entry is not an object`);
    if (typeof info.dtype !== 'string' || !(info.dtype in DTYPE_BYTES)) {
      throw new CheckpointError(`${file}: tensor "${name}": unsupported dtype ${JSON.stringify(info.dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    if (!isShape(info.shape)) throw new CheckpointError(`${file}: tensor "${name}": shape ${JSON.stringify(info.shape)} is not a list of non-negative integers`);
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
      throw new CheckpointError(`${file}: tensor "${name}": data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = elementCount(info.shape) * DTYPE_BYTES[info.dtype]!;
    if (!Number.isSafeInteger(expected)) throw new CheckpointError(`${file}: tensor "${name}": shape ${JSON.stringify(info.shape)} is implausibly large`);
    if (end < begin || end - begin !== expected) {
      throw new CheckpointError(`${file}: tensor "${name}": data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${info.dtype}${JSON.stringify(info.shape)} needs ${expected}`);
    }
    if (end > dataSize) {
      throw new CheckpointError(`${file}: tensor "${name}": data ends at byte ${end} of the data section but the file has only ${dataSize} (truncated file)`);
    }
    entries.set(name, { dtype: info.dtype, shape: info.shape, offset: dataStart + begin, byteLength: end - begin });
  }
  const sorted = [...entries.entries()].sort((a, b) => a[1].offset - b[1].offset || a[1].byteLength - b[1].byteLength);
  let cursor = dataStart;
  let previous: string | undefined;
  for (const [name, entry] of sorted) {
    if (entry.offset < cursor) throw new CheckpointError(`${file}: tensor "${name}" overlaps tensor "${previous}" in the data section`);
    if (entry.offset > cursor) {
      throw new CheckpointError(`${file}: tensor "${name}" starts at data byte ${entry.offset - dataStart}, leaving a gap after ${previous === undefined ? 'the header' : `tensor "${previous}"`} (data must be contiguous)`);
    }
    cursor = entry.offset + entry.byteLength;
    previous = name;
  }
  if (cursor !== fileSize) {
    throw new CheckpointError(`${file}: ${fileSize - cursor} bytes follow the last tensor's data (the header accounts for ${cursor - dataStart} of ${dataSize} data bytes)`);
  }
  return { entries, metadata };
}

function toFloat32(bytes: Uint8Array, dtype: string): Float32Array {
  if (isFloatDtype(dtype)) return decodeFloats(bytes, dtype);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = DTYPE_BYTES[dtype]!;
  const out = new Float32Array(bytes.byteLength / width);
  for (let i = 0; i < out.length; i++) {
    if (dtype === 'F64') out[i] = view.getFloat64(8 * i, true);
    else if (dtype === 'I64') out[i] = Number(view.getBigInt64(8 * i, true));
    else out[i] = view.getInt32(4 * i, true);
  }
  return out;
}

/** A lazily read single safetensors file. */
export class SafetensorsFile extends TensorFile<TensorEntry> {
  readonly metadata: Record<string, string>;

  constructor(path: string) {
    super(path);
    const { entries, metadata } = this.parseHeader((fd) => parseHeader(fd, path));
    for (const [name, entry] of entries) this.tensors.set(name, entry);
    this.metadata = metadata;
  }

  dtype(name: string): string {
    return this.location(name).dtype;
  }

  read(name: string): Float32Array {
    return toFloat32(this.readBytes(name), this.location(name).dtype);
  }
}

/** A checkpoint split into shards by `model.safetensors.index.json`; shards are opened on first use. */
export class ShardedSafetensors extends RoutingWeightReader {
  private readonly weightMap: Map<string, string>;
  private readonly shards = new Map<string, SafetensorsFile>();

  constructor(readonly indexPath: string) {
    super();
    let index: unknown;
    try {
      index = JSON.parse(readFileSync(indexPath, 'utf8'));
    } catch (err) {
      throw new CheckpointError(`${indexPath}: cannot read the shard index (${(err as Error).message})`);
    }
    const listed = shardNamesOf(index);
    if ('problem' in listed) throw new CheckpointError(`${indexPath}: ${listed.problem}`);
    this.weightMap = new Map(Object.entries((index as { weight_map: Record<string, string> }).weight_map));
    for (const shard of listed.shards) {
      const path = pathInside(dirname(indexPath), shard);
      if (path === undefined || !existsSync(path)) throw new CheckpointError(`${indexPath}: shard "${shard}" is missing`);
    }
  }

  protected readerOf(name: string): SafetensorsFile {
    const file = this.weightMap.get(name);
    if (file === undefined) throw new CheckpointError(`${this.indexPath}: no tensor named "${name}"`);
    let shard = this.shards.get(file);
    if (!shard) {
      shard = new SafetensorsFile(join(dirname(this.indexPath), file));
      this.shards.set(file, shard);
    }
    if (!shard.names().includes(name)) throw new CheckpointError(`${shard.path}: the index places tensor "${name}" here but the shard lacks it`);
    return shard;
  }

  names(): string[] {
    return [...this.weightMap.keys()];
  }

  close(): void {
    for (const shard of this.shards.values()) shard.close();
    this.shards.clear();
  }
}

/**
 * Opens safetensors weights: a `.safetensors` file, a `model.safetensors.index.json`, or a directory holding
 * either (the index wins when both exist).
 */
export function openSafetensors(path: string): WeightReader {
  if (!existsSync(path)) throw new CheckpointError(`${path}: no such file or directory`);
  if (statSync(path).isDirectory()) {
    const index = join(path, 'model.safetensors.index.json');
    if (existsSync(index)) return new ShardedSafetensors(index);
    const single = join(path, 'model.safetensors');
    if (existsSync(single)) return new SafetensorsFile(single);
    throw new CheckpointError(`${path}: directory has neither model.safetensors nor model.safetensors.index.json`);
  }
  return path.endsWith('.json') ? new ShardedSafetensors(path) : new SafetensorsFile(path);
}

export interface SafetensorsWriteOptions {
  dtype?: SafetensorsWriteDtype;
  /** Extra string metadata; `format: "pt"` is always set so PyTorch loaders accept the file. */
  metadata?: Record<string, string>;
}

/**
 * Writes tensors as one safetensors file, atomically. With a WeightReader as the source, tensors are read and
 * written one at a time, so converting a large checkpoint needs memory for one tensor only.
 */
export function writeSafetensors(path: string, source: readonly WeightTensor[] | WeightReader, options: SafetensorsWriteOptions = {}): void {
  const dtype = options.dtype ?? 'F32';
  const width = dtype === 'F32' ? 4 : 2;
  const isReader = !Array.isArray(source);
  const list = source as readonly WeightTensor[];
  const reader = source as WeightReader;
  const names = isReader ? reader.names() : list.map((t) => t.name);
  const shapes = isReader ? names.map((n) => reader.shape(n)) : list.map((t) => t.shape);
  if (new Set(names).size !== names.length) throw new CheckpointError(`${path}: duplicate tensor names in the input`);

  const header: Record<string, unknown> = { __metadata__: { ...options.metadata, format: 'pt' } };
  let offset = 0;
  names.forEach((name, i) => {
    const bytes = elementCount(shapes[i]!) * width;
    header[name] = { dtype, shape: shapes[i], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  });
  // The data section starts 8-byte aligned, as the reference writer pads the JSON with spaces.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const jsonBytes = Buffer.from(json, 'utf8');
  const lengthBytes = new Uint8Array(8);
  new DataView(lengthBytes.buffer).setBigUint64(0, BigInt(jsonBytes.byteLength), true);

  writeStreamingAtomic(path, (write) => {
    write(lengthBytes);
    write(jsonBytes);
    names.forEach((name, i) => {
      const data = isReader ? reader.read(name) : list[i]!.data;
      if (data.length !== elementCount(shapes[i]!)) {
        throw new CheckpointError(`${path}: tensor "${name}" has ${data.length} values but shape ${JSON.stringify(shapes[i])}`);
      }
      write(encodeFloats(data, dtype));
    });
  });
}
