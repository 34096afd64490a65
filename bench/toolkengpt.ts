/**
 * `npm run bench:toolkengpt [-- --quick]`: ToolkenGPT and Toolken+ against no tools and in-context tool use, on one
 * frozen base model that this bench pretrains from scratch (there is no pretrained math model here).
 *
 * 1. Base: a byte-level BPE tokenizer and a small Llama trained from scratch on the math text available — GSM8K
 *    train solutions (annotations removed), the FuncQA, GSM8K-XL (derived) and KAMEL training texts and every
 *    template — then frozen. Cached in runs/toolkengpt-bench/base-<mode>/ between runs.
 * 2. Per dataset (FuncQA one-hop and multi-hop share the FuncQA head): a head over cached hidden states, the
 *    Toolken+ reranker mined from the head's held-out texts.
 * 3. The four methods on FuncQA one-hop, multi-hop, GSM8K-XL and KAMEL.
 *
 * Records `toolkengpt/<dataset>/<method>/<metric>` (dataset funcqa-oh, funcqa-mh, gsm8k-xl, kamel; metric em and
 * approx, kamel: accuracy) plus head training times, into bench/results/toolkengpt.json; the report goes to
 * runs/toolkengpt-bench/<mode>/report.html. `--quick` uses a smaller base, fewer steps and at most 20 test
 * questions per dataset, to prove the pipeline end to end in a few minutes. `--steps N`, `--questions N` and
 * `--max-texts N` shorten a plan (a changed pretraining plan trains and caches a new base).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDatasetsDir } from '../src/data/loaders/files.js';
import { loadModel } from '../src/models/load.js';
import { saveModel } from '../src/models/save.js';
import type { DecoderModel } from '../src/models/decoder.js';
import { formatDuration } from '../src/report/progress.js';
import type { Tokenizer } from '../src/tokenizer/types.js';
import { scratchModel, trainScratchTokenizer, type ScratchModelOptions } from '../src/train/scratch.js';
import type { TokenizedExample } from '../src/train/batches.js';
import { defaultSftConfig, SftObjective, type SftConfig } from '../src/train/objectives/sft.js';
import { RunDirectory } from '../src/train/run-dir.js';
import { Trainer } from '../src/train/trainer.js';
import { writeFileAtomic } from '../src/util/fs.js';
import { seededRandom, shuffled } from '../src/util/random.js';
import {
  evaluateKamel, evaluateMath, FUNCQA_DOCS, loadKamelBenchmark, loadMathBenchmark, mathTrainingTexts, METHODS, naiveTrainingSeconds, trainToolken,
  writeToolkenReport, type InferenceSettings, type MethodResult, type ToolkenSystem, type TrainedToolken,
} from '../src/methods/toolkengpt/index.js';
import { writeResults, type BenchRecord } from './lib.js';

const quick = process.argv.includes('--quick');
const mode = quick ? 'quick' : 'full';
const data = join(sharedDatasetsDir(), 'toolkengpt-data');
const gsm8kTrain = join(sharedDatasetsDir(), 'gsm8k', 'train.jsonl');
const root = join(process.cwd(), 'runs', 'toolkengpt-bench');
const started = performance.now();

interface Plan {
  readonly model: ScratchModelOptions;
  readonly sequenceLength: number;
  readonly batch: number;
  readonly steps: number;
  readonly lr: number;
  readonly questions: number;
  readonly headEpochs: number;
  readonly gsm8kTexts: number;
  readonly kamelRelations: number;
  readonly kamelTexts: number;
}

const PLANS: Record<'quick' | 'full', Plan> = {
  quick: {
    model: { vocabSize: 1024, dim: 96, layers: 2, heads: 4, kvHeads: 2, hiddenDim: 256, maxPositions: 1024, seed: 0, projectionStd: 0.1 },
    sequenceLength: 256, batch: 8, steps: 700, lr: 3e-3, questions: 20, headEpochs: 4, gsm8kTexts: 200, kamelRelations: 10, kamelTexts: 400,
  },
  full: {
    model: { vocabSize: 2048, dim: 256, layers: 4, heads: 8, kvHeads: 4, hiddenDim: 704, maxPositions: 1024, seed: 0, projectionStd: 0.0625 },
    // 1,000 steps of 8 x 512 tokens: about 20 minutes at the 2,000-4,000 tokens/s this base trains at here.
    sequenceLength: 512, batch: 8, steps: 1000, lr: 2e-3, questions: Infinity, headEpochs: 10, gsm8kTexts: 2500, kamelRelations: 234, kamelTexts: 5000,
  },
};
/** `--name N` from the command line, for shortening a plan (a smoke run of the full configuration). */
function override(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  if (at === -1) return undefined;
  const value = Number(process.argv[at + 1]);
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`--${name} needs a positive integer, got ${process.argv[at + 1]}`);
  return value;
}
const steps = override('steps');
const questions = override('questions');
const maxTexts = override('max-texts');
const plan: Plan = {
  ...PLANS[mode],
  ...(steps === undefined ? {} : { steps }),
  ...(questions === undefined ? {} : { questions }),
  ...(maxTexts === undefined ? {} : { gsm8kTexts: maxTexts, kamelTexts: maxTexts }),
};

