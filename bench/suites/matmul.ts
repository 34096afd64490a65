/**
 * SGEMM throughput: the native cpu backend against PyTorch's CPU matmul (OpenBLAS) measured in the same run, at
 * 1024^3 and 2048^3 on 1 and 2 threads. The bf16 precision (`toolken cpu gemm bf16`, on the path the CPU offers:
 * amx, avx512-bf16 or fp32) is measured beside PyTorch's bf16 `torch.mm` (oneDNN, tuned environment) at the same
 * cubes and at the two matmul shapes of a train-S step (tokens x dim x vocab, tokens x dim x hidden). PyTorch runs in Debian's plain environment and in the tuned one of
 * ../shared/anchors/README.md (OpenBLAS OpenMP build + tcmalloc); a missing torch is reported and skipped.
 *
 * The machine is shared, so load drifts during a run: the systems are measured in alternating rounds and each
 * record reports the median over all rounds, with the best run beside it, and `cpuNormalised`: the flops over
 * the median CPU seconds per thread, the rate `threads` dedicated cores would give. It is robust to other
 * processes but flatters an implementation whose idle threads sleep rather than spin.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadCpuBackend, type CpuBackend } from '../../src/tensor/backends/cpu.js';
import { cpuParams, median, timeIt, type BenchRecord } from '../lib.js';

const SIZES = [1024, 2048] as const;
const THREADS = [1, 2] as const;
const ROUNDS = 3;
/** Timed runs per size and round. */
const RUNS: Readonly<Record<string, number>> = { 1024: 7, 2048: 3 };
const PYTHON = '/usr/bin/python3';
const OPENBLAS_OPENMP_DIR = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
const TCMALLOC = '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4';

type System = 'toolken cpu sgemm' | 'torch.mm (plain)' | 'torch.mm (tuned)' | 'toolken cpu gemm bf16' | 'torch.mm bf16';

/** A product (m, k) @ (k, n), named m x k x n. */
interface Shape {
  readonly m: number;
  readonly k: number;
  readonly n: number;
}
const BF16_SHAPES: readonly Shape[] = [
  { m: 1024, k: 1024, n: 1024 }, { m: 2048, k: 2048, n: 2048 }, { m: 2048, k: 288, n: 32000 }, { m: 2048, k: 288, n: 768 },
];
const shapeName = (s: Shape): string => `${s.m}x${s.k}x${s.n}`;
const shapeFlops = (s: Shape): number => 2 * s.m * s.k * s.n;
/** Timed runs per bf16 shape and round: fewer for the big ones. */
const bf16Runs = (s: Shape): number => (shapeFlops(s) > 1e10 ? 3 : 7);
/** Wall and CPU seconds per run, keyed by `${system}|${size}|${threads}`. */
type Samples = Map<string, { wall: number[]; cpu: number[] }>;

const key = (system: System, size: number, threads: number): string => `${system}|${size}|${threads}`;
const gflops = (size: number, seconds: number): number => (2 * size ** 3) / seconds / 1e9;

function addSamples(samples: Samples, k: string, wall: readonly number[], cpu: readonly number[]): void {
  const s = samples.get(k) ?? { wall: [], cpu: [] };
  samples.set(k, { wall: [...s.wall, ...wall], cpu: [...s.cpu, ...cpu] });
}

