/**
 * A trainable tensor. Besides requiring grad, a parameter says what of it may change: `frozen` excludes it from
 * every optimizer step, and `trainableRows` restricts the update to a block of rows (the rows of newly added
 * tokens in an embedding or LM head), so "train only the new token rows" is a selection, not a model change.
 */
import type { Backend, Storage } from '../tensor/backend.js';
import { keep } from '../tensor/scope.js';
import { Tensor, formatShape } from '../tensor/tensor.js';

/** Rows start..end-1 of a parameter's first dimension. */
export interface RowRange {
  readonly start: number;
  readonly end: number;
}

export class Parameter extends Tensor {
  private frozenFlag = false;
  private rows: RowRange | null = null;

  /** Wraps storage as a parameter (kept out of every tidy scope). Use `Parameter.from(tensor)` for a tensor. */
  constructor(storage: Storage, shape: readonly number[], backend?: Backend) {
    super(storage, shape, backend);
    this.requiresGrad = true;
    keep(this);
  }

  /** A parameter over the storage of `init`, which the parameter takes over (init is disposed). */
  static from(init: Tensor): Parameter {
    const p = new Parameter(init.storage, init.shape, init.backend);
    init.dispose();
    return p;
  }

  get frozen(): boolean {
    return this.frozenFlag;
  }

  set frozen(value: boolean) {
    this.frozenFlag = value;
    this.requiresGrad = !value;
  }

  /** The rows an optimizer may update (all when null). */
  get trainableRows(): RowRange | null {
    return this.rows;
  }

  set trainableRows(range: RowRange | null) {
    if (range !== null) {
      const rowCount = this.shape[0] ?? 0;
      if (!Number.isInteger(range.start) || !Number.isInteger(range.end) || range.start < 0 || range.end > rowCount || range.start >= range.end) {
        throw new Error(`trainableRows: [${range.start}, ${range.end}) is not a non-empty row range of a parameter ${formatShape(this.shape)}`);
      }
    }
    this.rows = range;
  }
}
