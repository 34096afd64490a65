// Finite-difference gradient checks of every op, on every available backend (tolerances: see testing/gradcheck.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UnaryOp } from '../backend.js';
import { availableBackends, withBackend } from '../backends/index.js';
import { Rng } from '../random.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { empty, ids, tensor, uniform } from '../tensor.js';
import { record } from '../autograd.js';
import { addInto } from './common.js';
import { assertGradcheck } from '../testing/gradcheck.js';
import { attention } from './attention.js';
import { crossEntropy } from './crossEntropy.js';
import { dropout } from './dropout.js';
import { add, div, mul, scale, sub } from './elementwise.js';
import { embedding } from './embedding.js';
import { layernorm } from './layernorm.js';
import { concat, permute, reshape, slice, transpose } from './layout.js';
import { linearCrossEntropy, linearTargetLogProbs } from './linearCrossEntropy.js';
import { matmul } from './matmul.js';
import { mean, sum } from './reduce.js';
import { rmsnorm } from './rmsnorm.js';
import { rope, ropeInvFreq } from './rope.js';
import { logSoftmax, softmax } from './softmax.js';
import { swiglu } from './swiglu.js';
import { unary } from './unary.js';

const rng = new Rng(42);
const rand = (shape: number[], low = -1, high = 1): Tensor => uniform(shape, rng, low, high);

interface Case {
  readonly name: string;
  readonly fn: (...xs: Tensor[]) => Tensor;
  readonly inputs: () => Tensor[];
}

const unaryDomains: Record<UnaryOp, [number, number]> = {
  neg: [-2, 2], exp: [-2, 2], log: [0.5, 2], sqrt: [0.5, 2], rsqrt: [0.5, 2], square: [-2, 2], silu: [-3, 3],
  gelu: [-3, 3], relu: [0.1, 2], tanh: [-2, 2], sigmoid: [-3, 3],
};

const targets = Int32Array.from([2, 0, -100, 4, 1, 3]);
const rowWeights = Float32Array.from([1, 0.5, 1, 2, 0, 1.5]);

/** rows random probability distributions over `classes` classes, row-major. */
function rowDistributions(rows: number, classes: number): Float32Array {
  const q = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    let total = 0;
    for (let k = 0; k < classes; k++) total += q[r * classes + k] = 0.1 + rng.uniform();
    for (let k = 0; k < classes; k++) q[r * classes + k]! /= total;
  }
  return q;
}
const teacherRows = rowDistributions(6, 3);

