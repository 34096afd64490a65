/** A process-wide on/off setting that a function runs under and that is restored when it returns or throws, so
 * scopes nest (autograd's noGrad, dropout's withoutDropout). */
export class ScopedSwitch {
  constructor(private state: boolean) {}

  get on(): boolean {
    return this.state;
  }

  /** Runs fn with the switch set to `on`, then puts back what it was. */
  run<T>(on: boolean, fn: () => T): T {
    const previous = this.state;
    this.state = on;
    try {
      return fn();
    } finally {
      this.state = previous;
    }
  }
}
