/**
 * The kernel table: every compute kernel of `Backend` (backend.ts) with its arguments, declared once.
 *
 * A backend call such as `matmul(a, b, out, p)` crosses into native code as one flat, typed argument list (the
 * "wire" list): storage and typed arrays by reference, params objects field by field, op names as codes, optional
 * fields replaced by their defaults. `wireArguments` derives that list from this table for any kernel, the native
 * CPU backend (backends/cpu.ts) binds one generic call path per kernel from it, and the addon (native/binding.cc)
 * checks at load that its handlers take exactly these kinds, in this order, and names arguments in its errors by the
 * names given here. A further native backend reuses the same table and call path and implements kernels only.
 *
 * Adding a kernel: declare its method in `Backend` (backend.ts), add one entry here, implement it in ref.ts, and for
 * the native backend add its handler and one registry line in native/binding.cc plus the kernel itself (native/README.md).
 */
import type { Backend, Storage } from './backend.js';
import { MATMUL_PRECISIONS } from './precision.js';
// The quantized types pass as their index in QUANT_TYPES (native/quant.h QuantType).
import { QUANT_TYPES } from './quant.js';

/**
 * How one argument crosses into native code. f32 is a Float32Array (storage or a host array), i32 an Int32Array
 * (ids, targets, positions), u8 a Uint8Array (quantized weight blocks); a trailing `?` allows null. count is an integer >= 0, positive one >= 1, integer any
 * integer; counts / integers are arrays of those. The addon checks each kind before a kernel runs.
 */
export type WireKind = 'f32' | 'f32?' | 'i32' | 'i32?' | 'u8' | 'count' | 'positive' | 'integer' | 'number' | 'bool' | 'counts' | 'integers';

/** What a kernel returns to JavaScript: nothing, a number, or the `{ loss, weightTotal }` of a loss kernel. */
export type WireResult = 'void' | 'number' | 'totals';

/** The value an omitted optional argument takes: a constant, or computed from its params object (or, for a
 * top-level argument, from the call's earlier arguments by name). */
export type Fallback = number | boolean | null | ((scope: Readonly<Record<string, unknown>>) => number);

/** One argument, or one field of a params object: `name` is a property path for fields ('smoothingClasses.end'). */
export interface Param {
  readonly name: string;
  readonly kind: WireKind;
  /** Present: the argument is optional and takes this when undefined. */
  readonly fallback?: Fallback;
  /** An op name passed as its index in this list (kind count); a fallback is then the index of the default name. */
  readonly codes?: readonly string[];
}

/** A params object (MatmulParams, AttentionParams, ...) passed field by field, in this order. */
export interface ParamsObject {
  readonly name: string;
  readonly fields: readonly Param[];
}

export interface KernelSpec {
  /** The Backend method's arguments, in order. */
  readonly args: readonly (Param | ParamsObject)[];
  readonly returns: WireResult;
}

