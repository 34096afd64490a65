/**
 * ToolkenGPT commands: `toolken train toolkengpt` (a head and the Toolken+ reranker on a frozen model) and
 * `toolken eval funcqa|gsm8k-xl|kamel|virtualhome` (the methods on the same frozen model).
 */
import { join, resolve } from 'node:path';
import { sharedDatasetsDir } from '../../data/loaders/files.js';
import { loadModel } from '../../models/load.js';
import {
  evaluateKamel, evaluateMath, evaluateVirtualHome, FUNCQA_DOCS, KAMEL_RELATION_COUNTS, loadHead, loadKamelBenchmark, loadMathBenchmark, loadReranker, loadVirtualHomeBenchmark, mathTrainingTexts, METHODS, COPY_METHODS,
  marginJson, naiveTrainingSeconds, saveHead, saveReranker, summaries, trainToolken, writeToolkenReport, type InferenceSettings, type MathDataset, type Method,
  type MethodResult, type ToolkenSystem,
} from '../../methods/toolkengpt/index.js';
import { formatTable } from '../../report/html.js';
import { RunDirectory } from '../../train/run-dir.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { CliCommand, CliError, helpText, parseFlags, wantsHelp, commandFlags } from '../args.js';
import { modelLoadProgress } from '../load-progress.js';

const DATA = join(sharedDatasetsDir(), 'toolkengpt-data');
const GSM8K_TRAIN = join(sharedDatasetsDir(), 'gsm8k', 'train.jsonl');
const USER_ERRORS = ['DataFileError', 'TemplateError', 'HeadError', 'SpanError', 'ModelLoadError', 'ModelConfigError', 'CheckpointError'];

/** Runs `fn`, turning errors about the user's input into one clear line. */
async function userFacing<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Error && USER_ERRORS.includes(err.name)) throw new CliError(err.message);
    throw err;
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new CliError(`--${name} must be positive, got ${value}`);
  return value;
}

function relationCount(value: number): number {
  if (!(KAMEL_RELATION_COUNTS as readonly number[]).includes(value)) throw new CliError(`--relations must be one of ${KAMEL_RELATION_COUNTS.join(', ')}, got ${value}`);
  return value;
}

const trainFlags = {
  model: { kind: 'string', help: 'the frozen base model (Hugging Face directory, .gguf or llama2.c .bin)', required: true },
  dataset: { kind: 'string', help: 'what to train the head for', choices: ['funcqa', 'gsm8k-xl', 'kamel', 'virtualhome'], required: true },
  out: { kind: 'string', help: 'run directory: head.json/head.bin, reranker.*, config.json, metrics.jsonl', required: true },
  data: { kind: 'string', help: 'the ToolkenGPT release folder', default: DATA },
  gsm8kTrain: { kind: 'string', help: 'GSM8K train.jsonl (GSM8K-XL training texts are derived from its annotations)', default: GSM8K_TRAIN },
  relations: { kind: 'int', help: `KAMEL: the first N relations (${KAMEL_RELATION_COUNTS.join(', ')})`, default: 234 },
  maxTexts: { kind: 'int', help: 'use at most this many training texts (hidden states are cached in memory)', default: 5000 },
  epochs: { kind: 'int', help: 'head training epochs', default: 10 },
  lr: { kind: 'number', help: 'Adam learning rate of the head', default: 1e-3 },
  validation: { kind: 'number', help: 'fraction of texts held out (best head by validation F1; Toolken+ mines them)', default: 0.1 },
  toolPositionsOnly: { kind: 'boolean', help: 'loss only at toolken positions (always on for virtualhome, as the original trained it)' },
  noReranker: { kind: 'boolean', help: 'skip the Toolken+ reranker' },
  rerankTopK: { kind: 'int', help: 'tools the reranker sees besides Reject', default: 3 },
  rerankFolds: { kind: 'int', help: 'folds of cross-fitted mining for the reranker: each text mined under a head that never saw it (1: the head\'s validation texts only)', default: 5 },
  seed: { kind: 'int', help: 'split and shuffling seed', default: 0 },
} as const;

const trainSummary = 'Train a ToolkenGPT head (and the Toolken+ reranker) on a frozen model';