/** Every text the base model is pretrained on: training texts (calls removed) and the templates. */
function pretrainingTexts(): string[] {
  const texts = [
    ...mathTrainingTexts('funcqa-oh', data, gsm8kTrain).map((t) => t.text),
    ...mathTrainingTexts('gsm8k-xl', data, gsm8kTrain).map((t) => t.text),
    ...loadKamelBenchmark(data, 234).training.map((t) => t.text),
  ];
  for (const dir of ['funcqa/template_oh', 'funcqa/template_mh', 'gsm8k-xl/template']) {
    for (const f of readdirSync(join(data, dir))) texts.push(readFileSync(join(data, dir, f), 'utf8').replace('[QUESTION]', ''));
  }
  return texts;
}

/** Pretrains the base on packed sequences of the texts with the Trainer's SFT objective (every token labelled). */
function pretrain(model: DecoderModel, tokenizer: Tokenizer, texts: readonly string[], runPath: string): number {
  const eos = tokenizer.eosId!;
  const stream: number[] = [];
  for (const text of shuffled(texts, seededRandom(0))) stream.push(...tokenizer.encode(text), eos);
  const length = plan.sequenceLength + 1;
  const sequences: TokenizedExample[] = [];
  for (let at = 0; at + length <= stream.length; at += length) {
    const ids = stream.slice(at, at + length);
    sequences.push({ inputIds: ids, labels: ids });
  }
  process.stderr.write(`pretraining corpus: ${stream.length} tokens in ${sequences.length} sequences of ${plan.sequenceLength}\n`);
  const config: SftConfig = {
    ...defaultSftConfig, batchSize: plan.batch, maxLength: length, lr: plan.lr, minLr: plan.lr / 10, warmup: 0.05, weightDecay: 0.01,
    epochs: Math.max(1, Math.ceil((plan.steps * plan.batch) / sequences.length)), maxSteps: plan.steps,
  };
  const objective = new SftObjective({ model, train: sequences, settings: config });
  return new Trainer({ model, objective, config }).train({ run: RunDirectory.open(runPath, { resume: false, replace: true }), showProgress: true }).finalLoss;
}

async function frozenBase(): Promise<{ model: DecoderModel; tokenizer: Tokenizer; pretrainSeconds: number; cached: boolean }> {
  const dir = join(root, `base-${mode}`);
  // The cache holds the plan it was trained with; a changed plan trains a new base.
  const planFile = join(dir, 'pretrain-plan.json');
  const planText = JSON.stringify(plan);
  if (existsSync(join(dir, 'config.json')) && existsSync(planFile) && readFileSync(planFile, 'utf8') === planText) {
    const { model, tokenizer } = await loadModel(dir);
    return { model, tokenizer, pretrainSeconds: 0, cached: true };
  }
  const t0 = performance.now();
  const texts = pretrainingTexts();
  const tokenizer = trainScratchTokenizer(texts, plan.model.vocabSize);
  const model = scratchModel(tokenizer, plan.model);
  const loss = pretrain(model, tokenizer, texts, join(root, `pretrain-${mode}`));
  saveModel(model, tokenizer, dir);
  writeFileAtomic(planFile, planText);
  process.stderr.write(`base pretrained in ${formatDuration((performance.now() - t0) / 1000)}, final loss ${loss.toFixed(3)}, saved to ${dir}\n`);
  return { model, tokenizer, pretrainSeconds: (performance.now() - t0) / 1000, cached: false };
}

const base = await frozenBase();
const { model, tokenizer } = base;
model.train(false);
for (const p of model.parameters()) p.frozen = true;

const settings: InferenceSettings = { toolBias: 0, maxTokens: 96, maxCalls: 6, batch: 16, rerankTopK: 3, progress: true };
const headOptions = { epochs: plan.headEpochs, lr: 1e-3, batchPositions: 256, validationFraction: 0.2, toolPositionsOnly: false, seed: 0 };
const records: BenchRecord[] = [];
const results: MethodResult[] = [];
const params = { mode, dim: plan.model.dim, layers: plan.model.layers, vocab: tokenizer.vocabSize, pretrainSteps: plan.steps };
const limit = <T>(items: readonly T[], n: number): T[] => items.slice(0, Math.min(items.length, n));

function recordTraining(dataset: string, t: TrainedToolken): void {
  const headParams = { ...params, positions: t.positions, epochs: plan.headEpochs, bestEpoch: t.training.bestEpoch };
  records.push({ name: `toolkengpt/${dataset}/head/train-seconds`, value: t.featureSeconds + t.training.seconds, unit: 's', params: { ...headParams, featureSeconds: t.featureSeconds, headSeconds: t.training.seconds } });
  records.push({ name: `toolkengpt/${dataset}/head/naive-seconds`, value: naiveTrainingSeconds(t, plan.headEpochs), unit: 's', params: headParams });
  records.push({ name: `toolkengpt/${dataset}/head/validation-f1`, value: t.training.history[t.training.bestEpoch - 1]?.validation.f1 ?? 0, unit: 'ratio', params: headParams });
  records.push({ name: `toolkengpt/${dataset}/toolken-plus/rerank-examples`, value: t.rerankExamples, unit: 'count', params: headParams });
}

