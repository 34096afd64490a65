/**
 * `npm run bench:function-calling [-- --quick]`: the four experiments of "What Actually Improves LLM Tool Calling?"
 * (issue 14) on a small base that this bench pretrains from scratch (there is no pretrained instruction model here).
 *
 * 1. Data: every training catalog (BFCL's Python single-turn categories, Seal-Tools dev, API-Bank level-1/2,
 *    ToolAlpaca, the demo catalog), each example checked by the BFCL checker, split with a seeded BFCL test split
 *    that no training or pretraining text may touch (assertNoTestLeak, by id and by question text).
 * 2. Base: a byte-level BPE tokenizer (every digit its own token) with a Hermes-style tool template and a small
 *    Llama, pretrained on the training examples as plain text (functions, question, calls as JSON; no chat markers,
 *    no <tool_call> tags) plus resampled copies of them with fresh stated values (resample.ts), so that it learns to
 *    copy values from the question. Its copying is measured before anything else (copy-metric.ts, teacher-forced
 *    on the test questions in its pretraining text). Cached by its plan in runs/function-calling-bench/base-<mode>/.
 * 3. Methods: base, SFT (LoRA); on the SFT model DPO, reward-filtered fine-tuning and GRPO (each a fresh LoRA on the
 *    merged SFT model), JSON repair, best-of-N and constrained decoding (also with values copied from the question: sft-constrained-copy).
 *    Generalisation: unseen tools (no training example offers or calls a test function) and unseen patterns (no
 *    parallel_multiple training example, tested on parallel_multiple), each base vs SFT vs SFT + reward filtering.
 *    Diversity: N simple examples against N/4 of each of the four patterns, the same steps.
 * Every answer is generated in FC mode (the functions as chat-template tools, calls parsed from <tool_call> blocks)
 * on the BFCL test questions of simple_python, multiple, parallel and parallel_multiple, and judged by the BFCL
 * checker's official reading. `overall` is the unweighted mean of a variant's categories, as the leaderboard's
 * summaries are.
 *
 * Records `fc/<experiment>/<variant>/accuracy/<category|overall>` into bench/results/function-calling.json; the run
 * directory runs/function-calling-bench/<mode>/ holds config.json, metrics.jsonl (one line per variant), report.md
 * and per variant its training run and answers. Every finished training run and evaluation is kept and reused when
 * the plan is unchanged, so an interrupted bench resumes where it stopped. `--pretrain-steps N`, `--sft-steps N`
 * and `--questions N` (per category) shorten a plan, `--after-prompts N` and `--after-steps N` the runs after SFT; `--base-only` stops once the base is pretrained and cached;
 * `--report-only` writes the records and the report from what is cached, training and generating nothing;
 * `--variants a,b` computes only the variants named and reports the others from the cache. Ctrl-C (SIGINT, e.g.
 * `timeout -s INT 900` to run in slices) checkpoints the training run in progress and exits 130; the next start
 * resumes it.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDatasetsDir } from '../src/data/loaders/files.js';
import { bfclResultPath, generateBfclAnswers, type BfclAnswer, type BfclGenerationOptions } from '../src/eval/bfcl/runner.js';
import { loadCategory, type BfclCategory, type BfclEntry } from '../src/eval/bfcl/dataset.js';
import { scoreEntries } from '../src/eval/bfcl/score.js';
import {
  assertNoTestLeak, chatCopyProbe, checkExamples, copyAccuracy, pretrainingCopyProbe, resampleFcExample, statedStringPool, diversitySets, loadDataSource, pretrainingDocument, splitFcExamples, splitManifest, styledConversation,
  defaultGrpoSettings, fcReward, PARTIAL_CREDIT, trainFunctionCallingDpo, trainFunctionCallingRl, trainFunctionCallingSft, unseenPatternsTraining, unseenToolsTraining, functionNames, DEFAULT_LORA_TARGETS,
  type CopyScore, type FcExample, type FcRlMethod, type FcSplit,
} from '../src/methods/function-calling/index.js';
import { loadLoraAdapter, type LoraConfig } from '../src/models/lora.js';
import { loadModel, type LoadedModel } from '../src/models/load.js';
import { saveModel } from '../src/models/save.js';
import { formatDuration, ProgressBar } from '../src/report/progress.js';
import { HERMES_TOOL_TEMPLATE } from '../src/serve/prompt.js';
import { applyChatTemplate } from '../src/tokenizer/chat-template.js';
import { defaultSftConfig, SftObjective, type SftConfig } from '../src/train/objectives/sft.js';
import { RunDirectory } from '../src/train/run-dir.js';
import { scratchModel, trainScratchTokenizer, type ScratchModelOptions } from '../src/train/scratch.js';
import { Trainer } from '../src/train/trainer.js';
import { writeFileAtomic, writeJsonAtomic } from '../src/util/fs.js';
import { hashString, seededRandom, shuffled } from '../src/util/random.js';
import { cpuParams, positiveIntFlag, writeResults, type BenchRecord } from './lib.js';

const quick = process.argv.includes('--quick');
/** `--report-only`: the records and the report from what earlier runs of the plan cached; nothing trains or generates. */
const reportOnly = process.argv.includes('--report-only');
/** `--variants a,b`: compute only these variants; the others are reported from the cache, as with --report-only. */
const variantsAt = process.argv.indexOf('--variants');
const selected = variantsAt === -1 ? undefined : new Set((process.argv[variantsAt + 1] ?? '').split(',').filter((v) => v !== ''));
const mode = quick ? 'quick' : 'full';
const datasets = sharedDatasetsDir();
const bfclDir = join(datasets, 'bfcl');
const root = join(process.cwd(), 'runs', 'function-calling-bench');
const started = performance.now();

