/**
 * ToolkenGPT end to end on one frozen base model: train a head (and the Toolken+ reranker) for a benchmark, then
 * evaluate the four methods — no tools, in-context tool use, ToolkenGPT, Toolken+ — on its test questions.
 */
import { join } from 'node:path';
import type { DecoderModel } from '../../models/decoder.js';
import { ProgressBar } from '../../report/progress.js';
import { seededRandom, shuffled } from '../../util/random.js';
import { evaluateFuncqa, parseFuncqaArguments, type FuncqaOperation } from '../../tools/executors/funcqa.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import {
  deriveGsm8kXlTraining, FUNCQA_TOOLS, GSM8K_XL_TOOLS, loadFuncqaTest, loadFuncqaTraining, loadGsm8kXlTest, loadKamelRelations, loadKamelTest,
  loadKamelTraining, loadVirtualHome, loadVirtualHomeTools, operationOf, type KamelQuestion, type MathQuestion, type ToolText, type VirtualHomeTask,
} from './data.js';
import { headFeatures, trainHead, tuneToolBias, type HeadFeatures, type HeadTrainingOptions, type ToolHead, type TrainedHead } from './head.js';
import { decodeAnswers, type DecodedAnswer, type DecodeOptions, type JointModel, type ToolChooser, type ToolUse } from './inference.js';
import { baseIdentity, jointModel, lastHidden, plainModel } from './model.js';
import { mineRerankPositions, rerank, rerankPrompt, trainReranker, tuneOverrideMargin, type MinedPosition, type Reranker, type RerankerTrainingOptions, type RerankExample } from './reranker.js';
import { approxMatch, callPrecisionRecall, containsAnswer, countCalls, exactMatch, extractAnswer, type CallCounts } from './scoring.js';
import { keepTail, tokenizeToolText } from './spans.js';
import { fillTemplate, loadTemplates, type Templates } from './templates.js';

export const METHODS = ['no-tools', 'in-context', 'toolkengpt', 'toolken-plus'] as const;
/**
 * ToolkenGPT and Toolken+ with operand copying (operand-copy.ts): not the paper's methods but a diagnostic of what
 * they would score on a base that copies operands. Math benchmarks only.
 */
export const COPY_METHODS = ['toolkengpt-copy', 'toolken-plus-copy'] as const;
export type Method = (typeof METHODS)[number] | (typeof COPY_METHODS)[number];

export const MATH_DATASETS = ['funcqa-oh', 'funcqa-mh', 'gsm8k-xl'] as const;
export type MathDataset = (typeof MATH_DATASETS)[number];

/** A math benchmark: tools, templates, test questions, and how its training texts frame a question. */
export interface MathBenchmark {
  readonly name: MathDataset;
  readonly tools: readonly string[];
  readonly templates: Templates;
  readonly questions: readonly MathQuestion[];
  /** The question and the generation so far in the training texts' format (the reranker's context). */
  readonly context: (question: string, text: string) => string;
}

/** Loads a math benchmark from the release folder (`toolkengpt-data`). */
export function loadMathBenchmark(name: MathDataset, dataRoot: string): MathBenchmark {
  if (name === 'gsm8k-xl') {
    const dir = join(dataRoot, 'gsm8k-xl');
    return {
      name, tools: GSM8K_XL_TOOLS, templates: loadTemplates(join(dir, 'template'), GSM8K_XL_TOOLS), questions: loadGsm8kXlTest(join(dir, 'test.json')),
      context: (q, text) => `Question: ${q}\nAnswer:${text}`,
    };
  }
  const dir = join(dataRoot, 'funcqa');
  const oneHop = name === 'funcqa-oh';
  return {
    name, tools: FUNCQA_TOOLS, templates: loadTemplates(join(dir, oneHop ? 'template_oh' : 'template_mh'), FUNCQA_TOOLS),
    questions: loadFuncqaTest(join(dir, oneHop ? 'funcqa_oh.json' : 'funcqa_mh.json')),
    context: (q, text) => `Q: ${q}\nA:${text}`,
  };
}

