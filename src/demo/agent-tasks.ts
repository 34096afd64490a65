/**
 * The agent part of the demo: agent-tuning conversations built by playing gold plans through the agent loop
 * (single-call training queries and multi-step tasks alike), and held-out multi-step tasks answered end to end by
 * the trained model, scored by pass rate against the answers the gold plans computed.
 */
import type { DemoTask } from '../data/demo/tasks.js';
import type { ChatExample, RetrievalQuery } from '../data/types.js';
import { runAgent, type AgentEvent, type AgentLoopOptions, type AgentTrajectory } from '../methods/toolgen/agent-loop.js';
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
    out.push(await goldConversation({ task: t.task, plan: t.plan, tools, executor, toolText: (id) => tg.index.toolToText(id), options }));
    bar.tick();
  }
  bar.finish();
  return out;
}

export interface AnsweredTasks {
  readonly runs: AgentTaskRun[];
  readonly metrics: AgentMetrics;
}

/** Runs the agent on every task and scores the runs; `onEvent` sees the turns of each task as they happen. */
export async function answerTasks(
  tasks: readonly DemoTask[],
  tg: ToolGenModel,
  tools: readonly Tool[],
  executor: ToolExecutor,
  loop: Partial<AgentLoopOptions>,
  policyOptions: Partial<ToolGenPolicyOptions> = {},
  onEvent?: (task: DemoTask, event: AgentEvent) => void,
): Promise<AnsweredTasks> {
  const policy = new ToolGenPolicy(tg, policyOptions);
  const bar = new ProgressBar({ total: tasks.length, label: 'agent tasks', unit: 'task' });
  const runs: AgentTaskRun[] = [];
  for (const t of tasks) {
    const trajectory: AgentTrajectory = await runAgent({ task: t.task, policy, tools, executor, options: loop, ...(onEvent ? { onEvent: (e: AgentEvent) => onEvent(t, e) } : {}) });
    runs.push({ id: t.id, trajectory, truth: t.answer, relevant: [...new Set(t.plan.map((c) => c.tool))], plan: t.plan });
    bar.tick();
  }
  bar.finish();
  return { runs, metrics: agentMetrics(runs) };
}
