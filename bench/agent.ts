/**
 * `npm run bench:agent [-- --plan quick|full] [--model DIR] [--tasks N] [--no-schemes] [--in-context-epochs E]
 *  [--no-in-context] [--scheme-models semantic=DIR,...] [--ablations] [--ablation-models no-memorization=DIR,...]
 *  [--merge]`:
 * ToolGen's agent and the in-context baseline on the demo's held-out multi-step tasks, written to
 * bench/results/agent.json as records `agent/demo-tasks/<system>/<metric>`.
 *
 * Models, all the demo's size for the plan (`--quick` is `--plan quick`), trained here unless `--model` gives the
 * atomic one (a `toolken demo` model directory of the same plan):
 * - `toolgen*`: the demo's three stages with atomic tool tokens. Systems: `toolgen` (trie-constrained actions,
 *   schema-constrained arguments copying values from the context, appendix D retry), `toolgen-no-retry`,
 *   `toolgen-unconstrained` (free action generation: hallucinations possible), `toolgen-no-copy` (free values),
 *   `toolgen-no-coverage` (copied values without coverage: a value may fill two parameters, and places earlier
 *   calls copied from stay on offer),
 *   `toolgen-free-thoughts` (thoughts generated freely instead of quoting the task, quoted-thoughts.ts),
 *   `toolgen-lexical` (BM25 over the tool documents mixed into the action, retrieval/lexical-prior.ts: weight 0.05 on
 *   the demo's tools, 0.99 on StableToolBench's, all new to the model);
 * - `toolgen-semantic`, `toolgen-numeric`, `toolgen-hierarchical`: the same demo with the other indexing schemes,
 *   each also unconstrained (`toolgen-<scheme>-unconstrained`) for the hallucination rates of ToolGen's Table 5;
 * - `in-context`: the paper's ToolLlama + retriever baseline — a model of the same size and tokenizer, agent-tuned
 *   from random weights on the same tasks' gold runs as ReAct turns with the documentation of BM25's top 5 tools
 *   in the prompt (the gold tools always among them in training), answering with BM25's top 5 for the task.
 * Every system runs through the same agent loop, executors, step limit and retry schedule.
 *
 * - `toolgen-no-memorization`, `toolgen-no-retrieval-training` (with `--ablations`): ToolGen's Table 7, the demo
 *   trained without that stage (`toolken demo --ablation ...`); Table 7's third row, without the constraint, is
 *   `toolgen-unconstrained`.
 * Records carry `plan`, the CPU model and the seconds each system took; they are written after each system.
 *
 * A full run trains five demos and the in-context model, more than one sitting of a shared machine; it splits into
 * slices: demos trained beforehand (`toolken demo [--scheme S] [--ablation A]`) are given with `--model`,
 * `--scheme-models` and `--ablation-models`, `--no-in-context` skips the baseline's training, and `--merge` keeps
 * the records of bench/results/agent.json that this run does not measure again.
 * Not here: StableToolBench models trained on its own tools (ToolBench's training queries are not available).
 */