export const trainCommand: CliCommand = {
  summary: trainSummary,
  async run(argv) {
    const f = commandFlags(argv, 'train toolkengpt', `${trainSummary}.`, trainFlags);
    if (f === null) return 0;
    positive('epochs', f.epochs);
    positive('rerank-folds', f.rerankFolds);
    positive('lr', f.lr);
    positive('max-texts', f.maxTexts);
    if (!(f.validation > 0 && f.validation < 1)) throw new CliError(`--validation must be in (0, 1), got ${f.validation}`);
    // The run replaces a previous run in --out, never a folder of other files: checked before the model loads.
    try {
      RunDirectory.checkReplaceable(f.out);
    } catch (err) {
      throw new CliError(`--out ${f.out}: ${(err as Error).message}`);
    }
    return userFacing(async () => {
      const { model, tokenizer } = await loadModel(f.model, { onProgress: modelLoadProgress() });
      for (const p of model.parameters()) p.frozen = true;
      const data = resolve(f.data);
      let tools: readonly string[];
      let texts;
      let docs: ReadonlyMap<string, string> = FUNCQA_DOCS;
      if (f.dataset === 'virtualhome') {
        const vh = loadVirtualHomeBenchmark(data);
        tools = vh.tools;
        texts = vh.train.map((t) => t.training);
        docs = new Map(tools.map((t) => [t, t.startsWith('[') ? `the action ${t}` : `the object ${t}`]));
      } else if (f.dataset === 'kamel') {
        const kamel = loadKamelBenchmark(data, relationCount(f.relations));
        ({ tools, training: texts, docs } = kamel);
      } else {
        const name: MathDataset = f.dataset === 'funcqa' ? 'funcqa-oh' : 'gsm8k-xl';
        tools = loadMathBenchmark(name, data).tools;
        texts = mathTrainingTexts(name, data, resolve(f.gsm8kTrain));
      }
      const run = RunDirectory.open(f.out, { resume: false, replace: true });
      run.writeConfig({ ...f, tools });
      const trained = trainToolken(model, tokenizer, texts.slice(0, f.maxTexts), tools, {
        head: { epochs: f.epochs, lr: f.lr, batchPositions: 256, validationFraction: f.validation, toolPositionsOnly: f.toolPositionsOnly || f.dataset === 'virtualhome', seed: f.seed },
        reranker: f.noReranker ? null : { epochs: 30, lr: 5e-3, seed: f.seed },
        rerankTopK: f.rerankTopK, toolBias: 'tune', docs, rerankFolds: f.rerankFolds, progress: true,
      });
      for (const h of trained.training.history) run.appendMetric({ step: h.epoch, split: 'validation', trainLoss: h.trainLoss, ...h.validation });
      saveHead(run.path, trained.head, { dataset: f.dataset, bestEpoch: trained.training.bestEpoch });
      if (trained.reranker !== null) saveReranker(run.path, trained.reranker);
      const summary = {
        dataset: f.dataset, tools: tools.length, positions: trained.positions, bestEpoch: trained.training.bestEpoch, toolBias: trained.head.toolBias,
        validation: trained.training.history[trained.training.bestEpoch - 1]?.validation,
        secondsCachingStates: trained.featureSeconds, secondsTrainingHead: trained.training.seconds,
        secondsNaivePerEpochForward: naiveTrainingSeconds(trained, f.epochs), rerankExamples: trained.rerankExamples,
        ...(trained.reranker === null ? {} : { rerankOverrideMargin: marginJson(trained.reranker.margin ?? 0) }),
      };
      writeJsonAtomic(join(run.path, 'summary.json'), summary);
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      return 0;
    });
  },
};

const evalFlags = {
  model: { kind: 'string', help: 'the frozen base model the head was trained on', required: true },
  head: { kind: 'string', help: 'run directory of `toolken train toolkengpt` (needed by toolkengpt and toolken-plus)' },
  methods: { kind: 'list', help: `comma-separated (${METHODS.join(', ')}; on funcqa and gsm8k-xl also ${COPY_METHODS.join(', ')}: tool mode may only write numbers the context states, a diagnostic)`, default: [...METHODS] },
  data: { kind: 'string', help: 'the ToolkenGPT release folder', default: DATA },
  limit: { kind: 'int', help: 'evaluate the first N questions only' },
  toolBias: { kind: 'number', help: 'added to every tool logit in reasoning mode (default: the bias tuned on the head\'s validation texts)' },
  maxTokens: { kind: 'int', help: 'tokens generated per question', default: 128 },
  maxCalls: { kind: 'int', help: 'tool calls per question', default: 8 },
  batch: { kind: 'int', help: 'questions decoded together', default: 16 },
  rerankTopK: { kind: 'int', help: 'tools the Toolken+ reranker sees besides Reject', default: 3 },
  out: { kind: 'string', help: 'run directory for report.html, results.json, answers.jsonl' },
  json: { kind: 'string', help: 'also write the summaries here' },
} as const;

