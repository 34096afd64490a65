/**
 * `npm run bench:toolkengpt [-- --quick]`: ToolkenGPT and Toolken+ against no tools and in-context tool use, on one
 * frozen base model that this bench pretrains from scratch (there is no pretrained math model here).
 *
 * 1. Base: a byte-level BPE tokenizer that keeps every digit its own token (numbers are copied digit by digit)
 *    and a small Llama trained from scratch on the training text available — the FuncQA training texts (repeated,
 *    they are few, each copy after the first with fresh numbers as GSM8K-XL enlarges GSM8K's, so that operands
 *    must be copied, not remembered) both with their calls removed and written out under the tool template's header, GSM8K train
 *    solutions (the GSM8K-XL training texts) in the same two forms, KAMEL training texts and every template — then
 *    frozen. No test question is in it. Cached in runs/toolkengpt-bench/base-<mode>/ between runs.
 * 2. Per dataset (FuncQA one-hop and multi-hop share the FuncQA head): a head over cached hidden states, the
 *    Toolken+ reranker mined from the head's held-out texts.
 * 3. The four methods on FuncQA one-hop, multi-hop, GSM8K-XL and KAMEL.
 *
 * Records `toolkengpt/<dataset>/<method>/<metric>` (dataset funcqa-oh, funcqa-mh, gsm8k-xl, kamel; metric em and
 * approx, kamel: accuracy) plus head training times, into bench/results/toolkengpt.json; the report goes to
 * runs/toolkengpt-bench/<mode>/report.html. `--quick` uses a smaller base, fewer steps and at most 20 test
 * questions per dataset, to prove the pipeline end to end in a few minutes. `--steps N`, `--questions N` and
 * `--max-texts N` shorten a plan (a changed pretraining plan trains and caches a new base); `--datasets a,b` runs
 * only some of funcqa-oh, funcqa-mh, gsm8k-xl, kamel; `--base DIR` uses a saved model as the base (no pretraining).
 *
 * Beside the required metrics, each method gets calls-per-question, call-precision, call-recall,
 * wrong-calls-per-question and seconds, and on the math datasets the stage diagnostics of diagnostics.ts
 * (answer-format, fired, first-tool-accuracy, arguments-executed, operand-copy, answer-after-correct-call).
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
  diagnoseMath, evaluateKamel, evaluateMath, FUNCQA_DOCS, funcqaTextWithCalls, funcqaTrainingText, GSM8K_XL_TOOLS, gsm8kTextsWithCalls, loadFuncqaRecords,
  loadKamelBenchmark, loadMathBenchmark, resampleFuncqaRecord, mathTrainingTexts, METHODS, COPY_METHODS, naiveTrainingSeconds, trainToolken, writeToolkenReport, type InferenceSettings, type MathQuestion,
  type MethodResult, type ToolkenSystem, type TrainedToolken,
} from '../src/methods/toolkengpt/index.js';
import { cpuParams, positiveIntFlag, resultsDir, writeResults, type BenchRecord } from './lib.js';

const quick = process.argv.includes('--quick');
const mode = quick ? 'quick' : 'full';
const data = join(sharedDatasetsDir(), 'toolkengpt-data');
const gsm8kTrain = join(sharedDatasetsDir(), 'gsm8k', 'train.jsonl');
const root = join(process.cwd(), 'runs', 'toolkengpt-bench');
const started = performance.now();

/** What the base is pretrained on and how (the cache key of a base). */
interface PretrainPlan {
  /** maxPositions is the pretraining sequence length: a base never sees a position it was not trained at. */
  readonly model: ScratchModelOptions;
  readonly batch: number;
  readonly steps: number;
  readonly lr: number;
  /** Copies of the FuncQA training texts, in each of the two forms (650 short texts; every copy after the first with fresh numbers). */
  readonly funcqaRepeats: number;
  /** GSM8K train solutions taken, in each of the two forms. */
  readonly gsm8kPretrainTexts: number;
  readonly kamelPretrainTexts: number;
  readonly templateRepeats: number;
}

