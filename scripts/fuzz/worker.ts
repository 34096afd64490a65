/**
 * The fuzz script's worker thread: loads one target module, then runs each input the parent posts and answers
 * with the outcome and the heap growth. Running in a worker lets the parent kill an input that never returns
 * (synchronous code cannot be interrupted otherwise) and cap memory with the worker's resource limits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { runInput, type Outcome } from './outcome.js';
import type { FuzzTarget } from './target.js';

export interface WorkerSetup {
  readonly modulePath: string;
  readonly targetName: string;
}

export interface WorkerReply extends Outcome {
  /** Growth of heap plus array buffers over the run, in bytes (a lower bound: a collection may run meanwhile). */
  readonly bytes: number;
}

const setup = workerData as WorkerSetup;
const { targets } = (await import(pathToFileURL(setup.modulePath).href)) as { targets: FuzzTarget[] };
const target = targets.find((t) => t.name === setup.targetName);
if (!target) throw new Error(`${setup.modulePath} has no target "${setup.targetName}"`);

const used = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

parentPort!.on('message', (input: Uint8Array) => {
  const before = used();
  const outcome = runInput(target, input);
  const reply: WorkerReply = { ...outcome, bytes: Math.max(0, used() - before) };
  parentPort!.postMessage(reply);
});
parentPort!.postMessage('ready');
