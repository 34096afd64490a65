/**
 * Decoder throughput on the native cpu backend, beside the PyTorch CPU anchor (../shared/anchors/torch_llama.py in
 * the tuned environment of ../shared/anchors/README.md) measured in the same run, on the anchor's shapes and
 * workloads, random weights, 2 threads:
 *   train S   : forward + fused LM-head cross-entropy + backward + AdamW, batch 8 x 256 tokens (tokens/s)
 *   prefill   : one 128-token prompt, LM head on the last position (tokens/s), S and M
 *   decode    : 64 single-token steps with the KV cache, LM head + greedy each (tokens/s), S and M
 *   profile   : milliseconds per kernel of one S training step and of one S decode step (where the time goes)
 *   llama.cpp : prefill and decode S and M through the anchors' llama_bench.mjs, on toolken's own F32 GGUF export of
 *               the same random models, when TOOLKEN_LLAMA_DIR names a node-llama-cpp install (docs/llama-cpp.md)
 *   quantized : decode M with Q8_0 and Q4_0 weights, toolken (blocks kept quantized, int8 dot products) and llama.cpp
 *               on the same GGUF file, toolken's export of the random M model (quantizedDecodeRecords)
 * The ref backend is far too slow for these shapes; without the native addon our side is skipped and said so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCpuBackend, type CpuBackend } from '../../src/tensor/backends/cpu.js';
import { setBackend } from '../../src/tensor/backends/index.js';
import { DecoderModel } from '../../src/models/decoder.js';
import { loadDecoder } from '../../src/models/load.js';
import { exportGguf } from '../../src/models/save.js';
import type { QuantType } from '../../src/tensor/quant.js';
import type { DecoderConfig } from '../../src/models/config.js';
import type { Backend } from '../../src/tensor/backend.js';
import { defaultSftConfig, SftObjective, type SftConfig } from '../../src/train/objectives/sft.js';
import { Trainer } from '../../src/train/trainer.js';
import { Rng } from '../../src/tensor/random.js';
import { argmax } from '../../src/generate/sampling.js';
import { cpuParams, median, timeIt, type BenchRecord } from '../lib.js';
import { byteFallbackTokenizer, LLAMA_DIR_ENV, llamaCppFileThroughput, llamaCppThroughput } from '../llama-cpp.js';

const THREADS = 2;
const PYTHON = '/usr/bin/python3';
const ANCHOR = fileURLToPath(new URL('../../../shared/anchors/torch_llama.py', import.meta.url));
const TUNED_ENV = {
  LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-openmp',
  LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4',
};

function shape(dim: number, layers: number, heads: number, kvHeads: number, hiddenDim: number, vocabSize: number): DecoderConfig {
  return {
    family: 'llama', vocabSize, dim, layers, heads, kvHeads, headDim: dim / heads, hiddenDim, normEps: 1e-5, ropeTheta: 10000,
    ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: false, maxPositions: 512,
    bosTokenId: null, eosTokenIds: [],
  };
}
/** The anchors' model shapes (../shared/anchors/README.md). */
export const SHAPES = { S: shape(288, 6, 6, 6, 768, 32000), M: shape(576, 30, 9, 3, 1536, 49152) } as const;

function randomIds(count: number, vocab: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: count }, () => rng.int(vocab));
}

/** The anchor's training step: AdamW at a constant 1e-4 with weight decay 0.01, no clipping, no accumulation. */
const STEP_CONFIG: SftConfig = { ...defaultSftConfig, lr: 1e-4, schedule: 'constant', warmup: 0, weightDecay: 0.01, maxGradNorm: 0 };

/** A Trainer and the one batch it steps on: `batch` random sequences of `seq` positions, every position labelled. */
function oneBatchTrainer(model: DecoderModel, batch: number, seq: number, seed: number): { step: () => void } {
  const ids = randomIds(batch * (seq + 1), model.config.vocabSize, seed);
  const train = Array.from({ length: batch }, (_, r) => {
    const tokens = ids.subarray(r * (seq + 1), (r + 1) * (seq + 1));
    return { inputIds: tokens, labels: tokens };
  });
  const config = { ...STEP_CONFIG, batchSize: batch, maxLength: seq };
  const objective = new SftObjective({ model, train, settings: config });
  const trainer = new Trainer({ model, objective, config });
  const batches = objective.batches(0);
  return { step: () => void trainer.step(batches) };
}

async function trainThroughput(name: keyof typeof SHAPES, batch: number, seq: number): Promise<BenchRecord> {
  const trainer = oneBatchTrainer(DecoderModel.random(SHAPES[name], 1234), batch, seq, 42);
  const t = await timeIt(trainer.step, { warmup: 2, runs: 5 });
  return {
    name: `toolken train ${name}`, value: (batch * seq) / t.median, unit: 'tokens/s',
    params: { batch, seq, threads: THREADS, best: Math.round((batch * seq) / t.min) },
  };
}

