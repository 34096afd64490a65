import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { f32ToF16 } from './dtypes.js';
import { CheckpointError } from './errors.js';
import { GgufFile, writeGguf, type GgufMetadataEntry } from './gguf.js';
import { dequantize, quantize } from '../tensor/quant.js';
import type { WeightTensor } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'toolken-gguf-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const tensors: WeightTensor[] = [
  { name: 'token_embd.weight', shape: [5, 3], data: Float32Array.from({ length: 15 }, (_, i) => Math.sin(i) * 3) },
  { name: 'output_norm.weight', shape: [3], data: Float32Array.from([1, 0.5, -0.25]) },
];

const metadata: Record<string, GgufMetadataEntry> = {
  'general.architecture': { type: 'string', value: 'llama' },
  'general.alignment': { type: 'u32', value: 64 },
  'llama.block_count': { type: 'u32', value: 2 },
  'llama.rope.freq_base': { type: 'f32', value: 500000 },
  'test.i8': { type: 'i8', value: -5 },
  'test.i16': { type: 'i16', value: -300 },
  'test.u16': { type: 'u16', value: 60000 },
  'test.u8': { type: 'u8', value: 200 },
  'test.i32': { type: 'i32', value: -70000 },
  'test.u64': { type: 'u64', value: 2n ** 60n },
  'test.i64': { type: 'i64', value: -12 },
  'test.f64': { type: 'f64', value: 0.1 },
  'test.bool': { type: 'bool', value: true },
  'tokenizer.ggml.tokens': { type: 'array', itemType: 'string', value: ['<unk>', 'héllo', '▁wörld'] },
  'tokenizer.ggml.scores': { type: 'array', itemType: 'f32', value: [0, -1.5, -2] },
};

/** A hand-assembled GGUF v2 file with one quantised tensor "q" of dimensions `ne` (innermost first, as GGUF stores). */
function quantisedGguf(typeCode: number, block: Uint8Array, ne: readonly number[] = [32]): Buffer {
  const parts: Buffer[] = [];
  const u32 = (v: number): void => void parts.push(Buffer.from(new Uint32Array([v]).buffer));
  const u64 = (v: number): void => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    parts.push(b);
  };
  u32(0x46554747);
  u32(2);
  u64(1);
  u64(0);
  u64(1);
  parts.push(Buffer.from('q'));
  u32(ne.length);
  for (const n of ne) u64(n);
  u32(typeCode);
  u64(0);
  const headerLength = parts.reduce((n, p) => n + p.length, 0);
  parts.push(Buffer.alloc(Math.ceil(headerLength / 32) * 32 - headerLength), Buffer.from(block));
  return Buffer.concat(parts);
}

