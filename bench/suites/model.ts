/**
 * Decoder throughput on the native cpu backend, beside the PyTorch CPU anchor (../shared/anchors/torch_llama.py in
 * the tuned environment of ../shared/anchors/README.md) measured in the same run, on the anchor's shapes and
 * workloads, random weights, 2 threads:
 *   train S   : forward + fused LM-head cross-entropy + backward + AdamW, batch 8 x 256 tokens (tokens/s), in fp32
 *               (`toolken train S`) and in mixed precision (`toolken train S bf16`: bf16 matmuls, fp32 weights and
 *               AdamW), measured in alternating steps so load drift hits both alike; PyTorch's `torch train S` and
 *               `torch train S bf16` (autocast) beside them
 *   prefill   : one 128-token prompt, LM head on the last position (tokens/s), S, and M in each weight format
 *   decode    : 64 single-token steps with the KV cache, LM head + greedy each (tokens/s), likewise
 *   profile   : milliseconds per kernel of one S training step (fp32 and bf16) and of one S decode step (where the
 *               time goes)
 *   llama.cpp : prefill and decode S and M through the anchors' llama_bench.mjs, on toolken's own F32 GGUF export of
 *               the same random models, when TOOLKEN_LLAMA_DIR names a node-llama-cpp install (docs/llama-cpp.md)
 *   qlora     : LoRA training (rank 8 on the seven projections) of M, 4 x 256, over an fp32 base (`toolken train lora M`)
 *               and over bases kept in Q8_0 / Q4_0 / NF4 blocks (`toolken train lora M q8_0|q4_0|nf4`), steps in alternation,
 *               with the bytes the base's projection weights take per parameter
 *   formats   : prefill and decode M with fp32, bf16, Q8_0 and Q4_0 weights (`toolken decode M [bf16|q8_0|q4_0]`),
 *               kept in their format (bf16 dot products, int8 dot products), and llama.cpp F16 / Q8_0 / Q4_0 on the
 *               same export (`llama.cpp decode M f16|q8_0|q4_0`) (quantizedDecodeRecords), part of infer
 * The ref backend is far too slow for these shapes; without the native addon our side is skipped and said so.
 * TOOLKEN_BENCH_WORKLOADS=train,qlora,infer,profile,llama (default all) runs a subset (a shared machine's time is short);
 * the PyTorch anchors of the chosen workloads run with them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCpuBackend, type CpuBackend } from '../../src/tensor/backends/cpu.js';
import { setBackend } from '../../src/tensor/backends/index.js';
import { loadDecoder } from '../../src/models/load.js';
import { exportGguf, saveModel } from '../../src/models/save.js';
import type { QuantType } from '../../src/tensor/quant.js';
import type { DecoderConfig } from '../../src/models/config.js';
import type { Backend, MatmulPrecision } from '../../src/tensor/backend.js';
import { defaultSftConfig, SftObjective, type SftConfig } from '../../src/train/objectives/sft.js';
import { Trainer } from '../../src/train/trainer.js';
import { applyLora } from '../../src/models/lora.js';
import { DecoderModel, QuantizedDense } from '../../src/models/decoder.js';
import { Linear } from '../../src/nn/linear.js';
import { DEFAULT_LORA_TARGETS } from '../../src/methods/function-calling/train-sft.js';
import { Rng } from '../../src/tensor/random.js';
import { argmax } from '../../src/generate/sampling.js';
import { cpuParams, median, type BenchRecord } from '../lib.js';
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
function oneBatchTrainer(model: DecoderModel, batch: number, seq: number, seed: number, precision: MatmulPrecision = 'fp32'): { step: () => void } {
  const ids = randomIds(batch * (seq + 1), model.config.vocabSize, seed);
  const train = Array.from({ length: batch }, (_, r) => {
    const tokens = ids.subarray(r * (seq + 1), (r + 1) * (seq + 1));
    return { inputIds: tokens, labels: tokens };
  });
  const config = { ...STEP_CONFIG, batchSize: batch, maxLength: seq, precision };
  const objective = new SftObjective({ model, train, settings: config });
  const trainer = new Trainer({ model, objective, config });
  const batches = objective.batches(0);
  return { step: () => void trainer.step(batches) };
}

/**
 * Seconds of each of `steps` steps of every trainer, after 2 warm-up steps each: one step of each trainer in turn,
 * so that a change in the machine's load falls on all of them alike.
 */