import { LexicalPrior } from '../src/retrieval/lexical-prior.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { demoCatalog, demoExecutor } from '../src/data/demo/catalog.js';
import { generateDemoTasks, type DemoTask } from '../src/data/demo/tasks.js';
import { runTasks, type AnsweredTasks } from '../src/demo/agent-tasks.js';
import { DEMO_ABLATIONS, demoAgentTasks, runDemo, type DemoAblation } from '../src/demo/demo.js';
import type { IndexScheme } from '../src/indexing/schemes.js';
import { loadModel } from '../src/models/load.js';
import { DEFAULT_RETRY_TEMPERATURES, type AgentLoopOptions } from '../src/methods/toolgen/agent-loop.js';
import { jsonType, type AgentMetrics } from '../src/methods/toolgen/agent-metrics.js';
import { candidateRecall, InContextCandidates, inContextConversations, trainInContextAgent } from '../src/methods/toolgen/in-context.js';
import { loadToolIndex, type ToolGenModel } from '../src/methods/toolgen/model.js';
import { goldConversation } from '../src/methods/toolgen/plan-policy.js';
import { ToolGenPolicy, type ToolGenPolicyOptions } from '../src/methods/toolgen/policy.js';
import { ReactPolicy, reactSystemPrompt } from '../src/methods/toolgen/react-policy.js';
import { scratchModel } from '../src/train/scratch.js';
import type { DecoderModel } from '../src/models/decoder.js';
import { loadRetrievalBenchmark } from '../src/data/benchmarks.js';
import { splitQueries } from '../src/data/split.js';
import { createEchoExecutor } from '../src/tools/executors/echo.js';
import { addTools } from '../src/methods/toolgen/add-tools.js';
import { prepareToolGenModel } from '../src/methods/toolgen/stages.js';
import { RunDirectory } from '../src/train/run-dir.js';
import { canonicalJson } from '../src/tools/validate.js';
import type { JsonValue } from '../src/tools/types.js';
import { cpuParams, formatTable, resultsDir, writeResults, type BenchRecord } from './lib.js';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? undefined : argv[i + 1];
};
/** `--name a=DIR,b=DIR`: model directories by name, each name one of `names`. */
function modelDirs(name: string, names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of (flag(name) ?? '').split(',').filter((e) => e !== '')) {
    const [key, dir] = entry.split('=');
    if (key === undefined || dir === undefined || !names.includes(key)) throw new Error(`--${name}: expected ${names.map((n) => `${n}=DIR`).join(',')}, got '${entry}'`);
    out.set(key, dir);
  }
  return out;
}
const plan = flag('plan') ?? (argv.includes('--quick') ? 'quick' : 'full');
if (plan !== 'quick' && plan !== 'full') throw new Error(`--plan must be quick or full, got ${plan}`);
const quick = plan === 'quick';
const SEED = 0;
const work = mkdtempSync(join(tmpdir(), 'toolken-bench-agent-'));
const tools = demoCatalog();
const executor = demoExecutor(tools);
const loop: Partial<AgentLoopOptions> = { maxSteps: 6, maxObservationChars: 256 };
const common = { plan, ...cpuParams() };

/** A demo-trained ToolGen model of this plan with the given indexing scheme (and ablation, if any). */
async function demoModel(scheme: IndexScheme, dir?: string, ablation?: DemoAblation): Promise<{ tg: ToolGenModel; dir: string }> {
  if (dir === undefined) {
    const label = ablation ?? scheme;
    const out = join(work, label);
    await runDemo({ out, seed: SEED, quick, scheme, ...(ablation ? { ablation } : {}), log: (line) => process.stderr.write(`[${label}] ${line}\n`) });
    dir = join(out, 'model');
  }
  const index = loadToolIndex(resolve(dir));
  if (index === undefined) throw new Error(`${dir}: no tool-index.json (a toolken demo model directory is expected)`);
  const loaded = await loadModel(resolve(dir));
  return { tg: { model: loaded.model, tokenizer: loaded.tokenizer, index, newRows: null }, dir: resolve(dir) };
}

/** The held-out tasks: multi-step demo tasks that no training task repeats. */
const training = demoAgentTasks({ seed: SEED, quick });
const seen = new Set(training.trainTasks.map((t) => t.task));
const count = Number(flag('tasks') ?? (quick ? 12 : 40));
const tasks: DemoTask[] = generateDemoTasks({ seed: SEED + 1, count: 2 * count }).filter((t) => !seen.has(t.task)).slice(0, count);

const METRICS: [string, (m: AgentMetrics) => number][] = [
  ['pass-rate', (m) => m.passRate],
  ['finish-rate', (m) => m.finishRate],
  ['give-up-rate', (m) => m.giveUpRate],
  ['step-limit-rate', (m) => m.stepLimitRate],
  ['hallucinated-actions', (m) => m.hallucinatedActions],
  ['relevant-api-recall', (m) => m.relevantApiRecall],
  ['relevant-api-precision', (m) => m.relevantApiPrecision],
  ['argument-validity', (m) => m.argumentValidity],
  ['required-parameter-coverage', (m) => m.requiredCoverage],
];

