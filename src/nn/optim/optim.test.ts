import { test } from 'node:test';
import assert from 'node:assert/strict';
import { valueAndGrad } from '../../tensor/autograd.js';
import { crossEntropy } from '../../tensor/ops/crossEntropy.js';
import { matmul } from '../../tensor/ops/matmul.js';
import { Rng } from '../../tensor/random.js';
import { keep } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { ids, tensor } from '../../tensor/tensor.js';
import { Parameter } from '../parameter.js';
import { TinyLm } from '../testing/tiny-lm.js';
import { accumulateGradients } from './accumulate.js';
import { AdamW } from './adamw.js';
import { clipGradNorm } from './clip.js';
import { constantSchedule, cosineSchedule, linearSchedule } from './schedule.js';
import { SGD } from './sgd.js';

const param = (values: number[]): Parameter => Parameter.from(tensor(values));
const setGrad = (p: Parameter, values: number[]): void => {
  p.grad?.dispose();
  p.grad = keep(tensor(values, p.shape));
};

test('one AdamW step follows the bias-corrected update with decoupled weight decay', () => {
  const p = param([1, -2]);
  const opt = new AdamW([['p', p]], { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.5 });
  setGrad(p, [0.5, 0.25]);
  opt.step();
  // step 1: m^ = g, v^ = g^2, so the Adam direction is sign(g); decay adds wd * p.
  const expected = [1 - 0.1 * (1 + 0.5 * 1), -2 - 0.1 * (1 + 0.5 * -2)];
  const got = p.toArray();
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(got[i]! - expected[i]!) < 1e-6);
  assert.equal(opt.steps, 1);
  p.dispose();
});

test('SGD with momentum accumulates velocity: p -= lr * (momentum * buf + g)', () => {
  const p = param([1]);
  const opt = new SGD([['p', p]], { lr: 0.1, momentum: 0.9 });
  setGrad(p, [1]);
  opt.step(); // buf 1, p 0.9
  opt.step(); // buf 1.9, p 0.71
  assert.ok(Math.abs(p.item() - 0.71) < 1e-6);
  p.dispose();
});

test('clipGradNorm returns the global norm and scales all gradients down to maxNorm', () => {
  const a = param([0, 0]);
  const b = param([0]);
  setGrad(a, [3, 0]);
  setGrad(b, [4]);
  assert.equal(clipGradNorm([a, b], 1), 5);
  const clipped = [...a.grad!.toArray(), ...b.grad!.toArray()];
  assert.ok(Math.abs(Math.hypot(...clipped) - 1) < 1e-5);
  assert.equal(clipGradNorm([a, b], 10) < 1.00001, true); // under the limit: untouched
  a.dispose();
  b.dispose();
});

test('clipGradNorm measures only the trainable rows of a row-restricted parameter', () => {
  const table = Parameter.from(tensor([0, 0, 0, 0], [2, 2]));
  table.trainableRows = { start: 1, end: 2 };
  setGrad(table, [100, 100, 3, 4]);
  assert.equal(clipGradNorm([table], 1), 5);
  table.dispose();
});

test('gradient accumulation over micro-batches equals the gradient of the mean loss over the whole batch', () => {
  const w = Parameter.from(tensor([0.3, -0.7, 1.1, 0.2, -0.4, 0.9], [2, 3]));
  const lossOf = (b: { x: Tensor; t: Int32Array }): Tensor => crossEntropy(matmul(b.x, w), b.t);
  const whole = { x: tensor([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]), t: Int32Array.from([0, 2, 1, 1]) };
  // Equal-sized micro-batches make the mean of their mean losses the mean over the whole batch.
  const micro = [
    { x: tensor([1, 2, 3, 4], [2, 2]), t: Int32Array.from([0, 2]) },
    { x: tensor([5, 6, 7, 8], [2, 2]), t: Int32Array.from([1, 1]) },
  ];
  const full = valueAndGrad(() => lossOf(whole));
  const fullGrad = w.grad!.toArray();
  w.grad!.dispose();
  w.grad = null;
  const accumulated = accumulateGradients(micro, lossOf);
  assert.ok(Math.abs(accumulated - full) < 1e-6);
  const accGrad = w.grad!.toArray();
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(accGrad[i]! - fullGrad[i]!) < 1e-6);
  for (const t of [w, whole.x, ...micro.map((m) => m.x)]) t.dispose();
});

test('schedules: warmup in steps or as a ratio, then constant, linear or cosine decay to min', () => {
  const cosine = cosineSchedule({ peak: 1, totalSteps: 12, warmup: 1, min: 0.1 });
  assert.equal(cosine(0), 1);
  assert.ok(Math.abs(cosine(6) - 0.55) < 1e-12);
  assert.ok(Math.abs(cosine(11) - 0.1) < 1e-12);
  const warm = linearSchedule({ peak: 2, totalSteps: 20, warmup: 0.2 });
  assert.deepEqual([warm(0), warm(1), warm(3)], [0.5, 1, 2]);
  assert.equal(warm(19), 0);
  const constant = constantSchedule({ peak: 3, totalSteps: 10, warmup: 3 });
  assert.deepEqual([constant(0), constant(2), constant(9)], [1, 3, 3]);
  assert.throws(() => cosineSchedule({ peak: 1, totalSteps: 5, warmup: 6 }), /lr schedule: 6 warmup steps exceed 5 total steps/);
});