interface Plan {
  readonly pretrain: PretrainPlan;
  readonly questions: number;
  readonly headEpochs: number;
  readonly gsm8kTexts: number;
  readonly kamelRelations: number;
  readonly kamelTexts: number;
  readonly kamelHeadEpochs: number;
  /** Folds of cross-fitted mining for the Toolken+ reranker (`rerankFolds` of trainToolken). */
  readonly rerankFolds: number;
}

const PLANS: Record<'quick' | 'full', Plan> = {
  quick: {
    pretrain: {
      model: { vocabSize: 1024, dim: 128, layers: 4, heads: 4, kvHeads: 2, hiddenDim: 384, maxPositions: 384, seed: 0, projectionStd: 0.088 },
      batch: 8, steps: 600, lr: 3e-3, funcqaRepeats: 6, gsm8kPretrainTexts: 600, kamelPretrainTexts: 600, templateRepeats: 4,
    },
    questions: 20, headEpochs: 4, gsm8kTexts: 200, kamelRelations: 10, kamelTexts: 400, kamelHeadEpochs: 4, rerankFolds: 2,
  },
  full: {
    pretrain: {
      // 2,400 steps of 8 x 384 tokens (7.4M tokens, about five passes over the corpus): 15.5 min on a quiet 2-core
      // machine, inside the 20 minutes. At 600 steps (4.8 min) the base copied no operand (0 of 15 gold-tool calls) and
      // every method scored EM 0; at 2,400 it copies some (.14-.20) and the methods separate.
      model: { vocabSize: 1536, dim: 128, layers: 4, heads: 4, kvHeads: 2, hiddenDim: 384, maxPositions: 384, seed: 0, projectionStd: 0.088 },
      batch: 8, steps: 2400, lr: 3e-3, funcqaRepeats: 12, gsm8kPretrainTexts: 600, kamelPretrainTexts: 600, templateRepeats: 3,
    },
    questions: Infinity, headEpochs: 10, gsm8kTexts: 2500, kamelRelations: 234, kamelTexts: 2000, kamelHeadEpochs: 5, rerankFolds: 5,
  },
};
const steps = positiveIntFlag('steps');
const questions = positiveIntFlag('questions');
const maxTexts = positiveIntFlag('max-texts');
const DATASETS = ['funcqa-oh', 'funcqa-mh', 'gsm8k-xl', 'kamel'] as const;
type Dataset = (typeof DATASETS)[number];
function datasetsWanted(): Set<Dataset> {
  const at = process.argv.indexOf('--datasets');
  if (at === -1) return new Set(DATASETS);
  const names = (process.argv[at + 1] ?? '').split(',').filter((n) => n !== '');
  const unknown = names.filter((n) => !(DATASETS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) throw new Error(`--datasets takes a comma-separated list of ${DATASETS.join(', ')}; got ${process.argv[at + 1]}`);
  return new Set(names as Dataset[]);
}
const wanted = datasetsWanted();
const base0 = PLANS[mode];
const plan: Plan = {
  ...base0,
  pretrain: { ...base0.pretrain, ...(steps === undefined ? {} : { steps }) },
  ...(questions === undefined ? {} : { questions }),
  ...(maxTexts === undefined ? {} : { gsm8kTexts: maxTexts, kamelTexts: maxTexts }),
};
const pretrainPlan = plan.pretrain;

/** The header the release's templates put above demonstrations that write calls of one operator / of several. */
const toolHeader = (tool: string): string => `Answer the following question with the operator ${tool}:\n\n`;
const GSM8K_CALLS_HEADER = `Answer the following questions with ${GSM8K_XL_TOOLS.join(', ')} operators\n\n`;
const repeat = <T>(items: readonly T[], times: number): T[] => Array.from({ length: times }, () => items).flat();

/**
 * Every text the base model is pretrained on, all from training files: the FuncQA training texts with their calls
 * removed (reasoning mode's form) and written out under the tool template's header (tool mode's form: the base
 * learns the call syntax and to copy operands into it), GSM8K train solutions in the same two forms, KAMEL
 * training texts, and the templates' demonstrations.
 */
function pretrainingTexts(): string[] {
  const records = loadFuncqaRecords(join(data, 'funcqa'));
  const random = seededRandom(3);
  const funcqa: string[] = [];
  for (let copy = 0; copy < pretrainPlan.funcqaRepeats; copy++) {
    for (const original of records) {
      // The first copy as released, every other copy with fresh numbers (where the answer allows it).
      const r = copy === 0 ? original : (resampleFuncqaRecord(original, random) ?? original);
      funcqa.push(funcqaTrainingText(r).text, toolHeader(r.tool) + funcqaTextWithCalls(r));
    }
  }
  const gsmPlain = mathTrainingTexts('gsm8k-xl', data, gsm8kTrain).map((t) => t.text).slice(0, pretrainPlan.gsm8kPretrainTexts);
  const gsmCalls = gsm8kTextsWithCalls(gsm8kTrain).slice(0, pretrainPlan.gsm8kPretrainTexts).map((t) => GSM8K_CALLS_HEADER + t);
  const kamel = shuffled(loadKamelBenchmark(data, 234).training.map((t) => t.text), seededRandom(1)).slice(0, pretrainPlan.kamelPretrainTexts);
  const templates: string[] = [];
  for (const dir of ['funcqa/template_oh', 'funcqa/template_mh', 'gsm8k-xl/template']) {
    for (const f of readdirSync(join(data, dir))) templates.push(readFileSync(join(data, dir, f), 'utf8').replace(/\n*Q(?:uestion)?: \[QUESTION\]\n?A(?:nswer)?:\s*$/, ''));
  }
  return [...funcqa, ...gsmPlain, ...gsmCalls, ...kamel, ...repeat(templates, pretrainPlan.templateRepeats)];
}

/** Pretrains the base on packed sequences of the texts with the Trainer's SFT objective (every token labelled). */
function pretrain(model: DecoderModel, tokenizer: Tokenizer, texts: readonly string[], runPath: string): number {
  const eos = tokenizer.eosId!;
  const stream: number[] = [];
  for (const text of shuffled(texts, seededRandom(0))) stream.push(...tokenizer.encode(text), eos);
  const length = pretrainPlan.model.maxPositions + 1;
  const sequences: TokenizedExample[] = [];
  for (let at = 0; at + length <= stream.length; at += length) {
    const ids = stream.slice(at, at + length);
    sequences.push({ inputIds: ids, labels: ids });
  }
  process.stderr.write(`pretraining corpus: ${texts.length} texts, ${stream.length} tokens in ${sequences.length} sequences of ${length - 1}\n`);
  const p = pretrainPlan;
  const config: SftConfig = {
    ...defaultSftConfig, batchSize: p.batch, maxLength: length, lr: p.lr, minLr: p.lr / 10, warmup: 0.05, weightDecay: 0.01,
    epochs: Math.max(1, Math.ceil((p.steps * p.batch) / sequences.length)), maxSteps: p.steps,
  };
  const objective = new SftObjective({ model, train: sequences, settings: config });
  return new Trainer({ model, objective, config }).train({ run: RunDirectory.open(runPath, { resume: false, replace: true }), showProgress: true }).finalLoss;
}

/** `--base DIR`: a saved model to use as the frozen base instead of pretraining one (e.g. an earlier bench's base). */
const givenBase = ((at) => (at === -1 ? undefined : process.argv[at + 1]))(process.argv.indexOf('--base'));

async function frozenBase(): Promise<{ model: DecoderModel; tokenizer: Tokenizer; pretrainSeconds: number; cached: boolean }> {
  if (givenBase !== undefined) {
    const { model, tokenizer } = await loadModel(givenBase);
    return { model, tokenizer, pretrainSeconds: 0, cached: true };
  }
  const dir = join(root, `base-${mode}`);
  // The cache holds the plan it was trained with; a changed plan trains a new base.
  const planFile = join(dir, 'pretrain-plan.json');
  const planText = JSON.stringify(pretrainPlan);
  // What the pretraining took, kept beside the cached base so that a cached run still reports it.
  const timeFile = join(dir, 'pretrain-seconds.json');
  if (existsSync(join(dir, 'config.json')) && existsSync(planFile) && readFileSync(planFile, 'utf8') === planText) {
    const { model, tokenizer } = await loadModel(dir);
    const seconds = existsSync(timeFile) ? Number(JSON.parse(readFileSync(timeFile, 'utf8'))) : 0;
    return { model, tokenizer, pretrainSeconds: seconds, cached: true };
  }
  const t0 = performance.now();
  const texts = pretrainingTexts();
  const tokenizer = trainScratchTokenizer(texts, pretrainPlan.model.vocabSize, { pretokenizer: 'qwen2' });
  const model = scratchModel(tokenizer, pretrainPlan.model);
  const loss = pretrain(model, tokenizer, texts, join(root, `pretrain-${mode}`));
  saveModel(model, tokenizer, dir);
  writeFileAtomic(planFile, planText);
  const seconds = (performance.now() - t0) / 1000;
  writeFileAtomic(timeFile, JSON.stringify(seconds));
  process.stderr.write(`base pretrained in ${formatDuration(seconds)}, final loss ${loss.toFixed(3)}, saved to ${dir}\n`);
  return { model, tokenizer, pretrainSeconds: seconds, cached: false };
}

const base = await frozenBase();
const { model, tokenizer } = base;
model.train(false);
for (const p of model.parameters()) p.frozen = true;

// No toolBias: each method decodes with its head's bias, tuned on the head's validation texts (tuneToolBias).
const settings: InferenceSettings = { maxTokens: 96, maxCalls: 6, batch: 16, rerankTopK: 3, progress: true };
const headOptions = { epochs: plan.headEpochs, lr: 1e-3, batchPositions: 256, validationFraction: 0.2, toolPositionsOnly: false, seed: 0 };
const records: BenchRecord[] = [];
const results: MethodResult[] = [];
const params = {
  mode, ...cpuParams(), dim: model.config.dim, layers: model.config.layers, vocab: tokenizer.vocabSize, context: model.config.maxPositions,
  ...(givenBase === undefined ? { pretrainSteps: pretrainPlan.steps } : { base: givenBase }),
};
const limit = <T>(items: readonly T[], n: number): T[] => items.slice(0, Math.min(items.length, n));

function recordTraining(dataset: string, t: TrainedToolken): void {
  const headParams = { ...params, positions: t.positions, epochs: plan.headEpochs, bestEpoch: t.training.bestEpoch };
  records.push({ name: `toolkengpt/${dataset}/head/train-seconds`, value: t.featureSeconds + t.training.seconds, unit: 's', params: { ...headParams, featureSeconds: t.featureSeconds, headSeconds: t.training.seconds } });
  records.push({ name: `toolkengpt/${dataset}/head/naive-seconds`, value: naiveTrainingSeconds(t, plan.headEpochs), unit: 's', params: headParams });
  records.push({ name: `toolkengpt/${dataset}/head/validation-f1`, value: t.training.history[t.training.bestEpoch - 1]?.validation.f1 ?? 0, unit: 'ratio', params: headParams });
  records.push({ name: `toolkengpt/${dataset}/toolken-plus/rerank-examples`, value: t.rerankExamples, unit: 'count', params: { ...headParams, rerankFolds: plan.rerankFolds } });
  // The tuned override margin (reranker.ts): null in JSON when the reranker is never let override the head.
  if (t.reranker !== null) records.push({ name: `toolkengpt/${dataset}/toolken-plus/override-margin`, value: Number.isFinite(t.reranker.margin ?? 0) ? t.reranker.margin ?? 0 : -1, unit: 'logit (-1: keep the head)', params: headParams });
  records.push({ name: `toolkengpt/${dataset}/head/tool-bias`, value: t.head.toolBias ?? 0, unit: 'logit', params: headParams });
}

function recordMethod(dataset: Dataset, r: MethodResult, questions: readonly MathQuestion[] | null): void {
  results.push(r);
  const p = { ...params, questions: r.questions, callsPerQuestion: r.callsPerQuestion, callPrecision: r.callPrecision, callRecall: r.callRecall, wrongCallsPerQuestion: r.wrongCallsPerQuestion, seconds: r.seconds };
  const record = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}): void => {
    records.push({ name: `toolkengpt/${dataset}/${r.method}/${metric}`, value, unit, params: { ...p, ...extra } });
  };
  if (dataset === 'kamel') record('accuracy', r.em, 'ratio', { relations: plan.kamelRelations });
  else {
    record('em', r.em, 'ratio');
    record('approx', r.approx, 'ratio');
  }
  record('calls-per-question', r.callsPerQuestion, 'count');
  record('call-precision', r.callPrecision, 'ratio');
  record('call-recall', r.callRecall, 'ratio');
  record('wrong-calls-per-question', r.wrongCallsPerQuestion, 'count');
  record('seconds', r.seconds, 's');
  let line = `${dataset} ${r.method}: em ${r.em.toFixed(3)} approx ${r.approx.toFixed(3)} calls/q ${r.callsPerQuestion.toFixed(2)} precision ${r.callPrecision.toFixed(2)} recall ${r.callRecall.toFixed(2)} (${r.seconds.toFixed(1)} s)`;
  if (questions !== null) {
    const d = diagnoseMath(r, questions);
    record('answer-format', d.answerFormat, 'ratio');
    record('fired', d.fired, 'ratio');
    record('first-tool-accuracy', d.firstToolAccuracy, 'ratio');
    record('arguments-executed', d.argumentsExecuted, 'ratio');
    record('operand-copy', d.operandCopy, 'ratio', { goldToolCalls: d.goldToolCalls });
    record('answer-after-correct-call', d.answerAfterCorrectCall, 'ratio', { correctCallQuestions: d.correctCallQuestions });
    line += ` | format ${d.answerFormat.toFixed(2)} fired ${d.fired.toFixed(2)} first-tool ${d.firstToolAccuracy.toFixed(2)} executed ${d.argumentsExecuted.toFixed(2)}` +
      ` operand-copy ${d.operandCopy.toFixed(2)} (${d.goldToolCalls}) answer-after-correct-call ${d.answerAfterCorrectCall.toFixed(2)} (${d.correctCallQuestions})`;
  }
  process.stderr.write(line + '\n');
}

