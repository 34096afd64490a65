/**
 * What the scheduler needs from a model: the KV-cached forward passes of many slots, asynchronously, so that the
 * server's event loop is free while the model computes. `startModelWorker` (worker-runner.ts) runs them on a worker
 * thread; `inProcessRunner` runs them on the calling thread (tests, and a library user who serves a model object).
 */
import type { ForkableSession } from '../models/session.js';

export interface ModelRunner {
  readonly vocabSize: number;
  /** Feeds `tokens` to `slot` after what it holds; resolves with the logits after the last one (vocabSize). */
  prefill(slot: number, tokens: readonly number[]): Promise<Float32Array>;
  /** Feeds tokens[i] to slots[i] for every i in one batched forward; resolves with (slots.length, vocabSize) logits. */
  decode(slots: readonly number[], tokens: readonly number[]): Promise<Float32Array>;
  /** Empties a slot. Ordered with the calls before and after it. */
  resetSequence(slot: number): void;
  /** Frees the runner (stops the worker). */
  close(): Promise<void>;
}

/** Runs the session on this thread: each call computes before it returns, the promise only carries the result. */
export function inProcessRunner(model: { createSession(sequences: number, capacity: number): ForkableSession }, slots: number, capacity: number): ModelRunner {
  const session = model.createSession(slots, capacity);
  return {
    vocabSize: session.vocabSize,
    prefill: async (slot, tokens) => session.prefill(slot, tokens),
    decode: async (slots, tokens) => session.decode(slots, tokens),
    resetSequence: (slot) => session.resetSequence(slot),
    close: async () => undefined,
  };
}