const schemeModels = modelDirs('scheme-models', ['semantic', 'numeric', 'hierarchical']);
const ablationModels = modelDirs('ablation-models', DEMO_ABLATIONS);
const records: BenchRecord[] = [];
/** With --merge, the records of the last run that this run does not measure again are kept. */
const earlier: BenchRecord[] = argv.includes('--merge') ? previousRecords() : [];
function previousRecords(): BenchRecord[] {
  try {
    return (JSON.parse(readFileSync(join(resultsDir, 'agent.json'), 'utf8')) as { records: BenchRecord[] }).records;
  } catch {
    return [];
  }
}
const tables: string[] = [];
/** Writes what is measured so far, so that a run stopped part-way keeps its finished systems. */
const save = (): string => {
  const measured = new Set(records.map((r) => r.name));
  return writeResults('agent', [...earlier.filter((r) => !measured.has(r.name)), ...records]);
};

function record(system: string, answered: AnsweredTasks, params: Record<string, string | number | boolean>, dataset: 'demo-tasks' | 'stabletoolbench' = 'demo-tasks'): void {
  const { metrics } = answered;
  const p = { ...common, tasks: answered.runs.length, ...params };
  // StableToolBench's queries have no ground-truth answers: no pass rate there (its SoPR needs a GPT-4 judge).
  for (const [name, get] of METRICS) if (dataset === 'demo-tasks' || name !== 'pass-rate') records.push({ name: `agent/${dataset}/${system}/${name}`, value: get(metrics), unit: 'ratio', params: p });
  records.push({ name: `agent/${dataset}/${system}/steps`, value: metrics.meanSteps, unit: 'steps/task', params: p });
  records.push({ name: `agent/${dataset}/${system}/tool-calls`, value: metrics.meanToolCalls, unit: 'calls/task', params: p });
  records.push({ name: `agent/${dataset}/${system}/retries`, value: metrics.meanRetries, unit: 'retried steps/task', params: p });
  for (const [type, e] of Object.entries(metrics.argumentExactMatch)) {
    records.push({ name: `agent/${dataset}/${system}/argument-exact-match-${type}`, value: e.matched / e.total, unit: 'ratio', params: { ...p, values: e.total } });
  }
  // A few trajectories for the report: the first three tasks, turn by turn.
  tables.push(
    `## ${dataset} ${system}\n` +
      answered.runs
        .slice(0, 3)
        .map((r) => `- ${r.trajectory.task}\n  truth ${JSON.stringify(r.truth)}, answer ${JSON.stringify(r.trajectory.answer)} (${r.trajectory.finishType})\n` + r.trajectory.steps.map((s) => `    ${s.action.text} ${s.argumentsText}${s.observation ? ` -> ${s.observation}` : ''}`).join('\n'))
        .join('\n'),
  );
  save();
}

async function toolgenSystem(system: string, tg: ToolGenModel, dir: string, retry: boolean, policy: Partial<ToolGenPolicyOptions>): Promise<void> {
  const started = performance.now();
  const options = { ...loop, retryTemperatures: retry ? DEFAULT_RETRY_TEMPERATURES : [0] };
  const answered = await runTasks(tasks, new ToolGenPolicy(tg, policy), () => ({ tools }), executor, options);
  record(system, answered, { model: dir, seconds: Math.round((performance.now() - started) / 1000) });
}

