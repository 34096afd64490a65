/**
 * `toolken demo`: the whole ToolGen pipeline on the built-in catalog, offline, in minutes on a laptop CPU.
 *
 *  1. the demo catalog (129 tools, 10 domains, real implementations) and seeded train/test queries;
 *  2. a byte-level BPE tokenizer learned from that text, a small Llama-style model from scratch, and one atomic
 *     tool token per tool (initialised from the tool name's sub-token embeddings);
 *  3. training: memorization (document -> token), retrieval (query -> token, with memorization mixed in so the
 *     tokens keep their documents), agent tuning (ToolGen's Thought / action / arguments / observation turns,
 *     built by playing the gold plans of one-call queries and of two- and three-step tasks through the agent loop);
 *  4. evaluation on held-out queries against BM25 and the trained dense retriever, in both settings, and the
 *     hallucination rate of free generation against the trie-constrained one;
 *  5. held-out multi-step tasks answered end to end by the agent loop (actions trie-constrained, arguments
 *     schema-constrained with values copied from the context, tools executed), scored by pass rate;
 *  6. report.json, report.html and the trained model (a Hugging Face directory + tool-index.json) in `out`.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { demoCatalog, demoExecutor } from '../data/demo/catalog.js';
import { demoQuerySplit } from '../data/demo/queries.js';
import { demoTask, generateDemoTasks, type DemoTask } from '../data/demo/tasks.js';
import type { IndexScheme } from '../indexing/schemes.js';
import { formatAgentEvent } from '../methods/toolgen/agent-loop.js';
import { agentMetrics } from '../methods/toolgen/agent-metrics.js';
import { answersMatch } from '../eval/agent/answers.js';
import { FINISH_TOOL } from '../methods/toolgen/examples.js';
import { agentConversations, answerTasks, queryTasks } from './agent-tasks.js';
import type { ChatExample, RetrievalQuery } from '../data/types.js';
import { defaultDenseOptions } from '../retrieval/dense.js';
import { compareRetrievers } from '../eval/retrieval/compare.js';
import { ProgressBar } from '../report/progress.js';
import { formatTable } from '../report/html.js';
import { renderDemoReport, REPORT_JSON, RETRIEVAL_METRICS, type DemoReport } from './report.js';
import type { MatmulPrecision } from '../tensor/backend.js';
import { getBackend } from '../tensor/backends/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { RunDirectory } from '../train/run-dir.js';
import type { ScratchModelOptions } from '../train/scratch.js';
import { SCRATCH_BASE_SIZE, scratchBase, scratchTokenizerTexts } from '../methods/toolgen/scratch-base.js';
import { defaultSftConfig, SftObjective, type SftConfig } from '../train/objectives/sft.js';
import { Trainer } from '../train/trainer.js';
import {
  attachToolIndex,
  saveToolGenModel,
  selectTrainable,
  stageConversations,
  tokenizeConversations,
} from '../methods/toolgen/model.js';

export interface DemoOptions {
  readonly out: string;
  readonly seed: number;
  /** A much shorter run (smoke tests): fewer epochs and a smaller model. */
  readonly quick: boolean;
  /** Matmul precision of the training stages (TrainerConfig.precision); default 'fp32'. */
  readonly precision?: MatmulPrecision;
  /** How tools are indexed (ToolGen's four schemes; default atomic, one token per tool). */
  readonly scheme?: IndexScheme;
  /** Leave out a training stage (ToolGen's Table 7): its examples are neither trained nor replayed later. */
  readonly ablation?: DemoAblation;
  readonly log?: (line: string) => void;
}

export const DEMO_ABLATIONS = ['no-memorization', 'no-retrieval-training'] as const;
export type DemoAblation = (typeof DEMO_ABLATIONS)[number];

export interface DemoResult {
  readonly report: DemoReport;
  readonly outDir: string;
  /** A held-out query with its domain, and the run's seed and size, for the commands to try next. */
  readonly example: { readonly query: string; readonly domain: string; readonly seed: number; readonly quick: boolean };
}

export type { DemoReport } from './report.js';

/** Multi-step tasks the demo prints turn by turn, before the held-out ones; their answers come from their plans. */
const EXAMPLE_TASKS = [
  demoTask('example/0', 'Convert 37 degrees Celsius to Fahrenheit. Then round the result to 0 decimal places.', [
    { tool: 'convert_temperature', arguments: { value: 37, from_scale: 'C', to_scale: 'F' } },
    { tool: 'round_number', arguments: { value: 98.6, decimals: 0 } },
  ]),
  demoTask('example/1', 'What is the greatest common divisor of 84 and 126? Then multiply the result by 3.', [
    { tool: 'greatest_common_divisor', arguments: { a: 84, b: 126 } },
    { tool: 'multiply_numbers', arguments: { a: 42, b: 3 } },
  ]),
];