/**
 * Ctrl-C (or `timeout -s INT`, to run the bench in slices): the training run in progress saves a checkpoint at its
 * step and the bench exits 130; the next start resumes it. A second Ctrl-C ends the process at once.
 */
const interruption = new AbortController();
const interrupted = interruption.signal;
process.on('SIGINT', () => {
  if (interrupted.aborted) process.exit(130);
  process.stderr.write('\ninterrupted: saving a checkpoint of the training step reached; run the bench again to resume\n');
  interruption.abort(new Error('interrupted'));
});
/** Runs bench work; the interruption's rejection ends the bench with 130 instead of a stack trace. */
async function untilInterrupted<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!interrupted.aborted || err !== interrupted.reason) throw err;
    process.stderr.write('bench interrupted; the checkpoint and everything finished so far are kept under runs/function-calling-bench\n');
    process.exit(130);
  }
}

/** The BFCL categories every variant is tested on: the leaderboard's four non-live single-turn AST categories. */
const TEST_CATEGORIES = ['simple_python', 'multiple', 'parallel', 'parallel_multiple'] as const satisfies readonly BfclCategory[];

interface Plan {
  readonly seed: number;
  /** Share of the BFCL questions held out as the test split. */
  readonly testFraction: number;
  readonly model: ScratchModelOptions;
  /** The tokenizer's split pattern: 'qwen2' writes every digit as its own token, so numbers can be copied digit by digit. */
  readonly pretokenizer: string;
  /**
   * `copies`: resampled copies of each training example added to the pretraining text (resample.ts: fresh stated
   * values), so that the base learns to copy values from the question rather than recall them.
   */
  readonly pretrain: { readonly steps: number; readonly batch: number; readonly sequenceLength: number; readonly lr: number; readonly copies: number };
  readonly sft: { readonly steps: number; readonly batch: number; readonly lr: number; readonly maxLength: number; readonly rank: number; readonly alpha: number };
  /** Test questions per category (at most; the split has what it has). */
  readonly questions: number;
  /** Examples of each diversity set. */
  readonly diversityExamples: number;
  /** Most new tokens per answer. */
  readonly maxTokens: number;
}

/** Pretraining steps of the full plan: about 14 minutes (4.1M tokens, half the corpus) on two unshared cores. */
const PRETRAIN_STEPS = 1000;

const PLANS: Record<'quick' | 'full', Plan> = {
  quick: {
    seed: 0, testFraction: 0.25,
    model: { vocabSize: 1024, dim: 64, layers: 2, heads: 4, kvHeads: 2, hiddenDim: 128, maxPositions: 1024, seed: 0, projectionStd: 0.125 },
    pretokenizer: 'qwen2',
    pretrain: { steps: 60, batch: 8, sequenceLength: 256, lr: 3e-3, copies: 1 },
    sft: { steps: 12, batch: 8, lr: 3e-3, maxLength: 512, rank: 8, alpha: 16 },
    questions: 4, diversityExamples: 40, maxTokens: 64,
  },
  full: {
    seed: 0, testFraction: 0.25,
    model: { vocabSize: 2048, dim: 128, layers: 3, heads: 4, kvHeads: 2, hiddenDim: 384, maxPositions: 1024, seed: 0, projectionStd: 1 / Math.sqrt(128) },
    pretokenizer: 'qwen2',
    pretrain: { steps: PRETRAIN_STEPS, batch: 8, sequenceLength: 512, lr: 3e-3, copies: 3 },
    sft: { steps: 200, batch: 8, lr: 5e-3, maxLength: 768, rank: 32, alpha: 64 },
    questions: 20, diversityExamples: 500, maxTokens: 128,
  },
};

/**
 * The runs after SFT and the scaffolding, kept apart from `Plan` so that changing them reuses the base, the SFT
 * runs and their evaluations. `prompts` training examples prompt each run (drawn from its SFT model's training
 * set); `samples` answers each at `temperature` (DPO mining, reward filtering, GRPO's group); `steps` bound DPO and
 * reward-filtered fine-tuning, `grpoSteps` GRPO (each of its steps samples afresh); `bestOf` is best-of-N's N.
 */
interface AfterPlan {
  readonly prompts: number;
  readonly samples: number;
  readonly temperature: number;
  readonly steps: number;
  readonly batch: number;
  readonly lr: number;
  readonly dpoBeta: number;
  readonly grpoSteps: number;
  readonly grpoBatch: number;
  readonly bestOf: number;
}

const AFTER_PLANS: Record<'quick' | 'full', AfterPlan> = {
  quick: { prompts: 16, samples: 4, temperature: 1, steps: 4, batch: 4, lr: 1e-3, dpoBeta: 0.1, grpoSteps: 2, grpoBatch: 2, bestOf: 2 },
  full: { prompts: 96, samples: 4, temperature: 1, steps: 20, batch: 8, lr: 2e-3, dpoBeta: 0.1, grpoSteps: 10, grpoBatch: 4, bestOf: 4 },
};
const afterPrompts = positiveIntFlag('after-prompts');
const afterSteps = positiveIntFlag('after-steps');
const after: AfterPlan = {
  ...AFTER_PLANS[mode],
  ...(afterPrompts === undefined ? {} : { prompts: afterPrompts }),
  ...(afterSteps === undefined ? {} : { steps: afterSteps, grpoSteps: afterSteps }),
};

const base0 = PLANS[mode];
const pretrainSteps = positiveIntFlag('pretrain-steps');
const sftSteps = positiveIntFlag('sft-steps');
const questions = positiveIntFlag('questions');
const plan: Plan = {
  ...base0,
  pretrain: { ...base0.pretrain, ...(pretrainSteps === undefined ? {} : { steps: pretrainSteps }) },
  sft: { ...base0.sft, ...(sftSteps === undefined ? {} : { steps: sftSteps }) },
  ...(questions === undefined ? {} : { questions }),
};
const planKey = (value: unknown): string => hashString(JSON.stringify(value)).toString(16);