// 1. ToolGen with atomic tokens (its tokenizer and size are the in-context model's too).
const atomic = await demoModel('atomic', flag('model'));
let inContext: DecoderModel | undefined;
// 2. The in-context baseline (first: the comparison the bench is for): same tokenizer and size, random weights, agent-tuned on ReAct runs of the same tasks.
if (!argv.includes('--no-in-context')) {
  const started = performance.now();
  const candidates = new InContextCandidates(tools, 5);
  const conversations = await inContextConversations([...training.oneCallTasks, ...training.trainTasks], candidates, executor, loop);
  const c = atomic.tg.model.config;
  const model = scratchModel(atomic.tg.tokenizer, {
    vocabSize: c.vocabSize, dim: c.dim, layers: c.layers, heads: c.heads, kvHeads: c.kvHeads, hiddenDim: c.hiddenDim, maxPositions: c.maxPositions,
    seed: SEED, projectionStd: 1 / Math.sqrt(c.dim),
  });
  const epochs = Number(flag('in-context-epochs') ?? (quick ? 2 : 6));
  const trained = trainInContextAgent({
    model, tokenizer: atomic.tg.tokenizer, conversations, run: RunDirectory.open(join(work, 'in-context'), { resume: false }),
    sft: { epochs, batchSize: 16, lr: 1.5e-3, warmup: 0.05, maxLength: c.maxPositions, seed: SEED, padId: 0, weightDecay: 0.01, groupByLength: true },
  });
  const trainSeconds = Math.round((performance.now() - started) / 1000);
  inContext = model;
  const policy = new ReactPolicy({ model, tokenizer: atomic.tg.tokenizer }, tools);
  const recall: number[] = [];
  const evalStarted = performance.now();
  const answered = await runTasks(tasks, policy, (t) => {
    const offered = candidates.select(t.task);
    recall.push(candidateRecall(offered, t.plan.map((p) => p.tool)));
    return { tools: offered, systemPrompt: reactSystemPrompt(offered) };
  }, executor, { ...loop, retryTemperatures: DEFAULT_RETRY_TEMPERATURES });
  const params = { candidates: candidates.k, epochs, steps: trained.steps, finalLoss: Number(trained.finalLoss.toFixed(4)), trainSeconds, seconds: Math.round((performance.now() - evalStarted) / 1000) };
  record('in-context', answered, params);
  records.push({ name: 'agent/demo-tasks/in-context/candidate-recall', value: recall.reduce((a, b) => a + b, 0) / recall.length, unit: 'ratio', params: { ...common, tasks: tasks.length, ...params } });
}

await toolgenSystem('toolgen', atomic.tg, atomic.dir, true, {});
await toolgenSystem('toolgen-no-retry', atomic.tg, atomic.dir, false, {});
await toolgenSystem('toolgen-unconstrained', atomic.tg, atomic.dir, true, { constrainActions: false });
await toolgenSystem('toolgen-no-copy', atomic.tg, atomic.dir, true, { copyValues: false });
await toolgenSystem('toolgen-no-coverage', atomic.tg, atomic.dir, true, { copyCoverage: false });
await toolgenSystem('toolgen-free-thoughts', atomic.tg, atomic.dir, true, { quoteThoughts: false });
// Every demo tool has training queries, so the prior is a tie-breaker here (weight 0.05, bench:retrieval's MetaTool regime).
await toolgenSystem('toolgen-lexical', atomic.tg, atomic.dir, true, { lexicalPrior: LexicalPrior.fromTools(tools, { weight: 0.05 }, { stopwords: true }) });

/**
 * Argument filling on its own, teacher-forced: each gold conversation is cut before each of its arguments turns,
 * the model writes the arguments of the gold tool (with and without copying), and every gold value is compared
 * exactly, by JSON type. This isolates copying from choosing the tool.
 */
const byId = new Map(tools.map((t) => [t.id, t]));
for (const [system, copyValues, copyCoverage] of [['toolgen', true, true], ['toolgen-no-coverage', true, false], ['toolgen-no-copy', false, false]] as const) {
  const policy = new ToolGenPolicy(atomic.tg, { copyValues, copyCoverage });
  const exact: Record<string, { matched: number; total: number }> = {};
  for (const t of tasks) {
    const { messages } = await goldConversation({ task: t.task, plan: t.plan, ...(t.steps ? { steps: t.steps } : {}), tools, executor, toolText: (id) => atomic.tg.index.toolToText(id), options: { maxObservationChars: 256 } });
    let call = 0;
    for (let i = 0; i < messages.length && call < t.plan.length; i++) {
      if (messages[i]!.role !== 'user' || !messages[i]!.content.startsWith('Please give the input.')) continue;
      const gold = t.plan[call++]!;
      const context = [t.task, ...messages.slice(0, i).filter((m) => m.role === 'tool').map((m) => String((JSON.parse(m.content) as { response: string }).response))];
      // Teacher-forced: the earlier calls used the gold plan's values.
      const usedArguments = t.plan.slice(0, call - 1).map((c) => c.arguments);
      const got = policy.arguments(messages.slice(0, i + 1), byId.get(gold.tool)!, { texts: context, usedArguments }, { temperature: 0, seed: 0 }).value;
      const written = got !== null && typeof got === 'object' && !Array.isArray(got) ? got : {};
      for (const [name, value] of Object.entries(gold.arguments as Record<string, JsonValue>)) {
        const entry = (exact[jsonType(value)] ??= { matched: 0, total: 0 });
        entry.total++;
        if (name in written && canonicalJson(written[name]!) === canonicalJson(value)) entry.matched++;
      }
    }
  }
  for (const [type, e] of Object.entries(exact)) {
    records.push({ name: `agent/demo-tasks/${system}/argument-exact-match-gold-tool-${type}`, value: e.matched / e.total, unit: 'ratio', params: { ...common, model: atomic.dir, tasks: tasks.length, values: e.total } });
  }
}