const trainOptions = (docs: ReadonlyMap<string, string>, epochs = plan.headEpochs) => ({
  head: { ...headOptions, epochs }, reranker: { epochs: 30, lr: 5e-3, seed: 0 }, rerankTopK: settings.rerankTopK, toolBias: 'tune' as const, docs, rerankFolds: plan.rerankFolds, progress: true,
});

// FuncQA: one head for one-hop and multi-hop (the same 13 tools and training texts).
if (wanted.has('funcqa-oh') || wanted.has('funcqa-mh')) {
  const funcqa = trainToolken(model, tokenizer, mathTrainingTexts('funcqa-oh', data, gsm8kTrain), loadMathBenchmark('funcqa-oh', data).tools, trainOptions(FUNCQA_DOCS));
  recordTraining('funcqa', funcqa);
  process.stderr.write(`FuncQA head: ${funcqa.featureSeconds.toFixed(1)} s caching states + ${funcqa.training.seconds.toFixed(1)} s training vs ${naiveTrainingSeconds(funcqa, plan.headEpochs).toFixed(1)} s with a forward per epoch\n`);
  for (const name of ['funcqa-oh', 'funcqa-mh'] as const) {
    if (!wanted.has(name)) continue;
    const bench = loadMathBenchmark(name, data);
    const limited = { ...bench, questions: limit(bench.questions, plan.questions) };
    const system: ToolkenSystem = { model, tokenizer, head: funcqa.head, reranker: funcqa.reranker, docs: FUNCQA_DOCS };
    for (const method of [...METHODS, ...COPY_METHODS]) recordMethod(name, evaluateMath(system, limited, method, settings), limited.questions);
  }
}

