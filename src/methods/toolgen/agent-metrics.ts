/**
 * What a set of agent runs measures. With ground-truth answers: the pass rate (the final answer equals the truth
 * under eval/agent/answers.ts; deterministic, not StableToolBench's judged SoPR). Always: how runs end (finish,
 * give-up, step limit), steps, tool calls, retries, hallucinated actions (actions naming no tool), argument
 * validity (calls whose arguments parse and satisfy the schema) and required-parameter coverage; with relevant
 * APIs: their recall and precision among the tools called; with gold plans: argument exact match per JSON type.
 */
import { answersMatch } from '../../eval/agent/answers.js';
import type { ToolCall } from '../../data/types.js';
import { canonicalJson } from '../../tools/validate.js';
import type { JsonValue, Tool } from '../../tools/types.js';
import { validateJson } from '../../tools/validate.js';
import type { AgentTrajectory } from './agent-loop.js';

export interface AgentTaskRun {
  readonly id: string;
  readonly trajectory: AgentTrajectory;
  /** The ground-truth answer, when the task has one. */
  readonly truth?: string;
  /** Tools a good run calls (StableToolBench's relevant APIs), when known. */
  readonly relevant?: readonly string[];
  /** The gold calls, when known (argument exact match). */
  readonly plan?: readonly ToolCall[];
}

export interface AgentMetrics {
  readonly tasks: number;
  /** Share of tasks with a ground truth whose answer matches it (NaN when no task has one). */
  readonly passRate: number;
  readonly finishRate: number;
  readonly giveUpRate: number;
  readonly stepLimitRate: number;
  readonly meanSteps: number;
  readonly meanToolCalls: number;
  /** Retried steps per task. */
  readonly meanRetries: number;
  /** Share of actions that named no tool. */
  readonly hallucinatedActions: number;
  /** Share of tool calls whose arguments parse and satisfy the tool's schema. */
  readonly argumentValidity: number;
  /** Share of tool calls that give every required parameter. */
  readonly requiredCoverage: number;
  readonly relevantApiRecall: number;
  readonly relevantApiPrecision: number;
  /** Argument exact match by the gold value's JSON type, over gold calls whose tool the run called. */
  readonly argumentExactMatch: Readonly<Record<string, { readonly matched: number; readonly total: number }>>;
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

export function jsonType(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

export function agentMetrics(runs: readonly AgentTaskRun[]): AgentMetrics {
  const judged = runs.filter((r) => r.truth !== undefined);
  const ends = (type: string): number => mean(runs.map((r) => (r.trajectory.finishType === type ? 1 : 0)));
  const calls = runs.flatMap((r) => r.trajectory.steps.filter((s) => s.kind === 'call' || s.kind === 'invalid-arguments').map((s) => ({ s, r })));
  const actions = runs.flatMap((r) => r.trajectory.steps);
  const toolOf = (r: AgentTaskRun, id: string | undefined): Tool | undefined => r.trajectory.tools.find((t) => t.id === id);
  const valid = calls.map(({ s, r }) => {
    const tool = toolOf(r, s.action.toolId);
    return tool !== undefined && s.arguments !== undefined && validateJson(tool.parameters, s.arguments).length === 0 ? 1 : 0;
  });
  const covered = calls.map(({ s, r }) => {
    const tool = toolOf(r, s.action.toolId);
    const args = s.arguments;
    if (tool === undefined || args === null || typeof args !== 'object' || Array.isArray(args)) return 0;
    return tool.parameters.required.every((name) => name in args) ? 1 : 0;
  });
  const withRelevant = runs.filter((r) => r.relevant !== undefined && r.relevant.length > 0);
  const recall = withRelevant.map((r) => {
    const called = new Set(r.trajectory.steps.map((s) => s.action.toolId));
    return r.relevant!.filter((id) => called.has(id)).length / r.relevant!.length;
  });
  const precision = withRelevant.flatMap((r) => {
    const called = [...new Set(r.trajectory.steps.filter((s) => s.kind !== 'finish' && s.action.toolId !== undefined).map((s) => s.action.toolId!))];
    if (called.length === 0) return [];
    const relevant = new Set(r.relevant);
    return [called.filter((id) => relevant.has(id)).length / called.length];
  });
  const exact: Record<string, { matched: number; total: number }> = {};
  for (const r of runs) {
    for (const gold of r.plan ?? []) {
      const step = r.trajectory.steps.find((s) => s.action.toolId === gold.tool && s.kind !== 'unknown-action');
      if (step === undefined || gold.arguments === null || typeof gold.arguments !== 'object' || Array.isArray(gold.arguments)) continue;
      const got = step.arguments !== null && typeof step.arguments === 'object' && !Array.isArray(step.arguments) ? step.arguments : {};
      for (const [name, value] of Object.entries(gold.arguments)) {
        const entry = (exact[jsonType(value)] ??= { matched: 0, total: 0 });
        entry.total++;
        if (name in got && canonicalJson(got[name]!) === canonicalJson(value)) entry.matched++;
      }
    }
  }
  return {
    tasks: runs.length,
    passRate: mean(judged.map((r) => (r.trajectory.finishType === 'give_answer' && answersMatch(r.trajectory.answer, r.truth!) ? 1 : 0))),
    finishRate: ends('give_answer'),
    giveUpRate: ends('give_up'),
    stepLimitRate: ends('step_limit'),
    meanSteps: mean(runs.map((r) => r.trajectory.steps.length)),
    meanToolCalls: mean(runs.map((r) => r.trajectory.steps.filter((s) => s.kind === 'call' || s.kind === 'invalid-arguments').length)),
    meanRetries: mean(runs.map((r) => r.trajectory.steps.filter((s) => s.retries > 0).length)),
    hallucinatedActions: mean(actions.map((s) => (s.kind === 'unknown-action' ? 1 : 0))),
    argumentValidity: mean(valid),
    requiredCoverage: mean(covered),
    relevantApiRecall: mean(recall),
    relevantApiPrecision: mean(precision),
    argumentExactMatch: exact,
  };
}