function randomMatrix(rows: number, cols: number = rows): Float32Array {
  const a = new Float32Array(rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

async function roundOurs(cpu: CpuBackend, samples: Samples): Promise<void> {
  const before = cpu.threads;
  try {
    for (const size of SIZES) {
      const a = randomMatrix(size);
      const b = randomMatrix(size);
      const c = new Float32Array(size * size);
      for (const threads of THREADS) {
        cpu.setThreads(threads);
        const t = await timeIt(() => cpu.matmul(a, b, c, { batch: 1, m: size, n: size, k: size, transA: false, transB: false }), {
          warmup: 1,
          runs: RUNS[size],
        });
        addSamples(samples, key('toolken cpu sgemm', size, threads), t.samples, t.cpuSamples);
      }
    }
  } finally {
    cpu.setThreads(before);
  }
}

async function roundOursBf16(cpu: CpuBackend, samples: Samples): Promise<void> {
  const before = cpu.threads;
  try {
    for (const shape of BF16_SHAPES) {
      const a = randomMatrix(shape.m, shape.k);
      const b = randomMatrix(shape.k, shape.n);
      const c = new Float32Array(shape.m * shape.n);
      const p = { batch: 1, ...shape, transA: false, transB: false, precision: 'bf16' } as const;
      for (const threads of THREADS) {
        cpu.setThreads(threads);
        const t = await timeIt(() => cpu.matmul(a, b, c, p), { warmup: 1, runs: bf16Runs(shape) });
        addSamples(samples, `toolken cpu gemm bf16|${shapeName(shape)}|${threads}`, t.samples, t.cpuSamples);
      }
    }
  } finally {
    cpu.setThreads(before);
  }
}

// Prints one JSON line per (threads, shape) with the wall and CPU seconds of each timed bf16 torch.mm after a warm-up.
const TORCH_BF16_SCRIPT = `
import json, sys, time, torch
shapes, threads_list = json.loads(sys.argv[1])
for threads in threads_list:
    torch.set_num_threads(threads)
    for m, k, n, runs in shapes:
        a = (torch.rand(m, k) * 2 - 1).bfloat16()
        b = (torch.rand(k, n) * 2 - 1).bfloat16()
        torch.mm(a, b)
        wall, cpu = [], []
        for _ in range(runs):
            c = time.process_time()
            t = time.perf_counter()
            torch.mm(a, b)
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        print(json.dumps({"threads": threads, "shape": f"{m}x{k}x{n}", "wall": wall, "cpu": cpu}), flush=True)
`;

// Prints one JSON line per (threads, size) with the wall and CPU seconds of each timed torch.mm after a warm-up.
const TORCH_SCRIPT = `
import json, sys, time, torch
sizes, threads_list, runs_by_size = json.loads(sys.argv[1])
for threads in threads_list:
    torch.set_num_threads(threads)
    for n in sizes:
        a = torch.rand(n, n) * 2 - 1
        b = torch.rand(n, n) * 2 - 1
        torch.mm(a, b)
        wall, cpu = [], []
        for _ in range(runs_by_size[str(n)]):
            c = time.process_time()
            t = time.perf_counter()
            torch.mm(a, b)
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        print(json.dumps({"threads": threads, "size": n, "wall": wall, "cpu": cpu}), flush=True)
`;

type TorchEnv = 'plain' | 'tuned';

function torchEnvironment(kind: TorchEnv): NodeJS.ProcessEnv | string {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '2' };
  if (kind === 'plain') return env;
  if (!existsSync(OPENBLAS_OPENMP_DIR) || !existsSync(TCMALLOC)) {
    return `the tuned environment needs ${OPENBLAS_OPENMP_DIR} and ${TCMALLOC} (apt-get install libopenblas0-openmp libtcmalloc-minimal4)`;
  }
  return { ...env, LD_LIBRARY_PATH: OPENBLAS_OPENMP_DIR, LD_PRELOAD: TCMALLOC };
}

/** Runs a torch timing script; returns its JSON lines, or why it could not run. */
function runTorch(env: NodeJS.ProcessEnv, script: string, argument: unknown): unknown[] | string {
  const child = spawnSync(PYTHON, ['-c', script, JSON.stringify(argument)], { env, encoding: 'utf8' });
  if (child.error) return `${PYTHON} could not run: ${child.error.message}`;
  if (child.status !== 0) {
    if (child.stderr.includes('No module named')) return `${PYTHON} -c 'import torch' fails (install python3-torch)`;
    return child.stderr.trim().split('\n').slice(-3).join(' | ');
  }
  return child.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown);
}

/** One round of torch timings into `samples`; returns why it could not run, or null. */
function roundTorch(kind: TorchEnv, samples: Samples): string | null {
  const env = torchEnvironment(kind);
  if (typeof env === 'string') return env;
  const lines = runTorch(env, TORCH_SCRIPT, [SIZES, THREADS, RUNS]);
  if (typeof lines === 'string') return lines;
  for (const line of lines) {
    const t = line as { threads: number; size: number; wall: number[]; cpu: number[] };
    addSamples(samples, key(`torch.mm (${kind})`, t.size, t.threads), t.wall, t.cpu);
  }
  return null;
}

/** One round of bf16 torch.mm timings (tuned environment) into `samples`; returns why it could not run, or null. */
function roundTorchBf16(samples: Samples): string | null {
  const env = torchEnvironment('tuned');
  if (typeof env === 'string') return env;
  const lines = runTorch(env, TORCH_BF16_SCRIPT, [BF16_SHAPES.map((s) => [s.m, s.k, s.n, bf16Runs(s)]), THREADS]);
  if (typeof lines === 'string') return lines;
  for (const line of lines) {
    const t = line as { threads: number; shape: string; wall: number[]; cpu: number[] };
    addSamples(samples, `torch.mm bf16|${t.shape}|${t.threads}`, t.wall, t.cpu);
  }
  return null;
}

