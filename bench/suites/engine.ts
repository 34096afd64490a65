/**
 * The tensor engine on the current backend: forward + backward of one Llama decoder layer (the production
 * DecoderLayer of src/models/decoder.ts) at the stories15M layer shape (dim 288, 6 heads, hidden 768, batch 8 x 256
 * tokens) and the fused chunked linear + cross-entropy (rows 2048, dim 288, vocab 32000). The same block runs in
 * PyTorch (the Block class of ../shared/anchors/torch_llama.py, imported in place) for a time ratio ours / PyTorch;
 * a missing torch or anchor is reported and skipped. The pure-TypeScript ref backend gets smaller shapes (stated in
 * params).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DecoderConfig } from '../../src/models/config.js';
import { DecoderModel, selfAttentionRows } from '../../src/models/decoder.js';
import { getBackend } from '../../src/tensor/backends/index.js';
import { linearCrossEntropy } from '../../src/tensor/ops/linearCrossEntropy.js';
import { Rng } from '../../src/tensor/random.js';
import { tidy } from '../../src/tensor/scope.js';
import { randn } from '../../src/tensor/tensor.js';
import { timeIt, type BenchRecord } from '../lib.js';

const PYTHON = '/usr/bin/python3';
const ANCHORS_DIR = fileURLToPath(new URL('../../../shared/anchors', import.meta.url));
const OPENBLAS_OPENMP_DIR = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
const TCMALLOC = '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4';

interface BlockShape {
  readonly batch: number;
  readonly seq: number;
  readonly dim: number;
  readonly heads: number;
  readonly hidden: number;
}

const FULL_BLOCK: BlockShape = { batch: 8, seq: 256, dim: 288, heads: 6, hidden: 768 };
const REF_BLOCK: BlockShape = { batch: 1, seq: 64, dim: 288, heads: 6, hidden: 768 };
const FULL_CE = { rows: 2048, dim: 288, vocab: 32000, chunk: 4096 };
const REF_CE = { rows: 64, dim: 288, vocab: 4000, chunk: 1024 };

/** One decoder layer of the block's shape (multi-head, untied, Llama RoPE); the vocabulary is irrelevant here. */
function blockConfig(shape: BlockShape): DecoderConfig {
  return {
    family: 'llama', vocabSize: 1, dim: shape.dim, layers: 1, heads: shape.heads, kvHeads: shape.heads,
    headDim: shape.dim / shape.heads, hiddenDim: shape.hidden, normEps: 1e-5, ropeTheta: 10000, ropeScaling: null,
    qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: false, maxPositions: shape.seq,
    bosTokenId: null, eosTokenIds: [],
  };
}

// Forward + backward of the production DecoderLayer (the one the decoder trains with), on batch x seq rows.
async function benchBlock(shape: BlockShape, runs: number): Promise<number> {
  const backend = getBackend();
  const rng = new Rng(1);
  const model = DecoderModel.random(blockConfig(shape), 1, 0.02, backend);
  const layer = model.layers[0]!;
  const rows = selfAttentionRows(shape.batch, shape.seq);
  const x = randn([shape.batch * shape.seq, shape.dim], rng).requireGrad();
  const seed = randn([shape.batch * shape.seq, shape.dim], rng);
  const t = await timeIt(() => {
    tidy(() => layer.forward(x, rows).backward(seed));
    model.zeroGrad();
    x.grad?.dispose();
    x.grad = null;
  }, { warmup: 1, runs });
  model.dispose();
  x.dispose();
  seed.dispose();
  return t.median;
}

async function benchCrossEntropy(shape: typeof FULL_CE, runs: number): Promise<number> {
  const rng = new Rng(2);
  const hidden = randn([shape.rows, shape.dim], rng).requireGrad();
  const weight = randn([shape.vocab, shape.dim], rng, 0.02).requireGrad();
  const targets = Int32Array.from({ length: shape.rows }, () => rng.int(shape.vocab));
  const t = await timeIt(() => {
    tidy(() => linearCrossEntropy(hidden, weight, targets, { chunk: shape.chunk }).backward());
    hidden.grad?.dispose();
    hidden.grad = null;
    weight.grad?.dispose();
    weight.grad = null;
  }, { warmup: 1, runs });
  hidden.dispose();
  weight.dispose();
  return t.median;
}

