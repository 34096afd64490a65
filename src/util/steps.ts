/**
 * Long computations (generation, tool search, training) are written once, as generators that pause after each unit
 * of work (a decode step, a beam step, an optimizer step). A caller that only wants the answer runs them to the end
 * synchronously; a server or UI runs them cancellably, giving the event loop a turn at every pause, because the
 * kernels themselves are synchronous and an abort can only be seen between steps.
 */

/** A computation that pauses (yields) between units of work and returns its result at the end. */
export type Stepwise<T> = Generator<void, T, void>;

/** Runs a stepwise computation to its end without pausing. */
export function runToEnd<T>(steps: Stepwise<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Resolves after the event loop has run timers and I/O that were waiting. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs a stepwise computation with an event-loop turn at every pause. When `signal` aborts, the signal's reason is
 * thrown into the computation at its pause, so that its own cleanup (releasing caches, saving a checkpoint) runs
 * before the returned promise rejects with that reason.
 */
export async function runCancellable<T>(steps: Stepwise<T>, signal?: AbortSignal): Promise<T> {
  signal?.throwIfAborted();
  let step = steps.next();
  while (!step.done) {
    await nextTurn();
    step = signal?.aborted ? steps.throw(signal.reason) : steps.next();
  }
  return step.value;
}
