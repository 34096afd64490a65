import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { f16ToF32, f32ToF16 } from './dtypes.js';
import { CheckpointError } from './errors.js';
import { openSafetensors, SafetensorsFile, writeSafetensors } from './safetensors.js';
import { readAllWeights, type WeightTensor } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'toolken-safetensors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const tensors: WeightTensor[] = [
  { name: 'model.embed_tokens.weight', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => (i - 5) * 0.3371) },
  { name: 'model.norm.weight', shape: [4], data: Float32Array.from([1, -2.5, 1e-3, 65000]) },
  { name: 'scalar', shape: [], data: Float32Array.from([Math.PI]) },
];

function rawSafetensors(header: Record<string, unknown>, data: Uint8Array): Buffer {
  return rawJsonSafetensors(JSON.stringify(header), data);
}

/** A safetensors file with the header given as JSON text (for keys JSON.stringify of an object literal cannot express). */
function rawJsonSafetensors(header: string, data: Uint8Array = new Uint8Array()): Buffer {
  const json = Buffer.from(header);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

describe('safetensors', () => {
  test('F32 write -> read returns the exact values, shapes, and format metadata', () => {
    const path = join(dir, 'f32.safetensors');
    writeSafetensors(path, tensors, { metadata: { origin: 'test' } });
    const file = new SafetensorsFile(path);
    assert.deepEqual(file.names(), tensors.map((t) => t.name));
    assert.deepEqual({ ...file.metadata }, { origin: 'test', format: 'pt' });
    assert.deepEqual(readAllWeights(file), tensors);
    file.close();
    const headerLength = Number(readFileSync(path).readBigUInt64LE(0));
    assert.equal((8 + headerLength) % 8, 0, 'data section is 8-byte aligned');
  });

  test('F16 and BF16 round trips stay within half an ulp of each format', () => {
    for (const [dtype, relative] of [['F16', 2 ** -11], ['BF16', 2 ** -8]] as const) {
      const path = join(dir, `${dtype}.safetensors`);
      writeSafetensors(path, tensors.slice(0, 2), { dtype });
      const file = openSafetensors(path);
      assert.equal(file.dtype('model.norm.weight'), dtype);
      for (const t of tensors.slice(0, 2)) {
        const back = file.read(t.name);
        t.data.forEach((v, i) => assert.ok(Math.abs(back[i]! - v) <= Math.abs(v) * relative + 1e-7, `${dtype} ${t.name}[${i}]: ${back[i]} vs ${v}`));
      }
      file.close();
    }
  });

  test('f16 conversion handles subnormals, rounding to even, overflow and infinities', () => {
    assert.equal(f32ToF16(1), 0x3c00);
    assert.equal(f32ToF16(-2), 0xc000);
    assert.equal(f32ToF16(65504), 0x7bff);
    assert.equal(f32ToF16(70000), 0x7c00);
    assert.equal(f32ToF16(-Infinity), 0xfc00);
    assert.equal(f32ToF16(2 ** -24), 0x0001);
    assert.equal(f32ToF16(1 + 2 ** -11), 0x3c00, 'a tie rounds to the even mantissa');
    assert.equal(f16ToF32(0x0001), 2 ** -24);
    assert.ok(Number.isNaN(f16ToF32(f32ToF16(NaN))));
  });

  test('reads a sharded checkpoint through model.safetensors.index.json', () => {
    const sharded = join(dir, 'sharded');
    writeSafetensors(join(sharded, 'model-00001-of-00002.safetensors'), [tensors[0]!]);
    writeSafetensors(join(sharded, 'model-00002-of-00002.safetensors'), [tensors[1]!]);
    writeFileSync(
      join(sharded, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: { total_size: 64 }, weight_map: { [tensors[0]!.name]: 'model-00001-of-00002.safetensors', [tensors[1]!.name]: 'model-00002-of-00002.safetensors' } }),
    );
    const reader = openSafetensors(sharded);
    assert.deepEqual(readAllWeights(reader), tensors.slice(0, 2));
    reader.close();
  });

  test('reads F64 and I64 tensors as float32', () => {
    const data = Buffer.alloc(32);
    data.writeDoubleLE(0.25, 0);
    data.writeDoubleLE(-3, 8);
    data.writeBigInt64LE(-7n, 16);
    data.writeBigInt64LE(123456n, 24);
    const path = join(dir, 'wide.safetensors');
    writeFileSync(path, rawSafetensors({ a: { dtype: 'F64', shape: [2], data_offsets: [0, 16] }, b: { dtype: 'I64', shape: [2], data_offsets: [16, 32] } }, data));
    const file = new SafetensorsFile(path);
    assert.deepEqual([...file.read('a')], [0.25, -3]);
    assert.deepEqual([...file.read('b')], [-7, 123456]);
    file.close();
  });

  test('a truncated file fails naming the file and the tensor cut off', () => {
    const path = join(dir, 'truncated.safetensors');
    writeSafetensors(path, tensors);
    truncateSync(path, readFileSync(path).length - 4);
    assert.throws(() => new SafetensorsFile(path), (err: Error) => err.message.includes(path) && err.message.includes('"scalar"') && err.message.includes('truncated'));
  });

  test('a header length beyond the file, bad JSON, overlaps, size mismatches and unknown dtypes are rejected', () => {
    const cases: [string, Buffer, RegExp][] = [
      ['huge-header', Buffer.concat([Buffer.from([0xff, 0xff, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]), /header length 65535 exceeds the file size/],
      ['bad-json', rawSafetensors({}, new Uint8Array()).fill(0x7b, 8), /header is not valid JSON/],
      ['overlap', rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)), /tensor "b" overlaps tensor "a"/],
      ['mismatch', rawSafetensors({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor "a": data_offsets \[0, 8\] hold 8 bytes but F32\[3\] needs 12/],
      ['dtype', rawSafetensors({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /tensor "a": unsupported dtype "F8_E4M3"/],
      ['tiny', Buffer.from([1, 2, 3]), /not a safetensors file \(3 bytes/],
    ];
    for (const [name, bytes, message] of cases) {
      const path = join(dir, `${name}.safetensors`);
      writeFileSync(path, bytes);
      assert.throws(() => new SafetensorsFile(path), (err: Error) => message.test(err.message) && err.message.startsWith(path), name);
    }
  });

  test('as the reference implementation: trailing bytes, gaps between tensors and non-string metadata are rejected', () => {
    const cases: [string, Buffer, RegExp][] = [
      ['trailing', rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(9)), /1 bytes follow the last tensor's data/],
      ['gap', rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12)), /tensor "b" starts at data byte 8, leaving a gap after tensor "a"/],
      ['late-start', rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /leaving a gap after the header/],
      ['number-metadata', rawSafetensors({ __metadata__: { format: 'pt', total: 3 } }, new Uint8Array()), /"__metadata__" entry "total" is 3, not a string/],
      ['array-metadata', rawSafetensors({ __metadata__: ['pt'] }, new Uint8Array()), /"__metadata__" is not an object of strings/],
    ];
    for (const [name, bytes, message] of cases) {
      const path = join(dir, `${name}.safetensors`);
      writeFileSync(path, bytes);
      assert.throws(() => new SafetensorsFile(path), (err: Error) => err instanceof CheckpointError && message.test(err.message) && err.message.startsWith(path), name);
    }
  });

  test('metadata named __proto__ is kept as data and changes no prototype', () => {
    const path = join(dir, 'proto.safetensors');
    writeFileSync(path, rawJsonSafetensors('{"__metadata__":{"__proto__":"x","polluted":"y"}}'));
    const file = new SafetensorsFile(path);
    assert.equal(file.metadata['__proto__'], 'x');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    file.close();
  });

  test('an index naming a shard outside its folder is refused without touching that file', () => {
    const folder = join(dir, 'escaping-index');
    writeSafetensors(join(dir, 'outside.safetensors'), [tensors[0]!]);
    for (const shard of ['../outside.safetensors', '..\\outside.safetensors', join(dir, 'outside.safetensors')]) {
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { [tensors[0]!.name]: shard } }));
      assert.throws(() => openSafetensors(folder), (err: Error) => err instanceof CheckpointError && /is not a plain \.safetensors file name in the model's folder/.test(err.message), shard);
    }
  });

  test('writing from a WeightReader streams tensor by tensor into an equal file', () => {
    const source = join(dir, 'source.safetensors');
    const copy = join(dir, 'copy.safetensors');
    writeSafetensors(source, tensors);
    const reader = openSafetensors(source);
    writeSafetensors(copy, reader);
    reader.close();
    assert.deepEqual(readFileSync(copy), readFileSync(source));
  });
});