/** Training texts of a math benchmark: FuncQA's release, or GSM8K-XL's derived from GSM8K train. */
export function mathTrainingTexts(name: MathDataset, dataRoot: string, gsm8kTrainFile: string): ToolText[] {
  return name === 'gsm8k-xl' ? deriveGsm8kXlTraining(gsm8kTrainFile) : loadFuncqaTraining(join(dataRoot, 'funcqa'));
}

/** Runs a FuncQA call from its argument text. */
export function executeFuncqaCall(tool: string, args: string): string {
  return evaluateFuncqa(operationOf(tool) as FuncqaOperation, parseFuncqaArguments(args));
}

export interface TrainedToolken {
  readonly head: ToolHead;
  readonly training: TrainedHead;
  readonly reranker: Reranker | null;
  /** Seconds: caching the features (one forward over the texts), training the head, the reranker. */
  readonly featureSeconds: number;
  readonly rerankerSeconds: number;
  /** Positions and reranker examples. */
  readonly positions: number;
  readonly rerankExamples: number;
}

export interface ToolkenTrainingOptions {
  readonly head: HeadTrainingOptions;
  readonly reranker: RerankerTrainingOptions | null;
  readonly rerankTopK: number;
  /** The tool logit bias the reranker's positions are mined under; 'tune': the head's tuned bias (`tuneToolBias`). */
  readonly toolBias: number | 'tune';
  readonly docs: ReadonlyMap<string, string>;
  /**
   * Folds of cross-fitted mining for the reranker. 1 (default): mine the final head's own validation texts only.
   * F > 1: train F more heads, each holding out a disjoint F-th of the texts, and mine every text under the head
   * that never saw it, so the reranker learns from F / validationFraction times as many positions where a head
   * meets unseen text, which is what it meets at test time.
   */
  readonly rerankFolds?: number;
  readonly progress?: boolean;
}

/** Reranker positions mined where a head meets text it was not trained on (see `rerankFolds`). */
export function mineHeldOutPositions(features: readonly HeadFeatures[], tools: readonly string[], training: TrainedHead, o: ToolkenTrainingOptions, toolBias: number): MinedPosition[] {
  const folds = o.rerankFolds ?? 1;
  if (!(Number.isInteger(folds) && folds >= 1 && folds <= features.length)) {
    throw new RangeError(`trainToolken: rerankFolds must be a whole number from 1 to the number of texts (${features.length}), got ${folds}`);
  }
  const mineFrom = (rows: Float32Array, heldOut: readonly number[]): MinedPosition[] =>
    mineRerankPositions(rows, tools.length, heldOut.map((i) => features[i]!), o.rerankTopK, toolBias).map((m) => ({ ...m, text: heldOut[m.text]! }));
  if (folds === 1) return mineFrom(training.rows, training.validation);
  const order = shuffled(features.map((_, i) => i), seededRandom(o.head.seed + 1));
  return Array.from({ length: folds }, (_, fold) => {
    const heldOut = order.filter((_, rank) => rank % folds === fold);
    const foldHead = trainHead(features, tools.length, { ...o.head, heldOut, progress: false });
    return mineFrom(foldHead.rows, heldOut);
  }).flat();
}

