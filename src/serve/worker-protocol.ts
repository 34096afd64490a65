/** The messages between the server's main thread (worker-runner.ts) and its model worker (model-worker.ts). */
import type { QuantizeType } from '../tensor/quant.js';

export interface WorkerSetup {
  /** A local checkpoint (Hub ids are resolved before the worker starts). */
  readonly path: string;
  readonly slots: number;
  readonly capacity: number;
  readonly quantize?: QuantizeType;
}

/** A forward pass; the worker answers it by `id`. */
export type ForwardRequest =
  | { readonly op: 'prefill'; readonly slot: number; readonly tokens: readonly number[] }
  | { readonly op: 'decode'; readonly slots: readonly number[]; readonly tokens: readonly number[] };

export type WorkerRequest = (ForwardRequest & { readonly id: number }) | { readonly op: 'reset'; readonly slot: number };

export type WorkerReply =
  | { readonly ready: true; readonly vocabSize: number }
  | { readonly ready: false; readonly error: string }
  | { readonly id: number; readonly logits: Float32Array }
  | { readonly id: number; readonly error: string };
