/**
 * The agent part of the demo: agent-tuning conversations built by playing gold plans through the agent loop
 * (single-call training queries and multi-step tasks alike), and held-out multi-step tasks answered end to end by
 * the trained model, scored by pass rate against the answers the gold plans computed.
 */
import type { DemoTask } from '../data/demo/tasks.js';
import type { ChatExample, RetrievalQuery, ToolCall } from '../data/types.js';
import { runAgent, type AgentEvent, type AgentLoopOptions, type AgentPolicy, type AgentTrajectory } from '../methods/toolgen/agent-loop.js';
import { agentMetrics, type AgentMetrics, type AgentTaskRun } from '../methods/toolgen/agent-metrics.js';
import { goldConversation } from '../methods/toolgen/plan-policy.js';
import type { ToolGenModel } from '../methods/toolgen/model.js';
import { ToolGenPolicy, type ToolGenPolicyOptions } from '../methods/toolgen/policy.js';
import { ProgressBar } from '../report/progress.js';
import type { Tool, ToolExecutor } from '../tools/types.js';

/** Training queries become one-call tasks; their gold call is the plan. */
export function queryTasks(queries: readonly RetrievalQuery[]): DemoTask[] {
  return queries.flatMap((q) => (q.calls !== undefined && q.calls.length > 0 ? [{ id: q.id, task: q.query, plan: q.calls, answer: '' }] : []));
}

/** The agent-tuning conversations of the tasks, with a progress bar (each plan runs on the real tools). */
export async function agentConversations(
  tasks: readonly DemoTask[],
  tg: ToolGenModel,
  tools: readonly Tool[],
  executor: ToolExecutor,
  options: Partial<AgentLoopOptions>,
): Promise<ChatExample[]> {
  const bar = new ProgressBar({ total: tasks.length, label: 'gold trajectories', unit: 'task' });
  const out: ChatExample[] = [];
  for (const t of tasks) {
    out.push(await goldConversation({ task: t.task, plan: t.plan, ...(t.steps ? { steps: t.steps } : {}), tools, executor, toolText: (id) => tg.index.toolToText(id), options }));
    bar.tick();
  }
  bar.finish();
  return out;
}

export interface AnsweredTasks {
  readonly runs: AgentTaskRun[];
  readonly metrics: AgentMetrics;
}

/**
 * A task for the agent: the demo's multi-step tasks carry their gold plan and answer; a benchmark query may know
 * only its relevant tools (StableToolBench), which then count for relevant-API recall and precision.
 */
export interface AgentTask {
  readonly id: string;
  readonly task: string;
  readonly plan?: readonly ToolCall[];
  readonly answer?: string;
  /** The tools a good run calls; default the plan's. */
  readonly relevant?: readonly string[];
}

/** What a task's run is given: the tools on offer and, for a policy that needs one, its system prompt. */
export interface TaskSetup {
  readonly tools: readonly Tool[];
  readonly systemPrompt?: string;
}

/**
 * Runs `policy` through the agent loop on every task and scores the runs; `setup` gives each task its tools (the
 * in-context agent's retrieved candidates, or the whole catalog); `onEvent` sees the turns as they happen.
 */
export async function runTasks<T extends AgentTask>(
  tasks: readonly T[],
  policy: AgentPolicy,
  setup: (task: T) => TaskSetup,
  executor: ToolExecutor,
  loop: Partial<AgentLoopOptions>,
  onEvent?: (task: T, event: AgentEvent) => void,
): Promise<AnsweredTasks> {
  const bar = new ProgressBar({ total: tasks.length, label: 'agent tasks', unit: 'task' });
  const runs: AgentTaskRun[] = [];
  for (const t of tasks) {
    const { tools, systemPrompt } = setup(t);
    const options = systemPrompt === undefined ? loop : { ...loop, systemPrompt };
    const trajectory: AgentTrajectory = await runAgent({ task: t.task, policy, tools, executor, options, ...(onEvent ? { onEvent: (e: AgentEvent) => onEvent(t, e) } : {}) });
    const relevant = t.relevant ?? [...new Set((t.plan ?? []).map((c) => c.tool))];
    runs.push({ id: t.id, trajectory, relevant, ...(t.answer !== undefined ? { truth: t.answer } : {}), ...(t.plan !== undefined ? { plan: t.plan } : {}) });
    bar.tick();
  }
  bar.finish();
  return { runs, metrics: agentMetrics(runs) };
}

/** The ToolGen model's runs on every task, all tools on offer. */
export async function answerTasks(
  tasks: readonly DemoTask[],
  tg: ToolGenModel,
  tools: readonly Tool[],
  executor: ToolExecutor,
  loop: Partial<AgentLoopOptions>,
  policyOptions: Partial<ToolGenPolicyOptions> = {},
  onEvent?: (task: DemoTask, event: AgentEvent) => void,
): Promise<AnsweredTasks> {
  return runTasks(tasks, new ToolGenPolicy(tg, policyOptions), () => ({ tools }), executor, loop, onEvent);
}
