/** A process-wide setting that a function runs under and that is restored when it returns or throws, so scopes
 * nest (autograd's noGrad, dropout's withoutDropout, the storage pool of a generation pass). */
export class ScopedValue<T> {
  constructor(private current: T) {}

  get value(): T {
    return this.current;
  }

  /** Runs fn with the setting at `value`, then puts back what it was. */
  run<R>(value: T, fn: () => R): R {
    const previous = this.current;
    this.current = value;
    try {
      return fn();
    } finally {
      this.current = previous;
    }
  }
}
