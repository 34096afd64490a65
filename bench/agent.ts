/**
 * `npm run bench:agent [-- --model DIR] [--quick] [--tasks N]`: ToolGen's agent on the demo's held-out multi-step
 * tasks, by system, written to bench/results/agent.json as records `agent/<dataset>/<system>/<metric>`.
 *
 * The model is a demo-trained ToolGen model (`toolken demo` writes it to toolken-demo/model); without --model,
 * --quick trains the quick demo first (a few minutes) and uses that. Systems: `toolgen` (trie-constrained actions,
 * schema-constrained arguments copying values from the context, appendix D retry), `toolgen-no-retry`,
 * `toolgen-unconstrained` (free action generation) and `toolgen-no-copy` (free argument values).
 *
 * Not run here yet (see the report): the StableToolBench replay environment, the in-context baseline and the
 * per-indexing-scheme models, which need models trained per scheme.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { demoCatalog, demoExecutor } from '../src/data/demo/catalog.js';
import { generateDemoTasks } from '../src/data/demo/tasks.js';
import { answerTasks } from '../src/demo/agent-tasks.js';
import { runDemo } from '../src/demo/demo.js';
import { loadModel } from '../src/models/load.js';
import { loadToolIndex } from '../src/methods/toolgen/model.js';
import { DEFAULT_RETRY_TEMPERATURES } from '../src/methods/toolgen/agent-loop.js';
import type { AgentMetrics } from '../src/methods/toolgen/agent-metrics.js';
import { ToolGenPolicy, type ToolGenPolicyOptions } from '../src/methods/toolgen/policy.js';
import { jsonType } from '../src/methods/toolgen/agent-metrics.js';
import { goldConversation } from '../src/methods/toolgen/plan-policy.js';
import { canonicalJson } from '../src/tools/validate.js';
import type { JsonValue } from '../src/tools/types.js';
import { formatTable, writeResults, type BenchRecord } from './lib.js';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? undefined : argv[i + 1];
};
const quick = argv.includes('--quick');
let modelDir = flag('model');
if (modelDir === undefined) {
  if (!quick) throw new Error('bench:agent needs --model DIR (a demo-trained model, e.g. toolken-demo/model) or --quick');
  const out = mkdtempSync(join(tmpdir(), 'toolken-bench-agent-'));
  await runDemo({ out, seed: 0, quick: true });
  modelDir = join(out, 'model');
}
modelDir = resolve(modelDir);
if (!existsSync(modelDir)) throw new Error(`--model ${modelDir}: no such directory`);
const index = loadToolIndex(modelDir);
if (index === undefined) throw new Error(`--model ${modelDir}: no tool-index.json`);
const loaded = await loadModel(modelDir);
const tg = { model: loaded.model, tokenizer: loaded.tokenizer, index, newRows: null };
const tools = demoCatalog();
const executor = demoExecutor(tools);
const count = Number(flag('tasks') ?? (quick ? 8 : 40));
const tasks = generateDemoTasks({ seed: 1, count });

const systems: Record<string, { retry: boolean; policy: Partial<ToolGenPolicyOptions> }> = {
  toolgen: { retry: true, policy: {} },
  'toolgen-no-retry': { retry: false, policy: {} },
  'toolgen-unconstrained': { retry: true, policy: { constrainActions: false } },
  'toolgen-no-copy': { retry: true, policy: { copyValues: false } },
};

const METRICS: [string, (m: AgentMetrics) => number][] = [
  ['pass-rate', (m) => m.passRate],
  ['finish-rate', (m) => m.finishRate],
  ['give-up-rate', (m) => m.giveUpRate],
  ['hallucinated-actions', (m) => m.hallucinatedActions],
  ['relevant-api-recall', (m) => m.relevantApiRecall],
  ['argument-validity', (m) => m.argumentValidity],
];

const records: BenchRecord[] = [];
for (const [system, s] of Object.entries(systems)) {
  const started = performance.now();
  const loop = { maxSteps: 6, maxObservationChars: 256, retryTemperatures: s.retry ? DEFAULT_RETRY_TEMPERATURES : [0] };
  const { metrics } = await answerTasks(tasks, tg, tools, executor, loop, s.policy);
  const params = { model: modelDir, tasks: tasks.length, quick, seconds: Math.round((performance.now() - started) / 1000) };
  for (const [name, get] of METRICS) records.push({ name: `agent/demo-tasks/${system}/${name}`, value: get(metrics), unit: 'ratio', params });
  records.push({ name: `agent/demo-tasks/${system}/steps`, value: metrics.meanSteps, unit: 'steps/task', params });
  for (const [type, e] of Object.entries(metrics.argumentExactMatch)) {
    records.push({ name: `agent/demo-tasks/${system}/argument-exact-match-${type}`, value: e.matched / e.total, unit: 'ratio', params: { ...params, values: e.total } });
  }
}
/**
 * Argument filling on its own, teacher-forced: each gold conversation is cut before each of its arguments turns,
 * the model writes the arguments of the gold tool (with and without copying), and every gold value is compared
 * exactly, by JSON type. This isolates copying from choosing the tool.
 */
const byId = new Map(tools.map((t) => [t.id, t]));
for (const [system, copyValues] of [['toolgen', true], ['toolgen-no-copy', false]] as const) {
  const policy = new ToolGenPolicy(tg, { copyValues });
  const exact: Record<string, { matched: number; total: number }> = {};
  for (const t of tasks) {
    const { messages } = await goldConversation({ task: t.task, plan: t.plan, tools, executor, toolText: (id) => index.toolToText(id), options: { maxObservationChars: 256 } });
    let call = 0;
    for (let i = 0; i < messages.length && call < t.plan.length; i++) {
      if (messages[i]!.role !== 'user' || !messages[i]!.content.startsWith('Please give the input.')) continue;
      const gold = t.plan[call++]!;
      const context = [t.task, ...messages.slice(0, i).filter((m) => m.role === 'tool').map((m) => String((JSON.parse(m.content) as { response: string }).response))];
      const got = policy.arguments(messages.slice(0, i + 1), byId.get(gold.tool)!, context, { temperature: 0, seed: 0 }).value;
      const written = got !== null && typeof got === 'object' && !Array.isArray(got) ? got : {};
      for (const [name, value] of Object.entries(gold.arguments as Record<string, JsonValue>)) {
        const entry = (exact[jsonType(value)] ??= { matched: 0, total: 0 });
        entry.total++;
        if (name in written && canonicalJson(written[name]!) === canonicalJson(value)) entry.matched++;
      }
    }
  }
  for (const [type, e] of Object.entries(exact)) {
    records.push({ name: `agent/demo-tasks/${system}/argument-exact-match-gold-tool-${type}`, value: e.matched / e.total, unit: 'ratio', params: { model: modelDir, tasks: tasks.length, quick, values: e.total } });
  }
}
process.stdout.write(formatTable('agent', records) + '\n');
process.stdout.write(`wrote ${writeResults('agent', records)}\n`);
