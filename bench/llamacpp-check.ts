/**
 * Does llama.cpp really load toolken's GGUF exports, tokenize like toolken and continue greedily with the same
 * tokens? Exports into a temporary folder and compares, case by case:
 *   stories260K (llama2.c checkpoint -> GGUF f32 and f16): prompt tokens, greedy continuation of "Once upon a time"
 *     against toolken and against llama2.c's run.c (../shared/models/stories260K/reference.json);
 *   random Qwen2-style and Llama-3-style decoders with a byte-level BPE tokenizer, chat specials and tool tokens
 *     (the Llama-3 one also with that tokenizer saved as tokenizer.json and run by @huggingface/tokenizers).
 * With --bench, also llama.cpp's prefill/decode figures on toolken's F32 GGUF export of the anchors' random S and M
 * models (the workload of ../shared/anchors/llama_bench.mjs, 2 threads).
 * Usage: npx tsx bench/llamacpp-check.ts [--llama-dir DIR] [--steps N] [--bench]
 * Without node-llama-cpp (see docs/llama-cpp.md) it prints how to set it up and exits 0.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DecoderModel } from '../src/models/decoder.js';
import type { DecoderConfig } from '../src/models/config.js';
import { loadModel } from '../src/models/load.js';
import { exportGguf } from '../src/models/save.js';
import { generate } from '../src/generate/generate.js';
import { trainByteLevelBpe } from '../src/tokenizer/bpe-trainer.js';
import type { ByteLevelBpeTokenizer } from '../src/tokenizer/byte-level-bpe.js';
import { withPretokenizer } from '../src/tokenizer/testing/tool-tokenizer.js';
import { loadHfTokenizer } from '../src/tokenizer/hf.js';
import type { Tokenizer } from '../src/tokenizer/types.js';
import { importNodeLlamaCpp, llamaCppThroughput, llamaDirFrom, llamaGreedy, LLAMA_SETUP, type Llama } from './llama-cpp.js';
import { SHAPES } from './suites/model.js';

const STORIES = fileURLToPath(new URL('../../shared/models/stories260K/', import.meta.url));
const TOOL_TOKENS = ['<<weather&&get_forecast>>', '<<calculator&&add>>'];
/** Texts every tokenizer must split exactly as llama.cpp does, beside each case's prompt. */
const TEXTS = [
  'The weather forecast for Zürich: 23 °C, café 東京 🙂!\n\n  indented   spaces\ttab',
  "It's 1234567 + 89 = 1234656, isn't it?  Yes.\r\n",
  'Call <<weather&&get_forecast>>{"city": "Paris"} then <<calculator&&add>>(2, 40).',
];

interface CheckCase {
  name: string;
  model: DecoderModel;
  tokenizer: Tokenizer;
  dtype: 'f32' | 'f16';
  /** The prompt text, which llama.cpp must tokenize as toolken does (special tokens parsed). */
  text: string;
  /** The generation prompt, as toolken encodes it. */
  prompt: number[];
  /** A third opinion on the greedy tokens (llama2.c's run.c), when there is one. */
  reference?: number[];
}

interface CheckResult {
  name: string;
  tokenization: boolean;
  detokenization: boolean;
  agreeing: number;
  steps: number;
  referenceAgreeing?: number;
}

/** How many leading tokens two sequences share. */
function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

function toolkenGreedy(model: DecoderModel, prompt: readonly number[], steps: number): number[] {
  return generate(model, [prompt], { maxTokens: steps })[0]!.tokens;
}

async function storiesCases(steps: number): Promise<CheckCase[]> {
  if (!existsSync(join(STORIES, 'stories260K.bin'))) {
    process.stderr.write(`llamacpp-check: ${STORIES} absent, skipping stories260K\n`);
    return [];
  }
  const { model, tokenizer } = await loadModel(join(STORIES, 'stories260K.bin'));
  const reference = (JSON.parse(readFileSync(join(STORIES, 'reference.json'), 'utf8')) as { cases: { prompt: string; tokens: number[] }[] }).cases.find((c) => c.prompt === 'Once upon a time');
  const text = 'Once upon a time';
  const prompt = tokenizer.encode(text, { addBos: true });
  return (['f32', 'f16'] as const).map((dtype) => ({
    name: `stories260K ${dtype}`, model, tokenizer, dtype, text, prompt,
    ...(reference ? { reference: reference.tokens.slice(prompt.length, prompt.length + steps) } : {}),
  }));
}