/** With --report-only: a run or an evaluation that is not cached; its variant is left out of the results. */
class NotCached extends Error {}
/** The variant the bench is measuring now (see step). */
let measuring = '';
const needCompute = (what: string): void => {
  if (reportOnly || (selected !== undefined && !selected.has(measuring))) throw new NotCached(what);
};

// ---------------------------------------------------------------- data

const SOURCES = [
  `bfcl:${bfclDir}`,
  `seal-tools:${join(datasets, 'seal-tools', 'Seal-Tools_Dataset')}`,
  `api-bank:${join(datasets, 'api-bank')}`,
  `toolalpaca:${join(datasets, 'toolalpaca', 'data', 'eval_real.json')}`,
  `toolalpaca:${join(datasets, 'toolalpaca', 'data', 'eval_simulated.json')}`,
  'demo',
];
const loaded = SOURCES.flatMap((spec) => loadDataSource(spec, plan.seed));
const checked = checkExamples(loaded);
const split: FcSplit = splitFcExamples(checked.passed, { seed: plan.seed, validation: 0, test: plan.testFraction });
process.stderr.write(`data: ${loaded.length} examples, ${checked.failures.length} failing the checker; train ${split.train.length}, BFCL test ${split.test.length}, dropped ${split.dropped.length}\n`);

/** Every training set of the bench must hold no test question; this is asserted for each one. */
function noLeak(train: readonly FcExample[]): readonly FcExample[] {
  assertNoTestLeak({ train, validation: [], test: split.test });
  return train;
}

const testIds = new Set(split.test.map((e) => e.id));
const testEntries: BfclEntry[] = TEST_CATEGORIES.flatMap((c) => {
  const held = loadCategory(bfclDir, c).filter((e) => testIds.has(`bfcl/${e.id}`));
  return shuffled(held, seededRandom(plan.seed + 1)).slice(0, Math.min(held.length, plan.questions));
});
const testExamples = new Map(split.test.map((e) => [e.id, e]));
const testFunctions = new Set(split.test.flatMap((e) => [...functionNames(e)]));

// ---------------------------------------------------------------- base

const modeDir = join(root, mode);
mkdirSync(modeDir, { recursive: true });

/** Pretrains the base on packed plain-text documents with the Trainer's SFT objective (every token labelled). */
async function pretrain(model: ReturnType<typeof scratchModel>, tokenizer: ReturnType<typeof trainScratchTokenizer>, documents: readonly string[], runPath: string): Promise<number> {
  const eos = tokenizer.eosId!;
  const texts = documents.map((d) => {
    const ids = [...tokenizer.encode(d), eos];
    return { inputIds: ids, labels: ids };
  });
  const p = plan.pretrain;
  const tokens = texts.reduce((n, t) => n + t.inputIds.length, 0);
  const sequences = Math.floor(tokens / (p.sequenceLength + 1));
  process.stderr.write(`pretraining corpus: ${documents.length} documents, ${tokens} tokens (${sequences} sequences of ${p.sequenceLength})\n`);
  const config: SftConfig = {
    ...defaultSftConfig, batchSize: p.batch, maxLength: p.sequenceLength + 1, packing: true, padId: eos, lr: p.lr, minLr: p.lr / 10, warmup: 0.05,
    weightDecay: 0.01, epochs: Math.max(1, Math.ceil((p.steps * p.batch) / Math.max(1, sequences))), maxSteps: p.steps, checkpointEvery: 200, seed: plan.seed,
  };
  const objective = new SftObjective({ model, train: texts, settings: config });
  const run = RunDirectory.open(runPath, { resume: true });
  run.writeConfig({ kind: 'pretrain', plan: { model: plan.model, pretrain: p } });
  return (await new Trainer({ model, objective, config }).trainAsync({ run, showProgress: true, signal: interrupted })).finalLoss;
}

const basePlan = { seed: plan.seed, testFraction: plan.testFraction, model: plan.model, pretokenizer: plan.pretokenizer, pretrain: plan.pretrain };
const baseDir = join(root, `base-${mode}`);

interface PretrainedBase {
  /** Seconds the pretraining took when it ran (kept beside the cached base); undefined if unknown. */
  readonly seconds?: number;
  readonly finalLoss?: number;
  readonly cached: boolean;
  readonly documents: number;
}

