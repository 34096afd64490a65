/**
 * A playground on its own worker thread, so that its model's synchronous kernels never hold up the server that shows
 * it: `startPlaygroundWorker` (main thread) starts a module that calls `hostPlayground` (worker thread) with a way to
 * open the playground from the data it is given. Requests are answered by id; an aborted request is answered at once
 * with its signal's reason and stops in the worker before its next step.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ToolkenError, errorWithCode } from '../../util/errors.js';
import { spawnModuleWorker } from '../worker-thread.js';
import { PlaygroundBusyError, PlaygroundInputError, checkPlaygroundRequest, type PlaygroundAnswer, type PlaygroundEngine } from './playground.js';

/** The playground's thread could not start or stopped; the message says why. */
export class PlaygroundWorkerError extends errorWithCode('PLAYGROUND_WORKER_FAILED') {}

export interface HostedPlayground {
  readonly playground: PlaygroundEngine;
  /** Problems worth a warning, printed by the main thread. */
  readonly warnings: readonly string[];
  close(): Promise<void>;
}

export interface PlaygroundWorker extends PlaygroundEngine {
  readonly warnings: readonly string[];
  close(): Promise<void>;
}

type ToWorker =
  | { readonly op: 'answer'; readonly id: number; readonly request: string; readonly k: number }
  | { readonly op: 'abort'; readonly id: number }
  | { readonly op: 'close' };

interface ErrorReply {
  readonly code: string;
  readonly message: string;
}

type FromWorker =
  | { readonly ready: true; readonly warnings: readonly string[] }
  | { readonly ready: false; readonly error: ErrorReply }
  | { readonly id: number; readonly answer: PlaygroundAnswer }
  | { readonly id: number; readonly error: ErrorReply }
  | { readonly closed: true };

function errorReply(err: unknown): ErrorReply {
  return { code: err instanceof ToolkenError ? err.code : 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

/** The error the dashboard knows how to answer (400, 429), or a worker error for anything else. */
function errorFrom(reply: ErrorReply): Error {
  if (reply.code === 'PLAYGROUND_INPUT_INVALID') return new PlaygroundInputError(reply.message);
  if (reply.code === 'PLAYGROUND_BUSY') return new PlaygroundBusyError(reply.message);
  return new PlaygroundWorkerError(reply.message);
}

/** Starts `entry` (a module that calls hostPlayground) with `data`; resolves once its playground is open. */
export function startPlaygroundWorker(entry: URL, data: unknown): Promise<PlaygroundWorker> {
  const worker = spawnModuleWorker(entry, data);
  const pending = new Map<number, { resolve(answer: PlaygroundAnswer): void; reject(err: Error): void }>();
  let failure: Error | null = null;
  let nextId = 0;
  let exited = false;
  let onExit: (() => void) | null = null;
  const failAll = (err: Error): void => {
    failure ??= err;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };

  const engine = (warnings: readonly string[]): PlaygroundWorker => ({
    warnings,
    answer(request, k, signal) {
      if (failure !== null) return Promise.reject(failure);
      if (signal?.aborted) return Promise.reject(signal.reason);
      try {
        checkPlaygroundRequest(request, k);
      } catch (err) {
        return Promise.reject(err);
      }
      // Refused here rather than in the worker: two requests posted together may reach the worker after the first
      // has finished, so only this thread knows that they overlapped.
      if (pending.size > 0) return Promise.reject(new PlaygroundBusyError());
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const onAbort = (): void => {
          pending.delete(id);
          worker.postMessage({ op: 'abort', id } satisfies ToWorker);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const done = (): void => signal?.removeEventListener('abort', onAbort);
        pending.set(id, {
          resolve: (answer) => (done(), resolve(answer)),
          reject: (err) => (done(), reject(err)),
        });
        worker.postMessage({ op: 'answer', id, request, k } satisfies ToWorker);
      });
    },
    async close() {
      if (exited) return;
      failAll(new PlaygroundWorkerError('playground closed'));
      // The worker closes its executor (an MCP connection, say) before it goes; a worker that hangs is stopped.
      const gone = new Promise<void>((resolve) => (onExit = resolve));
      worker.postMessage({ op: 'close' } satisfies ToWorker);
      const timer = setTimeout(() => void worker.terminate(), 2000);
      await gone;
      clearTimeout(timer);
    },
  });

  return new Promise((resolveReady, rejectReady) => {
    worker.on('error', (err) => {
      const e = new PlaygroundWorkerError(`playground worker failed: ${err.message}`);
      failAll(e);
      rejectReady(e);
    });
    worker.on('exit', (code) => {
      exited = true;
      const e = new PlaygroundWorkerError(`playground worker exited (code ${code})`);
      failAll(e);
      rejectReady(e);
      onExit?.();
    });
    worker.on('message', (message: FromWorker) => {
      if ('closed' in message) return void worker.terminate();
      if ('ready' in message) {
        if (message.ready) return resolveReady(engine(message.warnings));
        rejectReady(errorFrom(message.error));
        return void worker.terminate();
      }
      const p = pending.get(message.id);
      if (p === undefined) return;
      pending.delete(message.id);
      if ('answer' in message) p.resolve(message.answer);
      else p.reject(errorFrom(message.error));
    });
  });
}

/** Called by the worker's module: opens the playground from the worker's data and answers the main thread. */
export function hostPlayground(open: (data: unknown) => Promise<HostedPlayground>): void {
  const port = parentPort;
  if (port === null) throw new PlaygroundWorkerError('hostPlayground runs on a worker thread started by startPlaygroundWorker');
  const send = (message: FromWorker): void => port.postMessage(message);
  const running = new Map<number, AbortController>();
  open(workerData).then(
    (hosted) => {
      port.on('message', (message: ToWorker) => {
        if (message.op === 'abort') return running.get(message.id)?.abort();
        if (message.op === 'close') {
          for (const controller of running.values()) controller.abort();
          void hosted.close().finally(() => send({ closed: true }));
          return;
        }
        const controller = new AbortController();
        running.set(message.id, controller);
        hosted.playground
          .answer(message.request, message.k, controller.signal)
          .then(
            (answer) => send({ id: message.id, answer }),
            (err: unknown) => send({ id: message.id, error: errorReply(err) }),
          )
          .finally(() => running.delete(message.id));
      });
      send({ ready: true, warnings: hosted.warnings });
    },
    (err: unknown) => send({ ready: false, error: errorReply(err) }),
  );
}
