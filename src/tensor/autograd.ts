/**
 * Reverse-mode automatic differentiation.
 *
 * Each op that sees an input requiring grad records a `GradNode` on its output: the inputs, the tensors saved for
 * the backward pass, and a backward function (written beside the forward in src/tensor/ops). `backward()` orders
 * the recorded graph topologically (the tape, read from the end), and calls each node's backward with the
 * gradient of its output and a way to reach the gradient buffers of its inputs; backward functions add into those
 * buffers (kernels with accumulate), so several uses of one tensor sum their contributions. Leaves accumulate into
 * `.grad` across backward calls until the optimizer zeroes them.
 */
import type { Tensor } from './tensor.js';
import { ones, zeros } from './tensor.js';
import { adopt, keep, tidy, untracked } from './scope.js';
import { ScopedValue } from '../util/scoped-value.js';

/** Returns the gradient buffer of input i (zero-initialised on first use), or null if it needs no gradient. */
export type GradSlot = (inputIndex: number) => Tensor | null;

/** Adds the gradient of the op's inputs, given dy (the gradient of its output), into the slots. */
export type BackwardFn = (dy: Tensor, grads: GradSlot) => void;

export class GradNode {
  private fn: BackwardFn | null;
  private saved: Tensor[];
  private inputList: readonly Tensor[];

  constructor(
    readonly op: string,
    inputs: readonly Tensor[],
    fn: BackwardFn,
    saved: Tensor[],
  ) {
    this.inputList = inputs;
    this.fn = fn;
    this.saved = saved;
  }

  get inputs(): readonly Tensor[] {
    return this.inputList;
  }

  get released(): boolean {
    return this.fn === null;
  }

  run(dy: Tensor, grads: GradSlot): void {
    if (this.fn === null) {
      throw new Error(`backward: the graph through ${this.op} was already released by an earlier backward() or dispose()`);
    }
    this.fn(dy, grads);
  }

  /** Frees what the backward pass needed: the saved tensors and the references to the inputs. */
  release(): void {
    for (const t of this.saved) t.dispose();
    this.saved = [];
    this.inputList = [];
    this.fn = null;
  }
}

const recording = new ScopedValue(true);

export function isGradEnabled(): boolean {
  return recording.value;
}

/** Runs fn without recording any graph (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  return recording.run(false, fn);
}

/** Whether an op on these inputs would be recorded: grad is enabled and one of them requires grad. Ops check it
 * before making their backward, which costs an allocation per call where nothing is recorded. */
export function isRecording(a: Tensor, b?: Tensor): boolean {
  return recording.value && (a.requiresGrad || (b?.requiresGrad ?? false));
}

/**
 * Records an op on `out` if grad is enabled and any input requires grad. `saved` are tensors created by the op
 * only for its backward pass (normalisation statistics, log-sum-exps): the node owns them, and they are disposed
 * at once when nothing is recorded. Returns whether the op was recorded.
 */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: BackwardFn, saved: Tensor[] = []): boolean {
  if (!recording.value || !inputs.some((t) => t.requiresGrad)) {
    for (const t of saved) t.dispose();
    return false;
  }
  for (const t of saved) keep(t);
  out.requiresGrad = true;
  out.node = new GradNode(op, inputs, backward, saved);
  return true;
}

/** Tensors reachable from root through recorded nodes, inputs before the tensors computed from them. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative post-order DFS: deep graphs (hundreds of layers x ops) would overflow a recursive one.
  const stack: { t: Tensor; expanded: boolean }[] = [{ t: root, expanded: false }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.expanded) {
      order.push(top.t);
      continue;
    }
    if (visited.has(top.t)) continue;
    visited.add(top.t);
    stack.push({ t: top.t, expanded: true });
    for (const input of top.t.node?.inputs ?? []) {
      if (input.requiresGrad && !visited.has(input)) stack.push({ t: input, expanded: false });
    }
  }
  return order;
}

/** Adds src into the leaf's .grad (creating it on first use). */
function accumulateLeafGrad(leaf: Tensor, src: Tensor): void {
  if (leaf.grad === null) {
    leaf.grad = untracked(() => zerosLike(leaf));
  }
  leaf.grad.backend.axpby(1, src.storage, 1, leaf.grad.storage, leaf.size);
}