/** A byte-level BPE trained on tool-call text with chat specials, then tool tokens added, split the `pretokenizer` way. */
function toolTokenizer(pretokenizer: 'qwen2' | 'llama-bpe'): ByteLevelBpeTokenizer {
  const lines = ['The weather forecast for Paris is sunny.', 'Call <<weather&&get_forecast>>{"city": "Zürich"} now.', 'add 12 and 30 with the calculator'];
  const trained = trainByteLevelBpe(Array.from({ length: 300 }, (_, i) => `${lines[i % 3]} ${i}`), { vocabSize: 420, specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'], bosToken: '<|im_start|>', eosToken: '<|im_end|>' });
  return withPretokenizer(trained, pretokenizer, TOOL_TOKENS);
}

function randomCases(scratch: string): CheckCase[] {
  const styles = [
    { name: 'random Qwen2-style', family: 'qwen2', pretokenizer: 'qwen2', qkvBias: true, tied: true, hf: false, scaled: false },
    { name: 'random Llama-3-style', family: 'llama', pretokenizer: 'llama-bpe', qkvBias: false, tied: false, hf: false, scaled: false },
    { name: 'Llama-3 tokenizer.json', family: 'llama', pretokenizer: 'llama-bpe', qkvBias: false, tied: false, hf: true, scaled: false },
    // Llama 3.1 rope scaling, which GGUF carries as the rope_freqs tensor; a short original context puts several
    // rotary pairs on the ramp between the unscaled and the fully scaled frequencies.
    { name: 'random Llama-3.1-style (rope scaling)', family: 'llama', pretokenizer: 'llama-bpe', qkvBias: false, tied: false, hf: false, scaled: true },
  ] as const;
  return styles.map((style, i) => {
    let tokenizer: Tokenizer = toolTokenizer(style.pretokenizer);
    if (style.hf) {
      tokenizer.save(scratch);
      tokenizer = loadHfTokenizer(scratch);
    }
    const config: DecoderConfig = {
      family: style.family, vocabSize: tokenizer.vocabSize, dim: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 16, hiddenDim: 128,
      normEps: 1e-6, ropeTheta: 1_000_000, qkvBias: style.qkvBias, outputBias: false, qkNorm: false,
      ropeScaling: style.scaled ? { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 } : null,
      tieWordEmbeddings: style.tied, maxPositions: 256, bosTokenId: tokenizer.bosId!, eosTokenIds: [tokenizer.eosId!],
    };
    // Weights large enough that the greedy choice is never a near-tie that rounding could flip.
    const model = DecoderModel.random(config, 11 + i, 0.5);
    const text = '<|im_start|>user\nWeather in Zürich, 2025? <<weather&&get_forecast>>{"city": "Zürich"}<|im_end|>\n';
    return { name: style.name, model, tokenizer, dtype: 'f32' as const, text, prompt: tokenizer.encode(text) };
  });
}

async function check(llama: Llama, c: CheckCase, dir: string, steps: number): Promise<CheckResult> {
  const path = join(dir, `${c.name.replaceAll(/\W+/g, '-')}.gguf`);
  exportGguf(c.model, path, { tokenizer: c.tokenizer, dtype: c.dtype });
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  try {
    const texts = [c.text, ...TEXTS];
    const ours = texts.map((text) => c.tokenizer.encode(text));
    const theirs = texts.map((text) => model.tokenize(text, true));
    const expected = toolkenGreedy(c.model, c.prompt, steps);
    const got = await llamaGreedy(model, c.prompt, steps);
    const result: CheckResult = {
      name: c.name,
      tokenization: JSON.stringify(ours) === JSON.stringify(theirs),
      detokenization: model.detokenize(got, true) === c.tokenizer.decode(got),
      agreeing: commonPrefix(expected, got),
      steps,
      ...(c.reference ? { referenceAgreeing: commonPrefix(c.reference, got) } : {}),
    };
    texts.forEach((text, i) => {
      if (JSON.stringify(ours[i]) !== JSON.stringify(theirs[i])) process.stderr.write(`  ${c.name}: ${JSON.stringify(text)}\n    toolken   ${JSON.stringify(ours[i])}\n    llama.cpp ${JSON.stringify(theirs[i])}\n`);
    });
    if (result.agreeing < steps) process.stderr.write(`  ${c.name}: greedy tokens differ at step ${result.agreeing}: toolken ${expected.slice(result.agreeing, result.agreeing + 4).join(',')}... llama.cpp ${got.slice(result.agreeing, result.agreeing + 4).join(',')}...\n`);
    return result;
  } finally {
    await model.dispose();
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const dir = llamaDirFrom(argv);
  if (dir === undefined) {
    console.log(`llamacpp-check: no llama.cpp to check against.\n${LLAMA_SETUP}`);
    return 0;
  }
  const nlc = await importNodeLlamaCpp(dir);
  if ('error' in nlc) {
    console.log(`llamacpp-check: ${nlc.error}.\n${LLAMA_SETUP}`);
    return 0;
  }
  const stepsAt = argv.indexOf('--steps');
  // By default as many as llama2.c's reference continues "Once upon a time" (128 positions, 5 of them the prompt).
  const steps = stepsAt >= 0 ? Number(argv[stepsAt + 1]) : 123;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got ${argv[stepsAt + 1]}`);

  const llama = await nlc.getLlama({ build: 'never', gpu: false, skipDownload: true, usePrebuiltBinaries: true, maxThreads: 2, logLevel: nlc.LlamaLogLevel.error });
  console.log(`llama.cpp ${llama.llamaCppRelease.release} (${llama.buildType} build via node-llama-cpp in ${dir})`);
  const scratch = mkdtempSync(join(tmpdir(), 'toolken-llamacpp-'));
  const results: CheckResult[] = [];
  try {
    for (const c of [...(await storiesCases(steps)), ...randomCases(scratch)]) results.push(await check(llama, c, scratch, steps));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await llama.dispose();
  }
  for (const r of results) {
    const reference = r.referenceAgreeing === undefined ? '' : `, llama2.c reference ${r.referenceAgreeing}/${r.steps}`;
    console.log(`${r.name.padEnd(22)} tokenize ${r.tokenization ? 'same' : 'DIFFERENT'}, detokenize ${r.detokenization ? 'same' : 'DIFFERENT'}, greedy tokens agreeing with toolken ${r.agreeing}/${r.steps}${reference}`);
  }
  if (argv.includes('--bench')) {
    for (const name of ['S', 'M'] as const) {
      const load = loadavg()[0]!.toFixed(2);
      const figures = llamaCppThroughput(dir, SHAPES[name], 2);
      if ('error' in figures) console.log(`llama.cpp ${name}: ${figures.error}`);
      else console.log(`llama.cpp ${name} F32, 2 threads: prefill ${figures.prefill.toFixed(0)} tokens/s, decode ${figures.decode.toFixed(1)} tokens/s (load average before: ${load})`);
    }
  }
  return results.every((r) => r.tokenization && r.detokenization && r.agreeing === r.steps) ? 0 : 1;
}

process.exitCode = await main();