/** Trains a head over cached states, then (unless `reranker` is null) the Toolken+ reranker on held-out texts. */
export function trainToolken(model: DecoderModel, tokenizer: Tokenizer, texts: readonly ToolText[], tools: readonly string[], o: ToolkenTrainingOptions): TrainedToolken {
  const featureStart = performance.now();
  // A text longer than the model's context keeps its tail (VirtualHome's few-shot texts end with the plan trained on).
  const tokenized = texts.map((t) => keepTail(tokenizeToolText(tokenizer, t), model.config.maxPositions)).filter((t) => t.ids.length >= 2);
  const bar = o.progress === true ? new ProgressBar({ total: tokenized.length, label: 'frozen forward' }) : null;
  const features: HeadFeatures[] = tokenized.map((t) => {
    const f = headFeatures(model, t, tools);
    bar?.tick(1);
    return f;
  });
  bar?.finish();
  const featureSeconds = (performance.now() - featureStart) / 1000;
  const training = trainHead(features, tools.length, { ...o.head, progress: o.progress });
  const validation = training.validation.map((i) => features[i]!);
  const toolBias = o.toolBias === 'tune' ? tuneToolBias(training.rows, tools.length, validation).bias : o.toolBias;
  const head: ToolHead = { tools, dim: model.config.dim, rows: training.rows, base: baseIdentity(model), toolBias };
  const positions = features.reduce((n, f) => n + f.label.length, 0);
  if (o.reranker === null) return { head, training, reranker: null, featureSeconds, rerankerSeconds: 0, positions, rerankExamples: 0 };

  const rerankStart = performance.now();
  const mined = mineHeldOutPositions(features, tools, training, o, toolBias);
  const skip = tokenizer.bosId === undefined ? 0 : 1;
  const examples = mined.map((m) => {
    const ids = tokenized[m.text]!.ids;
    const context = tokenizer.decode(ids.slice(skip, m.position + 1));
    const prompt = rerankPrompt(m.candidates.map((k) => tools[k]!), o.docs, context);
    const promptIds = [...(tokenizer.bosId === undefined ? [] : [tokenizer.bosId]), ...tokenizer.encode(prompt)].slice(-model.config.maxPositions);
    return { candidates: m.candidates, hidden: lastHidden(model, promptIds), label: m.label };
  });
  const reranker = examples.length === 0 ? null : trainTunedReranker(examples, mined.map((m) => m.text), training.rows, tools.length, o.reranker);
  return { head, training, reranker, featureSeconds, rerankerSeconds: (performance.now() - rerankStart) / 1000, positions, rerankExamples: examples.length };
}

/**
 * The reranker with its override margin chosen on held-out texts: a reranker trained on four fifths of the mined
 * texts is scored on the fifth at each margin (tuneOverrideMargin), then the reranker is trained on them all and
 * keeps that margin. With fewer than two texts there is nothing to hold out and the margin stays 0.
 */
function trainTunedReranker(examples: readonly RerankExample[], textOf: readonly number[], init: Float32Array, toolCount: number, o: RerankerTrainingOptions): Reranker {
  const texts = [...new Set(textOf)];
  const all = trainReranker(examples, init, toolCount, o);
  if (texts.length < 2) return all;
  const heldOutTexts = new Set(shuffled(texts, seededRandom(o.seed + 7)).slice(0, Math.max(1, Math.floor(texts.length / 5))));
  const fit = examples.filter((_, i) => !heldOutTexts.has(textOf[i]!));
  const heldOut = examples.filter((_, i) => heldOutTexts.has(textOf[i]!));
  if (fit.length === 0 || heldOut.length === 0) return all;
  const { margin } = tuneOverrideMargin(trainReranker(fit, init, toolCount, o), heldOut);
  return { ...all, margin };
}

/** The time a naive head training would take: one frozen forward over the texts per epoch, plus the head work. */
export function naiveTrainingSeconds(t: TrainedToolken, epochs: number): number {
  return t.featureSeconds * epochs + t.training.seconds;
}

export interface InferenceSettings {
  /** Added to every tool logit in reasoning mode; unset: the head's tuned bias (0 for a head without one). */
  readonly toolBias?: number;
  readonly maxTokens: number;
  readonly maxCalls: number;
  readonly batch: number;
  readonly rerankTopK: number;
  readonly progress?: boolean;
}

/** Per-question outcome of a method. */
export interface QuestionResult {
  readonly id: string;
  readonly text: string;
  readonly prediction: number | null;
  readonly label: number | string;
  readonly correct: boolean;
  readonly approx: boolean;
  readonly calls: readonly { readonly tool: string; readonly args: string; readonly result?: string; readonly error?: string }[];
  readonly rejected: number;
}

