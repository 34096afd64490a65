/**
 * What every optimizer shares: the selection of named parameters it updates (in groups with their own learning
 * rate and weight decay), the learning-rate schedule, the step counter, per-parameter state buffers, and exact
 * save / restore of all of it.
 *
 * Selection decides what trains: frozen parameters and parameters without a gradient are skipped, and a
 * parameter's `trainableRows` confines the update (and its state) to that block of rows.
 */
import { keep } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { empty, formatShape, tensor, zeros } from '../../tensor/tensor.js';
import type { Parameter, RowRange } from '../parameter.js';
import type { LrSchedule } from './schedule.js';

export type NamedParameters = Iterable<readonly [string, Parameter]>;

export interface ParamGroup {
  readonly params: NamedParameters;
  /** Multiplies the optimizer's learning rate for this group. Default 1. */
  readonly lrScale?: number;
  /** Overrides the optimizer's weight decay for this group (e.g. 0 for norms and biases). */
  readonly weightDecay?: number;
}

export interface OptimizerOptions {
  /** A constant learning rate or a schedule of the step index (0 for the first step). */
  readonly lr: number | LrSchedule;
  readonly weightDecay?: number;
}

/** A saved state buffer, copied to the host. */
export interface SavedBuffer {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * Each parameter's named buffers. Maps, not objects: the names come back from checkpoint files, and a parameter
 * named `__proto__` must stay a name.
 */
export type OptimizerBuffers = ReadonlyMap<string, ReadonlyMap<string, SavedBuffer>>;

/** Saved optimizer state: the step count and each parameter's named buffers. */
export interface OptimizerState {
  readonly step: number;
  readonly buffers: OptimizerBuffers;
}

interface Slot {
  readonly name: string;
  readonly param: Parameter;
  readonly lrScale: number;
  readonly weightDecay: number;
  /** State buffers by name (e.g. m and v), allocated on the first step; sized to the trainable rows. */
  buffers: Map<string, Tensor>;
  /** The rows the buffers were allocated for. */
  rows: RowRange | null;
}

/** The update of one parameter block: param, grad and state buffers are equally long contiguous storage. */
export interface UpdateTarget {
  readonly param: Tensor;
  readonly grad: Tensor;
  readonly buffers: ReadonlyMap<string, Tensor>;
  readonly lr: number;
  readonly weightDecay: number;
  /** 1-based step number. */
  readonly step: number;
}

export abstract class Optimizer {
  private readonly slots: Slot[] = [];
  private readonly schedule: LrSchedule;
  private stepCount = 0;

  constructor(params: NamedParameters | readonly ParamGroup[], options: OptimizerOptions) {
    const lr = options.lr;
    this.schedule = typeof lr === 'number' ? () => lr : lr;
    const groups: readonly ParamGroup[] = Array.isArray(params) && params.every(isGroup) ? (params as readonly ParamGroup[]) : [{ params: params as NamedParameters }];
    const seen = new Set<string>();
    for (const group of groups) {
      for (const [name, param] of group.params) {
        if (seen.has(name)) throw new Error(`optimizer: parameter ${name} appears twice`);
        seen.add(name);
        this.slots.push({
          name, param, lrScale: group.lrScale ?? 1, weightDecay: group.weightDecay ?? options.weightDecay ?? 0, buffers: new Map(), rows: null,
        });
      }
    }
  }

  /** Names of the state buffers each parameter needs (e.g. ['m', 'v']). */
  protected abstract bufferNames(): readonly string[];

  /** Applies one update in place (through backend kernels). */
  protected abstract update(target: UpdateTarget): void;

  /** Steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** The learning rate the next step will use. */
  get lr(): number {
    return this.schedule(this.stepCount);
  }