function alternatingStepSeconds(trainers: readonly { step(): void }[], steps: number): number[][] {
  for (const trainer of trainers) for (let i = 0; i < 2; i++) trainer.step();
  const seconds = trainers.map((): number[] => []);
  for (let i = 0; i < steps; i++) {
    trainers.forEach((trainer, t) => {
      const start = performance.now();
      trainer.step();
      seconds[t]!.push((performance.now() - start) / 1000);
    });
  }
  return seconds;
}

/**
 * Training throughput in fp32 and in bf16 mixed precision on the same model and batch: 2 warm-up steps each (as the
 * anchor), then `steps` timed steps of each in alternation; the median step of each.
 */
function trainThroughputs(name: keyof typeof SHAPES, batch: number, seq: number, bf16Path: string, steps = 5): BenchRecord[] {
  const precisions: readonly MatmulPrecision[] = ['fp32', 'bf16'];
  const seconds = alternatingStepSeconds(precisions.map((precision) => oneBatchTrainer(DecoderModel.random(SHAPES[name], 1234), batch, seq, 42, precision)), steps);
  return precisions.map((precision, t) => ({
    name: `toolken train ${name}${precision === 'bf16' ? ' bf16' : ''}`, value: (batch * seq) / median(seconds[t]!), unit: 'tokens/s',
    params: {
      batch, seq, threads: THREADS, precision, path: precision === 'bf16' ? bf16Path : 'fp32',
      best: Math.round((batch * seq) / Math.min(...seconds[t]!)), ...cpuParams(),
    },
  }));
}

/** Bytes the model's projection weights take per weight: 4 in fp32, 34 / 32 in Q8_0, 18 / 32 in Q4_0, 36 / 64 in NF4. */
function projectionBytesPerParameter(model: DecoderModel): number {
  let bytes = 0;
  let count = 0;
  model.mapProjections((_, projection) => {
    const base = 'base' in projection ? projection.base : projection;
    if (base instanceof Linear) {
      bytes += 4 * base.weight.size;
      count += base.weight.size;
    } else if (base instanceof QuantizedDense) {
      bytes += base.weight.data.byteLength;
      count += base.weight.rows * base.weight.cols;
    }
    return projection;
  });
  return bytes / count;
}

/**
 * LoRA training throughput over an fp32 base and over bases kept quantized (QLoRA), the same random model and
 * batch: 2 warm-up steps each, then `steps` timed steps of each in alternation; the median step of each.
 */