describe('GGUF', () => {
  test('F32 write -> read returns exact tensors and every metadata type unchanged', () => {
    const path = join(dir, 'f32.gguf');
    writeGguf(path, tensors, metadata);
    const gguf = new GgufFile(path);
    assert.equal(gguf.version, 3);
    assert.equal(gguf.alignment, 64);
    assert.deepEqual(gguf.names(), ['token_embd.weight', 'output_norm.weight']);
    assert.deepEqual(gguf.shape('token_embd.weight'), [5, 3]);
    for (const t of tensors) assert.deepEqual(gguf.read(t.name), t.data);
    for (const info of gguf.tensors.values()) assert.equal(info.offset % 64, 0, `${info.name} is aligned`);
    assert.deepEqual(Object.fromEntries(gguf.metadata), metadata);
    gguf.close();
  });

  test('F16 output stores matrices as F16 (within rounding) and keeps vectors F32', () => {
    const path = join(dir, 'f16.gguf');
    writeGguf(path, tensors, { 'general.architecture': { type: 'string', value: 'llama' } }, { dtype: 'F16' });
    const gguf = new GgufFile(path);
    assert.equal(gguf.dtype('token_embd.weight'), 'F16');
    assert.equal(gguf.dtype('output_norm.weight'), 'F32');
    gguf.read('token_embd.weight').forEach((v, i) => assert.ok(Math.abs(v - tensors[0]!.data[i]!) <= 3 * 2 ** -11));
    gguf.close();
  });

  test('dequantises Q8_0 and Q4_0 blocks (v2 file)', () => {
    const q8 = new Uint8Array(34);
    new DataView(q8.buffer).setUint16(0, f32ToF16(0.5), true);
    for (let j = 0; j < 32; j++) q8[2 + j] = (j - 16) & 0xff;
    const q8Path = join(dir, 'q8.gguf');
    writeFileSync(q8Path, quantisedGguf(8, q8));
    const g8 = new GgufFile(q8Path);
    assert.equal(g8.version, 2);
    assert.deepEqual([...g8.read('q')], Array.from({ length: 32 }, (_, j) => (j - 16) * 0.5));
    g8.close();

    const q4 = new Uint8Array(18);
    new DataView(q4.buffer).setUint16(0, f32ToF16(2), true);
    for (let j = 0; j < 16; j++) q4[2 + j] = j | ((15 - j) << 4);
    const q4Path = join(dir, 'q4.gguf');
    writeFileSync(q4Path, quantisedGguf(2, q4));
    const g4 = new GgufFile(q4Path);
    const expected = [...Array.from({ length: 16 }, (_, j) => (j - 8) * 2), ...Array.from({ length: 16 }, (_, j) => (7 - j) * 2)];
    assert.deepEqual([...g4.read('q')], expected);
    g4.close();
  });

  test('truncated data, a bad magic, an impossible count and an unsupported tensor type fail with the file named', () => {
    const path = join(dir, 'cut.gguf');
    writeGguf(path, tensors, metadata);
    truncateSync(path, readFileSync(path).length - 8);
    assert.throws(() => new GgufFile(path), (err: Error) => err.message.startsWith(path) && /tensor "output_norm.weight" data ends at byte \d+ but the file has \d+ bytes \(truncated GGUF\)/.test(err.message));

    truncateSync(path, 40);
    assert.throws(() => new GgufFile(path), (err: Error) => err.message.startsWith(path) && err.message.includes('truncated GGUF'));

    const bad = join(dir, 'bad.gguf');
    writeFileSync(bad, Buffer.from('GGML and more bytes here'));
    assert.throws(() => new GgufFile(bad), /not a GGUF file \(magic 0x4c4d4747, expected "GGUF"\)/);

    const huge = join(dir, 'huge-count.gguf');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0x46554747, 0);
    header.writeUInt32LE(3, 4);
    header.writeBigUInt64LE(0n, 8);
    header.writeBigUInt64LE(2n ** 40n, 16);
    writeFileSync(huge, header);
    assert.throws(() => new GgufFile(huge), /metadata count 1099511627776 exceeds the remaining 0 bytes \(corrupt or truncated GGUF\)/);

    const q5 = join(dir, 'q5.gguf');
    writeFileSync(q5, quantisedGguf(6, new Uint8Array(22)));
    assert.throws(() => new GgufFile(q5), /tensor "q" has type Q5_0 \(ggml type 6\), which is not supported/);
  });

  test('a tensor of a type toolken does not read is refused naming the type, the tensor and the way out', () => {
    const q5k = join(dir, 'q5k.gguf');
    writeFileSync(q5k, quantisedGguf(13, new Uint8Array(176), [256]));
    assert.throws(() => new GgufFile(q5k), (err: Error) => err instanceof CheckpointError && err.message ===
      `${q5k}: tensor "q" has type Q5_K (ggml type 13), which is not supported (toolken reads F32, F16, BF16, Q8_0, Q4_0 and Q4_K); ` +
      "requantize the model to Q8_0 or Q4_0 with llama.cpp's llama-quantize, or convert it to F16");
    writeFileSync(q5k, quantisedGguf(99, new Uint8Array(4)));
    assert.throws(() => new GgufFile(q5k), /tensor "q" has ggml type 99, which is not supported/);
  });

  test('reads Q4_K super-blocks as ggml does (d * scale * q - dmin * min per 32-value sub-block, 6-bit packed scales), or keeps them as blocks', () => {
    // Sub-block scales and mins spanning the 6 bits; those of sub-blocks 4..7 split into a low nibble (bytes 8..11)
    // and two high bits (the top of bytes 0..3 for scales, 4..7 for mins).
    const scales = [1, 2, 3, 63, 17, 40, 5, 60];
    const mins = [0, 1, 62, 7, 33, 2, 50, 9];
    const block = new Uint8Array(144);
    const view = new DataView(block.buffer);
    view.setUint16(0, f32ToF16(0.5), true);
    view.setUint16(2, f32ToF16(0.25), true);
    for (let s = 0; s < 4; s++) {
      block[4 + s] = scales[s]! | ((scales[s + 4]! >> 4) << 6);
      block[4 + s + 4] = mins[s]! | ((mins[s + 4]! >> 4) << 6);
      block[4 + s + 8] = (scales[s + 4]! & 15) | ((mins[s + 4]! & 15) << 4);
    }
    // Sub-blocks 2p and 2p + 1 share bytes 32p..32p+31 of q: low nibble (l + p) % 16, high nibble 15 - l % 16.
    for (let p = 0; p < 4; p++) for (let l = 0; l < 32; l++) block[16 + 32 * p + l] = ((l + p) % 16) | ((15 - (l % 16)) << 4);
    // Two rows: the block, then the block with d and dmin 0 (all zeros).
    const rows = new Uint8Array(288);
    rows.set(block);
    rows.set(block.subarray(4), 148);
    const path = join(dir, 'q4k.gguf');
    writeFileSync(path, quantisedGguf(12, rows, [256, 2]));
    const g = new GgufFile(path);
    assert.equal(g.dtype('q'), 'Q4_K');
    const expected = Array.from({ length: 256 }, (_, e) => {
      const s = Math.floor(e / 32), l = e % 32, p = s >> 1;
      const q = s % 2 === 0 ? (l + p) % 16 : 15 - (l % 16);
      return 0.5 * scales[s]! * q - 0.25 * mins[s]!;
    });
    assert.deepEqual([...g.read('q')], [...expected, ...new Array<number>(256).fill(0)]);
    const kept = g.quantized('q')!;
    assert.deepEqual([kept.type, kept.rows, kept.cols, kept.data.length], ['q4_k', 2, 256, 288]);
    assert.deepEqual(dequantize(kept), g.read('q'));
    g.close();
  });

  test('a Q4_K tensor whose rows are not whole super-blocks, or whose data is short, is refused naming the tensor', () => {
    const ragged = join(dir, 'q4k-ragged.gguf');
    writeFileSync(ragged, quantisedGguf(12, new Uint8Array(144), [128]));
    assert.throws(() => new GgufFile(ragged), /tensor "q" has rows of 128 elements, not a multiple of the Q4_K block size 256/);
    const short = join(dir, 'q4k-short.gguf');
    writeFileSync(short, quantisedGguf(12, new Uint8Array(100), [256]));
    assert.throws(() => new GgufFile(short), /\(truncated GGUF\): tensor "q" \(Q4_K, shape \[256\]: 144 bytes, 1 block of 144 bytes\), of which the file holds 100/);
  });

  test('a Q4_0 tensor whose data size does not match its shape is refused, naming the tensor, its shape and its size', () => {
    const long = join(dir, 'q4-long.gguf');
    writeFileSync(long, quantisedGguf(2, new Uint8Array(18 + 40)));
    assert.throws(() => new GgufFile(long), (err: Error) => err.message ===
      `${long}: 40 bytes follow the last tensor's data, more than the alignment padding: tensor "q" (Q4_0, shape [32]: 18 bytes, 1 block of 18 bytes) does not match its shape, or the file is corrupt`);
    const short = join(dir, 'q4-short.gguf');
    writeFileSync(short, quantisedGguf(2, new Uint8Array(10)));
    assert.throws(() => new GgufFile(short), /tensor "q" data ends at byte \d+ but the file has \d+ bytes \(truncated GGUF\): tensor "q" \(Q4_0, shape \[32\]: 18 bytes, 1 block of 18 bytes\), of which the file holds 10/);
  });

  test('a tensor followed by more data than its shape implies is named when the next tensor starts late', () => {
    const path = join(dir, 'q4-gap.gguf');
    writeGguf(path, [
      { name: 'a.weight', shape: [2, 64], data: new Float32Array(128).fill(0.5) },
      { name: 'b.weight', shape: [1, 32], data: new Float32Array(32).fill(1) },
    ], {}, { dtype: 'Q4_0' });
    const bytes = readFileSync(path);
    // Move b's offset (the u64 after its name, rank, dimensions and type) 32 bytes on, as if a held up to 128 bytes.
    const at = bytes.indexOf(Buffer.from('b.weight')) + 8 + 4 + 16 + 4;
    bytes.writeBigUInt64LE(bytes.readBigUInt64LE(at) + 32n, at);
    writeFileSync(path, Buffer.concat([bytes, Buffer.alloc(32)]));
    assert.throws(() => new GgufFile(path), /tensor "b.weight" data is at offset 128 but the tensors before it end at 96: tensor "a.weight" \(Q4_0, shape \[2, 64\]: 72 bytes, 4 blocks of 18 bytes\) is followed by 128 bytes, so its data does not match its shape/);
  });

  test('Q8_0 / Q4_0 output stores matrices in blocks that read back quantized or dequantized; vectors and ragged rows stay F32', () => {
    const matrices: WeightTensor[] = [
      { name: 'blk.0.attn_q.weight', shape: [3, 64], data: Float32Array.from({ length: 192 }, (_, i) => Math.cos(i) * 2) },
      { name: 'ragged.weight', shape: [2, 40], data: Float32Array.from({ length: 80 }, (_, i) => i / 80) },
      { name: 'output_norm.weight', shape: [3], data: Float32Array.from([1, 0.5, -0.25]) },
    ];
    for (const [dtype, type] of [['Q8_0', 'q8_0'], ['Q4_0', 'q4_0']] as const) {
      const path = join(dir, `${type}.gguf`);
      writeGguf(path, matrices, metadata, { dtype });
      const gguf = new GgufFile(path);
      assert.deepEqual(matrices.map((t) => gguf.dtype(t.name)), [dtype, 'F32', 'F32']);
      assert.deepEqual(matrices.map((t) => gguf.quantized(t.name) === undefined), [false, true, true]);
      const q = gguf.quantized('blk.0.attn_q.weight')!;
      const expected = quantize(type, matrices[0]!.data, 3, 64);
      assert.deepEqual({ ...q, data: [...q.data] }, { ...expected, data: [...expected.data] });
      assert.deepEqual(gguf.read('blk.0.attn_q.weight'), dequantize(expected));
      assert.deepEqual(gguf.read('ragged.weight'), matrices[1]!.data);
      gguf.close();
    }
  });

  test('as llama.cpp: any power-of-two alignment, no duplicate metadata keys or tensor names', () => {
    for (const value of [1, 8, 256]) {
      const path = join(dir, `align-${value}.gguf`);
      writeGguf(path, tensors, { ...metadata, 'general.alignment': { type: 'u32', value } });
      const file = new GgufFile(path);
      assert.equal(file.alignment, value);
      assert.deepEqual(file.read('output_norm.weight'), tensors[1]!.data);
      file.close();
    }
    for (const value of [0, 24, 48]) {
      assert.throws(() => writeGguf(join(dir, 'bad-align.gguf'), tensors, { ...metadata, 'general.alignment': { type: 'u32', value } }), /must be a u32 power of two/);
    }
    const twice = join(dir, 'twice.gguf');
    writeGguf(twice, [tensors[0]!, { ...tensors[0]!, data: tensors[0]!.data }], { 'general.architecture': metadata['general.architecture']! });
    assert.throws(() => new GgufFile(twice), (err: Error) => err instanceof CheckpointError && err.message.startsWith(twice) && /tensor "token_embd\.weight" appears twice/.test(err.message));
    const keyTwice = join(dir, 'key-twice.gguf');
    // Two keys of the same length; renaming the second in place makes it a duplicate of the first.
    writeGguf(keyTwice, tensors, { 'general.name': { type: 'string', value: 'a' }, 'general.nome': { type: 'string', value: 'b' } });
    const bytes = readFileSync(keyTwice);
    bytes.write('general.name', bytes.indexOf(Buffer.from('general.nome')));
    writeFileSync(keyTwice, bytes);
    assert.throws(() => new GgufFile(keyTwice), /metadata key "general\.name" appears twice/);
  });

  test('an array length the rest of the file cannot hold is refused before anything is allocated for it', () => {
    const path = join(dir, 'long-array.gguf');
    writeGguf(path, tensors, { 'test.ids': { type: 'array', itemType: 'i32', value: [1, 2, 3] } });
    const bytes = readFileSync(path);
    // After the key: value type (u32), item type (u32), then the u64 length.
    const length = bytes.indexOf(Buffer.from('test.ids')) + 'test.ids'.length + 8;
    assert.equal(bytes.readBigUInt64LE(length), 3n);
    bytes.writeBigUInt64LE(BigInt(Math.floor(bytes.length / 4)), length);
    writeFileSync(path, bytes);
    const started = performance.now();
    assert.throws(() => new GgufFile(path), /metadata "test\.ids" length \d+ exceeds the remaining \d+ bytes/);
    assert.ok(performance.now() - started < 100);
  });
});
