import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { ids, tensor } from '../tensor/tensor.js';
import { Embedding } from './embedding.js';
import { Linear } from './linear.js';
import { Module, matchesName } from './module.js';
import { LayerNorm, RMSNorm } from './norm.js';
import { TinyLm } from './testing/tiny-lm.js';

const config = { vocab: 11, dim: 8, blocks: 2, hidden: 16 };

test('namedParameters gives dotted names in field order, numbering arrays of modules', () => {
  const model = new TinyLm(config, new Rng(1));
  const names = model.namedParameters().map(([n]) => n);
  assert.deepEqual(names.slice(0, 5), ['embed.weight', 'layers.0.norm.weight', 'layers.0.up.weight', 'layers.0.up.bias', 'layers.0.down.weight']);
  assert.ok(names.includes('layers.1.down.weight'));
  assert.deepEqual(names.slice(-2), ['norm.weight', 'head.weight']);
  assert.equal(names.length, 1 + 2 * 4 + 2);
  model.dispose();
});

test('name patterns: globs anchor to the whole name, and a module name covers everything below it', () => {
  assert.equal(matchesName('layers.0', 'layers.0.attn.wq.weight'), true);
  assert.equal(matchesName('layers.0', 'layers.01.attn.wq.weight'), false);
  assert.equal(matchesName('layers.*.attn.*', 'layers.1.attn.wo.weight'), true);
  assert.equal(matchesName('*.weight', 'norm.bias'), false);
  assert.equal(matchesName(/head/, 'head.weight'), true);
});

test('freeze and unfreeze select parameters by pattern; frozen parameters get no gradient', () => {
  const model = new TinyLm(config, new Rng(1));
  assert.equal(model.freeze(), 11);
  assert.equal(model.unfreeze('head'), 1);
  assert.deepEqual(model.trainableParameters().map(([n]) => n), ['head.weight']);
  tidy(() => model.loss(ids([1, 2, 3], [1, 3]), Int32Array.from([2, 3, 4])).backward());
  assert.notEqual(model.head.weight.grad, null);
  assert.equal(model.embed.weight.grad, null);
  assert.throws(() => model.freeze('nothing.here'), /freeze: no parameter matches nothing.here/);
  model.dispose();
});

test('stateDict round-trips through loadStateDict into a fresh model', () => {
  const a = new TinyLm(config, new Rng(1));
  const b = new TinyLm(config, new Rng(2));
  b.loadStateDict(a.stateDict());
  for (const [[name, pa], [, pb]] of a.namedParameters().map((e, i) => [e, b.namedParameters()[i]!] as const)) {
    assert.deepEqual(pb.toArray(), pa.toArray(), name);
  }
  a.dispose();
  b.dispose();
});

test('loadStateDict rejects missing, unexpected and mis-shaped entries with their names', () => {
  const model = new TinyLm(config, new Rng(1));
  const state = model.stateDict();
  const { ['norm.weight']: _dropped, ...missing } = state;
  assert.throws(() => model.loadStateDict(missing), /loadStateDict: names differ from the model's; missing: norm.weight$/);
  assert.throws(
    () => model.loadStateDict({ ...state, 'extra.bias': { shape: [1], data: new Float32Array(1) } }),
    /loadStateDict: names differ from the model's; unexpected: extra.bias$/,
  );
  model.loadStateDict({ 'norm.weight': state['norm.weight']! }, { strict: false });
  assert.throws(
    () => model.loadStateDict({ 'norm.weight': { shape: [4], data: new Float32Array(4) } }, { strict: false }),
    /loadStateDict: norm.weight has shape \(4\) in the state dict but \(8\) in the model/,
  );
  model.dispose();
});

test('Linear computes x W^T + b; Embedding, RMSNorm and LayerNorm have the documented parameters', () => {
  tidy(() => {
    const linear = Linear.init(2, 3, new Rng(1), { bias: true });
    linear.loadStateDict({
      weight: { shape: [3, 2], data: Float32Array.from([1, 0, 0, 1, 1, 1]) },
      bias: { shape: [3], data: Float32Array.from([0, 10, 100]) },
    });
    assert.deepEqual([...linear.forward(tensor([2, 3], [1, 2])).toArray()], [2, 13, 105]);
    assert.deepEqual(new Embedding(5, 4, new Rng(1)).forward(ids([1, 2])).shape, [2, 4]);
    assert.deepEqual(RMSNorm.init(4).namedParameters().map(([n]) => n), ['weight']);
    assert.deepEqual(new LayerNorm(4).namedParameters().map(([n]) => n), ['weight', 'bias']);
    assert.deepEqual(new LayerNorm(4, { bias: false }).namedParameters().map(([n]) => n), ['weight']);
    for (const m of [linear]) m.dispose();
  });
});

test('eval() switches the whole tree out of training mode', () => {
  class Outer extends Module {
    readonly inner = RMSNorm.init(2);
  }
  const m = new Outer().eval();
  assert.equal(m.training, false);
  assert.equal(m.inner.training, false);
  m.train();
  assert.equal(m.inner.training, true);
  m.dispose();
});