function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape);
}

export function runBackward(root: Tensor, seed?: Tensor): void {
  if (!root.requiresGrad) {
    throw new Error('backward: this tensor does not require grad (no input of its computation requires grad, or it was computed under noGrad)');
  }
  if (seed === undefined && root.size !== 1) {
    throw new Error(`backward: a seed gradient is required for a non-scalar tensor of shape (${root.shape.join(',')})`);
  }
  if (seed !== undefined && seed.shape.join(',') !== root.shape.join(',')) {
    throw new Error(`backward: seed shape (${seed.shape.join(',')}) differs from tensor shape (${root.shape.join(',')})`);
  }
  if (root.node === null) {
    const s = seed ?? untracked(() => ones(root.shape));
    accumulateLeafGrad(root, s);
    if (seed === undefined) s.dispose();
    return;
  }
  const order = topologicalOrder(root);
  // Gradients of intermediate tensors; leaves accumulate into .grad directly.
  const grads = new Map<Tensor, Tensor>();
  grads.set(root, untracked(() => {
    const g = ones(root.shape);
    if (seed !== undefined) g.backend.copy(seed.storage, 0, g.storage, 0, g.size);
    return g;
  }));
  const slotFor = (node: GradNode): GradSlot => (i) => {
    const input = node.inputs[i];
    if (input === undefined || !input.requiresGrad) return null;
    if (input.disposed) {
      throw new Error(`backward through ${node.op}: its input (${input.shape.join(',')}) was disposed (by tidy or dispose()) before backward`);
    }
    if (input.node === null) {
      if (input.grad === null) input.grad = untracked(() => zerosLike(input));
      return input.grad;
    }
    let g = grads.get(input);
    if (g === undefined) {
      g = untracked(() => zerosLike(input));
      grads.set(input, g);
    }
    return g;
  };
  try {
    noGrad(() => {
      for (let i = order.length - 1; i >= 0; i--) {
        const t = order[i]!;
        const node = t.node;
        if (node === null) continue;
        const dy = grads.get(t);
        if (dy === undefined) continue;
        try {
          tidy(() => node.run(dy, slotFor(node)));
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          throw new Error(message.startsWith('backward') ? message : `backward through ${node.op}: ${message}`);
        }
        grads.delete(t);
        dy.dispose();
        node.release();
      }
    });
    // Every leaf the loss depends on gets a gradient, zero where no path carried one (all rows ignored, say).
    for (const t of order) {
      if (t.node === null && t.requiresGrad && t.grad === null) t.grad = untracked(() => zerosLike(t));
    }
  } finally {
    for (const g of grads.values()) g.dispose();
  }
}

/**
 * MLX-style value-and-grad: runs lossFn (which returns a scalar tensor) in a tidy scope, backpropagates, and
 * returns the loss value. Gradients accumulate into `.grad` of every leaf that requires grad (the parameters);
 * every intermediate is disposed.
 */
export function valueAndGrad(lossFn: () => Tensor): number {
  return tidy(() => {
    const loss = lossFn();
    loss.backward();
    return loss.item();
  });
}

/**
 * Gradients of the scalar fn with respect to `wrt` (leaves), returned as new tensors owned by the current scope;
 * the leaves' own `.grad` are left as they were. Used by gradient checks and by code that wants gradients as values.
 */
export function grad(fn: () => Tensor, wrt: readonly Tensor[]): Tensor[] {
  const previous = wrt.map((t) => ({ grad: t.grad, requiresGrad: t.requiresGrad }));
  for (const t of wrt) {
    t.grad = null;
    t.requiresGrad = true;
  }
  try {
    valueAndGrad(fn);
    return wrt.map((t) => (t.grad === null ? zerosLike(t) : adopt(t.grad)));
  } finally {
    wrt.forEach((t, i) => {
      t.grad = previous[i]!.grad;
      t.requiresGrad = previous[i]!.requiresGrad;
    });
  }
}
