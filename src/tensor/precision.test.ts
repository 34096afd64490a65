// The matmul precision scope: bf16 forward and backward GEMMs on every backend, checked against the ref backend's
// exact bf16 reference (inputs rounded to bf16, products summed in float64), and the scope's own rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MatmulParams } from './backend.js';
import { availableBackends, withBackend } from './backends/index.js';
import { refBackend } from './backends/ref.js';
import { roundToBf16 } from './bf16.js';
import { grad } from './autograd.js';
import { linearCrossEntropy } from './ops/linearCrossEntropy.js';
import { matmul } from './ops/matmul.js';
import { mul } from './ops/elementwise.js';
import { sum } from './ops/reduce.js';
import { matmulPrecision, withMatmulPrecision } from './precision.js';
import { Rng } from './random.js';
import { tidy } from './scope.js';
import { tensor } from './tensor.js';

const rng = new Rng(5);
/** Values spread over three decades, few of them bf16-exact. */
const values = (n: number): Float32Array => Float32Array.from({ length: n }, () => (rng.uniform() - 0.5) * 10 ** (rng.uniform() * 3 - 1));

/** The ref backend's bf16 product of host arrays. */
function refProduct(a: Float32Array, b: Float32Array, p: MatmulParams): Float32Array {
  const out = new Float32Array(p.batch * p.m * p.n);
  refBackend.matmul(a, b, out, { ...p, precision: 'bf16' });
  return out;
}

