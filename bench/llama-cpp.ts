/**
 * Reaching llama.cpp from the benches: node-llama-cpp (prebuilt llama.cpp binaries) installed in a scratch folder
 * outside the repository, named by `--llama-dir` or TOOLKEN_LLAMA_DIR. Nothing here is a dependency of toolken.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DecoderConfig } from '../src/models/config.js';
import { DecoderModel } from '../src/models/decoder.js';
import { exportGguf } from '../src/models/save.js';
import { SentencePieceTokenizer } from '../src/tokenizer/sentencepiece.js';

export const LLAMA_DIR_ENV = 'TOOLKEN_LLAMA_DIR';
const LLAMA_BENCH = fileURLToPath(new URL('../../shared/anchors/llama_bench.mjs', import.meta.url));

export const LLAMA_SETUP = `llama.cpp is reached through node-llama-cpp, installed outside the repository:
  mkdir -p /tmp/llamacpp && cd /tmp/llamacpp && npm init -y && npm install node-llama-cpp
then pass --llama-dir /tmp/llamacpp or set ${LLAMA_DIR_ENV}=/tmp/llamacpp (see docs/llama-cpp.md).`;

/** The part of node-llama-cpp's API the benches use. */
export interface NodeLlamaCpp {
  getLlama(options: { build: 'never'; gpu: false; skipDownload: boolean; usePrebuiltBinaries: boolean; maxThreads?: number; logLevel: unknown; logger?: (level: unknown, message: string) => void }): Promise<Llama>;
  LlamaLogLevel: { warn: unknown; error: unknown };
}
export interface Llama {
  readonly buildType: string;
  readonly llamaCppRelease: { repo: string; release: string };
  loadModel(options: { modelPath: string; gpuLayers: number }): Promise<LlamaModel>;
  dispose(): Promise<void>;
}
export interface LlamaModel {
  tokenize(text: string, specialTokens?: boolean): number[];
  detokenize(tokens: readonly number[], specialTokens?: boolean): string;
  createContext(options: { contextSize: number; batchSize?: number; sequences: number; threads?: number; flashAttention?: boolean; experimentalKvCacheKeyType?: 'F32' | 'F16'; experimentalKvCacheValueType?: 'F32' | 'F16' }): Promise<LlamaContext>;
  dispose(): Promise<void>;
}
export interface LlamaContext {
  getSequence(): LlamaContextSequence;
  dispose(): Promise<void>;
}
type GenerateNext = { generateNext: { token: true; options: { temperature: 0 } } };
export interface LlamaContextSequence {
  controlledEvaluate(input: (number | [number, GenerateNext])[]): Promise<({ next: { token?: number | null } } | undefined)[]>;
}

/** The scratch folder from `--llama-dir DIR` in `argv`, else TOOLKEN_LLAMA_DIR, else undefined. */
export function llamaDirFrom(argv: readonly string[]): string | undefined {
  const at = argv.indexOf('--llama-dir');
  const dir = at >= 0 ? argv[at + 1] : process.env[LLAMA_DIR_ENV];
  return dir === undefined || dir === '' ? undefined : resolve(dir);
}

/** node-llama-cpp as installed in `dir`, or a reason it cannot be used from there. */
export async function importNodeLlamaCpp(dir: string): Promise<NodeLlamaCpp | { error: string }> {
  if (!existsSync(dir)) return { error: `${dir} does not exist` };
  let entry: string;
  try {
    entry = createRequire(join(dir, 'package.json')).resolve('node-llama-cpp');
  } catch {
    return { error: `node-llama-cpp is not installed in ${dir} (no ${join(dir, 'node_modules', 'node-llama-cpp')})` };
  }
  return (await import(pathToFileURL(entry).href)) as NodeLlamaCpp;
}

/**
 * llama.cpp's greedy continuation of `prompt` (token ids, BOS included): one batch for the prompt, then one
 * evaluation per generated token, as llama-cli does at temperature 0. The KV cache stays F32 (llama.cpp's default
 * is F16) and flash attention off (its CPU kernel rounds queries to F16), so the logits match toolken's F32 ones to
 * summation order (about 1e-4) and only true near-ties could flip a greedy choice.
 */