/**
 * Where the agent goes wrong, teacher-forced: from each step boundary of a gold run (after the task, after each
 * observation) the model writes its thought and action, which are compared with the gold action. Steps are split
 * into the first tool, a later tool (after an observation) and the final Finish, so that choosing the wrong tool
 * and stopping too early are told apart.
 */
{
  const policy = new ToolGenPolicy(atomic.tg, {});
  const right = { 'first-tool': [0, 0], 'next-tool': [0, 0], finish: [0, 0] };
  const early: number[] = [];
  for (const t of tasks) {
    const { messages } = await goldConversation({ task: t.task, plan: t.plan, ...(t.steps ? { steps: t.steps } : {}), tools, executor, toolText: (id) => atomic.tg.index.toolToText(id), options: { maxObservationChars: 256 } });
    const boundaries = messages.flatMap((m, i) => (i === 1 || m.role === 'tool' ? [i + 1] : []));
    boundaries.forEach((end, step) => {
      const history = messages.slice(0, end);
      const sampling = { temperature: 0, seed: 0 };
      const thought = policy.thought(history, sampling).trim();
      const view = thought === '' ? history : [...history, { role: 'assistant' as const, content: thought }, { role: 'user' as const, content: 'Generate the action.' }];
      const chosen = policy.action(view, [...tools.map((x) => x.id), 'Finish'], sampling).toolId;
      const gold = t.plan[step]?.tool ?? 'Finish';
      const kind = step === t.plan.length ? 'finish' : step === 0 ? 'first-tool' : 'next-tool';
      right[kind][1]++;
      if (chosen === gold) right[kind][0]++;
      if (kind !== 'finish') early.push(chosen === 'Finish' ? 1 : 0);
    });
  }
  for (const [kind, [hit, total]] of Object.entries(right)) {
    records.push({ name: `agent/demo-tasks/toolgen/gold-history-${kind}`, value: hit! / total!, unit: 'ratio', params: { ...common, model: atomic.dir, tasks: tasks.length, decisions: total! } });
  }
  records.push({ name: 'agent/demo-tasks/toolgen/gold-history-early-finish', value: early.reduce((a, b) => a + b, 0) / early.length, unit: 'ratio', params: { ...common, model: atomic.dir, tasks: tasks.length, decisions: early.length } });
}

// 3. The other indexing schemes, each a demo of its own, with and without the action constraint.
if (!argv.includes('--no-schemes')) {
  for (const scheme of ['semantic', 'numeric', 'hierarchical'] as const) {
    const m = await demoModel(scheme, schemeModels.get(scheme));
    await toolgenSystem(`toolgen-${scheme}`, m.tg, m.dir, true, {});
    await toolgenSystem(`toolgen-${scheme}-unconstrained`, m.tg, m.dir, true, { constrainActions: false });
  }
}

// 4. ToolGen's Table 7: the demo without its memorization or its retrieval stage.
if (argv.includes('--ablations') || ablationModels.size > 0) {
  for (const ablation of DEMO_ABLATIONS) {
    const m = await demoModel('atomic', ablationModels.get(ablation), ablation);
    await toolgenSystem(`toolgen-${ablation}`, m.tg, m.dir, true, {});
  }
}


