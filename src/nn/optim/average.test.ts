import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../tensor/tensor.js';
import { Parameter } from '../parameter.js';
import { ParameterAverage } from './average.js';

const setValues = (p: Parameter, values: number[]): void => p.backend.copy(p.backend.upload(Float32Array.from(values)), 0, p.storage, 0, values.length);
const close = (actual: Float32Array, expected: number[]): void =>
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) < 1e-6, `[${i}] ${actual[i]} vs ${e}`));

test('the average starts at the initial weights and folds each step in with the warmed-up decay', () => {
  const p = Parameter.from(tensor([1, 2]));
  const average = new ParameterAverage([['p', p]], 0.99);
  setValues(p, [3, 2]);
  average.update(1); // decay min(0.99, 2 / 11)
  const d1 = 2 / 11;
  const after1 = [d1 * 1 + (1 - d1) * 3, 2];
  setValues(p, [0, 4]);
  average.update(2000); // decay 0.99 (2001 / 2010 is larger)
  const after2 = [0.99 * after1[0]! + 0.01 * 0, 0.99 * 2 + 0.01 * 4];
  average.withAveraged(() => close(p.toArray(), after2));
  close(p.toArray(), [0, 4]);
  close(average.tensors()[0]!.data, after2);
  average.copyToParameters();
  close(p.toArray(), after2);
});

test('averages saved by tensors() load back by name, and a missing or misshapen one is named', () => {
  const p = Parameter.from(tensor([1, 2, 3]));
  const average = new ParameterAverage([['layer.w', p]], 0.9);
  const saved = new Map(average.tensors().map((t) => [t.name, Float32Array.from(t.data, (v) => v * 2)]));
  average.load('ckpt', (name) => saved.get(name));
  average.copyToParameters();
  close(p.toArray(), [2, 4, 6]);
  assert.throws(() => average.load('ckpt', () => undefined), { message: 'ckpt: no averaged weights for parameter layer.w' });
  assert.throws(() => average.load('ckpt', () => new Float32Array(2)), { message: 'ckpt: averaged layer.w has 2 values, the parameter has 3' });
  assert.throws(() => new ParameterAverage([['p', p]], 1), RangeError);
});