type EvalFlags = ReturnType<typeof parseFlags<typeof evalFlags>>;

async function system(f: EvalFlags, methods: readonly Method[], docs: ReadonlyMap<string, string>, tools: readonly string[]): Promise<ToolkenSystem> {
  const { model, tokenizer } = await loadModel(f.model, { onProgress: modelLoadProgress() });
  const needsHead = methods.some((m) => m !== 'no-tools' && m !== 'in-context');
  if (!needsHead) return { model, tokenizer, head: null, reranker: null, docs };
  if (f.head === undefined) throw new CliError('--head is needed for toolkengpt and toolken-plus (train one with `toolken train toolkengpt`)');
  const head = loadHead(resolve(f.head), model);
  if (head.tools.join(',') !== tools.join(',')) throw new CliError(`${resolve(f.head)}: the head's tools (${head.tools.join(', ')}) are not this benchmark's (${tools.join(', ')})`);
  const reranker = loadReranker(resolve(f.head), head.tools.length, head.dim);
  if ((methods.includes('toolken-plus') || methods.includes('toolken-plus-copy')) && reranker === null) throw new CliError(`${resolve(f.head)}: no reranker.json for toolken-plus (train without --no-reranker)`);
  return { model, tokenizer, head, reranker, docs };
}

function finish(f: EvalFlags, title: string, results: MethodResult[], notes: string[]): number {
  const columns = ['dataset', 'method', 'n', 'EM', 'approx', 'calls/q', 'precision', 'recall', 'wrong/q', 's'];
  process.stdout.write(formatTable(columns, results.map((r) => [r.dataset, r.method, r.questions, r.em.toFixed(3), r.approx.toFixed(3), r.callsPerQuestion.toFixed(2), r.callPrecision.toFixed(3), r.callRecall.toFixed(3), r.wrongCallsPerQuestion.toFixed(2), r.seconds.toFixed(1)])) + '\n');
  for (const n of notes) process.stdout.write(n + '\n');
  if (f.out !== undefined) {
    writeToolkenReport(resolve(f.out), title, results, notes);
    process.stderr.write(`report written to ${join(resolve(f.out), 'report.html')}\n`);
  }
  if (f.json !== undefined) writeJsonAtomic(resolve(f.json), summaries(results));
  return 0;
}

function parseEval(argv: readonly string[], math = false): { f: EvalFlags; methods: Method[]; settings: InferenceSettings } {
  const f = parseFlags(argv, evalFlags);
  if (f._.length > 0) throw new CliError(`unexpected argument '${f._[0]}'`);
  const known: readonly string[] = math ? [...METHODS, ...COPY_METHODS] : METHODS;
  const methods = f.methods.map((m) => {
    if (!known.includes(m)) throw new CliError(`unknown method '${m}' (known: ${known.join(', ')})`);
    return m as Method;
  });
  for (const [name, v] of [['max-tokens', f.maxTokens], ['max-calls', f.maxCalls], ['batch', f.batch], ['rerank-top-k', f.rerankTopK]] as const) positive(name, v);
  return { f, methods, settings: { toolBias: f.toolBias, maxTokens: f.maxTokens, maxCalls: f.maxCalls, batch: f.batch, rerankTopK: f.rerankTopK, progress: true } };
}

const EM_NOTE = 'EM: 2-decimal rounding; an integer label compares the prediction truncated to an integer (the original evaluation\'s quirk, kept).';