  /** Updates every selected parameter that has a gradient, then advances the step. Gradients are left as they are
   * (call zeroGrad before the next accumulation). */
  step(): void {
    const lr = this.schedule(this.stepCount);
    const step = this.stepCount + 1;
    for (const slot of this.slots) {
      const { param } = slot;
      if (param.frozen || param.grad === null || param.disposed) continue;
      const rows = param.trainableRows;
      this.ensureBuffers(slot, rows);
      const common = { buffers: slot.buffers, lr: lr * slot.lrScale, weightDecay: slot.weightDecay, step };
      if (rows === null) {
        this.update({ param, grad: param.grad, ...common });
        continue;
      }
      // Only a block of rows trains: update copies of those rows, then write them back.
      const rowSize = param.size / param.shape[0]!;
      const offset = rows.start * rowSize;
      const length = (rows.end - rows.start) * rowSize;
      const be = param.backend;
      const block = empty([length]);
      const gradBlock = empty([length]);
      be.copy(param.storage, offset, block.storage, 0, length);
      be.copy(param.grad.storage, offset, gradBlock.storage, 0, length);
      this.update({ param: block, grad: gradBlock, ...common });
      be.copy(block.storage, 0, param.storage, offset, length);
      block.dispose();
      gradBlock.dispose();
    }
    this.stepCount = step;
  }

  /** Clears the gradients of every selected parameter. */
  zeroGrad(): void {
    for (const { param } of this.slots) {
      param.grad?.dispose();
      param.grad = null;
    }
  }

  private ensureBuffers(slot: Slot, rows: RowRange | null): void {
    const sameRows = (slot.rows === null && rows === null) || (slot.rows !== null && rows !== null && slot.rows.start === rows.start && slot.rows.end === rows.end);
    if (slot.buffers.size > 0 && sameRows) return;
    if (slot.buffers.size > 0) {
      throw new Error(`optimizer: the trainable rows of ${slot.name} changed after its state was created; create a new optimizer`);
    }
    const length = rows === null ? slot.param.size : (rows.end - rows.start) * (slot.param.size / slot.param.shape[0]!);
    for (const name of this.bufferNames()) slot.buffers.set(name, keep(zeros([length])));
    slot.rows = rows;
  }

  /** A host copy of the step count and every state buffer, by parameter name. */
  state(): OptimizerState {
    const buffers = new Map<string, Map<string, SavedBuffer>>();
    for (const slot of this.slots) {
      if (slot.buffers.size === 0) continue;
      buffers.set(slot.name, new Map([...slot.buffers].map(([name, t]) => [name, { shape: [...t.shape], data: t.toArray() }])));
    }
    return { step: this.stepCount, buffers };
  }

  /** Restores a saved state exactly; buffer names and sizes must match this optimizer's parameters. */
  loadState(state: OptimizerState): void {
    const byName = new Map(this.slots.map((s) => [s.name, s]));
    for (const name of state.buffers.keys()) {
      if (!byName.has(name)) throw new Error(`optimizer loadState: state has buffers for ${name}, which this optimizer does not update`);
    }
    if (!Number.isSafeInteger(state.step) || state.step < 0) throw new Error(`optimizer loadState: step must be a non-negative integer, got ${state.step}`);
    const names = new Set(this.bufferNames());
    for (const [param, entry] of state.buffers) {
      for (const name of entry.keys()) if (!names.has(name)) throw new Error(`optimizer loadState: ${param} has a buffer '${name}' this optimizer does not keep (it keeps ${[...names].join(', ')})`);
    }
    for (const slot of this.slots) {
      const saved = state.buffers.get(slot.name);
      for (const t of slot.buffers.values()) t.dispose();
      slot.buffers = new Map();
      slot.rows = null;
      if (saved === undefined) continue;
      const rows = slot.param.trainableRows;
      const expected = rows === null ? slot.param.size : (rows.end - rows.start) * (slot.param.size / slot.param.shape[0]!);
      for (const bufferName of this.bufferNames()) {
        const entry = saved.get(bufferName);
        if (entry === undefined) throw new Error(`optimizer loadState: ${slot.name} has no ${bufferName} buffer`);
        if (entry.data.length !== expected) {
          throw new Error(`optimizer loadState: ${slot.name}.${bufferName} has ${entry.data.length} values, expected ${expected} for ${formatShape(slot.param.shape)}`);
        }
        slot.buffers.set(bufferName, keep(tensor(entry.data, [expected])));
      }
      slot.rows = rows;
    }
    this.stepCount = state.step;
  }

  /** Releases the state buffers. */
  dispose(): void {
    for (const slot of this.slots) for (const t of slot.buffers.values()) t.dispose();
  }
}

function isGroup(x: unknown): x is ParamGroup {
  return typeof x === 'object' && x !== null && 'params' in x;
}