export async function llamaGreedy(model: LlamaModel, prompt: readonly number[], steps: number): Promise<number[]> {
  const context = await model.createContext({
    contextSize: Math.max(64, prompt.length + steps + 8), sequences: 1, threads: 2, flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32',
  });
  try {
    const sequence = context.getSequence();
    const next: GenerateNext = { generateNext: { token: true, options: { temperature: 0 } } };
    const first = await sequence.controlledEvaluate(prompt.map((t, i) => (i === prompt.length - 1 ? [t, next] : t)));
    const out: number[] = [];
    let token = first[prompt.length - 1]?.next.token;
    while (typeof token === 'number' && out.length < steps) {
      out.push(token);
      if (out.length === steps) break;
      token = (await sequence.controlledEvaluate([[token, next]]))[0]?.next.token;
    }
    return out;
  } finally {
    await context.dispose();
  }
}

/**
 * The smallest tokenizer llama.cpp accepts for a model with random weights: `<unk>`, `<s>`, `</s>` and the 256
 * byte pieces of a SentencePiece vocabulary (exports pad it to the model's vocabulary with unused tokens). Ids from
 * 259 up are then ordinary tokens, which is where the anchors' llama_bench.mjs draws its random prompts.
 */
export function byteFallbackTokenizer(): SentencePieceTokenizer {
  const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const pieces = ['<unk>', '<s>', '</s>', ...bytes];
  return new SentencePieceTokenizer({ pieces, scores: pieces.map(() => 0), specialIds: [0, 1, 2], bosId: 1, eosId: 2, unkId: 0 });
}

export interface LlamaCppThroughput {
  /** Median tokens/s of a 128-token prefill (llama.cpp's own timer, inside llama_decode). */
  prefill: number;
  /** Median tokens/s of 64 single-token decode steps with the KV cache, LM head and greedy. */
  decode: number;
  release: string;
}

interface LlamaBenchResult {
  prefill_tok_s_native?: { median: number };
  decode_tok_s_native?: { median: number };
  llama_cpp_release?: { release?: string };
}

/**
 * The anchors' prefill/decode workload (../shared/anchors/README.md: batch 1, 128 prompt tokens, 64 decode steps,
 * 3 runs, flash attention off) in llama.cpp, on toolken's own F32 GGUF export of a random model of `config`'s shape.
 */
export function llamaCppThroughput(llamaDir: string, config: DecoderConfig, threads: number): LlamaCppThroughput | { error: string } {
  const scratch = mkdtempSync(join(tmpdir(), 'toolken-llama-bench-'));
  try {
    const path = join(scratch, 'model.gguf');
    exportGguf(DecoderModel.random(config, 1234), path, { tokenizer: byteFallbackTokenizer() });
    return llamaCppFileThroughput(llamaDir, path, threads);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The same workload on a GGUF file llama.cpp can load (one exported with byteFallbackTokenizer, any dtype). */
export function llamaCppFileThroughput(llamaDir: string, path: string, threads: number): LlamaCppThroughput | { error: string } {
  if (!existsSync(LLAMA_BENCH)) return { error: `${LLAMA_BENCH} is missing` };
  const args = ['--model', path, '--threads', String(threads), '--flash', 'off', '--prompt', '128', '--gen', '64', '--runs', '3', '--ctx', '256', '--batch', '256'];
  const run = spawnSync(process.execPath, [LLAMA_BENCH, ...args], { encoding: 'utf8', env: { ...process.env, NODE_LLAMA_CPP_DIR: llamaDir }, timeout: 600_000 });
  const line = run.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
  if (run.status !== 0 || line === undefined) return { error: `llama_bench.mjs failed: ${(run.stderr ?? '').trim().split('\n').pop() ?? run.error?.message}` };
  const result = JSON.parse(line.slice('RESULT '.length)) as LlamaBenchResult;
  if (!result.prefill_tok_s_native || !result.decode_tok_s_native) return { error: 'llama_bench.mjs reported no native timings' };
  return { prefill: result.prefill_tok_s_native.median, decode: result.decode_tok_s_native.median, release: result.llama_cpp_release?.release ?? 'unknown' };
}