function recordMethod(dataset: string, r: MethodResult): void {
  results.push(r);
  const p = { ...params, questions: r.questions, callsPerQuestion: r.callsPerQuestion, callPrecision: r.callPrecision, callRecall: r.callRecall, wrongCallsPerQuestion: r.wrongCallsPerQuestion, seconds: r.seconds };
  if (dataset === 'kamel') records.push({ name: `toolkengpt/kamel/${r.method}/accuracy`, value: r.em, unit: 'ratio', params: { ...p, relations: plan.kamelRelations } });
  else {
    records.push({ name: `toolkengpt/${dataset}/${r.method}/em`, value: r.em, unit: 'ratio', params: p });
    records.push({ name: `toolkengpt/${dataset}/${r.method}/approx`, value: r.approx, unit: 'ratio', params: p });
  }
  process.stderr.write(`${dataset} ${r.method}: em ${r.em.toFixed(3)} approx ${r.approx.toFixed(3)} calls/q ${r.callsPerQuestion.toFixed(2)} precision ${r.callPrecision.toFixed(2)} (${r.seconds.toFixed(1)} s)\n`);
}

const trainOptions = (docs: ReadonlyMap<string, string>) => ({ head: headOptions, reranker: { epochs: 30, lr: 5e-3, seed: 0 }, rerankTopK: settings.rerankTopK, toolBias: settings.toolBias, docs, progress: true });

// FuncQA: one head for one-hop and multi-hop (the same 13 tools and training texts).
const funcqa = trainToolken(model, tokenizer, mathTrainingTexts('funcqa-oh', data, gsm8kTrain), loadMathBenchmark('funcqa-oh', data).tools, trainOptions(FUNCQA_DOCS));
recordTraining('funcqa', funcqa);
process.stderr.write(`FuncQA head: ${funcqa.featureSeconds.toFixed(1)} s caching states + ${funcqa.training.seconds.toFixed(1)} s training vs ${naiveTrainingSeconds(funcqa, plan.headEpochs).toFixed(1)} s with a forward per epoch\n`);
for (const name of ['funcqa-oh', 'funcqa-mh'] as const) {
  const bench = loadMathBenchmark(name, data);
  const limited = { ...bench, questions: limit(bench.questions, plan.questions) };
  const system: ToolkenSystem = { model, tokenizer, head: funcqa.head, reranker: funcqa.reranker, docs: FUNCQA_DOCS };
  for (const method of METHODS) recordMethod(name, evaluateMath(system, limited, method, settings));
}

const gsm = loadMathBenchmark('gsm8k-xl', data);
const gsmTrained = trainToolken(model, tokenizer, limit(mathTrainingTexts('gsm8k-xl', data, gsm8kTrain), plan.gsm8kTexts), gsm.tools, trainOptions(FUNCQA_DOCS));
recordTraining('gsm8k-xl', gsmTrained);
const gsmSystem: ToolkenSystem = { model, tokenizer, head: gsmTrained.head, reranker: gsmTrained.reranker, docs: FUNCQA_DOCS };
for (const method of METHODS) recordMethod('gsm8k-xl', evaluateMath(gsmSystem, { ...gsm, questions: limit(gsm.questions, plan.questions) }, method, settings));

const kamel = loadKamelBenchmark(data, plan.kamelRelations);
const kamelTrained = trainToolken(model, tokenizer, limit(shuffled(kamel.training, seededRandom(2)), plan.kamelTexts), kamel.tools, trainOptions(kamel.docs));
recordTraining('kamel', kamelTrained);
const kamelSystem: ToolkenSystem = { model, tokenizer, head: kamelTrained.head, reranker: kamelTrained.reranker, docs: kamel.docs };
for (const method of METHODS) recordMethod('kamel', evaluateKamel(kamelSystem, { ...kamel, questions: limit(kamel.questions, plan.questions) }, method, settings));

records.push({ name: 'toolkengpt/base/pretrain-seconds', value: base.pretrainSeconds, unit: 's', params: { ...params, cached: base.cached } });
records.push({ name: 'toolkengpt/bench/seconds', value: (performance.now() - started) / 1000, unit: 's', params });
const runDir = join(root, mode);
writeToolkenReport(runDir, `ToolkenGPT bench (${mode})`, results, [
  `Frozen base: ${plan.model.layers} layers, width ${plan.model.dim}, vocabulary ${tokenizer.vocabSize}, pretrained ${plan.steps} steps from scratch on this repository's math text.`,
  'KAMEL accuracy is in the EM column. VirtualHome is not part of this bench (no simulator or program corpus).',
]);
process.stdout.write(`${writeResults('toolkengpt', records)}\nreport: ${join(runDir, 'report.html')}\n`);