export interface MethodResult {
  readonly dataset: string;
  readonly method: Method;
  readonly questions: number;
  /** Exact match (KAMEL: accuracy). */
  readonly em: number;
  readonly approx: number;
  readonly callsPerQuestion: number;
  readonly callPrecision: number;
  readonly callRecall: number;
  /** Calls that did not match a gold call, per question. */
  readonly wrongCallsPerQuestion: number;
  readonly rejectedPerQuestion: number;
  readonly seconds: number;
  readonly results: readonly QuestionResult[];
}

/** What the four methods share: the frozen model, its tokenizer, the trained head and reranker. */
export interface ToolkenSystem {
  readonly model: DecoderModel;
  readonly tokenizer: Tokenizer;
  readonly head: ToolHead | null;
  readonly reranker: Reranker | null;
  readonly docs: ReadonlyMap<string, string>;
}

function useOf(method: Method): ToolUse {
  return method === 'no-tools' ? 'none' : method === 'in-context' ? 'in-context' : 'toolken';
}

function modelFor(system: ToolkenSystem, method: Method): JointModel {
  if (useOf(method) !== 'toolken') return plainModel(system.model);
  if (system.head === null) throw new Error(`method ${method} needs a trained head`);
  return jointModel(system.model, system.head.rows, system.head.tools.length);
}

function chooserFor(system: ToolkenSystem, method: Method, tools: readonly string[], context: (q: string, text: string) => string, topK: number): ToolChooser | undefined {
  if (method !== 'toolken-plus' && method !== 'toolken-plus-copy') return undefined;
  const reranker = system.reranker;
  if (reranker === null) throw new Error('toolken-plus needs a trained reranker');
  const { model, tokenizer } = system;
  const bos = tokenizer.bosId === undefined ? [] : [tokenizer.bosId];
  return ({ question, text, rankedTools }) => {
    const candidates = rankedTools.slice(0, topK);
    const prompt = rerankPrompt(candidates.map((k) => tools[k]!), system.docs, context(question, text));
    return rerank(reranker, candidates, lastHidden(model, [...bos, ...tokenizer.encode(prompt)].slice(-model.config.maxPositions)));
  };
}

/** Decodes in batches of `batch` questions, with a progress bar over questions. */
function decodeInBatches(model: JointModel, tokenizer: Tokenizer, questions: readonly string[], o: DecodeOptions, batch: number, label: string, progress: boolean): DecodedAnswer[] {
  const bar = progress ? new ProgressBar({ total: questions.length, label }) : null;
  const out: DecodedAnswer[] = [];
  for (let i = 0; i < questions.length; i += batch) out.push(...decodeAnswers(model, tokenizer, questions.slice(i, i + batch), { ...o, onDone: () => bar?.tick(1) }));
  bar?.finish();
  return out;
}

function summarise(dataset: string, method: Method, results: QuestionResult[], counts: CallCounts[], seconds: number): MethodResult {
  const n = Math.max(1, results.length);
  const { precision, recall } = callPrecisionRecall(counts);
  const sum = (f: (r: QuestionResult) => number): number => results.reduce((a, r) => a + f(r), 0);
  const wrong = counts.reduce((a, c) => a + c.predicted - c.matched, 0);
  return {
    dataset, method, questions: results.length, em: sum((r) => (r.correct ? 1 : 0)) / n, approx: sum((r) => (r.approx ? 1 : 0)) / n,
    callsPerQuestion: sum((r) => r.calls.length) / n, callPrecision: precision, callRecall: recall, wrongCallsPerQuestion: wrong / n,
    rejectedPerQuestion: sum((r) => r.rejected) / n, seconds, results,
  };
}

