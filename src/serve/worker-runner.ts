/**
 * A ModelRunner whose model lives on a worker thread (model-worker.ts): the main thread keeps HTTP, validation,
 * constrained decoding and streaming, and the weights are loaded once, in the worker. Calls are answered in the order
 * they were sent; if the worker fails or exits, every pending and later call rejects with the reason.
 */
import { errorWithCode } from '../util/errors.js';
import type { ModelRunner } from './model-runner.js';
import type { ForwardRequest, WorkerReply, WorkerRequest, WorkerSetup } from './worker-protocol.js';
import { spawnModuleWorker } from './worker-thread.js';

/** The model worker could not start or stopped; the message says why. */
export class ModelWorkerError extends errorWithCode('MODEL_WORKER_FAILED') {}

/** Starts the worker, which loads the weights at `setup.path`; resolves once the model is ready. */
export function startModelWorker(setup: WorkerSetup): Promise<ModelRunner> {
  const worker = spawnModuleWorker(new URL('./model-worker.js', import.meta.url), setup);
  const pending = new Map<number, { resolve(logits: Float32Array): void; reject(err: Error): void }>();
  let failure: ModelWorkerError | null = null;
  let nextId = 0;
  const failAll = (err: ModelWorkerError): void => {
    failure ??= err;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  return new Promise((resolveReady, rejectReady) => {
    worker.on('error', (err) => {
      const e = new ModelWorkerError(`model worker for ${setup.path} failed: ${err.message}`);
      failAll(e);
      rejectReady(e);
    });
    worker.on('exit', (code) => {
      const e = new ModelWorkerError(`model worker for ${setup.path} exited (code ${code})`);
      failAll(e);
      rejectReady(e);
    });
    worker.on('message', (message: WorkerReply) => {
      if ('ready' in message) {
        if (!message.ready) {
          rejectReady(new ModelWorkerError(`model worker for ${setup.path}: ${message.error}`));
          void worker.terminate();
          return;
        }
        resolveReady(runner(message.vocabSize));
        return;
      }
      const p = pending.get(message.id);
      if (p === undefined) return;
      pending.delete(message.id);
      if ('logits' in message) p.resolve(message.logits);
      else p.reject(new ModelWorkerError(message.error));
    });
  });

  function call(request: ForwardRequest): Promise<Float32Array> {
    if (failure !== null) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  }

  function runner(vocabSize: number): ModelRunner {
    return {
      vocabSize,
      prefill: (slot, tokens) => call({ op: 'prefill', slot, tokens: [...tokens] }),
      decode: (slots, tokens) => call({ op: 'decode', slots: [...slots], tokens: [...tokens] }),
      resetSequence: (slot) => {
        if (failure === null) worker.postMessage({ op: 'reset', slot } satisfies WorkerRequest);
      },
      close: async () => {
        failure ??= new ModelWorkerError('model worker closed');
        await worker.terminate();
      },
    };
  }
}