function mathEval(benchmark: 'funcqa' | 'gsm8k-xl'): CliCommand {
  const summary = benchmark === 'funcqa' ? 'FuncQA one-hop and multi-hop: no tools, in-context, ToolkenGPT, Toolken+' : 'GSM8K-XL: no tools, in-context, ToolkenGPT, Toolken+';
  const flags = benchmark === 'funcqa' ? { ...evalFlags, split: { kind: 'string', help: 'which test set', choices: ['one-hop', 'multi-hop', 'both'], default: 'both' } } as const : evalFlags;
  return {
    summary,
    async run(argv) {
      if (wantsHelp(argv)) {
        process.stdout.write(helpText(`eval ${benchmark}`, `${summary}.`, flags) + '\n');
        return 0;
      }
      const split = benchmark === 'funcqa' ? (parseFlags(argv, flags) as { split?: string }).split ?? 'both' : undefined;
      const rest = benchmark === 'funcqa' ? withoutFlag(argv, '--split') : argv;
      const { f, methods, settings } = parseEval(rest, true);
      const names: MathDataset[] = benchmark === 'gsm8k-xl' ? ['gsm8k-xl'] : split === 'one-hop' ? ['funcqa-oh'] : split === 'multi-hop' ? ['funcqa-mh'] : ['funcqa-oh', 'funcqa-mh'];
      return userFacing(async () => {
        const benches = names.map((n) => loadMathBenchmark(n, resolve(f.data)));
        const sys = await system(f, methods, FUNCQA_DOCS, benches[0]!.tools);
        const results: MethodResult[] = [];
        for (const bench of benches) {
          const limited = f.limit === undefined ? bench : { ...bench, questions: bench.questions.slice(0, f.limit) };
          for (const m of methods) results.push(evaluateMath(sys, limited, m, settings));
        }
        return finish(f, `ToolkenGPT: ${benchmark}`, results, [EM_NOTE]);
      });
    },
  };
}

/** argv without `--name value` / `--name=value` (a flag only one benchmark has). */
function withoutFlag(argv: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name) i++;
    else if (!argv[i]!.startsWith(name + '=')) out.push(argv[i]!);
  }
  return out;
}

const kamelSummary = 'KAMEL: does the model pick the gold relation (toolken) / produce the gold object (no tools)';

const kamel: CliCommand = {
  summary: kamelSummary,
  async run(argv) {
    const flags = { ...evalFlags, relations: { kind: 'int', help: `test file over the first N relations (${KAMEL_RELATION_COUNTS.join(', ')})`, default: 234 } } as const;
    if (wantsHelp(argv)) {
      process.stdout.write(helpText('eval kamel', `${kamelSummary}.`, flags) + '\n');
      return 0;
    }
    const relations = relationCount(parseFlags(argv, flags).relations);
    const { f, methods, settings } = parseEval(withoutFlag(argv, '--relations'));
    return userFacing(async () => {
      const bench = loadKamelBenchmark(resolve(f.data), relations);
      const sys = await system(f, methods, bench.docs, bench.tools);
      const limited = f.limit === undefined ? bench : { ...bench, questions: bench.questions.slice(0, f.limit) };
      const results = methods.map((m) => evaluateKamel(sys, limited, m, settings));
      return finish(f, `ToolkenGPT: KAMEL (${relations} relations)`, results, ['KAMEL: accuracy is shown as EM.']);
    });
  },
};

const VH_NOTE = 'VirtualHome substitute (no simulator or program corpus here): every tenth training plan held out; EM = the gold plan reproduced exactly, approx = step F1, call precision/recall = step precision/recall. Not the paper\'s success rate.';
const vhSummary = 'VirtualHome plan steps against held-out gold scripts (a substitute for the simulator\'s success rate)';

const virtualhome: CliCommand = {
  summary: vhSummary,
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(helpText('eval virtualhome', `${vhSummary}.\nmethods: no-tools, toolkengpt (the few-shot prompt is itself the in-context baseline)`, evalFlags) + '\n');
      return 0;
    }
    const { f, methods, settings } = parseEval(argv.includes('--methods') || argv.some((a) => a.startsWith('--methods=')) ? argv : [...argv, '--methods', 'no-tools,toolkengpt']);
    const vhMethods = methods.map((m) => {
      if (m !== 'no-tools' && m !== 'toolkengpt') throw new CliError(`virtualhome evaluates no-tools and toolkengpt, not ${m}`);
      return m;
    });
    return userFacing(async () => {
      const bench = loadVirtualHomeBenchmark(resolve(f.data));
      const sys = await system(f, vhMethods, new Map(), bench.tools);
      const limited = f.limit === undefined ? bench : { ...bench, test: bench.test.slice(0, f.limit) };
      return finish(f, 'ToolkenGPT: VirtualHome (substitute)', vhMethods.map((m) => evaluateVirtualHome(sys, limited, m, settings)), [VH_NOTE]);
    });
  },
};

/** `toolken eval <benchmark>` entries of ToolkenGPT. */
export const evalCommands: Readonly<Record<string, CliCommand>> = {
  funcqa: mathEval('funcqa'),
  'gsm8k-xl': mathEval('gsm8k-xl'),
  kamel,
  virtualhome,
};