export async function run(): Promise<BenchRecord[]> {
  const loaded = loadCpuBackend();
  if ('error' in loaded) process.stderr.write(`bench matmul: skipping the cpu backend: ${loaded.error}\n`);
  else process.stderr.write(`bench matmul: ${loaded.backend.describe()}\n`);
  const samples: Samples = new Map();
  const torchUnavailable = new Map<TorchEnv | 'bf16', string>();
  for (let round = 0; round < ROUNDS; round++) {
    if ('backend' in loaded) await roundOurs(loaded.backend, samples);
    if ('backend' in loaded) await roundOursBf16(loaded.backend, samples);
    if (!torchUnavailable.has('bf16')) {
      const why = roundTorchBf16(samples);
      if (why !== null) {
        torchUnavailable.set('bf16', why);
        process.stderr.write(`bench matmul: skipping the PyTorch bf16 comparison: ${why}\n`);
      }
    }
    for (const kind of ['plain', 'tuned'] as const) {
      if (torchUnavailable.has(kind)) continue;
      const why = roundTorch(kind, samples);
      if (why !== null) {
        torchUnavailable.set(kind, why);
        process.stderr.write(`bench matmul: skipping the PyTorch (${kind}) comparison: ${why}\n`);
      }
    }
  }

  const records: BenchRecord[] = [];
  const summary = (system: System, size: number, threads: number): { median: number; best: number; cpuNormalised: number } | null => {
    const s = samples.get(key(system, size, threads));
    if (s === undefined) return null;
    return {
      median: gflops(size, median(s.wall)),
      best: gflops(size, Math.min(...s.wall)),
      cpuNormalised: gflops(size, median(s.cpu) / threads),
    };
  };
  for (const size of SIZES) {
    for (const threads of THREADS) {
      const ours = summary('toolken cpu sgemm', size, threads);
      for (const system of ['toolken cpu sgemm', 'torch.mm (plain)', 'torch.mm (tuned)'] as const) {
        const s = summary(system, size, threads);
        if (s === null) continue;
        const params: BenchRecord['params'] = {
          size, threads, best: Number(s.best.toFixed(1)), cpuNormalised: Number(s.cpuNormalised.toFixed(1)),
        };
        if (system === 'toolken cpu sgemm' && 'backend' in loaded) params['path'] = loaded.backend.features.path;
        records.push({ name: system, value: s.median, unit: 'GFLOP/s', params });
        if (system !== 'toolken cpu sgemm' && ours !== null) {
          records.push({
            name: `toolken / ${system}`,
            value: ours.median / s.median,
            unit: 'ratio',
            params: {
              size, threads, bestRatio: Number((ours.best / s.best).toFixed(3)),
              cpuNormalisedRatio: Number((ours.cpuNormalised / s.cpuNormalised).toFixed(3)),
            },
          });
        }
      }
    }
  }
  records.push(...bf16Records(samples, 'backend' in loaded ? loaded.backend : null));
  return records;
}

/** The bf16 records: ours and torch's per shape and thread count, and their ratio, all with the CPU they ran on. */
function bf16Records(samples: Samples, cpu: CpuBackend | null): BenchRecord[] {
  const machine = cpuParams();
  const path = cpu === null ? 'none' : (/; bf16 matmul (\S+) /.exec(cpu.describe())?.[1] ?? 'unknown');
  const records: BenchRecord[] = [];
  for (const shape of BF16_SHAPES) {
    for (const threads of THREADS) {
      const rate = (system: System): { median: number; best: number; cpuNormalised: number } | null => {
        const s = samples.get(`${system}|${shapeName(shape)}|${threads}`);
        if (s === undefined) return null;
        const flops = shapeFlops(shape) / 1e9;
        return { median: flops / median(s.wall), best: flops / Math.min(...s.wall), cpuNormalised: flops / (median(s.cpu) / threads) };
      };
      const ours = rate('toolken cpu gemm bf16');
      const theirs = rate('torch.mm bf16');
      const base = { size: shapeName(shape), m: shape.m, k: shape.k, n: shape.n, threads, ...machine };
      for (const [name, r] of [['toolken cpu gemm bf16', ours], ['torch.mm bf16', theirs]] as const) {
        if (r === null) continue;
        const params: BenchRecord['params'] = { ...base, best: Number(r.best.toFixed(1)), cpuNormalised: Number(r.cpuNormalised.toFixed(1)) };
        if (name === 'toolken cpu gemm bf16') params['path'] = path;
        records.push({ name, value: r.median, unit: 'GFLOP/s', params });
      }
      if (ours !== null && theirs !== null) {
        records.push({
          name: 'toolken / torch.mm bf16', value: ours.median / theirs.median, unit: 'ratio',
          params: { ...base, path, bestRatio: Number((ours.best / theirs.best).toFixed(3)), cpuNormalisedRatio: Number((ours.cpuNormalised / theirs.cpuNormalised).toFixed(3)) },
        });
      }
    }
  }
  return records;
}
