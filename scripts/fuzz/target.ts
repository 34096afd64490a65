/** One thing the fuzzer feeds: seeds to mutate, the code under test, and which errors count as a clean rejection. */
export interface FuzzTarget {
  readonly name: string;
  /** Valid inputs to start mutating from. */
  readonly seeds: () => Uint8Array[];
  /** Runs the code under test on one input; it may throw only errors that `rejects` accepts. */
  readonly run: (input: Uint8Array) => unknown;
  /** True for the error types that mean "input refused with a message" rather than a defect. */
  readonly rejects: (error: unknown) => boolean;
}