// Times forward + backward of the anchor's Block with the same shapes; prints the median seconds as JSON.
const TORCH_BLOCK_SCRIPT = `
import json, sys, time, torch
sys.path.insert(0, sys.argv[1])
from torch_llama import Block, rope_tables
s = json.loads(sys.argv[2])
torch.set_num_threads(s["threads"])
torch.manual_seed(1)
c = dict(dim=s["dim"], n_heads=s["heads"], n_kv_heads=s["heads"], hidden=s["hidden"])
block = Block(c)
cos, sin = rope_tables(s["dim"] // s["heads"], s["seq"], 10000.0)
x = torch.randn(s["batch"], s["seq"], s["dim"], requires_grad=True)
g = torch.randn(s["batch"], s["seq"], s["dim"])
def step():
    block.zero_grad(set_to_none=True)
    x.grad = None
    block(x, cos, sin).backward(g)
step()
samples = []
for _ in range(s["runs"]):
    t = time.perf_counter()
    step()
    samples.append(time.perf_counter() - t)
samples.sort()
print(json.dumps({"median": samples[len(samples) // 2], "torch": torch.__version__}))
`;

function torchBlockSeconds(shape: BlockShape, threads: number, runs: number): { median: number; env: string } | string {
  if (!existsSync(`${ANCHORS_DIR}/torch_llama.py`)) return `${ANCHORS_DIR}/torch_llama.py is absent`;
  const tuned = existsSync(OPENBLAS_OPENMP_DIR) && existsSync(TCMALLOC);
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), ...(tuned ? { LD_LIBRARY_PATH: OPENBLAS_OPENMP_DIR, LD_PRELOAD: TCMALLOC } : {}) };
  const child = spawnSync(PYTHON, ['-c', TORCH_BLOCK_SCRIPT, ANCHORS_DIR, JSON.stringify({ ...shape, threads, runs })], { env, encoding: 'utf8' });
  if (child.error) return `${PYTHON} could not run: ${child.error.message}`;
  if (child.status !== 0) return child.stderr.trim().split('\n').slice(-2).join(' | ');
  const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as { median: number };
  return { median: result.median, env: tuned ? 'tuned' : 'plain' };
}

export async function run(): Promise<BenchRecord[]> {
  const backend = getBackend();
  const isRef = backend.name === 'ref';
  const block = isRef ? REF_BLOCK : FULL_BLOCK;
  const ce = isRef ? REF_CE : FULL_CE;
  const runs = isRef ? 2 : 5;
  const common = { backend: backend.name, threads: backend.threads };
  const records: BenchRecord[] = [];

  const blockSeconds = await benchBlock(block, runs);
  const tokens = block.batch * block.seq;
  const blockParams = { ...common, batch: block.batch, seq: block.seq, dim: block.dim, heads: block.heads, hidden: block.hidden };
  records.push({ name: 'block forward+backward', value: blockSeconds * 1000, unit: 'ms', params: blockParams });
  records.push({ name: 'block forward+backward throughput', value: tokens / blockSeconds, unit: 'tokens/s', params: blockParams });

  const ceSeconds = await benchCrossEntropy(ce, runs);
  records.push({ name: 'linear cross-entropy forward+backward', value: ceSeconds * 1000, unit: 'ms', params: { ...common, ...ce } });

  const torch = torchBlockSeconds(block, backend.threads, runs);
  if (typeof torch === 'string') {
    process.stderr.write(`bench engine: skipping the PyTorch block comparison: ${torch}\n`);
  } else {
    const torchParams = { ...blockParams, backend: `torch (${torch.env})` };
    records.push({ name: 'torch block forward+backward', value: torch.median * 1000, unit: 'ms', params: torchParams });
    records.push({ name: 'block time ours / torch', value: blockSeconds / torch.median, unit: 'ratio', params: { ...blockParams, torch: torch.env } });
  }
  return records;
}