/** Evaluates one method on a math benchmark. */
export function evaluateMath(system: ToolkenSystem, bench: MathBenchmark, method: Method, s: InferenceSettings): MethodResult {
  const started = performance.now();
  const { templates } = bench;
  const answers = decodeInBatches(modelFor(system, method), system.tokenizer, bench.questions.map((q) => q.question), {
    tools: bench.tools,
    use: useOf(method),
    reasoningPrompt: (q) => fillTemplate(method === 'in-context' ? templates.func : templates.general, q),
    toolPrompt: (tool, q) => fillTemplate(templates.tool.get(tool)!, q),
    execute: executeFuncqaCall,
    toolBias: s.toolBias ?? system.head?.toolBias ?? 0,
    maxTokens: s.maxTokens,
    maxCalls: s.maxCalls,
    chooser: chooserFor(system, method, bench.tools, bench.context, s.rerankTopK),
    copyOperands: (COPY_METHODS as readonly string[]).includes(method),
  }, s.batch, `${bench.name} ${method}`, s.progress === true);
  const counts: CallCounts[] = [];
  const results = bench.questions.map((q, i): QuestionResult => {
    const a = answers[i]!;
    const prediction = extractAnswer(a.text);
    const succeeded = a.calls.filter((c) => c.result !== undefined);
    counts.push(countCalls(succeeded.map((c) => c.tool), q.calls.map((c) => c.tool)));
    return { id: q.id, text: a.expanded, prediction: prediction ?? null, label: q.answer, correct: exactMatch(prediction, q.answer), approx: approxMatch(prediction, q.answer), calls: a.calls, rejected: a.rejected };
  });
  return summarise(bench.name, method, results, counts, (performance.now() - started) / 1000);
}

/** KAMEL over its first `relations` relations: tools, docs, training texts and test questions. */
export interface KamelBenchmark {
  readonly relations: number;
  readonly tools: readonly string[];
  readonly docs: ReadonlyMap<string, string>;
  readonly training: readonly ToolText[];
  readonly questions: readonly KamelQuestion[];
}

export function loadKamelBenchmark(dataRoot: string, relations: number): KamelBenchmark {
  const dir = join(dataRoot, 'kamel');
  const all = loadKamelRelations(dir);
  const tools = all.tools.slice(0, relations);
  return {
    relations, tools, docs: all.docs, training: loadKamelTraining(dir, tools).texts,
    questions: loadKamelTest(join(dir, `test_first_${relations}.json`), tools),
  };
}

/**
 * A KAMEL question as its question-form training texts begin ("Who owns Nike? The owner entity of Nike is ..."): the
 * model answers on the same line, where the head learnt to fire. (A `Question: ...\nAnswer:` frame, which no KAMEL
 * training text has, left the head silent on the test questions.)
 */
const kamelPrompt = (q: string): string => q;

/**
 * Evaluates one method on KAMEL. ToolkenGPT / Toolken+: the first toolken produced must be the gold relation's.
 * No tools: the generation must contain an accepted object string. In-context: the relations' documentation that
 * fits half the context is listed before the question, and the generation must write the gold relation's call.
 */
export function evaluateKamel(system: ToolkenSystem, bench: KamelBenchmark, method: Method, s: InferenceSettings): MethodResult {
  if ((COPY_METHODS as readonly string[]).includes(method)) throw new RangeError(`${method}: operand copying is for the math benchmarks (KAMEL scores the tool chosen, not its arguments)`);
  const started = performance.now();
  const { tokenizer, model } = system;
  let listing = '';
  if (method === 'in-context') {
    const budget = model.config.maxPositions / 2;
    for (const tool of bench.tools) {
      const line = `${tool}: ${bench.docs.get(tool)}\n`;
      if (tokenizer.encode(listing + line).length > budget) break;
      listing += line;
    }
  }
  const answers = decodeInBatches(modelFor(system, method), tokenizer, bench.questions.map((q) => q.question), {
    tools: bench.tools,
    use: method === 'in-context' ? 'none' : useOf(method),
    reasoningPrompt: (q) => (method === 'in-context' ? `Tools:\n${listing}\n` : '') + kamelPrompt(q),
    toolPrompt: (_tool, q) => kamelPrompt(q),
    execute: () => {
      throw new Error('KAMEL has no executor');
    },
    toolBias: s.toolBias ?? system.head?.toolBias ?? 0,
    maxTokens: Math.min(s.maxTokens, 32),
    stopAtToolken: true,
    chooser: chooserFor(system, method, bench.tools, (q, text) => `${q}${text}`, s.rerankTopK),
  }, s.batch, `kamel-${bench.relations} ${method}`, s.progress === true);
  const counts: CallCounts[] = [];
  const results = bench.questions.map((q, i): QuestionResult => {
    const a = answers[i]!;
    const predictedTools = a.firstTool !== undefined ? [a.firstTool] : method === 'in-context' ? bench.tools.filter((t) => a.text.includes(`${t}(`)).slice(0, 1) : [];
    counts.push(countCalls(predictedTools, [q.tool]));
    const correct = method === 'no-tools' ? containsAnswer(a.text, q.answers) : predictedTools[0] === q.tool;
    return { id: q.id, text: a.text, prediction: null, label: q.tool, correct, approx: correct, calls: predictedTools.map((tool) => ({ tool, args: '' })), rejected: a.rejected };
  });
  return summarise(`kamel-${bench.relations}`, method, results, counts, (performance.now() - started) / 1000);
}