if (wanted.has('gsm8k-xl')) {
  const gsm = loadMathBenchmark('gsm8k-xl', data);
  const gsmTrained = trainToolken(model, tokenizer, limit(mathTrainingTexts('gsm8k-xl', data, gsm8kTrain), plan.gsm8kTexts), gsm.tools, trainOptions(FUNCQA_DOCS));
  recordTraining('gsm8k-xl', gsmTrained);
  const gsmSystem: ToolkenSystem = { model, tokenizer, head: gsmTrained.head, reranker: gsmTrained.reranker, docs: FUNCQA_DOCS };
  const limited = { ...gsm, questions: limit(gsm.questions, plan.questions) };
  for (const method of [...METHODS, ...COPY_METHODS]) recordMethod('gsm8k-xl', evaluateMath(gsmSystem, limited, method, settings), limited.questions);
}

if (wanted.has('kamel')) {
  const kamel = loadKamelBenchmark(data, plan.kamelRelations);
  const kamelTrained = trainToolken(model, tokenizer, limit(shuffled(kamel.training, seededRandom(2)), plan.kamelTexts), kamel.tools, trainOptions(kamel.docs, plan.kamelHeadEpochs));
  recordTraining('kamel', kamelTrained);
  const kamelSystem: ToolkenSystem = { model, tokenizer, head: kamelTrained.head, reranker: kamelTrained.reranker, docs: kamel.docs };
  for (const method of METHODS) recordMethod('kamel', evaluateKamel(kamelSystem, { ...kamel, questions: limit(kamel.questions, plan.questions) }, method, settings), null);
}