/**
 * 5. StableToolBench, offline: its solvable queries (the test half of bench:retrieval's split) answered by the
 * models above, trained on the demo's tools only, so every StableToolBench tool is new to them — the in-context
 * agent reads BM25's top 5 in its prompt, the ToolGen model reaches them through `tools add` (document-state
 * rows). The environment is the echo executor (a valid call succeeds and repeats itself): StableToolBench's cached
 * API server and the GPT-4 judge of its SoPR / SoWR are not available, so these are the offline metrics only —
 * finish and give-up rates, hallucinated actions, relevant-API recall / precision, argument validity and
 * required-parameter coverage.
 */
if (!argv.includes('--no-stabletoolbench')) {
  let benchmark: ReturnType<typeof loadRetrievalBenchmark> | undefined;
  try {
    benchmark = loadRetrievalBenchmark('stabletoolbench');
  } catch (err) {
    process.stderr.write(`StableToolBench skipped: ${(err as Error).message}\n`);
  }
  if (benchmark !== undefined) {
    const stbTools = benchmark.tools;
    const queries = splitQueries(benchmark.test, { seed: 0, validation: 0, test: 0.5 }).test.slice(0, Number(flag('stabletoolbench-queries') ?? (quick ? 8 : 40)));
    const stbTasks = queries.map((q) => ({ id: q.id, task: q.query, relevant: q.relevant }));
    const stbExecutor = createEchoExecutor(stbTools);
    const stbLoop = { ...loop, retryTemperatures: DEFAULT_RETRY_TEMPERATURES };
    // The in-context system runs when its model was trained above (not with --no-in-context).
    if (inContext !== undefined) {
      const started = performance.now();
      const candidates = new InContextCandidates(stbTools, 5);
      const recall: number[] = [];
      const answered = await runTasks(stbTasks, new ReactPolicy({ model: inContext, tokenizer: atomic.tg.tokenizer }, stbTools), (t) => {
        const offered = candidates.select(t.task);
        recall.push(candidateRecall(offered, t.relevant));
        return { tools: offered, systemPrompt: reactSystemPrompt(offered) };
      }, stbExecutor, stbLoop);
      record('in-context', answered, { candidates: 5, environment: 'echo', seconds: Math.round((performance.now() - started) / 1000) }, 'stabletoolbench');
      records.push({ name: 'agent/stabletoolbench/in-context/candidate-recall', value: recall.reduce((a, b) => a + b, 0) / recall.length, unit: 'ratio', params: { ...common, tasks: stbTasks.length } });
    }
    {
      // Last: tools add grows the tokenizer in place, which the in-context model shares.
      const started = performance.now();
      const known = await prepareToolGenModel(atomic.tg.model, atomic.tg.tokenizer, tools, 'atomic', atomic.tg.index);
      const grown = await addTools(known, stbTools, { known: tools });
      const answered = await runTasks(stbTasks, new ToolGenPolicy(grown, {}), () => ({ tools: stbTools }), stbExecutor, stbLoop);
      record('toolgen', answered, { rows: 'document-state', environment: 'echo', seconds: Math.round((performance.now() - started) / 1000) }, 'stabletoolbench');
      // The same model with the lexical prior: every tool here is new to it, so the documents' words lead (weight 0.99).
      const lexicalStarted = performance.now();
      const lexicalPrior = LexicalPrior.fromTools(stbTools, { weight: 0.99 });
      const lexical = await runTasks(stbTasks, new ToolGenPolicy(grown, { lexicalPrior }), () => ({ tools: stbTools }), stbExecutor, stbLoop);
      record('toolgen-lexical', lexical, { rows: 'document-state', lexicalPrior: 0.99, environment: 'echo', seconds: Math.round((performance.now() - lexicalStarted) / 1000) }, 'stabletoolbench');
    }
  }
}

process.stdout.write(formatTable('agent', records) + '\n\n' + tables.join('\n\n') + '\n');
process.stdout.write(`wrote ${save()}\n`);