test('the optimizer uses the schedule at each step and exposes the next rate', () => {
  const p = param([0]);
  const opt = new SGD([['p', p]], { lr: (step) => (step + 1) * 0.1 });
  setGrad(p, [1]);
  assert.equal(opt.lr, 0.1);
  opt.step();
  opt.step();
  assert.ok(Math.abs(p.item() - -0.3) < 1e-7);
  p.dispose();
});

test('trainableRows confines the update to a block of rows; frozen parameters and lrScale-0 groups stay put', () => {
  const table = Parameter.from(tensor([1, 1, 2, 2, 3, 3, 4, 4], [4, 2]));
  table.trainableRows = { start: 2, end: 4 };
  const frozen = param([5]);
  frozen.frozen = true;
  const still = param([6]);
  const opt = new AdamW([{ params: [['table', table], ['frozen', frozen]] }, { params: [['still', still]], lrScale: 0 }], { lr: 0.1 });
  setGrad(table, [1, 1, 1, 1, 1, 1, 1, 1]);
  setGrad(frozen, [1]);
  setGrad(still, [1]);
  opt.step();
  const rows = [...table.toArray()].map((v) => Math.round(v * 1000) / 1000);
  assert.deepEqual(rows, [1, 1, 2, 2, 2.9, 2.9, 3.9, 3.9]);
  assert.equal(frozen.item(), 5);
  assert.equal(still.item(), 6);
  assert.deepEqual([...opt.state().buffers.keys()], ['table', 'still']);
  assert.equal(opt.state().buffers.get('table')!.get('m')!.data.length, 4);
  assert.throws(() => (table.trainableRows = { start: 3, end: 9 }), /trainableRows: \[3, 9\) is not a non-empty row range of a parameter \(4,2\)/);
  for (const t of [table, frozen, still]) t.dispose();
});

test('AdamW state saved mid-run and restored into a fresh optimizer continues bit-identically', () => {
  const config = { vocab: 12, dim: 16, blocks: 1, hidden: 32 };
  const tokens = ids([1, 5, 2, 7, 3, 9], [1, 6]);
  const targets = Int32Array.from([5, 2, 7, 3, 9, 11]);
  const run = (model: TinyLm, opt: AdamW, steps: number): void => {
    for (let i = 0; i < steps; i++) {
      valueAndGrad(() => model.loss(tokens, targets));
      opt.step();
      opt.zeroGrad();
    }
  };
  const schedule = cosineSchedule({ peak: 1e-2, totalSteps: 10, warmup: 2 });
  const straight = new TinyLm(config, new Rng(5));
  const straightOpt = new AdamW(straight.namedParameters(), { lr: schedule, weightDecay: 0.1 });
  run(straight, straightOpt, 10);

  const first = new TinyLm(config, new Rng(5));
  const firstOpt = new AdamW(first.namedParameters(), { lr: schedule, weightDecay: 0.1 });
  run(first, firstOpt, 4);
  const savedModel = first.stateDict();
  const savedOpt = firstOpt.state();
  const resumed = new TinyLm(config, new Rng(99));
  resumed.loadStateDict(savedModel);
  const resumedOpt = new AdamW(resumed.namedParameters(), { lr: schedule, weightDecay: 0.1 });
  resumedOpt.loadState(savedOpt);
  assert.equal(resumedOpt.steps, 4);
  run(resumed, resumedOpt, 6);

  const expected = straight.stateDict();
  for (const [name, entry] of Object.entries(resumed.stateDict())) assert.deepEqual(entry.data, expected[name]!.data, name);
  assert.throws(
    () => resumedOpt.loadState({ step: 1, buffers: new Map([['no.such.param', new Map()]]) }),
    /optimizer loadState: state has buffers for no.such.param, which this optimizer does not update/,
  );
  const name = resumed.namedParameters()[0]![0];
  const m = savedOpt.buffers.get(name)!.get('m')!;
  assert.throws(
    () => resumedOpt.loadState({ step: 1, buffers: new Map([[name, new Map([['m', m], ['v', m], ['__proto__', m]])]]) }),
    new RegExp(`optimizer loadState: ${name.replace(/\./g, '\\.')} has a buffer '__proto__' this optimizer does not keep \\(it keeps m, v\\)`),
  );
  assert.throws(() => resumedOpt.loadState({ step: -5, buffers: new Map() }), /optimizer loadState: step must be a non-negative integer, got -5/);
  assert.equal(Object.getOwnPropertyNames(Object.prototype).includes('m'), false);
  for (const m of [straight, first, resumed]) m.dispose();
});