records.push({ name: 'toolkengpt/base/pretrain-seconds', value: base.pretrainSeconds, unit: 's', params: { ...params, cached: base.cached } });
records.push({ name: 'toolkengpt/bench/seconds', value: (performance.now() - started) / 1000, unit: 's', params });
const runDir = join(root, mode);
writeToolkenReport(runDir, `ToolkenGPT bench (${mode})`, results, [
  `Frozen base: ${pretrainPlan.model.layers} layers, width ${pretrainPlan.model.dim}, context ${pretrainPlan.model.maxPositions}, vocabulary ${tokenizer.vocabSize} (digits split), pretrained ${pretrainPlan.steps} steps from scratch on training texts and templates only.`,
  'KAMEL accuracy is in the EM column. VirtualHome is not part of this bench (no simulator or program corpus).',
]);
// A run of some datasets keeps the records of the others from earlier runs (`--datasets funcqa-oh` then
// `--datasets funcqa-mh,gsm8k-xl` leave one file of both); a group this run writes (toolkengpt/<group>/...) replaces them.
const resultsFile = join(resultsDir, 'toolkengpt.json');
const groupOf = (name: string): string => name.split('/')[1] ?? '';
const written = new Set(records.map((r) => groupOf(r.name)));
const earlier = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as { records: BenchRecord[] }).records.filter((r) => !written.has(groupOf(r.name))) : [];
process.stdout.write(`${writeResults('toolkengpt', [...earlier, ...records])}\nreport: ${join(runDir, 'report.html')}\n`);