/**
 * The demo's agent tasks: multi-step training tasks, one-call tasks from a quarter of the training queries, and
 * held-out multi-step tasks that no training task repeats. With half the queries the one-call runs outnumbered the
 * multi-step ones 3 to 2, and the trained agent chose Finish on 38 of 84 held-out steps that needed a tool
 * (bench:agent's gold-history records); a quarter makes the multi-step runs the majority.
 */
export function demoAgentTasks(o: { readonly seed: number; readonly quick: boolean }): { trainTasks: DemoTask[]; oneCallTasks: DemoTask[]; testTasks: DemoTask[] } {
  const { train } = demoQuerySplit({ seed: o.seed });
  const trainTasks = generateDemoTasks({ seed: o.seed, count: o.quick ? 40 : 400 });
  const seenTasks = new Set(trainTasks.map((t) => t.task));
  const testTasks = generateDemoTasks({ seed: o.seed + 1, count: o.quick ? 12 : 60 }).filter((t) => !seenTasks.has(t.task)).slice(0, o.quick ? 6 : 40);
  return { trainTasks, oneCallTasks: queryTasks(train.filter((_, i) => i % 4 === 0)), testTasks };
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const log = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const outDir = resolve(o.out);
  mkdirSync(outDir, { recursive: true });
  const backend = getBackend().name;
  log(`toolken demo -> ${outDir} (backend: ${backend}, seed ${o.seed}${o.quick ? ', quick' : ''}${o.precision === 'bf16' ? ', bf16 training' : ''}${o.ablation ? `, ${o.ablation}` : ''})`);

  // 1. Catalog and queries.
  const tools = demoCatalog();
  const { train, test } = demoQuerySplit({ seed: o.seed });
  const evalQueries = o.quick ? test.filter((_, i) => i % 8 === 0) : test;
  const domains = new Set(tools.map((t) => t.category));
  const { trainTasks, oneCallTasks, testTasks } = demoAgentTasks(o);
  log(`[1/6] catalog: ${tools.length} tools in ${domains.size} domains; ${train.length} training and ${test.length} held-out queries; ${trainTasks.length} training and ${testTasks.length} held-out multi-step tasks`);

  // 2. Tokenizer, model, tool tokens.
  const texts = scratchTokenizerTexts(tools, train, trainTasks.map((t) => t.task));
  const modelOptions: ScratchModelOptions = o.quick
    ? { vocabSize: 1024, dim: 64, layers: 2, heads: 4, kvHeads: 2, hiddenDim: 128, maxPositions: 1024, seed: o.seed, projectionStd: 1 / 8 }
    : { ...SCRATCH_BASE_SIZE, seed: o.seed };
  const base = scratchBase(texts, modelOptions);
  const tokenizer = base.tokenizer;
  // The Finish action is indexed like a tool, so it has a token of its own.
  const scheme = o.scheme ?? 'atomic';
  const tg = await attachToolIndex(base.model, tokenizer, [...tools, FINISH_TOOL], scheme);
  selectTrainable(tg, { kind: 'full' });
  log(`[2/6] tokenizer: ${tokenizer.vocabSize} tokens (${scheme === 'atomic' ? `incl. ${tools.length} tool tokens` : `tools indexed ${scheme}`}); model: ${modelOptions.layers} layers x ${modelOptions.dim}`);

  // 3. Training stages.
  const executor = demoExecutor(tools);
  const memorization = stageConversations('memorization', tg, [...tools, FINISH_TOOL], train);
  const retrieval = stageConversations('retrieval', tg, tools, train);
  const loop = { maxSteps: 6, maxObservationChars: 256 };
  log(`[3/6] playing ${oneCallTasks.length + trainTasks.length} gold plans through the agent loop for agent tuning`);
  const agentStage = await agentConversations([...oneCallTasks, ...trainTasks], tg, tools, executor, loop);
  const repeat = (xs: readonly ChatExample[], n: number): ChatExample[] => Array.from({ length: n }, () => xs).flat();
  // From scratch, a small model needs many passes to tie queries to tool tokens; 1.5e-3 is about the largest
  // learning rate at which it leaves the "predict the tool prior" plateau quickly.
  const epochs = o.quick ? { memorization: 2, retrieval: 2, agent: 1 } : { memorization: 10, retrieval: 14, agent: 6 };
  const memorized = o.ablation === 'no-memorization' ? [] : memorization;
  const retrieved = o.ablation === 'no-retrieval-training' ? [] : retrieval;
  const stages: { name: string; conversations: ChatExample[]; epochs: number; lr: number }[] = [
    { name: 'memorization', conversations: memorized, epochs: epochs.memorization, lr: 1.5e-3 },
    { name: 'retrieval', conversations: retrieved.length === 0 ? [] : [...retrieved, ...repeat(memorized, 2)], epochs: epochs.retrieval, lr: 1.5e-3 },
    // Retrieval is replayed beside agent tuning so the bare-query answers are not unlearned.
    { name: 'agent', conversations: [...agentStage, ...retrieved.filter((_, i) => i % 2 === 0)], epochs: epochs.agent, lr: 1e-3 },
  ].filter((stage) => stage.conversations.length > 0);
  const training: DemoReport['training'] = {};
  for (const [i, stage] of stages.entries()) {
    log(`[3/6] stage ${i + 1}/${stages.length} ${stage.name}: ${stage.conversations.length} conversations x ${stage.epochs} epochs`);
    const examples = tokenizeConversations(tokenizer, stage.conversations, MAX_LENGTH);
    const run = RunDirectory.open(join(outDir, 'runs', stage.name), { resume: false, replace: true });
    const config: SftConfig = {
      ...defaultSftConfig, epochs: stage.epochs, batchSize: 16, lr: stage.lr, warmup: 0.05, maxLength: MAX_LENGTH, seed: o.seed + i, padId: 0,
      weightDecay: 0.01, groupByLength: true, precision: o.precision ?? 'fp32',
    };
    run.writeConfig({ stage: stage.name, sft: config, model: modelOptions, tools: tools.length });
    const objective = new SftObjective({ model: tg.model, train: examples, settings: config });
    const stageStarted = performance.now();
    const result = new Trainer({ model: tg.model, objective, config }).train({ run });
    training[stage.name] = {
      steps: result.steps, epochs: stage.epochs, conversations: stage.conversations.length, finalLoss: result.finalLoss,
      tokensPerSecond: result.tokensPerSecond, seconds: (performance.now() - stageStarted) / 1000,
    };
  }
  const modelDir = join(outDir, 'model');
  // The catalog and the queries travel with the model, so `toolken retrieve --domain`, `toolken eval retrieval`
  // and the agent work on it from the command line.
  saveToolGenModel(tg, modelDir, tools);
  const queryLines = (queries: readonly RetrievalQuery[]): string => queries.map((q) => JSON.stringify(q)).join('\n') + '\n';
  writeFileAtomic(join(modelDir, HELD_OUT_QUERIES_FILE), queryLines(evalQueries));
  // The dense baseline's training queries too, so `toolken eval retrieval` reproduces every row of the table.
  writeFileAtomic(join(modelDir, TRAIN_QUERIES_FILE), queryLines(train));
  log(`      saved the trained model, its catalog, its training and its held-out queries to ${modelDir}`);

  // 4. Evaluation against the baselines.
  log(`[4/6] training the dense baseline on the same ${train.length} queries, then evaluating toolgen, bm25 and dense on ${evalQueries.length} held-out queries (multi-domain, in-domain)`);
  const bar = new ProgressBar({ total: evalQueries.length * 3 * 2, label: 'evaluate', unit: 'query' });
  const comparisons = await compareRetrievers(tg, tools, evalQueries, {
    settings: ['multi-domain', 'in-domain'],
    baselines: ['bm25', 'dense'],
    train,
    dense: { epochs: o.quick ? 1 : defaultDenseOptions.epochs, seed: o.seed },
    bm25: { stopwords: true },
    hallucinationQueries: o.quick ? 12 : 100,
    onProgress: () => bar.tick(),
  });
  bar.finish();
  const settings: DemoReport['settings'] = Object.fromEntries(comparisons.map((c) => [c.setting, c]));
  const hallucination = comparisons[0]!.hallucination;
  log(`      hallucinated tools: ${(hallucination.unconstrained * 100).toFixed(1)}% free, ${(hallucination.constrained * 100).toFixed(1)}% constrained`);

  // 5. Multi-step tasks end to end.
  log(`[5/6] answering ${EXAMPLE_TASKS.length} example and ${testTasks.length} held-out multi-step tasks with the agent loop`);
  const shown = new Set(EXAMPLE_TASKS.map((t) => t.id));
  const answered = await answerTasks([...EXAMPLE_TASKS, ...testTasks], tg, tools, executor, loop, {}, (task, event) => {
    if (shown.has(task.id)) log(`      ${event.kind === 'thought' && event.step === 0 ? `"${task.task}"\n      ` : ''}${formatAgentEvent(event)}`);
  });
  const heldOut = agentMetrics(answered.runs.slice(EXAMPLE_TASKS.length));
  log(`      held-out tasks: pass rate ${heldOut.passRate.toFixed(3)}, finish rate ${heldOut.finishRate.toFixed(3)}, ${heldOut.meanSteps.toFixed(2)} steps per task`);
  const agentReport: DemoReport['agent'] = {
    metrics: heldOut,
    examples: answered.runs.slice(0, EXAMPLE_TASKS.length + 3).map((r) => ({
      task: r.trajectory.task,
      truth: r.truth ?? '',
      answer: r.trajectory.answer,
      passed: r.truth !== undefined && answersMatch(r.trajectory.answer, r.truth),
      turns: r.trajectory.steps.flatMap((st) => [`${st.action.text} ${st.argumentsText}`, ...(st.observation !== '' ? [`-> ${st.observation}`] : [])]),
    })),
  };

  // 6. Reports.
  const sample = evalQueries.find((q) => q.domain !== undefined) ?? evalQueries[0]!;
  const example = { query: sample.query, domain: sample.domain ?? tools[0]!.category ?? '', seed: o.seed, quick: o.quick };
  const report: DemoReport = {
    retrievers: settings['multi-domain']!.retrievers,
    settings,
    hallucination,
    agent: agentReport,
    training,
    catalog: { tools: tools.length, domains: domains.size, trainQueries: train.length, testQueries: evalQueries.length, trainTasks: trainTasks.length, testTasks: testTasks.length },
    run: {
      seed: o.seed,
      quick: o.quick,
      parameters: tg.model.parameters().reduce((n, p) => n + p.size, 0),
      threads: getBackend().threads,
      node: process.version,
      commands: [
        `npx toolken demo --out ${outDir} --seed ${o.seed}${o.quick ? ' --quick' : ''}${o.precision === 'bf16' ? ' --precision bf16' : ''}${scheme === 'atomic' ? '' : ` --scheme ${scheme}`}${o.ablation ? ` --ablation ${o.ablation}` : ''}`,
        ...nextCommands(outDir, example),
      ],
    },
    backend,
    seconds: (performance.now() - started) / 1000,
  };
  writeJsonAtomic(join(outDir, REPORT_JSON), report);
  writeFileAtomic(join(outDir, 'report.html'), renderDemoReport(outDir));
  log(`[6/6] wrote ${join(outDir, REPORT_JSON)} and report.html in ${report.seconds.toFixed(0)} s`);
  return { report, outDir, example };
}

