/**
 * The model worker's thread (started by worker-runner.ts): loads the weights from the path it is given, opens one
 * KV-cached session and answers the scheduler's prefill / decode / reset messages in order. The native kernels are
 * synchronous, so running them here is what keeps the server's event loop free.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadDecoder } from '../models/load.js';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('model-worker.ts runs as a worker thread (see worker-runner.ts)');
const setup = workerData as WorkerSetup;

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

try {
  // Serving never trains, so a checkpoint's quantized matrices stay quantized.
  const { model } = loadDecoder(setup.path, { keepQuantized: true, ...(setup.quantize === undefined ? {} : { quantize: setup.quantize }) });
  const session = model.createSession(setup.slots, setup.capacity);
  port.on('message', (request: WorkerRequest) => {
    if (request.op === 'reset') {
      session.resetSequence(request.slot);
      return;
    }
    try {
      // The session's logits are a view of its workspace: copy them out, then hand the copy over without a second copy.
      const logits = new Float32Array(request.op === 'prefill' ? session.prefill(request.slot, request.tokens) : session.decode(request.slots, request.tokens));
      reply({ id: request.id, logits }, [logits.buffer]);
    } catch (err) {
      reply({ id: request.id, error: (err as Error).message });
    }
  });
  reply({ ready: true, vocabSize: session.vocabSize });
} catch (err) {
  reply({ ready: false, error: (err as Error).message });
}