const cases: Case[] = [
  { name: 'matmul (2,3,4)@(2,4,5)', fn: (a, b) => matmul(a!, b!), inputs: () => [rand([2, 3, 4]), rand([2, 4, 5])] },
  { name: 'matmul transA transB batched', fn: (a, b) => matmul(a!, b!, { transA: true, transB: true }), inputs: () => [rand([2, 4, 3]), rand([2, 5, 4])] },
  { name: 'matmul transA', fn: (a, b) => matmul(a!, b!, { transA: true }), inputs: () => [rand([4, 3]), rand([4, 5])] },
  { name: 'matmul linear layout (2,3,4)@W(5,4)^T', fn: (a, b) => matmul(a!, b!, { transB: true }), inputs: () => [rand([2, 3, 4]), rand([5, 4])] },
  { name: 'matmul broadcast B with transA', fn: (a, b) => matmul(a!, b!, { transA: true }), inputs: () => [rand([2, 4, 3]), rand([4, 5])] },
  { name: 'matmul broadcast A', fn: (a, b) => matmul(a!, b!), inputs: () => [rand([3, 4]), rand([2, 4, 5])] },
  { name: 'add with suffix broadcast', fn: (a, b) => add(a!, b!), inputs: () => [rand([2, 3, 4]), rand([3, 4])] },
  { name: 'sub with suffix broadcast', fn: (a, b) => sub(a!, b!), inputs: () => [rand([2, 3, 4]), rand([4])] },
  { name: 'mul with scalar tensor', fn: (a, b) => mul(a!, b!), inputs: () => [rand([3, 4]), rand([1])] },
  { name: 'mul broadcast operand first', fn: (a, b) => mul(a!, b!), inputs: () => [rand([4]), rand([3, 4])] },
  { name: 'div with suffix broadcast', fn: (a, b) => div(a!, b!), inputs: () => [rand([2, 5]), rand([5], 0.5, 2)] },
  { name: 'scale', fn: (a) => scale(a!, -2.5), inputs: () => [rand([7])] },
  ...(Object.keys(unaryDomains) as UnaryOp[]).map((op) => ({
    name: `unary ${op}`, fn: (a: Tensor | undefined) => unary(op, a!), inputs: () => [rand([9], ...unaryDomains[op])],
  })),
  { name: 'reshape', fn: (a) => mul(reshape(a!, [3, -1]), reshape(a!, [3, 4])), inputs: () => [rand([2, 6])] },
  { name: 'permute', fn: (a) => permute(a!, [2, 0, 1]), inputs: () => [rand([2, 3, 4])] },
  { name: 'transpose', fn: (a) => transpose(a!, 0, 1), inputs: () => [rand([2, 3, 4])] },
  { name: 'slice middle axis', fn: (a) => slice(a!, 1, 1, 3), inputs: () => [rand([2, 4, 3])] },
  { name: 'concat last axis', fn: (a, b) => concat([a!, b!, a!], -1), inputs: () => [rand([2, 3]), rand([2, 2])] },
  { name: 'sum all', fn: (a) => sum(a!), inputs: () => [rand([3, 4])] },
  { name: 'sum middle axis', fn: (a) => sum(a!, { axis: 1 }), inputs: () => [rand([2, 3, 4])] },
  { name: 'mean last axis keepDims', fn: (a) => mean(a!, { axis: -1, keepDims: true }), inputs: () => [rand([2, 3, 4])] },
  { name: 'embedding (repeated ids)', fn: (t) => embedding(t!, ids([1, 3, 1, 0], [2, 2])), inputs: () => [rand([4, 3])] },
  { name: 'rmsnorm', fn: (x, w) => rmsnorm(x!, w!, 1e-5), inputs: () => [rand([3, 6]), rand([6], 0.5, 1.5)] },
  { name: 'layernorm with bias', fn: (x, w, b) => layernorm(x!, w!, b!, 1e-5), inputs: () => [rand([3, 6]), rand([6], 0.5, 1.5), rand([6])] },
  { name: 'layernorm without bias', fn: (x, w) => layernorm(x!, w!, null, 1e-5), inputs: () => [rand([2, 5]), rand([5], 0.5, 1.5)] },
  { name: 'softmax', fn: (x) => softmax(x!), inputs: () => [rand([3, 5], -2, 2)] },
  { name: 'logSoftmax', fn: (x) => logSoftmax(x!), inputs: () => [rand([3, 5], -2, 2)] },
  { name: 'swiglu', fn: (g, u) => swiglu(g!, u!), inputs: () => [rand([8], -3, 3), rand([8])] },
  { name: 'dropout (seeded mask)', fn: (x) => dropout(x!, { p: 0.3, rng: new Rng(5), training: true }), inputs: () => [rand([12])] },
  {
    name: 'rope (theta 10000, start 3)',
    fn: (x) => rope(x!, { invFreq: ropeInvFreq(4, 10000), startPosition: 3 }),
    inputs: () => [rand([1, 2, 3, 4])],
  },
  {
    name: 'rope with explicit per-row positions',
    fn: (x) => rope(x!, { invFreq: ropeInvFreq(4, 500), positions: Int32Array.from([0, 0, 1, 7, 8, 9]) }),
    inputs: () => [rand([2, 1, 3, 4])],
  },
  {
    name: 'attention causal with a key prefix (tq 2, tk 4)',
    fn: (q, k, v) => attention(q!, k!, v!),
    inputs: () => [rand([1, 2, 2, 4], -2, 2), rand([1, 1, 4, 4], -2, 2), rand([1, 1, 4, 4])],
  },
  {
    name: 'attention causal grouped kv',
    fn: (q, k, v) => attention(q!, k!, v!),
    inputs: () => [rand([1, 4, 3, 4], -2, 2), rand([1, 2, 3, 4], -2, 2), rand([1, 2, 3, 4])],
  },
  {
    name: 'attention not causal with more keys than queries',
    fn: (q, k, v) => attention(q!, k!, v!, { causal: false }),
    inputs: () => [rand([2, 2, 2, 4], -2, 2), rand([2, 1, 5, 4], -2, 2), rand([2, 1, 5, 4])],
  },
  {
    name: 'crossEntropy with ignoreIndex and weights',
    fn: (l) => crossEntropy(l!, targets, { weights: rowWeights }),
    inputs: () => [rand([6, 5], -2, 2)],
  },
  {
    name: 'linearCrossEntropy with ignoreIndex and weights',
    fn: (h, w) => linearCrossEntropy(h!, w!, targets, { weights: rowWeights, chunk: 2 }),
    inputs: () => [rand([6, 3]), rand([5, 3])],
  },
  {
    name: 'linearCrossEntropy with label smoothing',
    fn: (h, w) => linearCrossEntropy(h!, w!, targets, { weights: rowWeights, chunk: 2, labelSmoothing: 0.2 }),
    inputs: () => [rand([6, 3]), rand([5, 3])],
  },
  {
    name: 'linearCrossEntropy with label smoothing over classes 1..3',
    fn: (h, w) => linearCrossEntropy(h!, w!, targets, { chunk: 2, labelSmoothing: 0.3, smoothingClasses: { start: 1, end: 4 } }),
    inputs: () => [rand([6, 3]), rand([5, 3])],
  },
  {
    name: 'linearCrossEntropy with per-row smoothing targets over classes 1..3 (distillation)',
    fn: (h, w) => linearCrossEntropy(h!, w!, targets, { chunk: 2, labelSmoothing: 0.5, smoothingClasses: { start: 1, end: 4 }, smoothingTargets: teacherRows }),
    inputs: () => [rand([6, 3]), rand([5, 3])],
  },
  {
    name: 'linearTargetLogProbs per row with ignoreIndex',
    fn: (h, w) => linearTargetLogProbs(h!, w!, targets, { chunk: 2 }),
    inputs: () => [rand([6, 3]), rand([5, 3])],
  },
];

for (const backend of availableBackends()) {
  for (const c of cases) {
    test(`${backend.name}: gradient of ${c.name} matches finite differences`, () => {
      withBackend(backend, () =>
        tidy(() => {
          const result = assertGradcheck(c.name, c.fn, c.inputs());
          assert.ok(result.checked > 0);
        }),
      );
    });
  }
}

test('an op whose backward is wrong fails the gradient check, naming the element and both values', () => {
  // out = 2x, but the recorded backward claims d out / dx = 3.
  const badDouble = (x: Tensor): Tensor => {
    const out = empty(x.shape);
    out.backend.axpby(2, x.storage, 0, out.storage, x.size);
    record(out, 'badDouble', [x], (dy, grads) => addInto(grads(0)!, dy, 3));
    return out;
  };
  tidy(() => {
    assert.throws(
      () => assertGradcheck('badDouble', (x) => badDouble(x!), [tensor([1, 2, 3])]),
      /gradcheck badDouble: 3 of 3 gradient elements differ\n  input 0 \(3\) \[0\]: analytic -?[0-9.]+, numeric -?[0-9.]+/,
    );
  });
});
