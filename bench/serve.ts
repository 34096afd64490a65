/**
 * `npm run bench:serve [-- --model DIR] [--clients 32] [--seconds 60] [--max-tokens 96] [--in-process]`: a loopback load test of
 * `toolken serve`. Streaming clients (the official openai package) ask for a required tool call in a loop; first one
 * client at a time, then `--clients` at once, each phase for `--seconds`. Reports p50/p99 time to first token (the
 * first content or tool-call delta), tokens/s per client and in total, errors, and the batched-over-serial
 * throughput ratio. Records `serve/<phase>/<metric>` go to bench/results/serve.json.
 *
 * Without --model the test's random-weight model is used (one layer, width 32), which measures the server and
 * scheduler more than the model; the clients run in the same process as the server, so their own work is part of
 * the load. The model runs on a worker thread as in `toolken serve` (`--in-process`: on the server's thread). Bounded: every phase stops taking new requests at its deadline and waits for the ones in flight.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { readModelSpecFlag } from '../src/cli/commands/toolgen-inputs.js';
import { loadModel } from '../src/models/load.js';
import { saveModel } from '../src/models/save.js';
import { createToolkenServer } from '../src/serve/server.js';
import { serveModel } from '../src/serve/served-model.js';
import { tinyServedModel } from '../src/serve/testing-model.js';
import { startModelWorker } from '../src/serve/worker-runner.js';
import { formatTable, writeResults, type BenchRecord } from './lib.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = Number(argv[i + 1]);
  if (!(value > 0)) throw new Error(`--${name} expects a positive number, got ${argv[i + 1]}`);
  return value;
};
const modelAt = argv.indexOf('--model');
const clients = flag('clients', 32);
const seconds = Math.min(flag('seconds', 60), 120);
const maxTokens = flag('max-tokens', 96);

const inProcess = argv.includes('--in-process');

// The worker loads a checkpoint from disk, so the random tiny model is saved to a scratch folder first.
let scratch: string | undefined;
let modelPath: string;
if (modelAt === -1) {
  scratch = mkdtempSync(join(tmpdir(), 'toolken-bench-serve-'));
  const tiny = tinyServedModel('bench');
  modelPath = join(scratch, 'tiny');
  saveModel(tiny.source.model as Parameters<typeof saveModel>[0], tiny.tokenizer, modelPath);
} else modelPath = argv[modelAt + 1]!;
const spec = await readModelSpecFlag(modelPath);
const served = serveModel('bench', inProcess ? await loadModel(modelPath) : spec);
const runner = inProcess ? undefined : await startModelWorker({ path: spec.path, slots: clients, capacity: served.contextLength });
const server = createToolkenServer(served, { slots: clients, maxQueue: clients, maxTokens: Math.max(maxTokens, 64), ...(runner === undefined ? {} : { runner }) });
const { port } = await server.listen(0, '127.0.0.1');
const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0 });

const tools = [
  { type: 'function' as const, function: { name: 'get_weather', description: 'Current weather in a city', parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 24 }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city', 'unit'] } } },
  { type: 'function' as const, function: { name: 'search_web', description: 'Search the web', parameters: { type: 'object', properties: { query: { type: 'string', maxLength: 32 } }, required: ['query'] } } },
];

interface Sample {
  readonly ttft: number;
  readonly seconds: number;
  readonly tokens: number;
}

async function oneRequest(seed: number): Promise<Sample> {
  const started = performance.now();
  let first = -1;
  let tokens = 0;
  const stream = await client.chat.completions.create({
    model: 'bench', stream: true, stream_options: { include_usage: true }, max_tokens: maxTokens, seed, temperature: 1,
    messages: [{ role: 'user', content: 'What is the weather in Paris today?' }], tools, tool_choice: 'required',
  });
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta;
    if (first < 0 && delta !== undefined && ((delta.content ?? '') !== '' || (delta.tool_calls?.length ?? 0) > 0)) first = performance.now();
    if (chunk.usage) tokens = chunk.usage.completion_tokens;
  }
  const end = performance.now();
  return { ttft: ((first < 0 ? end : first) - started) / 1000, seconds: (end - started) / 1000, tokens };
}

async function phase(concurrency: number): Promise<{ samples: Sample[]; errors: number; wall: number }> {
  const samples: Sample[] = [];
  let errors = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let seed = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      try {
        samples.push(await oneRequest(seed++));
      } catch (err) {
        errors++;
        if (errors <= 3) process.stderr.write(`request failed: ${(err as Error).message}\n`);
      }
    }
  }));
  return { samples, errors, wall: (performance.now() - start) / 1000 };
}

const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

const records: BenchRecord[] = [];
const totals: Record<string, number> = {};
for (const [name, concurrency] of [['serial', 1], ['concurrent', clients]] as const) {
  process.stderr.write(`${name}: ${concurrency} client(s) for ${seconds} s\n`);
  const { samples, errors, wall } = await phase(concurrency);
  const tokens = samples.reduce((s, x) => s + x.tokens, 0);
  const perClient = samples.map((x) => x.tokens / x.seconds);
  const params = { clients: concurrency, seconds, maxTokens, requests: samples.length, model: modelAt === -1 ? 'random tiny (dim 32, 1 layer)' : argv[modelAt + 1]!, runner: inProcess ? 'in-process' : 'worker' };
  totals[name] = tokens / wall;
  records.push(
    { name: `serve/${name}/ttft-p50`, value: quantile(samples.map((x) => x.ttft), 0.5) * 1000, unit: 'ms', params },
    { name: `serve/${name}/ttft-p99`, value: quantile(samples.map((x) => x.ttft), 0.99) * 1000, unit: 'ms', params },
    { name: `serve/${name}/tokens-per-second-per-client`, value: quantile(perClient, 0.5), unit: 'tokens/s (median)', params },
    { name: `serve/${name}/tokens-per-second-total`, value: tokens / wall, unit: 'tokens/s', params },
    { name: `serve/${name}/errors`, value: errors, unit: 'requests', params },
  );
}
records.push({ name: 'serve/batched-over-serial', value: totals['concurrent']! / totals['serial']!, unit: 'x', params: { clients, seconds, maxTokens, runner: inProcess ? 'in-process' : 'worker' } });
await server.close();
if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
process.stdout.write(formatTable('serve (loopback)', records) + '\n');
process.stderr.write(`wrote ${writeResults('serve', records)}\n`);
