import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadModel, loadModelSpec } from '../models/load.js';
import { saveModel } from '../models/save.js';
import { scratchModel, trainScratchTokenizer } from '../train/scratch.js';
import { inProcessRunner } from './model-runner.js';
import { serveModel } from './served-model.js';
import { createToolkenServer } from './server.js';
import { ModelWorkerError, startModelWorker } from './worker-runner.js';

const tmp = mkdtempSync(join(tmpdir(), 'toolken-worker-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const WORDS = ['weather', 'Paris', 'search', 'tool', 'token', 'call', 'city', 'news', 'summary', 'today'];
const tokenizer = trainScratchTokenizer(['What is the weather in Paris today? Call the tool.', ...WORDS, '<tool_call> </tool_call>'], 300);

function savedModel(name: string, size: { dim: number; layers: number; maxPositions: number }): string {
  const model = scratchModel(tokenizer, { vocabSize: tokenizer.vocabSize, heads: 4, kvHeads: 2, hiddenDim: size.dim * 3, seed: 3, ...size });
  const dir = join(tmp, name);
  saveModel(model, tokenizer, dir);
  return dir;
}

describe('the model worker', () => {
  const small = savedModel('small', { dim: 32, layers: 2, maxPositions: 256 });

  test('computes the logits the model gives on this thread, for prefill and batched decode over slots', async () => {
    const worker = await startModelWorker({ path: small, slots: 2, capacity: 64 });
    const { model } = await loadModel(small);
    const local = inProcessRunner(model, 2, 64);
    try {
      const prompt = tokenizer.encode('What is the weather in Paris?');
      for (const r of [worker, local]) r.resetSequence(0);
      const [a, b] = [await worker.prefill(0, prompt), new Float32Array(await local.prefill(0, prompt))];
      assert.equal(a.length, worker.vocabSize);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-4, `prefill logit ${i}`);
      await worker.prefill(1, [5, 6]);
      await local.prefill(1, [5, 6]);
      const [c, d] = [await worker.decode([0, 1], [7, 8]), new Float32Array(await local.decode([0, 1], [7, 8]))];
      assert.equal(c.length, 2 * worker.vocabSize);
      for (let i = 0; i < c.length; i++) assert.ok(Math.abs(c[i]! - d[i]!) < 1e-4, `decode logit ${i}`);
    } finally {
      await worker.close();
    }
    await assert.rejects(worker.prefill(0, [1]), ModelWorkerError);
  });

  test('a checkpoint the worker cannot load is a ModelWorkerError naming the path, not a hang', async () => {
    const missing = join(tmp, 'no-such-model');
    await assert.rejects(startModelWorker({ path: missing, slots: 1, capacity: 8 }), (e: Error) => e instanceof ModelWorkerError && e.message.includes(missing));
  });

  test('a forward pass that fails in the worker rejects that call only', async () => {
    const worker = await startModelWorker({ path: small, slots: 1, capacity: 8 });
    try {
      await assert.rejects(worker.prefill(0, Array.from({ length: 20 }, () => 5)), ModelWorkerError);
      worker.resetSequence(0);
      assert.equal((await worker.prefill(0, [5])).length, worker.vocabSize);
    } finally {
      await worker.close();
    }
  });

  test('the server answers /health within milliseconds while the worker runs a long prefill', async () => {
    const big = savedModel('big', { dim: 512, layers: 6, maxPositions: 2048 });
    // As `toolken serve` does: this thread reads the config and tokenizer only; the worker holds the weights.
    const served = serveModel('big', await loadModelSpec(big));
    const runner = await startModelWorker({ path: big, slots: 2, capacity: served.contextLength });
    const server = createToolkenServer(served, { runner, slots: 2 });
    const { port } = await server.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    try {
      const long = Array.from({ length: 450 }, (_, i) => WORDS[(i * 7) % WORDS.length]).join(' ');
      const started = performance.now();
      let done = false;
      const request = fetch(`${base}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'big', messages: [{ role: 'user', content: long }], max_tokens: 8 }),
      }).then(async (r) => {
        done = true;
        return `${r.status} ${r.status === 200 ? '' : await r.text()}`.trim();
      });
      const latencies: number[] = [];
      let sawActive = false;
      while (!done) {
        const asked = performance.now();
        const health = (await (await fetch(`${base}/health`)).json()) as { active: number };
        if (!done) {
          latencies.push(performance.now() - asked);
          sawActive ||= health.active >= 1;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(await request, '200');
      const requestMs = performance.now() - started;
      // Meaningful only when the request itself takes long: on this thread, its prefill alone would hold the loop.
      assert.ok(requestMs > 400, `the request took only ${requestMs.toFixed(0)} ms`);
      assert.ok(sawActive && latencies.length >= 5, `${latencies.length} health answers during the request`);
      assert.ok(Math.max(...latencies) < 250, `slowest /health during the request: ${Math.max(...latencies).toFixed(0)} ms`);
    } finally {
      await server.close();
    }
  });
});