function loraThroughputs(name: keyof typeof SHAPES, batch: number, seq: number, described: string, steps = 3): BenchRecord[] {
  const int8Path = /int8 matmul (\S+)/.exec(described)?.[1] ?? 'unknown';
  const nf4Path = /nf4 weights (\w+)/.exec(described)?.[1] ?? 'unknown';
  const scratch = mkdtempSync(join(tmpdir(), 'toolken-qlora-bench-'));
  try {
    // Tied embeddings (as SmolLM-135M has): a quantized base's loss then reads the embedding's fp32 copy as the head,
    // where an untied quantized lm_head is refused for training (decoder.outputMatrix).
    const config = { ...SHAPES[name], tieWordEmbeddings: true };
    // The quantized bases are what `toolken train sft --quantize` loads: the fp32 checkpoint, quantized on load.
    saveModel(DecoderModel.random(config, 1234), null, scratch);
    const bases = (['fp32', 'q8_0', 'q4_0', 'nf4'] as const satisfies readonly ('fp32' | QuantType)[]).map((type) => ({
      type, model: type === 'fp32' ? DecoderModel.random(config, 1234) : loadDecoder(scratch, { quantize: type }).model,
    }));
    for (const { model } of bases) applyLora(model, { rank: 8, alpha: 16, targetModules: [...DEFAULT_LORA_TARGETS], seed: 1 });
    const seconds = alternatingStepSeconds(bases.map(({ model }) => oneBatchTrainer(model, batch, seq, 42)), steps);
    return bases.map(({ type, model }, t) => ({
      name: `toolken train lora ${name}${type === 'fp32' ? '' : ' ' + type}`, value: (batch * seq) / median(seconds[t]!), unit: 'tokens/s',
      params: {
        batch, seq, threads: THREADS, rank: 8, base: type, tiedEmbeddings: true, path: type === 'fp32' ? 'fp32' : type === 'nf4' ? nf4Path : int8Path,
        baseBytesPerParameter: projectionBytesPerParameter(model), ...cpuParams(),
      },
    }));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
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

/** The weight formats of the M records: toolken's GGUF export type, toolken's record suffix, llama.cpp's file. */
const WEIGHT_FORMATS = [
  { format: 'fp32', export: 'f32', suffix: '', llama: 'f32' },
  { format: 'bf16', export: 'bf16', suffix: ' bf16', llama: 'f16' },
  { format: 'q8_0', export: 'q8_0', suffix: ' q8_0', llama: 'q8_0' },
  { format: 'q4_0', export: 'q4_0', suffix: ' q4_0', llama: 'q4_0' },
] as const;

/**
 * Prefill and decode M with fp32, bf16, Q8_0 and Q4_0 weights, one after the other in this run: toolken loads its
 * GGUF export of the random M model keeping the file's matrices as stored (loadDecoder keepQuantized: BF16 as bf16,
 * Q8_0 / Q4_0 as blocks), and llama.cpp (when TOOLKEN_LLAMA_DIR is set) runs the very same Q8_0 / Q4_0 file and an
 * F16 export for bf16 (llama.cpp's half-precision CPU path); fp32 is toolken's own. The LM head is in the file's
 * format too. Params name the kernel path (`int8 matmul` / `bf16 weights` of describe()), the CPU and its caches.
 */
export function quantizedDecodeRecords(cpu: CpuBackend): BenchRecord[] {
  const llamaDir = process.env[LLAMA_DIR_ENV];
  if (!llamaDir) process.stderr.write(`bench model: llama.cpp quantized anchor skipped (${LLAMA_DIR_ENV} not set)\n`);
  const scratch = mkdtempSync(join(tmpdir(), 'toolken-quantized-bench-'));
  const records: BenchRecord[] = [];
  const described = cpu.describe();
  const paths: Record<(typeof WEIGHT_FORMATS)[number]['format'], string> = {
    fp32: 'fp32',
    bf16: /; bf16 weights (\S+);/.exec(described)?.[1] ?? 'unknown',
    q8_0: /int8 matmul (\S+)/.exec(described)?.[1] ?? 'unknown',
    q4_0: /int8 matmul (\S+)/.exec(described)?.[1] ?? 'unknown',
  };
  try {
    const source = DecoderModel.random(SHAPES.M, 1234);
    const tokenizer = byteFallbackTokenizer();
    for (const { format, export: dtype, suffix, llama } of WEIGHT_FORMATS) {
      const path = join(scratch, `M-${dtype}.gguf`);
      exportGguf(source, path, { tokenizer, dtype });
      const model = loadDecoder(path, { keepQuantized: true }).model;
      const params = { prompt: 128, generated: 64, threads: THREADS, runs: 3, weights: format.toUpperCase(), path: paths[format], ...cpuParams() };
      const { prefill, decode } = sessionThroughput(model, 128, 64, 3);
      records.push(
        { name: `toolken prefill M${suffix}`, value: prefill, unit: 'tokens/s', params },
        { name: `toolken decode M${suffix}`, value: decode, unit: 'tokens/s', params },
      );
      if (!llamaDir || format === 'fp32') continue; // llama.cpp F32 is the llama workload's (llamaCppRecords)
      const llamaPath = llama === dtype ? path : join(scratch, `M-${llama}.gguf`);
      if (llamaPath !== path) exportGguf(source, llamaPath, { tokenizer, dtype: llama });
      const figures = llamaCppFileThroughput(llamaDir, llamaPath, THREADS);
      if ('error' in figures) {
        process.stderr.write(`bench model: llama.cpp M ${llama}: ${figures.error}\n`);
        continue;
      }
      const llamaParams = { ...params, weights: llama.toUpperCase(), path: 'llama.cpp', flashAttention: false, release: figures.release };
      records.push(
        { name: `llama.cpp prefill M ${llama}`, value: figures.prefill, unit: 'tokens/s', params: llamaParams },
        { name: `llama.cpp decode M ${llama}`, value: figures.decode, unit: 'tokens/s', params: llamaParams },
      );
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
    const train = (['fp32', 'bf16'] as const).flatMap((precision) => {
      const trainer = oneBatchTrainer(model, batch, seq, 1, precision);
      trainer.step();
      times.clear();
      trainer.step();
      return [...times].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([kernel, ms]) => ({
        name: `profile train S${precision === 'bf16' ? ' bf16' : ''}: ${kernel}`, value: ms, unit: 'ms/step', params: { batch, seq, precision },
      }));
    });
    const session = model.createSession(1, 192);
    let token = argmax(session.prefill(0, [...randomIds(128, config.vocabSize, 7)]));
    times.clear();
    for (let i = 0; i < 64; i++) token = argmax(session.decode([0], [token]));
    const decode = [...times].sort((a, b) => b[1] - a[1]).slice(0, 5);
    return [
      ...train,
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

function torchRecords(workloads: ReadonlySet<Workload>): BenchRecord[] {
  const records: BenchRecord[] = [];
  const environment = existsSync(TUNED_ENV.LD_PRELOAD) ? 'tuned' : 'default';
  for (const bf16 of workloads.has('train') ? [false, true] : []) {
    const train = torchAnchor(['train', '--config', 'S', '--batch', '8', '--seq', '256', '--warmup', '2', '--steps', '5', ...(bf16 ? ['--bf16'] : [])]);
    if (train?.tokens_per_s) {
      records.push({
        name: `torch train S${bf16 ? ' bf16' : ''}`, value: train.tokens_per_s.median, unit: 'tokens/s',
        params: { batch: 8, seq: 256, threads: THREADS, environment, precision: bf16 ? 'bf16-autocast' : 'fp32', ...cpuParams() },
      });
    }
  }
  for (const name of workloads.has('infer') ? (['S', 'M'] as const) : []) {
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

const WORKLOADS = ['train', 'qlora', 'infer', 'profile', 'llama'] as const;
type Workload = (typeof WORKLOADS)[number];

/** The workloads TOOLKEN_BENCH_WORKLOADS names (comma-separated), or all of them. */
function selectedWorkloads(): Set<Workload> {
  const given = process.env['TOOLKEN_BENCH_WORKLOADS'];
  if (given === undefined || given.trim() === '') return new Set(WORKLOADS);
  const names = given.split(',').map((w) => w.trim());
  const unknown = names.filter((w) => !(WORKLOADS as readonly string[]).includes(w));
  if (unknown.length > 0) throw new Error(`TOOLKEN_BENCH_WORKLOADS: unknown workload(s) ${unknown.join(', ')}; choose from ${WORKLOADS.join(', ')}`);
  return new Set(names as Workload[]);
}

export async function run(): Promise<BenchRecord[]> {
  const workloads = selectedWorkloads();
  const records: BenchRecord[] = [];
  const loaded = loadCpuBackend();
  if ('error' in loaded) {
    process.stderr.write(`bench model: skipping toolken (the native cpu backend is needed at these sizes): ${loaded.error}\n`);
  } else {
    loaded.backend.setThreads(THREADS);
    setBackend(loaded.backend);
    const bf16Path = /; bf16 matmul (\S+) /.exec(loaded.backend.describe())?.[1] ?? 'unknown';
    if (workloads.has('train')) records.push(...trainThroughputs('S', 8, 256, bf16Path));
    if (workloads.has('qlora')) records.push(...loraThroughputs('M', 4, 256, loaded.backend.describe()));
    if (workloads.has('infer')) records.push(...inferThroughput('S', 128, 64, 3));
    if (workloads.has('profile')) records.push(...kernelProfile(loaded.backend));
    if (workloads.has('infer')) records.push(...quantizedDecodeRecords(loaded.backend));
  }
  records.push(...torchRecords(workloads));
  if (workloads.has('llama')) records.push(...llamaCppRecords());
  return records;
}