const BINARY_OPS = ['add', 'sub', 'mul', 'div'] as const;
const UNARY_OPS = ['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'silu', 'gelu', 'relu', 'tanh', 'sigmoid'] as const;

function p(name: string, kind: WireKind, fallback?: Fallback): Param {
  return fallback === undefined ? { name, kind } : { name, kind, fallback };
}
function op(name: string, codes: readonly string[], fallback?: string): Param {
  return fallback === undefined ? { name, kind: 'count', codes } : { name, kind: 'count', codes, fallback: codes.indexOf(fallback) };
}
function fields(name: string, list: readonly Param[]): ParamsObject {
  return { name, fields: list };
}
const num = (scope: Readonly<Record<string, unknown>>, key: string): number => scope[key] as number;

const ATTENTION = fields('p', [
  p('batch', 'count'), p('heads', 'positive'), p('kvHeads', 'positive'), p('tq', 'count'), p('tk', 'count'),
  p('headDim', 'positive'), p('pastLength', 'count'), p('causal', 'bool'), p('scale', 'number'),
  p('kvHeadStride', 'count', (s) => num(s, 'tk') * num(s, 'headDim')),
]);
const CROSS_ENTROPY = fields('p', [
  p('rows', 'count'), p('dim', 'count'), p('vocab', 'positive'), p('ignoreIndex', 'integer'), p('chunk', 'positive'),
  p('rowWeights', 'f32?', null), p('keptLogits', 'f32?', null), p('labelSmoothing', 'number', 0),
  p('smoothingClasses.start', 'count', 0), p('smoothingClasses.end', 'count', (s) => num(s, 'vocab')),
  p('smoothingTargets', 'f32?', null), p('rowLosses', 'f32?', null), p('rowScales', 'f32?', null),
  op('precision', MATMUL_PRECISIONS, 'fp32'),
]);

/** The kernels, by Backend method name. */
export const KERNELS = {
  fill: {
    args: [p('out', 'f32'), p('value', 'number'), p('offset', 'count', 0),
      p('length', 'count', (s) => (s.out as Storage).length - ((s.offset as number | undefined) ?? 0))],
    returns: 'void',
  },
  copy: { args: [p('src', 'f32'), p('srcOffset', 'count'), p('out', 'f32'), p('outOffset', 'count'), p('length', 'count')], returns: 'void' },
  copyStrided: { args: [p('src', 'f32'), p('offset', 'count'), p('shape', 'counts'), p('strides', 'integers'), p('out', 'f32')], returns: 'void' },
  matmul: {
    args: [p('a', 'f32'), p('b', 'f32'), p('out', 'f32'), fields('p', [
      p('batch', 'count'), p('m', 'count'), p('n', 'count'), p('k', 'count'), p('transA', 'bool'), p('transB', 'bool'),
      p('strideA', 'count', (s) => num(s, 'm') * num(s, 'k')), p('strideB', 'count', (s) => num(s, 'k') * num(s, 'n')),
      p('alpha', 'number', 1), p('accumulate', 'bool', false), op('precision', MATMUL_PRECISIONS, 'fp32'),
    ])],
    returns: 'void',
  },
  quantizedMatmul: {
    args: [p('x', 'f32'), p('w', 'u8'), p('out', 'f32'), fields('p', [
      p('m', 'count'), p('n', 'count'), p('k', 'count'), op('type', QUANT_TYPES), p('accumulate', 'bool', false),
    ])],
    returns: 'void',
  },
  binary: { args: [op('op', BINARY_OPS), p('a', 'f32'), p('b', 'f32'), p('out', 'f32'), p('size', 'count'), p('bSize', 'positive')], returns: 'void' },
  unary: { args: [op('op', UNARY_OPS), p('x', 'f32'), p('out', 'f32'), p('size', 'count')], returns: 'void' },
  unaryBackward: {
    args: [op('op', UNARY_OPS), p('x', 'f32'), p('dy', 'f32'), p('dx', 'f32'), p('size', 'count'), p('accumulate', 'bool')],
    returns: 'void',
  },
  axpby: { args: [p('alpha', 'number'), p('x', 'f32'), p('beta', 'number'), p('out', 'f32'), p('size', 'count')], returns: 'void' },
  sumOuter: { args: [p('x', 'f32'), p('out', 'f32'), p('outer', 'count'), p('inner', 'count'), p('accumulate', 'bool')], returns: 'void' },
  sumRows: { args: [p('x', 'f32'), p('out', 'f32'), p('rows', 'count'), p('cols', 'count'), p('accumulate', 'bool')], returns: 'void' },
  sumSquares: { args: [p('x', 'f32'), p('size', 'count')], returns: 'number' },
  swiglu: { args: [p('gate', 'f32'), p('up', 'f32'), p('out', 'f32'), p('size', 'count')], returns: 'void' },
  swigluBackward: {
    args: [p('gate', 'f32'), p('up', 'f32'), p('dy', 'f32'), p('dGate', 'f32'), p('dUp', 'f32'), p('size', 'count'), p('accumulate', 'bool')],
    returns: 'void',
  },
  rmsnorm: {
    args: [p('x', 'f32'), p('weight', 'f32'), p('out', 'f32'), p('rstd', 'f32'), p('rows', 'count'), p('dim', 'count'), p('eps', 'number')],
    returns: 'void',
  },
  rmsnormBackward: {
    args: [p('x', 'f32'), p('weight', 'f32'), p('rstd', 'f32'), p('dy', 'f32'), p('dx', 'f32'), p('dWeight', 'f32?'),
      p('rows', 'count'), p('dim', 'count'), p('accumulate', 'bool')],
    returns: 'void',
  },
  layernorm: {
    args: [p('x', 'f32'), p('weight', 'f32'), p('bias', 'f32?'), p('out', 'f32'), p('mean', 'f32'), p('rstd', 'f32'),
      p('rows', 'count'), p('dim', 'count'), p('eps', 'number')],
    returns: 'void',
  },
  layernormBackward: {
    args: [p('x', 'f32'), p('weight', 'f32'), p('mean', 'f32'), p('rstd', 'f32'), p('dy', 'f32'), p('dx', 'f32'),
      p('dWeight', 'f32?'), p('dBias', 'f32?'), p('rows', 'count'), p('dim', 'count'), p('accumulate', 'bool')],
    returns: 'void',
  },
  softmax: { args: [p('x', 'f32'), p('out', 'f32'), p('rows', 'count'), p('cols', 'count'), p('log', 'bool')], returns: 'void' },
  softmaxBackward: {
    args: [p('y', 'f32'), p('dy', 'f32'), p('dx', 'f32'), p('rows', 'count'), p('cols', 'count'), p('log', 'bool'), p('accumulate', 'bool')],
    returns: 'void',
  },
  embedding: { args: [p('table', 'f32'), p('ids', 'i32'), p('out', 'f32'), p('dim', 'positive')], returns: 'void' },
  embeddingBackward: { args: [p('dy', 'f32'), p('ids', 'i32'), p('dTable', 'f32'), p('dim', 'positive')], returns: 'void' },
  rope: {
    args: [p('x', 'f32'), p('out', 'f32'), fields('p', [
      p('batch', 'count'), p('heads', 'count'), p('t', 'count'), p('headDim', 'count'), p('startPosition', 'count'),
      p('invFreq', 'f32'), p('positions', 'i32?', null),
    ]), p('inverse', 'bool')],
    returns: 'void',
  },
  attention: { args: [p('q', 'f32'), p('k', 'f32'), p('v', 'f32'), p('out', 'f32'), p('lse', 'f32'), ATTENTION], returns: 'void' },
  attentionBackward: {
    args: [p('q', 'f32'), p('k', 'f32'), p('v', 'f32'), p('out', 'f32'), p('lse', 'f32'), p('dOut', 'f32'),
      p('dq', 'f32'), p('dk', 'f32'), p('dv', 'f32'), ATTENTION],
    returns: 'void',
  },
  linearCrossEntropy: { args: [p('hidden', 'f32'), p('weight', 'f32'), p('targets', 'i32'), p('lse', 'f32'), CROSS_ENTROPY], returns: 'totals' },
  linearCrossEntropyBackward: {
    args: [p('hidden', 'f32'), p('weight', 'f32'), p('targets', 'i32'), p('lse', 'f32'), p('scale', 'number'),
      p('dHidden', 'f32?'), p('dWeight', 'f32?'), CROSS_ENTROPY],
    returns: 'void',
  },
  adamw: {
    args: [p('param', 'f32'), p('grad', 'f32'), p('m', 'f32'), p('v', 'f32'), p('size', 'count'), fields('p', [
      p('lr', 'number'), p('beta1', 'number'), p('beta2', 'number'), p('eps', 'number'), p('weightDecay', 'number'), p('step', 'positive'),
    ])],
    returns: 'void',
  },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;
export const KERNEL_NAMES = Object.keys(KERNELS) as KernelName[];

/** The Backend methods that are kernels: all but the memory management a backend owns (alloc, upload, download). */
export type BackendKernelName = Exclude<keyof Backend, 'name' | 'threads' | 'alloc' | 'allocUninitialized' | 'upload' | 'download'>;

// Compile-time checks that the table and the Backend interface agree: the same kernels, each listing as many
// arguments as its method takes (a kernel added to one and not the other fails the type-check here).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type ArityAgrees = { [K in KernelName]: (typeof KERNELS)[K]['args']['length'] extends Parameters<Backend[K]>['length'] ? true : false };
export type KernelTableMatchesBackend = [Assert<Same<KernelName, BackendKernelName>>, Assert<Same<ArityAgrees[KernelName], true>>];

/** The table as the addon's `bind` reads it: [kernel, [[argument, kind], ...], result] per kernel. */
export function wireTable(): [KernelName, [string, WireKind][], WireResult][] {
  return KERNEL_NAMES.map((name) => [name, wireSignature(name), KERNELS[name].returns]);
}

/** A kernel's flat argument list as [name, kind] pairs (params-object fields named by their path). */
export function wireSignature(name: KernelName): [string, WireKind][] {
  const spec: KernelSpec = KERNELS[name];
  return spec.args.flatMap((arg) => ('fields' in arg ? arg.fields : [arg]).map((f): [string, WireKind] => [f.name, f.kind]));
}

type Pick = (args: readonly unknown[]) => unknown;
type Scope = Readonly<Record<string, unknown>>;

/** Reads one wire argument from a call's arguments: `read` finds the value, `scopeOf` what a fallback sees. */
function pick(param: Param, read: Pick, scopeOf: (args: readonly unknown[]) => Scope, where: string): Pick {
  const { fallback, codes } = param;
  if (codes !== undefined) {
    const index = new Map(codes.map((c, i) => [c, i]));
    return (args) => {
      const value = read(args);
      if (value === undefined && typeof fallback === 'number') return fallback;
      const code = index.get(value as string);
      if (code === undefined) throw new Error(`${where}: ${param.name} must be one of ${codes.join(', ')}, got ${String(value)}`);
      return code;
    };
  }
  if (fallback === undefined) return read;
  if (typeof fallback === 'function') {
    return (args) => {
      const value = read(args);
      return value === undefined ? fallback(scopeOf(args)) : value;
    };
  }
  return (args) => read(args) ?? fallback;
}

/** Reads a property path ('smoothingClasses.end') of a params object; undefined where any step is missing. */
function pathReader(path: string): (scope: unknown) => unknown {
  const keys = path.split('.');
  if (keys.length === 1) return (scope) => (scope as Scope)[path];
  return (scope) => {
    let value = scope;
    for (const key of keys) value = value === undefined || value === null ? undefined : (value as Scope)[key];
    return value;
  };
}

/**
 * For one kernel, the function from a Backend call's arguments to the flat wire list (compiled once per kernel:
 * one closure per wire argument, no per-call allocation besides the list). `backend` prefixes error messages.
 */
export function wireArguments(name: KernelName, backend: string): (args: readonly unknown[]) => unknown[] {
  const where = `${backend}.${name}`;
  const spec: KernelSpec = KERNELS[name];
  const topNames = spec.args.map((a) => a.name);
  // Top-level fallbacks (fill's length) see the call's arguments by name; built only when one is needed.
  const named = (args: readonly unknown[]): Scope => Object.fromEntries(topNames.map((n, i) => [n, args[i]]));
  const picks: Pick[] = [];
  spec.args.forEach((arg, i) => {
    if ('fields' in arg) {
      for (const field of arg.fields) {
        const read = pathReader(field.name);
        picks.push(pick(field, (args) => read(args[i]), (args) => args[i] as Scope, where));
      }
    } else {
      picks.push(pick(arg, (args) => args[i], named, where));
    }
  });
  return (args) => {
    const wire = new Array<unknown>(picks.length);
    for (let i = 0; i < picks.length; i++) wire[i] = picks[i]!(args);
    return wire;
  };
}
