/**
 * `toolken eval agent`: ToolGen's agent on a task file (or the demo's held-out multi-step tasks), scored by pass
 * rate against ground-truth answers and the run metrics of agent-metrics.ts. Each run is appended to
 * `<out>/trajectories.jsonl` as it finishes (ToolBench answer format, one per line), so an interrupted evaluation
 * keeps what it did; `<out>/metrics.json` is written at the end.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateDemoTasks } from '../../data/demo/tasks.js';
import type { ToolCall } from '../../data/types.js';
import { runAgent } from '../../methods/toolgen/agent-loop.js';
import { agentMetrics, type AgentMetrics, type AgentTaskRun } from '../../methods/toolgen/agent-metrics.js';
import { trajectoryAnswerFile } from '../../methods/toolgen/trajectory.js';
import { ProgressBar } from '../../report/progress.js';
import { formatTable } from '../../report/html.js';
import { readInputFile } from '../../tools/import/entries.js';
import { isJsonValue } from '../../tools/validate.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { CliError, type CliCommand, commandFlags } from '../args.js';
import { agentFlags, loopOptions, setUpAgent } from './agent-inputs.js';
import { outputFolder } from '../file-errors.js';
import { parseJsonLines } from '../../util/json-lines.js';

const flags = {
  ...agentFlags,
  tasks: { kind: 'string', help: 'JSON lines of {"task", "answer"?, "id"?, "relevant"?: [tool ids], "plan"?: [{tool, arguments}]}' },
  demoTasks: { kind: 'int', help: 'instead of --tasks: this many generated demo multi-step tasks (held-out seed)' },
  out: { kind: 'string', default: './toolken-eval-agent', help: 'folder for trajectories.jsonl and metrics.json' },
} as const;

const summary = 'Evaluate ToolGen\'s agent on tasks: pass rate, finish / give-up rates, steps, retries, hallucinated actions, argument validity';

export interface EvalTask {
  readonly id: string;
  readonly task: string;
  readonly answer?: string;
  readonly relevant?: string[];
  readonly plan?: ToolCall[];
}

/** Reads a task file; a malformed line is reported (file, line, problem) and left out, the others are kept. */
export function readTaskFile(path: string): { tasks: EvalTask[]; problems: string[] } {
  const text = readInputFile(path, '--tasks file');
  const tasks: EvalTask[] = [];
  const problems: string[] = [];
  for (const line of parseJsonLines(text)) {
    const where = `${path} line ${line.line}`;
    if (line.error !== undefined) {
      problems.push(`${where}: not valid JSON (${line.error}); skipped`);
      continue;
    }
    const raw = line.value;
    const o = raw as Record<string, unknown>;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || typeof o.task !== 'string' || o.task.trim() === '') {
      problems.push(`${where}: expected an object with a non-empty "task" string; skipped`);
      continue;
    }
    if (o.answer !== undefined && typeof o.answer !== 'string' && typeof o.answer !== 'number') {
      problems.push(`${where}: "answer" must be a string or a number; skipped`);
      continue;
    }
    if (o.relevant !== undefined && !(Array.isArray(o.relevant) && o.relevant.every((r) => typeof r === 'string'))) {
      problems.push(`${where}: "relevant" must be an array of tool ids; skipped`);
      continue;
    }
    const plan = o.plan;
    if (plan !== undefined && !(Array.isArray(plan) && plan.every((c) => c !== null && typeof c === 'object' && typeof (c as { tool?: unknown }).tool === 'string' && isJsonValue((c as { arguments?: unknown }).arguments)))) {
      problems.push(`${where}: "plan" must be an array of {"tool", "arguments"}; skipped`);
      continue;
    }
    tasks.push({
      id: typeof o.id === 'string' ? o.id : `line-${line.line}`,
      task: o.task,
      ...(o.answer !== undefined ? { answer: String(o.answer) } : {}),
      ...(o.relevant !== undefined ? { relevant: o.relevant as string[] } : {}),
      ...(plan !== undefined ? { plan: plan as ToolCall[] } : {}),
    });
  }
  return { tasks, problems };
}

export function metricsTable(m: AgentMetrics): string {
  const rows: (string | number)[][] = [
    ['tasks', m.tasks],
    ['pass rate', m.passRate],
    ['finish rate', m.finishRate],
    ['give-up rate', m.giveUpRate],
    ['step-limit rate', m.stepLimitRate],
    ['steps per task', m.meanSteps],
    ['tool calls per task', m.meanToolCalls],
    ['retried steps per task', m.meanRetries],
    ['hallucinated actions', m.hallucinatedActions],
    ['argument validity', m.argumentValidity],
    ['required-parameter coverage', m.requiredCoverage],
    ['relevant-API recall', m.relevantApiRecall],
    ['relevant-API precision', m.relevantApiPrecision],
    ...Object.entries(m.argumentExactMatch).map(([type, e]) => [`argument exact match (${type})`, `${(e.matched / e.total).toFixed(3)} of ${e.total}`]),
  ];
  return formatTable(['metric', 'value'], rows);
}

export const command: CliCommand = {
  summary,
  async run(argv) {
    const f = commandFlags(argv, 'eval agent', summary + '.', flags);
    if (f === null) return 0;
    if ((f.tasks === undefined) === (f.demoTasks === undefined)) throw new CliError('give exactly one of --tasks FILE and --demo-tasks N');
    let tasks: EvalTask[];
    if (f.tasks !== undefined) {
      const read = readTaskFile(resolve(f.tasks));
      for (const p of read.problems) process.stderr.write(`warning: ${p}\n`);
      tasks = read.tasks;
      if (tasks.length === 0) throw new CliError(`--tasks ${f.tasks}: no usable task`);
    } else {
      if (f.demoTasks! < 1) throw new CliError(`--demo-tasks must be at least 1, got ${f.demoTasks}`);
      // The demo trains on seed-0 tasks; seed 1 gives the held-out ones its report uses.
      tasks = generateDemoTasks({ seed: f.seed + 1, count: f.demoTasks! }).map((t) => ({ id: t.id, task: t.task, answer: t.answer, plan: [...t.plan], relevant: [...new Set(t.plan.map((c) => c.tool))] }));
    }
    const options = loopOptions(f);
    const out = outputFolder('out', f.out);
    const setup = await setUpAgent(f);
    for (const w of setup.warnings) process.stderr.write(`warning: ${w}\n`);
    const trajectories = join(out, 'trajectories.jsonl');
    writeFileSync(trajectories, '');
    const runs: AgentTaskRun[] = [];
    const bar = new ProgressBar({ total: tasks.length, label: 'agent tasks', unit: 'task' });
    try {
      for (const t of tasks) {
        const trajectory = await runAgent({ task: t.task, policy: setup.policy, tools: setup.tools, executor: setup.executor, options });
        runs.push({ id: t.id, trajectory, ...(t.answer !== undefined ? { truth: t.answer } : {}), ...(t.relevant ? { relevant: t.relevant } : {}), ...(t.plan ? { plan: t.plan } : {}) });
        appendFileSync(trajectories, JSON.stringify({ id: t.id, ...trajectoryAnswerFile(trajectory) }) + '\n');
        bar.tick();
      }
    } finally {
      bar.finish();
      await setup.close();
    }
    const metrics = agentMetrics(runs);
    writeJsonAtomic(join(out, 'metrics.json'), metrics);
    process.stdout.write(metricsTable(metrics) + '\n');
    process.stderr.write(`trajectories in ${trajectories}, metrics in ${join(out, 'metrics.json')}\n`);
    return 0;
  },
};