async function pretrainedBase(): Promise<PretrainedBase> {
  const planFile = join(baseDir, 'pretrain-plan.json');
  const statsFile = join(baseDir, 'pretrain-stats.json');
  const planText = JSON.stringify(basePlan);
  const pretrainExamples = noLeak(split.train);
  if (existsSync(join(baseDir, 'config.json')) && existsSync(planFile) && readFileSync(planFile, 'utf8') === planText) {
    const stats = existsSync(statsFile) ? (JSON.parse(readFileSync(statsFile, 'utf8')) as { seconds: number; finalLoss: number }) : undefined;
    return { ...stats, cached: true, documents: pretrainExamples.length };
  }
  if (reportOnly) throw new Error(`--report-only: no base pretrained with this plan in ${baseDir}; run the bench without it first`);
  const t0 = performance.now();
  const originals = pretrainExamples.map(pretrainingDocument);
  const pool = statedStringPool(pretrainExamples);
  const random = seededRandom(plan.seed + 3);
  const copies = Array.from({ length: plan.pretrain.copies }, (_, k) => pretrainExamples.flatMap((e) => resampleFcExample(e, k + 1, random, pool) ?? [])).flat();
  const documents = shuffled([...originals, ...noLeak(copies).map(pretrainingDocument)], seededRandom(plan.seed));
  // The tokenizer also sees the chat-rendered examples, so that the template's markers and tags are few tokens.
  const rendered = pretrainExamples.slice(0, 2000).map((e) => {
    const c = styledConversation(e, { style: 'fc' });
    return applyChatTemplate(HERMES_TOOL_TEMPLATE, c.messages, { ...(c.tools ? { tools: c.tools } : {}) });
  });
  const tokenizer = trainScratchTokenizer([...originals, ...rendered], plan.model.vocabSize, { chatTemplate: HERMES_TOOL_TEMPLATE, pretokenizer: plan.pretokenizer });
  const model = scratchModel(tokenizer, plan.model);
  const loss = await pretrain(model, tokenizer, documents, join(root, `pretrain-${mode}-${planKey(basePlan)}`));
  saveModel(model, tokenizer, baseDir);
  const seconds = (performance.now() - t0) / 1000;
  writeJsonAtomic(statsFile, { seconds, finalLoss: loss });
  writeFileAtomic(planFile, planText);
  process.stderr.write(`base pretrained in ${formatDuration(seconds)}, final loss ${loss.toFixed(3)}, saved to ${baseDir}\n`);
  return { seconds, finalLoss: loss, cached: false, documents: documents.length };
}