/** The held-out queries saved beside the demo's model, in the queries format `toolken eval retrieval` reads. */
export const HELD_OUT_QUERIES_FILE = 'test-queries.jsonl';
/** The training queries saved beside the demo's model (the dense baseline's training set). */
export const TRAIN_QUERIES_FILE = 'train-queries.jsonl';

/**
 * Commands that work on the demo's output folder, for the user to try next; `eval retrieval` is given the demo's
 * own baselines (BM25 without stopwords, the dense retriever with its seed and epochs), so it prints the demo's
 * multi-domain rows again.
 */
export function nextCommands(outDir: string, example: DemoResult['example']): string[] {
  const model = join(outDir, 'model');
  const quoted = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
  return [
    `npx toolken retrieve --model ${model} --query ${quoted(example.query)} --k 5`,
    `npx toolken retrieve --model ${model} --query ${quoted(example.query)} --domain ${quoted(example.domain)}`,
    `npx toolken eval retrieval --model ${model} --data ${join(model, HELD_OUT_QUERIES_FILE)} --train ${join(model, TRAIN_QUERIES_FILE)} --bm25-stopwords --seed ${example.seed}${example.quick ? ' --dense-epochs 1' : ''}`,
    `npx toolken generate --model ${model} --prompt ${quoted(example.query)} --chat --max-tokens 24`,
    `npx toolken agent --model ${model} --max-steps 4 ${quoted(EXAMPLE_TASKS[0]!.task)}`,
  ];
}

/** Longest training conversation: a three-step agent run with its system prompt and documentation fits. */
const MAX_LENGTH = 1024;

/** The retrieval results as a terminal table: one row per setting and retriever. */
export function retrievalTable(report: DemoReport): string {
  const rows: (string | number)[][] = [];
  for (const [setting, r] of Object.entries(report.settings)) {
    for (const [name, m] of Object.entries(r.retrievers)) rows.push([setting, name, ...RETRIEVAL_METRICS.map((k) => m[k] ?? NaN)]);
  }
  return formatTable(['setting', 'retriever', ...RETRIEVAL_METRICS], rows);
}