function inferThroughput(name: keyof typeof SHAPES, promptLength: number, generated: number, runs: number): BenchRecord[] {
  const { prefill, decode } = sessionThroughput(DecoderModel.random(SHAPES[name], 1234), promptLength, generated, runs);
  const params = { prompt: promptLength, generated, threads: THREADS, runs };
  return [
    { name: `toolken prefill ${name}`, value: prefill, unit: 'tokens/s', params },
    { name: `toolken decode ${name}`, value: decode, unit: 'tokens/s', params },
  ];
}

/** Median prefill and decode tokens/s of `model` over `runs` sessions (after one warm-up): a random prompt of
 * `promptLength` tokens, then `generated` greedy single-token steps. */
function sessionThroughput(model: DecoderModel, promptLength: number, generated: number, runs: number): { prefill: number; decode: number } {
  const prompt = [...randomIds(promptLength, model.config.vocabSize, 7)];
  const prefill: number[] = [];
  const decode: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    const session = model.createSession(1, promptLength + generated);
    const t0 = performance.now();
    let token = argmax(session.prefill(0, prompt));
    const t1 = performance.now();
    for (let i = 0; i < generated; i++) token = argmax(session.decode([0], [token]));
    const t2 = performance.now();
    if (r === 0) continue; // warm-up
    prefill.push((promptLength * 1000) / (t1 - t0));
    decode.push((generated * 1000) / (t2 - t1));
  }
  return { prefill: median(prefill), decode: median(decode) };
}

/**
 * Decode M with Q8_0 and Q4_0 weights: toolken keeps the file's blocks (loadDecoder keepQuantized) and llama.cpp
 * (when TOOLKEN_LLAMA_DIR is set) runs the very same GGUF file, one after the other in this run; params name the
 * int8 path, the CPU and its caches. The LM head is quantized too (llama.cpp's output.weight is the file's).
 */
export function quantizedDecodeRecords(cpu: CpuBackend): BenchRecord[] {
  const llamaDir = process.env[LLAMA_DIR_ENV];
  if (!llamaDir) process.stderr.write(`bench model: llama.cpp quantized anchor skipped (${LLAMA_DIR_ENV} not set)\n`);
  const scratch = mkdtempSync(join(tmpdir(), 'toolken-quantized-bench-'));
  const records: BenchRecord[] = [];
  try {
    const source = DecoderModel.random(SHAPES.M, 1234);
    for (const type of ['q8_0', 'q4_0'] as const satisfies readonly QuantType[]) {
      const path = join(scratch, `M-${type}.gguf`);
      exportGguf(source, path, { tokenizer: byteFallbackTokenizer(), dtype: type });
      const model = loadDecoder(path, { keepQuantized: true }).model;
      const int8Path = /int8 matmul (\S+)/.exec(cpu.describe())?.[1] ?? 'unknown';
      const params = { prompt: 128, generated: 64, threads: THREADS, runs: 3, weights: type.toUpperCase(), path: int8Path, ...cpuParams() };
      records.push({ name: `toolken decode M ${type}`, value: sessionThroughput(model, 128, 64, 3).decode, unit: 'tokens/s', params });
      if (llamaDir) {
        const figures = llamaCppFileThroughput(llamaDir, path, THREADS);
        if ('error' in figures) process.stderr.write(`bench model: llama.cpp M ${type}: ${figures.error}\n`);
        else records.push({ name: `llama.cpp decode M ${type}`, value: figures.decode, unit: 'tokens/s', params: { ...params, path: 'llama.cpp', flashAttention: false, release: figures.release } });
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return records;
}

/** Wraps a backend so that every kernel call adds its wall time to `times` (by kernel name). */
function timedBackend(backend: Backend, times: Map<string, number>): Backend {
  return new Proxy(backend, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const start = performance.now();
        const out: unknown = value.apply(target, args);
        times.set(String(key), (times.get(String(key)) ?? 0) + performance.now() - start);
        return out;
      };
    },
  });
}

/** Where the time of one training step and of one decode step goes, kernel by kernel (ms), for the S shape. */
function kernelProfile(backend: Backend): BenchRecord[] {
  const times = new Map<string, number>();
  const timed = timedBackend(backend, times);
  setBackend(timed);
  try {
    const config = SHAPES.S;
    const model = DecoderModel.random(config, 1234, 0.02, timed);
    const [batch, seq] = [8, 256];
    const trainer = oneBatchTrainer(model, batch, seq, 1);
    trainer.step();
    times.clear();
    trainer.step();
    const train = [...times].sort((a, b) => b[1] - a[1]).slice(0, 8);
    const session = model.createSession(1, 192);
    let token = argmax(session.prefill(0, [...randomIds(128, config.vocabSize, 7)]));
    times.clear();
    for (let i = 0; i < 64; i++) token = argmax(session.decode([0], [token]));
    const decode = [...times].sort((a, b) => b[1] - a[1]).slice(0, 5);
    return [
      ...train.map(([kernel, ms]) => ({ name: `profile train S: ${kernel}`, value: ms, unit: 'ms/step', params: { batch, seq } })),
      ...decode.map(([kernel, ms]) => ({ name: `profile decode S: ${kernel}`, value: ms / 64, unit: 'ms/token', params: { prompt: 128 } })),
    ];
  } finally {
    setBackend(backend);
  }
}