const base = await untilInterrupted(pretrainedBase);
const loadBase = (): Promise<LoadedModel> => loadModel(baseDir);
const baseModel = await loadBase();
// The diagnostic before any long run: can the base copy the stated values in the text form it was pretrained on?
const baseCopy = copyScore(baseModel, testEntries, 'pretraining');
const share = (n: number, of: number): string => `${(100 * (of === 0 ? 0 : n / of)).toFixed(1)}%`;
process.stderr.write(`base copy (teacher-forced, pretraining text, ${testEntries.length} test questions): ${share(baseCopy.valuesCopied, baseCopy.values)} of ${baseCopy.values} stated values whole, ${share(baseCopy.tokensCopied, baseCopy.tokens)} of their tokens\n`);
if (process.argv.includes('--base-only')) {
  process.stdout.write(`base ready in ${baseDir}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------- evaluation

interface Scored {
  readonly categories: Partial<Record<BfclCategory, number>>;
  readonly overall: number;
  /** Share of answers that decode to at least one call (what JSON repair and constrained decoding act on). */
  readonly decoded: number;
  /**
   * Mean graded score: 1 for an answer the checker accepts, else reward.ts's partial credit (0.25 when it decodes,
   * +0.25 for the gold function names, +0.25 for the right argument names). It shows progress the all-or-nothing
   * checker cannot while a model is too small to get every value right.
   */
  readonly partialCredit: number;
  /**
   * Teacher-forced copying of the values the questions state (copy-metric.ts), in the chat rendering the variant
   * is tested in: whether the model could write the values at all, which the checker's all-or-nothing verdict hides.
   */
  readonly copy?: CopyScore;
  /** How many answers failed by each checker rule: why a variant scores what it scores. */
  readonly failures: Readonly<Record<string, number>>;
  readonly questions: number;
  readonly seconds: number;
}

/**
 * The graded score of answers (see Scored.partialCredit) and the share that decode to at least one call, by the
 * checker's verdicts and the test examples' gold calls.
 */
function grade(answers: ReadonlyMap<string, string>, valid: ReadonlySet<string>): { partialCredit: number; decoded: number } {
  let total = 0;
  let decoded = 0;
  for (const [id, text] of answers) {
    const credit = valid.has(id) ? 1 : Math.min(0.75, fcReward(testExamples.get(`bfcl/${id}`)!, text, { style: 'fc', partialCredit: true }));
    total += credit;
    if (credit >= PARTIAL_CREDIT.decodes) decoded++;
  }
  return answers.size === 0 ? { partialCredit: 0, decoded: 0 } : { partialCredit: total / answers.size, decoded: decoded / answers.size };
}

/**
 * Teacher-forced copying of the stated values of `entries`' gold calls, with the test examples rendered as the
 * variants are tested (`chat`: FC style) or as the base was pretrained (`pretraining` text).
 */
function copyScore(model: LoadedModel, entries: readonly BfclEntry[], form: 'chat' | 'pretraining'): CopyScore {
  const examples = entries.map((e) => testExamples.get(`bfcl/${e.id}`)!);
  const probes = examples.flatMap((e) => (form === 'chat' ? chatCopyProbe(model.tokenizer, e, { style: 'fc' }) : pretrainingCopyProbe(model.tokenizer, e, plan.model.maxPositions)) ?? []);
  return copyAccuracy(model.model, model.tokenizer, probes);
}

/** The answers a previous run wrote to the leaderboard's result files of a variant. */
function savedAnswers(dir: string, label: string, entries: readonly BfclEntry[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const category of new Set(entries.map((e) => e.category))) {
    for (const line of readFileSync(bfclResultPath(dir, label, category), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const row = JSON.parse(line) as { id: string; result: string };
      out.set(row.id, row.result);
    }
  }
  return out;
}

/**
 * Answers and scores `entries` for one variant, or reads the scores a previous run of the same plan left. The
 * variant's folder gets the leaderboard's result files, our verdicts and scores.json.
 */
function evaluate(dir: string, label: string, model: LoadedModel, entries: readonly BfclEntry[], options: Partial<BfclGenerationOptions> = {}, trained?: unknown): Scored {
  const key = planKey({ plan, base: basePlan, entries: entries.map((e) => e.id), options, trained });
  const scoresFile = join(dir, 'scores.json');
  if (existsSync(scoresFile)) {
    const saved = JSON.parse(readFileSync(scoresFile, 'utf8')) as Omit<Scored, 'partialCredit'> & { key: string; partialCredit?: number };
    if (saved.key === key) {
      if (saved.partialCredit !== undefined) {
        if (saved.copy !== undefined || reportOnly) return { ...saved, partialCredit: saved.partialCredit };
        const scored = { ...saved, partialCredit: saved.partialCredit, copy: copyScore(model, entries, 'chat') };
        writeJsonAtomic(scoresFile, scored);
        return scored;
      }
      // Scores written before the graded score existed: grade the saved answers.
      const valid = new Set(readFileSync(join(dir, 'verdicts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; valid: boolean }).filter((v) => v.valid).map((v) => v.id));
      const scored = { ...saved, ...grade(savedAnswers(dir, label, entries), valid) };
      writeJsonAtomic(scoresFile, scored);
      return scored;
    }
  }
  needCompute(`evaluation ${dir}`);
  const t0 = performance.now();
  let bar: ProgressBar | undefined;
  const answers: BfclAnswer[] = generateBfclAnswers(model, entries, {
    mode: 'fc', maxTokens: plan.maxTokens, batchSize: 8, ...options,
    onStart: (total) => (bar = new ProgressBar({ total, label: `eval ${label}`, unit: 'q' })),
    onAnswer: () => bar?.tick(),
  });
  bar?.finish();
  const report = scoreEntries(entries, new Map(answers.map((a) => [a.id, a.result])), { reading: 'official', mode: 'fc' });
  const categories: Partial<Record<BfclCategory, number>> = {};
  for (const [name, s] of Object.entries(report.categories)) categories[name as BfclCategory] = s.accuracy;
  const values = Object.values(categories);
  const failures: Record<string, number> = {};
  for (const v of report.verdicts) if (!v.valid) failures[v.rule ?? 'unknown'] = (failures[v.rule ?? 'unknown'] ?? 0) + 1;
  const valid = new Set(report.verdicts.filter((v) => v.valid).map((v) => v.id));
  const graded = grade(new Map(answers.map((a) => [a.id, a.result])), valid);
  const scored: Scored = {
    categories, overall: values.reduce((a, b) => a + b, 0) / values.length, ...graded, copy: copyScore(model, entries, 'chat'), failures, questions: entries.length, seconds: (performance.now() - t0) / 1000,
  };
  for (const category of new Set(entries.map((e) => e.category))) {
    const path = bfclResultPath(dir, label, category);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileAtomic(path, answers.filter((a) => a.category === category).map((a) => JSON.stringify({ id: a.id, result: a.result })).join('\n') + '\n');
  }
  writeFileAtomic(join(dir, 'verdicts.jsonl'), report.verdicts.map((v) => JSON.stringify(v)).join('\n') + '\n');
  writeJsonAtomic(scoresFile, { ...scored, key });
  return scored;
}

// ---------------------------------------------------------------- training

const lora = (): LoraConfig => ({ rank: plan.sft.rank, alpha: plan.sft.alpha, dropout: 0, targetModules: [...DEFAULT_LORA_TARGETS], seed: plan.seed });

/**
 * LoRA SFT of a fresh copy of the base on `train` (examples cut to `maxLength` tokens, the plan's by default), or the
 * adapter a previous run of the same plan saved.
 */
async function sft(dir: string, train: readonly FcExample[], maxLength = plan.sft.maxLength): Promise<LoadedModel> {
  const model = await loadBase();
  const key = planKey({ base: basePlan, sft: plan.sft, train: train.map((e) => e.id), ...(maxLength !== plan.sft.maxLength ? { maxLength } : {}) });
  const keyFile = join(dir, 'train-key.txt');
  const finalDir = join(dir, 'train', 'final');
  const same = existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key;
  if (same && existsSync(join(finalDir, 'adapter_config.json'))) {
    loadLoraAdapter(model.model, finalDir);
    return model;
  }
  needCompute(`SFT run ${dir}`);
  if (!same) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(keyFile, key);
  const s = plan.sft;
  const config: SftConfig = {
    ...defaultSftConfig, batchSize: s.batch, maxLength, groupByLength: true, padId: model.tokenizer.eosId!, lr: s.lr, minLr: s.lr / 10, warmup: 0.05,
    epochs: Math.max(1, Math.ceil((s.steps * s.batch) / train.length)), maxSteps: s.steps, checkpointEvery: 100, seed: plan.seed,
  };
  const run = RunDirectory.open(join(dir, 'train'), { resume: true });
  run.writeConfig({ kind: 'sft', examples: train.length, sft: config, lora: lora() });
  await trainFunctionCallingSft({ model: model.model, tokenizer: model.tokenizer, train, render: { style: 'fc' }, adapter: { kind: 'lora', lora: lora() }, sft: config, run, baseModel: baseDir, showProgress: true, signal: interrupted });
  return model;
}

// ---------------------------------------------------------------- after SFT

/** What a run after SFT gave: the policy, or the SFT model unchanged with the reason when nothing could be trained. */
interface AfterSft {
  readonly model: LoadedModel;
  readonly examples: number;
  /** Why the run trained nothing (no sample passed the checker, no pair could be mined). */
  readonly untrained?: string;
}

/** The two ways a run after SFT can find nothing to learn from: they are results here, not failures. */
const NOTHING_TO_LEARN = /^(reward filtering: none of|DPO: no pair mined)/;

/**
 * DPO, reward-filtered fine-tuning or GRPO on top of an SFT adapter, prompted with `plan.after.prompts` examples of
 * `pool`; or the policy a previous run of the same plan saved (the base with the stacked adapter of final/).
 */
async function afterSft(dir: string, method: 'dpo' | FcRlMethod, sftDir: string, pool: readonly FcExample[]): Promise<AfterSft> {
  const a = after;
  const train = noLeak(shuffled(pool, seededRandom(plan.seed + 2)).slice(0, a.prompts));
  const key = planKey({ base: basePlan, sft: plan.sft, after: a, method, sftDir, train: train.map((e) => e.id) });
  const keyFile = join(dir, 'train-key.txt');
  const finalDir = join(dir, 'train', 'final');
  const untrainedFile = join(dir, 'untrained.txt');
  const same = existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key;
  const model = await loadBase();
  if (same && existsSync(join(finalDir, 'adapter_config.json'))) {
    loadLoraAdapter(model.model, finalDir);
    return { model, examples: train.length };
  }
  loadLoraAdapter(model.model, join(sftDir, 'train', 'final'));
  if (same && existsSync(untrainedFile)) return { model, examples: train.length, untrained: readFileSync(untrainedFile, 'utf8') };
  needCompute(`${method} run ${dir}`);
  if (!same) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(keyFile, key);
  const grpo = method === 'grpo';
  const steps = grpo ? a.grpoSteps : a.steps;
  const batch = grpo ? a.grpoBatch : a.batch;
  // A constant rate: how many examples filtering keeps (or pairs mining finds) is known only once sampled, so
  // the steps, not the epochs, bound the run.
  const config: SftConfig = {
    ...defaultSftConfig, batchSize: batch, maxLength: plan.sft.maxLength, groupByLength: true, padId: model.tokenizer.eosId!, lr: a.lr, minLr: a.lr, schedule: 'constant', warmup: 0,
    epochs: 1000, maxSteps: steps, checkpointEvery: 10, seed: plan.seed,
  };
  const run = RunDirectory.open(join(dir, 'train'), { resume: true });
  run.writeConfig({ kind: method, examples: train.length, config, lora: lora(), after: a, from: sftDir });
  const options = {
    model: model.model, tokenizer: model.tokenizer, train, render: { style: 'fc' as const }, adapter: { kind: 'lora' as const, lora: lora() },
    sampling: { samples: a.samples, temperature: a.temperature, maxTokens: plan.maxTokens }, run, baseModel: baseDir, showProgress: true, config, signal: interrupted,
  };
  try {
    if (method === 'dpo') await trainFunctionCallingDpo({ ...options, beta: a.dpoBeta });
    // GRPO learns only from reward differences within a group: partial credit gives a small model some.
    else await trainFunctionCallingRl({ ...options, method, ...(grpo ? { grpo: { ...defaultGrpoSettings, partialCredit: true } } : {}) });
  } catch (err) {
    const message = (err as Error).message;
    if (!NOTHING_TO_LEARN.test(message)) throw err;
    writeFileAtomic(untrainedFile, message);
    process.stderr.write(`${method}: ${message}\n`);
    const sftModel = await loadBase();
    loadLoraAdapter(sftModel.model, join(sftDir, 'train', 'final'));
    return { model: sftModel, examples: train.length, untrained: message };
  }
  return { model, examples: train.length };
}

// ---------------------------------------------------------------- the experiments

const run = RunDirectory.open(modeDir, { resume: true });
run.writeConfig({ plan, basePlan, sources: SOURCES, split: { train: split.train.length, test: split.test.length, evaluated: testEntries.length }, checkerFailures: checked.failures.length });
writeJsonAtomic(join(modeDir, 'split.json'), splitManifest(split));

const records: BenchRecord[] = [];
const cpu = cpuParams();
const rows: { experiment: string; variant: string; scored: Scored; examples: number; steps: number }[] = [];
/** Variants whose run after SFT found nothing to learn from, with the reason. */
const untrainedNotes = new Map<string, string>();

/** Records of a copy score: the share of values copied whole, and of their tokens. */
function copyRecords(prefix: string, copy: CopyScore, params: BenchRecord['params']): BenchRecord[] {
  return [
    { name: `${prefix}/values`, value: copy.values === 0 ? 0 : copy.valuesCopied / copy.values, unit: 'ratio', params: { ...params, values: copy.values } },
    { name: `${prefix}/tokens`, value: copy.tokens === 0 ? 0 : copy.tokensCopied / copy.tokens, unit: 'ratio', params: { ...params, tokens: copy.tokens } },
  ];
}

function record(experiment: string, variant: string, scored: Scored, examples: number, steps: number, extra: Record<string, string | number | boolean> = {}): void {
  rows.push({ experiment, variant, scored, examples, steps });
  const params = {
    plan: mode, steps, examples, seeds: String(plan.seed), cpuModel: cpu.cpuModel, questions: scored.questions, reading: 'official', mode: 'fc',
    pretrainSteps: plan.pretrain.steps, dim: plan.model.dim, layers: plan.model.layers, vocab: plan.model.vocabSize, loraRank: plan.sft.rank, sftSteps: plan.sft.steps, ...extra,
  };
  for (const [category, value] of Object.entries(scored.categories)) records.push({ name: `fc/${experiment}/${variant}/accuracy/${category}`, value, unit: 'ratio', params });
  records.push({ name: `fc/${experiment}/${variant}/accuracy/overall`, value: scored.overall, unit: 'ratio', params });
  records.push({ name: `fc/${experiment}/${variant}/decoded/overall`, value: scored.decoded, unit: 'ratio', params });
  records.push({ name: `fc/${experiment}/${variant}/partial-credit/overall`, value: scored.partialCredit, unit: 'ratio', params });
  if (scored.copy !== undefined) records.push(...copyRecords(`fc/${experiment}/${variant}/copy`, scored.copy, params));
  run.appendMetric({ step: rows.length, experiment, variant, overall: scored.overall, examples, steps, ...scored.categories });
  const cats = Object.entries(scored.categories).map(([c, v]) => `${c} ${(100 * v).toFixed(1)}`).join(', ');
  const why = Object.entries(scored.failures).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([rule, n]) => `${rule} ${n}`).join(', ');
  process.stderr.write(`${experiment}/${variant}: overall ${(100 * scored.overall).toFixed(1)}% (${cats}); decoded ${(100 * scored.decoded).toFixed(0)}%; partial credit ${(100 * scored.partialCredit).toFixed(1)}%; failures: ${why}\n`);
}

const at = (experiment: string, variant: string): string => join(modeDir, experiment, variant);

/**
 * One variant's measurement; with --report-only (or --variants without it) one whose runs are not all cached is
 * left out and said so.
 */
async function step(variant: string, measure: () => Promise<void> | void): Promise<void> {
  measuring = variant;
  try {
    await untilInterrupted(async () => measure());
  } catch (err) {
    if (!(err instanceof NotCached)) throw err;
    process.stderr.write(`--report-only: ${err.message} is not cached; its variant is left out\n`);
  }
}
const sftRuns = new Map<string, Promise<LoadedModel>>();
/** The SFT model of a folder, trained (or loaded) once however many variants use it. */
const sftOnce = (dir: string, train: readonly FcExample[], maxLength?: number): Promise<LoadedModel> => {
  let model = sftRuns.get(dir);
  if (model === undefined) sftRuns.set(dir, (model = sft(dir, train, maxLength)));
  return model;
};
/** The report's row order: each experiment's variants as the issue lists them. */
const VARIANT_ORDER = [
  'base', 'sft', 'sft-dpo', 'sft-rl-filtered', 'sft-grpo', 'sft-json-repair', 'sft-best-of-n', 'sft-constrained', 'sft-constrained-copy',
  'unseen-tools-base', 'unseen-tools-sft', 'unseen-tools-sft-rl', 'unseen-patterns-base', 'unseen-patterns-sft', 'unseen-patterns-sft-rl',
  'simple-only', 'all-categories',
];
const patternTest = testEntries.filter((e) => e.category === 'parallel_multiple');

// Methods.
const allTrain = noLeak(split.train);
const sftDir = at('methods', 'sft');
await step('base', () => record('methods', 'base', evaluate(at('methods', 'base'), 'base', baseModel, testEntries), 0, 0));
await step('sft', async () => record('methods', 'sft', evaluate(sftDir, 'sft', await sftOnce(sftDir, allTrain), testEntries), allTrain.length, plan.sft.steps));
await step('sft-constrained', async () => record('methods', 'sft-constrained', evaluate(at('methods', 'sft-constrained'), 'sft-constrained', await sftOnce(sftDir, allTrain), testEntries, { constrained: true }), allTrain.length, plan.sft.steps));
await step('sft-constrained-copy', async () => record('methods', 'sft-constrained-copy', evaluate(at('methods', 'sft-constrained-copy'), 'sft-constrained-copy', await sftOnce(sftDir, allTrain), testEntries, { constrained: true, copyValues: true }), allTrain.length, plan.sft.steps));
await step('sft-json-repair', async () => record('methods', 'sft-json-repair', evaluate(at('methods', 'sft-json-repair'), 'sft-json-repair', await sftOnce(sftDir, allTrain), testEntries, { repair: true }), allTrain.length, plan.sft.steps));
const bestOf = { bestOf: after.bestOf, temperature: 0.7, seed: plan.seed };
await step('sft-best-of-n', async () => record('methods', 'sft-best-of-n', evaluate(at('methods', 'sft-best-of-n'), 'sft-best-of-n', await sftOnce(sftDir, allTrain), testEntries, bestOf), allTrain.length, plan.sft.steps, bestOf));

// Generalisation: the base is scored on the same questions as each fine-tuned variant.
const unseenTools = noLeak(unseenToolsTraining(split.train, testFunctions));
const unseenPatterns = noLeak(unseenPatternsTraining(split.train));
const toolsDir = at('generalization', 'unseen-tools-sft');
const patternsDir = at('generalization', 'unseen-patterns-sft');
await step('unseen-tools-base', () => record('generalization', 'unseen-tools-base', evaluate(at('methods', 'base'), 'base', baseModel, testEntries), 0, 0));
await step('unseen-tools-sft', async () => record('generalization', 'unseen-tools-sft', evaluate(toolsDir, 'unseen-tools-sft', await sftOnce(toolsDir, unseenTools), testEntries), unseenTools.length, plan.sft.steps));
await step('unseen-patterns-base', () => record('generalization', 'unseen-patterns-base', evaluate(at('generalization', 'unseen-patterns-base'), 'unseen-patterns-base', baseModel, patternTest), 0, 0));
await step('unseen-patterns-sft', async () => record('generalization', 'unseen-patterns-sft', evaluate(patternsDir, 'unseen-patterns-sft', await sftOnce(patternsDir, unseenPatterns), patternTest), unseenPatterns.length, plan.sft.steps));

// Diversity: the same number of examples and steps, one pattern against four. Both train at the model's whole
// context, so that SFT leaves out none of the longer parallel_multiple examples and each set is N examples.
const diversity = diversitySets(split.train, plan.diversityExamples, plan.seed);
const wholeContext = plan.model.maxPositions - 1;
for (const [variant, train] of [['simple-only', diversity.simpleOnly], ['all-categories', diversity.allCategories]] as const) {
  await step(variant, async () => record('diversity', variant, evaluate(at('diversity', variant), variant, await sftOnce(at('diversity', variant), noLeak(train), wholeContext), testEntries), train.length, plan.sft.steps, { maxLength: wholeContext }));
}

// After SFT: DPO and both RL variants on the methods' SFT model; reward filtering (the study's RL) on each
// generalisation SFT model, prompted with that model's own training set.
// Each run's prompts come from the training set of the SFT model it starts from.
const afterRuns: readonly [experiment: string, variant: string, method: 'dpo' | FcRlMethod, sftDir: string, pool: readonly FcExample[], test: readonly BfclEntry[]][] = [
  ['methods', 'sft-dpo', 'dpo', sftDir, allTrain, testEntries],
  ['methods', 'sft-rl-filtered', 'filtered', sftDir, allTrain, testEntries],
  ['methods', 'sft-grpo', 'grpo', sftDir, allTrain, testEntries],
  ['generalization', 'unseen-tools-sft-rl', 'filtered', toolsDir, unseenTools, testEntries],
  ['generalization', 'unseen-patterns-sft-rl', 'filtered', patternsDir, unseenPatterns, patternTest],
];
for (const [experiment, variant, method, from, pool, test] of afterRuns) {
  await step(variant, async () => {
    await sftOnce(from, pool);
    const trained = await afterSft(at(experiment, variant), method, from, pool);
    if (trained.untrained !== undefined) untrainedNotes.set(variant, trained.untrained);
    const steps = method === 'grpo' ? after.grpoSteps : after.steps;
    const scored = evaluate(at(experiment, variant), variant, trained.model, test, {}, { method, after, untrained: trained.untrained });
    record(experiment, variant, scored, trained.examples, steps, { method, samples: after.samples, ...(trained.untrained !== undefined ? { untrained: trained.untrained } : {}) });
  });
}

// ---------------------------------------------------------------- results

const seconds = (performance.now() - started) / 1000;
const baseParams = { plan: mode, documents: base.documents, steps: plan.pretrain.steps, cpuModel: cpu.cpuModel };
if (base.seconds !== undefined) records.push({ name: 'fc/base/pretrain-seconds', value: base.seconds, unit: 's', params: baseParams });
if (base.finalLoss !== undefined) records.push({ name: 'fc/base/pretrain-final-loss', value: base.finalLoss, unit: 'nats', params: baseParams });
records.push(...copyRecords('fc/base/copy-pretraining', baseCopy, baseParams));
// A run that computed only part of the variants has no total time worth recording.
if (!reportOnly && selected === undefined) records.push({ name: 'fc/bench/seconds', value: seconds, unit: 's', params: { plan: mode, cpuModel: cpu.cpuModel } });
const pct = (x: number | undefined): string => (x === undefined ? '' : `${(100 * x).toFixed(1)}`);
const report = [
  `# Function-calling bench (${mode})`,
  '',
  `Base: ${plan.model.layers} layers of ${plan.model.dim}, vocabulary ${plan.model.vocabSize}, pretrained ${plan.pretrain.steps} steps of ${plan.pretrain.batch} x ${plan.pretrain.sequenceLength} tokens from scratch on ${base.documents} training examples as plain text.`,
  `Fine-tuning: LoRA rank ${plan.sft.rank} (alpha ${plan.sft.alpha}) on ${DEFAULT_LORA_TARGETS.join(', ')}, ${plan.sft.steps} steps of ${plan.sft.batch}, lr ${plan.sft.lr}.`,
  `After SFT: a fresh LoRA on the merged SFT model, ${after.prompts} training prompts, ${after.samples} samples each at temperature ${after.temperature}; DPO (beta ${after.dpoBeta}) and reward filtering ${after.steps} steps of ${after.batch}, GRPO (with partial credit) ${after.grpoSteps} steps of ${after.grpoBatch} prompts; lr ${after.lr}. Best-of-${after.bestOf} at temperature 0.7.`,
  ...rows.flatMap((r) => (untrainedNotes.has(r.variant) ? [`${r.variant}: trained nothing: ${untrainedNotes.get(r.variant)}`] : [])),
  `Copying (teacher-forced, the values the questions state): the base in its pretraining text ${share(baseCopy.valuesCopied, baseCopy.values)} of ${baseCopy.values} values whole (${share(baseCopy.tokensCopied, baseCopy.tokens)} of their tokens); per variant in the FC rendering, column "copy".`,
  `Test: ${testEntries.length} held-out BFCL questions (${TEST_CATEGORIES.join(', ')}), FC mode, BFCL checker, official reading; accuracy in %.`,
  '',
  `| experiment | variant | examples | ${TEST_CATEGORIES.join(' | ')} | overall | decoded | partial credit | copy | main failures |`,
  `| --- | --- | ---: | ${TEST_CATEGORIES.map(() => '---:').join(' | ')} | ---: | ---: | ---: | ---: | --- |`,
  ...[...rows].sort((a, b) => VARIANT_ORDER.indexOf(a.variant) - VARIANT_ORDER.indexOf(b.variant)).map((r) => {
    const why = Object.entries(r.scored.failures).sort((a, b) => b[1] - a[1]).slice(0, 2).map(([rule, n]) => `${rule} (${n})`).join(', ');
    return `| ${r.experiment} | ${r.variant} | ${r.examples} | ${TEST_CATEGORIES.map((c) => pct(r.scored.categories[c])).join(' | ')} | ${pct(r.scored.overall)} | ${pct(r.scored.decoded)} | ${pct(r.scored.partialCredit)} | ${r.scored.copy === undefined ? '' : pct(r.scored.copy.valuesCopied / Math.max(1, r.scored.copy.values))} | ${why} |`;
  }),
  '',
  `${formatDuration(seconds)} in all (pretraining ${base.seconds === undefined ? 'cached' : `${formatDuration(base.seconds)}${base.cached ? ', cached' : ''}`}).`,
].join('\n');
writeFileAtomic(join(modeDir, 'report.md'), report + '\n');
process.stdout.write(`${report}\n\n${writeResults('function-calling', records)}\nreport: ${join(modeDir, 'report.md')}\n`);