/**
 * VirtualHome without its simulator: the program corpus and the scene graphs are not available, so success rate
 * cannot be measured. This substitute holds out every tenth training plan (by index) and scores the generated
 * plan's steps against the gold script's: EM is an exactly reproduced plan, approx the step F1, call
 * precision/recall the step precision/recall. It is not the paper's success rate.
 */
export interface VirtualHomeBenchmark {
  readonly tools: readonly string[];
  readonly train: readonly VirtualHomeTask[];
  readonly test: readonly VirtualHomeTask[];
}

export function loadVirtualHomeBenchmark(dataRoot: string): VirtualHomeBenchmark {
  const dir = join(dataRoot, 'vh');
  const tools = loadVirtualHomeTools(dir);
  const tasks = loadVirtualHome(dir, tools);
  return { tools, train: tasks.filter((_, i) => i % 10 !== 0), test: tasks.filter((_, i) => i % 10 === 0) };
}

/** The steps of a plan written as text: lines `[ACTION] <object> ...`, up to `[END]`. */
export function planSteps(text: string): string[] {
  const steps: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*(\[[A-Z]+\])((?:\s*<[^<>\s]+>)*)/.exec(line);
    if (match === null) continue;
    steps.push([match[1]!, ...(match[2]!.match(/<[^<>\s]+>/g) ?? [])].join(' '));
    if (match[1] === '[END]') break;
  }
  return steps;
}

export function evaluateVirtualHome(system: ToolkenSystem, bench: VirtualHomeBenchmark, method: 'no-tools' | 'toolkengpt', s: InferenceSettings): MethodResult {
  const started = performance.now();
  const answers = decodeInBatches(modelFor(system, method), system.tokenizer, bench.test.map((t) => t.prompt), {
    tools: bench.tools,
    use: useOf(method),
    reasoningPrompt: (prompt) => prompt,
    toolPrompt: (_tool, prompt) => prompt,
    execute: (tool) => tool,
    directTools: true,
    toolBias: s.toolBias ?? system.head?.toolBias ?? 0,
    maxTokens: s.maxTokens,
    maxCalls: 4 * s.maxTokens,
    stop: ['[END]', '\n\n'],
  }, s.batch, `virtualhome ${method}`, s.progress === true);
  const counts: CallCounts[] = [];
  const results = bench.test.map((task, i): QuestionResult => {
    const a = answers[i]!;
    const predicted = planSteps(a.expanded);
    const gold = task.plan.map((step) => step.join(' '));
    counts.push(countCalls(predicted, gold));
    const c = counts.at(-1)!;
    const f1 = c.predicted + c.gold === 0 ? 0 : (2 * c.matched) / (c.predicted + c.gold);
    const exact = predicted.join('\n') === gold.join('\n');
    return { id: task.id, text: a.expanded, prediction: f1, label: gold.join('; '), correct: exact, approx: false, calls: a.calls, rejected: a.rejected };
  });
  const summary = summarise('virtualhome', method, results, counts, (performance.now() - started) / 1000);
  const meanF1 = results.reduce((n, r) => n + (r.prediction ?? 0), 0) / Math.max(1, results.length);
  return { ...summary, approx: meanF1 };
}
