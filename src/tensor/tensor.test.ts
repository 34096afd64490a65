import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, grad, valueAndGrad } from './autograd.js';
import { add, mul, scale } from './ops/elementwise.js';
import { reshape } from './ops/layout.js';
import { sum } from './ops/reduce.js';
import { Rng } from './random.js';
import { keep, liveTensorCount, tidy } from './scope.js';
import { ids, ones, randn, tensor, zeros } from './tensor.js';

test('factories build tensors with the given shape and values', () => {
  tidy(() => {
    const t = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.size, 6);
    assert.deepEqual(t.toNested(), [[1, 2, 3], [4, 5, 6]]);
    assert.equal(tensor(2.5).item(), 2.5);
    assert.deepEqual([...zeros([3]).toArray()], [0, 0, 0]);
    assert.deepEqual([...ones([2]).toArray()], [1, 1]);
    assert.deepEqual([...randn([4], new Rng(9)).toArray()], [...randn([4], new Rng(9)).toArray()]);
  });
});

test('malformed construction names the problem', () => {
  assert.throws(() => tensor([1, 2, 3], [2, 2]), /tensor: 3 values do not fill shape \(2,2\) \(4 elements\)/);
  assert.throws(() => zeros([2, -1]), /invalid shape \(2,-1\): sizes must be non-negative integers/);
  assert.throws(() => ids([1, 2.5]), /ids: value 2.5 is not an integer/);
  assert.throws(() => tidy(() => tensor([1, 2]).item()), /item: tensor \(2\) has 2 elements, expected 1/);
});

test('reshape of a contiguous tensor is a view over the same storage', () => {
  tidy(() => {
    const t = tensor([1, 2, 3, 4], [2, 2]);
    const v = reshape(t, [4]);
    assert.equal(v.storage, t.storage);
    assert.throws(() => reshape(t, [3]), /reshape: cannot reshape \(2,2\) \(4 elements\) to \(3\)/);
  });
});

test('a disposed tensor cannot be used and says so', () => {
  const t = tensor([1, 2]);
  t.dispose();
  assert.equal(t.disposed, true);
  assert.throws(() => t.toArray(), /tensor \(2\) was used after dispose\(\)/);
  t.dispose(); // idempotent
});

test('tidy disposes intermediates, keeps returned tensors (also inside arrays and objects) and kept ones', () => {
  const before = liveTensorCount();
  let kept = zeros([1]);
  const result = tidy(() => {
    const a = tensor([1, 2]);
    const b = mul(a, a);
    kept = keep(add(b, 1));
    return { total: sum(b), parts: [b] };
  });
  assert.equal(result.total.item(), 5);
  assert.equal(liveTensorCount(), before + 3 + 1); // total, b, kept, plus the zeros placeholder
  result.total.dispose();
  result.parts[0]!.dispose();
  kept.dispose();
  assert.equal(liveTensorCount(), before + 1);
});

test('tidy disposes everything when fn throws', () => {
  const before = liveTensorCount();
  assert.throws(() => tidy(() => {
    tensor([1]);
    throw new Error('boom');
  }), /boom/);
  assert.equal(liveTensorCount(), before);
});

test('backward accumulates into .grad across calls until cleared', () => {
  const x = keep(tensor([1, 2, 3]).requireGrad());
  tidy(() => sum(mul(x, x)).backward());
  assert.deepEqual([...x.grad!.toArray()], [2, 4, 6]);
  tidy(() => sum(scale(x, 3)).backward());
  assert.deepEqual([...x.grad!.toArray()], [5, 7, 9]);
  x.dispose();
});

test('a tensor used twice receives the sum of both gradient paths', () => {
  tidy(() => {
    const x = tensor([2]).requireGrad();
    // y = x * x + 3x: dy/dx = 2x + 3 = 7
    const [g] = grad(() => sum(add(mul(x, x), scale(x, 3))), [x]);
    assert.deepEqual([...g!.toArray()], [7]);
  });
});

test('backward with a seed gradient on a non-scalar; without one it is refused', () => {
  tidy(() => {
    const x = tensor([1, 2]).requireGrad();
    const y = scale(x, 2);
    assert.throws(() => y.backward(), /backward: a seed gradient is required for a non-scalar tensor of shape \(2\)/);
    y.backward(tensor([10, 100]));
    assert.deepEqual([...x.grad!.toArray()], [20, 200]);
  });
});

test('noGrad records nothing, and backward on an unrecorded result explains why it cannot run', () => {
  tidy(() => {
    const x = tensor([1]).requireGrad();
    const y = noGrad(() => mul(x, x));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.node, null);
    assert.throws(() => y.backward(), /backward: this tensor does not require grad/);
  });
});

test('a graph is released by backward: a second backward through it is refused', () => {
  tidy(() => {
    const x = tensor([1]).requireGrad();
    const y = sum(mul(x, x));
    y.backward();
    assert.throws(() => y.backward(), /backward: the graph through sum was already released/);
  });
});

test('backward after tidy disposed the intermediates names the op and the disposed tensor', () => {
  const x = keep(tensor([1, 2]).requireGrad());
  const loss = tidy(() => sum(mul(reshape(x, [2, 1]), 2)));
  assert.throws(() => loss.backward(), /backward through sum: its input \(2,1\) was disposed \(by tidy or dispose\(\)\) before backward/);
  loss.dispose();
  x.dispose();
});

test('valueAndGrad returns the loss value and leaves no tensor behind', () => {
  const w = keep(tensor([3]).requireGrad());
  const before = liveTensorCount();
  const value = valueAndGrad(() => sum(mul(w, w)));
  assert.equal(value, 9);
  assert.equal(liveTensorCount(), before + 1); // w.grad
  assert.deepEqual([...w.grad!.toArray()], [6]);
  w.dispose();
});