/** |actual - expected| <= tol * (1 + |expected|) everywhere: fp32 sums of k exact bf16 products against float64 ones. */
function assertClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i]!;
    assert.ok(Math.abs(actual[i]! - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: ${actual[i]} vs ${e}`);
  }
}

for (const backend of availableBackends()) {
  for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    test(`bf16 matmul forward and both backward GEMMs match the ref bf16 reference (${backend.name}, transA ${transA}, transB ${transB})`, () => {
      withBackend(backend, () => tidy(() => {
        const [m, k, n] = [7, 37, 19];
        const aData = values(m * k);
        const bData = values(k * n);
        const dyData = values(m * n);
        const a = tensor(aData, transA ? [k, m] : [m, k]).requireGrad();
        const b = tensor(bData, transB ? [n, k] : [k, n]).requireGrad();
        const dy = tensor(dyData, [m, n]);
        const options = { transA, transB };
        const forward = withMatmulPrecision('bf16', () => matmul(a, b, options)).toArray();
        assertClose(forward, refProduct(aData, bData, { batch: 1, m, n, k, transA, transB }), 1e-5, 'forward');
        // Recorded inside the scope, differentiated outside it: the backward keeps the forward's precision.
        const y = withMatmulPrecision('bf16', () => matmul(a, b, options));
        sum(mul(y, dy)).backward();
        const [dA, dB] = [a.grad, b.grad];
        // dA = dy @ op(B)^T (stored transposed when transA); dB = op(A)^T @ dy (stored transposed when transB).
        const expectedDA = transA
          ? refProduct(bData, dyData, { batch: 1, m: k, n: m, k: n, transA: transB, transB: true })
          : refProduct(dyData, bData, { batch: 1, m, n: k, k: n, transA: false, transB: !transB });
        const expectedDB = transB
          ? refProduct(dyData, aData, { batch: 1, m: n, n: k, k: m, transA: true, transB: transA })
          : refProduct(aData, dyData, { batch: 1, m: k, n, k: m, transA: !transA, transB: false });
        assertClose(dA!.toArray(), expectedDA, 1e-5, 'dA');
        assertClose(dB!.toArray(), expectedDB, 1e-5, 'dB');
      }));
    });
  }

  test(`bf16 matmul of a batch by a broadcast weight: forward and gradients match the ref bf16 reference (${backend.name})`, () => {
    withBackend(backend, () => tidy(() => {
      const [batch, m, k, n] = [3, 5, 33, 17];
      const xData = values(batch * m * k);
      const wData = values(n * k);
      const dyData = values(batch * m * n);
      const x = tensor(xData, [batch, m, k]).requireGrad();
      const w = tensor(wData, [n, k]).requireGrad();
      const y = withMatmulPrecision('bf16', () => matmul(x, w, { transB: true }));
      assertClose(y.toArray(), refProduct(xData, wData, { batch, m, n, k, transA: false, transB: true, strideB: 0 }), 1e-5, 'forward');
      sum(mul(y, tensor(dyData, [batch, m, n]))).backward();
      const [dX, dW] = [x.grad, w.grad];
      assertClose(dX!.toArray(), refProduct(dyData, wData, { batch, m, n: k, k: n, transA: false, transB: false, strideB: 0 }), 1e-5, 'dX');
      // The weight's gradient sums over the batch: one GEMM over all batch * m rows.
      assertClose(dW!.toArray(), refProduct(dyData, xData, { batch: 1, m: n, n: k, k: batch * m, transA: true, transB: false }), 1e-5, 'dW');
    }));
  });
}

for (const backend of availableBackends()) {
  test(`the fused LM head under bf16: loss and gradients match the ref bf16 kernel, and differ from fp32 (${backend.name})`, () => {
    withBackend(backend, () => tidy(() => {
      const [rows, dim, vocab] = [6, 20, 50];
      const hData = values(rows * dim);
      const wData = values(vocab * dim);
      const targets = Int32Array.from({ length: rows }, (_, r) => (r * 7) % vocab);
      const run = (precision: 'fp32' | 'bf16') => {
        const hidden = tensor(hData, [rows, dim]).requireGrad();
        const weight = tensor(wData, [vocab, dim]).requireGrad();
        // Recorded inside the scope, differentiated outside it.
        const loss = withMatmulPrecision(precision, () => linearCrossEntropy(hidden, weight, targets, { chunk: 16 }));
        const value = loss.item();
        loss.backward();
        return { value, dHidden: hidden.grad!.toArray(), dWeight: weight.grad!.toArray() };
      };
      const bf16 = run('bf16');
      const p = { rows, dim, vocab, ignoreIndex: -100, chunk: 16, precision: 'bf16' } as const;
      const expected = { dHidden: new Float32Array(rows * dim), dWeight: new Float32Array(vocab * dim) };
      const lse = new Float32Array(rows);
      const { loss, weightTotal } = refBackend.linearCrossEntropy(hData, wData, targets, lse, p);
      refBackend.linearCrossEntropyBackward(hData, wData, targets, lse, 1 / weightTotal, expected.dHidden, expected.dWeight, p);
      assert.ok(Math.abs(bf16.value - loss / weightTotal) <= 1e-4 * (1 + Math.abs(bf16.value)), `loss ${bf16.value} vs ${loss / weightTotal}`);
      assertClose(bf16.dHidden, expected.dHidden, 2e-4, 'dHidden');
      assertClose(bf16.dWeight, expected.dWeight, 2e-4, 'dWeight');
      assert.notEqual(run('fp32').value, bf16.value, 'the fp32 and bf16 losses are identical: the scope did not reach the head');
    }));
  });
}

test('bf16 gradients stay within bf16 rounding of the fp32 ones, and differ from them', () => {
  tidy(() => {
    const a = tensor(values(8 * 64), [8, 64]);
    const b = tensor(values(64 * 8), [64, 8]);
    const loss = () => sum(mul(matmul(a, b), matmul(a, b)));
    const [fp32] = grad(loss, [a]);
    const [bf16] = withMatmulPrecision('bf16', () => grad(loss, [a]));
    const exact = fp32!.toArray();
    const rounded = bf16!.toArray();
    const scaleOf = Math.max(...exact.map(Math.abs));
    let differs = false;
    for (let i = 0; i < exact.length; i++) {
      // Operands carry a relative error of at most 2^-9 each, over a few chained products.
      assert.ok(Math.abs(rounded[i]! - exact[i]!) <= 2 ** -5 * scaleOf, `dA[${i}]: ${rounded[i]} vs ${exact[i]}`);
      differs ||= rounded[i] !== exact[i];
    }
    assert.ok(differs, 'bf16 rounding changed nothing: the scope did not reach the matmuls');
  });
});

test('an explicit precision overrides the scope: a reduction through a 0/1 matrix stays exact under bf16', () => {
  tidy(() => {
    const picks = tensor([1, 1, 1], [1, 3]);
    const x = tensor([1.001, 2.003, 3.007], [3, 1]);
    const exact = withMatmulPrecision('bf16', () => matmul(picks, x, { precision: 'fp32' })).item();
    assert.equal(exact, Math.fround(Math.fround(1.001 + 2.003) + 3.007));
    const rounded = withMatmulPrecision('bf16', () => matmul(picks, x)).item();
    assert.equal(rounded, roundToBf16(1.001) + roundToBf16(2.003) + roundToBf16(3.007));
  });
});

test('withMatmulPrecision nests, restores the precision when fn throws, and refuses an unknown precision', () => {
  assert.equal(matmulPrecision(), 'fp32');
  withMatmulPrecision('bf16', () => {
    assert.equal(matmulPrecision(), 'bf16');
    withMatmulPrecision('fp32', () => assert.equal(matmulPrecision(), 'fp32'));
    assert.equal(matmulPrecision(), 'bf16');
  });
  assert.throws(() => withMatmulPrecision('bf16', () => { throw new Error('inside'); }), /inside/);
  assert.equal(matmulPrecision(), 'fp32');
  assert.throws(() => withMatmulPrecision('fp16' as 'bf16', () => 0), /precision must be one of fp32, bf16, got "fp16"/);
  assert.throws(() => withMatmulPrecision('bf16', async () => 0), /cannot span an await/);
  assert.equal(matmulPrecision(), 'fp32');
});