interface TorchSpread {
  median: number;
}
interface TorchResult {
  tokens_per_s?: TorchSpread;
  prefill_tok_s?: TorchSpread;
  decode_tok_s?: TorchSpread;
}

/** Runs the PyTorch anchor in the tuned environment; null (with a note on stderr) when it cannot run. */
function torchAnchor(args: readonly string[]): TorchResult | null {
  if (!existsSync(PYTHON) || !existsSync(ANCHOR)) {
    process.stderr.write(`bench model: PyTorch anchor unavailable (${PYTHON} or ${ANCHOR} missing)\n`);
    return null;
  }
  const env = { ...process.env, ...(existsSync(TUNED_ENV.LD_PRELOAD) ? TUNED_ENV : {}) };
  const run = spawnSync(PYTHON, [ANCHOR, ...args, '--threads', String(THREADS)], { encoding: 'utf8', env, timeout: 600_000 });
  const line = run.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
  if (run.status !== 0 || line === undefined) {
    process.stderr.write(`bench model: torch_llama.py ${args.join(' ')} failed: ${(run.stderr ?? '').trim().split('\n').pop() ?? run.error?.message}\n`);
    return null;
  }
  return JSON.parse(line.slice('RESULT '.length)) as TorchResult;
}

function torchRecords(): BenchRecord[] {
  const records: BenchRecord[] = [];
  const environment = existsSync(TUNED_ENV.LD_PRELOAD) ? 'tuned' : 'default';
  const train = torchAnchor(['train', '--config', 'S', '--batch', '8', '--seq', '256', '--warmup', '2', '--steps', '5']);
  if (train?.tokens_per_s) {
    records.push({ name: 'torch train S', value: train.tokens_per_s.median, unit: 'tokens/s', params: { batch: 8, seq: 256, threads: THREADS, environment } });
  }
  for (const name of ['S', 'M'] as const) {
    const infer = torchAnchor(['infer', '--config', name, '--prompt', '128', '--gen', '64', '--runs', '3']);
    if (infer?.prefill_tok_s && infer.decode_tok_s) {
      const params = { prompt: 128, generated: 64, threads: THREADS, environment };
      records.push({ name: `torch prefill ${name}`, value: infer.prefill_tok_s.median, unit: 'tokens/s', params });
      records.push({ name: `torch decode ${name}`, value: infer.decode_tok_s.median, unit: 'tokens/s', params });
    }
  }
  return records;
}

/** llama.cpp on toolken's GGUF export (F32, random weights) of the S and M shapes; none without TOOLKEN_LLAMA_DIR. */
function llamaCppRecords(): BenchRecord[] {
  const dir = process.env[LLAMA_DIR_ENV];
  if (!dir) {
    process.stderr.write(`bench model: llama.cpp anchor skipped (${LLAMA_DIR_ENV} not set)\n`);
    return [];
  }
  return (['S', 'M'] as const).flatMap((name) => {
    const figures = llamaCppThroughput(dir, SHAPES[name], THREADS);
    if ('error' in figures) {
      process.stderr.write(`bench model: llama.cpp ${name}: ${figures.error}\n`);
      return [];
    }
    const params = { prompt: 128, generated: 64, threads: THREADS, weights: 'F32', flashAttention: false, release: figures.release };
    return [
      { name: `llama.cpp prefill ${name}`, value: figures.prefill, unit: 'tokens/s', params },
      { name: `llama.cpp decode ${name}`, value: figures.decode, unit: 'tokens/s', params },
    ];
  });
}

export async function run(): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  const loaded = loadCpuBackend();
  if ('error' in loaded) {
    process.stderr.write(`bench model: skipping toolken (the native cpu backend is needed at these sizes): ${loaded.error}\n`);
  } else {
    loaded.backend.setThreads(THREADS);
    setBackend(loaded.backend);
    records.push(await trainThroughput('S', 8, 256));
    records.push(...inferThroughput('S', 128, 64, 3));
    records.push(...inferThroughput('M', 128, 64, 3));
    records.push(...kernelProfile(loaded.backend));
    records.push(...quantizedDecodeRecords(loaded.backend));
  }
  records.push(...torchRecords());
  records.push(...llamaCppRecords());
  return records;
}
