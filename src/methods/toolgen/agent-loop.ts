/**
 * ToolGen's agent loop (paper section 5, its released inference code and appendix D). The conversation is the one
 * agent tuning trains on (examples.ts `agentTuningExample`), turn for turn:
 *
 *   system:    the agent prompt (Finish offers give_answer and give_up_and_restart)
 *   user:      the task
 *   per step:  assistant thought; user "Generate the action."; assistant action (tool text, trie-constrained over
 *              the allowed tools plus Finish); user "Please give the input. Here is the documentation: {...}";
 *              assistant JSON arguments (schema-constrained); tool: the observation, cut to a set length
 *
 * A Finish with give_answer ends the task. Retry (appendix D): when a step gives up ("give_up_and_restart") or
 * apologises ("I'm sorry", "apologize") — or, as an option, repeats an earlier (action, arguments) pair — the step
 * is generated again at the next temperature of the schedule (0, 0.6, 1.0, 1.0, 1.0), up to its length in tries.
 *
 * The model side is an `AgentPolicy`, so the loop is the same for a ToolGen model, an in-context baseline and the
 * scripted policy of the tests. Nothing a tool does ends the run: failures and timeouts are observations.
 */
import type { ChatMessage } from '../../tokenizer/chat-template.js';
import type { JsonValue, Tool, ToolExecutor, ToolObservation } from '../../tools/types.js';
import { ACTION_PROMPT, argumentsPrompt, DEFAULT_AGENT_SYSTEM_PROMPT, FINISH_DOCUMENTATION, FINISH_FUNCTION, FINISH_TOOL, functionDocumentation, type TrajectoryFunction } from './examples.js';
import { canonicalJson } from '../../tools/validate.js';

/** How one turn is sampled: temperature 0 is greedy; the seed makes a sampled turn reproducible. */
export interface TurnSampling {
  readonly temperature: number;
  readonly seed: number;
}

/** The action a policy chose: the text it wrote and the tool that text names (undefined: no such tool). */
export interface ActionChoice {
  readonly text: string;
  readonly toolId: string | undefined;
}

/** Arguments as written; `value` is undefined when the text is not JSON (only possible without the schema mask). */
export interface ArgumentsChoice {
  readonly text: string;
  readonly value: JsonValue | undefined;
}

/** What a call's argument values may be copied from (generate/constraints/copy-values.ts). */
export interface CopyContext {
  /** The task, then the observations so far in order. */
  readonly texts: readonly string[];
  /** The arguments of the calls made so far, in order: the places they were copied from are taken. */
  readonly usedArguments: readonly JsonValue[];
}

/** What the agent asks of a model at each turn; `messages` is the conversation so far. */
export interface AgentPolicy {
  thought(messages: readonly ChatMessage[], sampling: TurnSampling): string;
  /** `allowed`: the tool ids (Finish included) the action may name when it is constrained. */
  action(messages: readonly ChatMessage[], allowed: readonly string[], sampling: TurnSampling): ActionChoice;
  /** `context`: the texts argument values are copied from, and the values earlier calls took from them. */
  arguments(messages: readonly ChatMessage[], tool: Tool, context: CopyContext, sampling: TurnSampling): ArgumentsChoice;
  /** The text the model writes for a tool (its index text); shown in the conversation. */
  toolText(toolId: string): string;
}

export interface AgentLoopOptions {
  /** Most steps (tool calls and the final Finish) before the run stops (ToolGen: 16). */
  readonly maxSteps: number;
  /** Longest observation kept in the conversation, in characters. */
  readonly maxObservationChars: number;
  /** Temperatures of the tries of one step; one entry turns retry off. */
  readonly retryTemperatures: readonly number[];
  /** Also retry a step whose (action, arguments) pair was already called in this run. */
  readonly retryOnRepeat: boolean;
  readonly systemPrompt: string;
  readonly seed: number;
}

/** ToolGen's settings: 16 steps, appendix D's retry schedule. */
export const DEFAULT_RETRY_TEMPERATURES: readonly number[] = [0, 0.6, 1.0, 1.0, 1.0];

export const defaultAgentLoopOptions: AgentLoopOptions = {
  maxSteps: 16,
  maxObservationChars: 1024,
  retryTemperatures: DEFAULT_RETRY_TEMPERATURES,
  retryOnRepeat: false,
  systemPrompt: DEFAULT_AGENT_SYSTEM_PROMPT,
  seed: 0,
};

/** ToolGen's observation for an action that names no tool (only reachable without the constraint). */
export const UNKNOWN_ACTION_OBSERVATION = 'Action does not exist. Please try again.';

export type StepKind = 'call' | 'finish' | 'unknown-action' | 'invalid-arguments';

export interface AgentStep {
  readonly thought: string;
  readonly action: ActionChoice;
  readonly argumentsText: string;
  readonly arguments: JsonValue | undefined;
  /** What the model read back (already cut to maxObservationChars); empty for a Finish. */
  readonly observation: string;
  /** The executor's result (absent for Finish, unknown actions and unparsable arguments). */
  readonly result?: ToolObservation;
  readonly kind: StepKind;
  /** Tries this step took beyond the first. */
  readonly retries: number;
}

export type FinishType = 'give_answer' | 'give_up' | 'step_limit';

export interface AgentTrajectory {
  readonly task: string;
  readonly steps: readonly AgentStep[];
  readonly finishType: FinishType;
  /** The final answer of a give_answer (empty otherwise). */
  readonly answer: string;
  /** The whole conversation, as the model saw it, system prompt included. */
  readonly messages: readonly ChatMessage[];
  /** The tools that were on offer (Finish not included). */
  readonly tools: readonly Tool[];
}

/** What the loop tells as it goes, so a caller can print each turn as it happens. */
export type AgentEvent =
  | { kind: 'thought'; step: number; text: string }
  | { kind: 'action'; step: number; choice: ActionChoice }
  | { kind: 'arguments'; step: number; text: string }
  | { kind: 'observation'; step: number; text: string }
  | { kind: 'retry'; step: number; attempt: number; temperature: number; reason: string }
  | { kind: 'finish'; finishType: FinishType; answer: string };

export interface RunAgentInput {
  readonly task: string;
  readonly policy: AgentPolicy;
  /** The tools the agent may call (the Finish action is added by the loop). */
  readonly tools: readonly Tool[];
  readonly executor: ToolExecutor;
  readonly options?: Partial<AgentLoopOptions>;
  readonly onEvent?: (event: AgentEvent) => void;
  /** Cancels the run before its next turn and any tool call in flight; runAgent then rejects with its reason. */
  readonly signal?: AbortSignal;
}

const APOLOGY = /I'?m sorry|apologi[sz]e/i;

/** The documentation of a tool as the arguments turn shows it. */
export function toolDocumentation(tool: Tool, text: string): string {
  if (tool.id === FINISH_FUNCTION) return JSON.stringify({ name: text, ...FINISH_DOCUMENTATION });
  return functionDocumentation(toolAsFunction(tool), text);
}

/** A tool as a ToolBench answer file lists it. */
export function toolAsFunction(tool: Tool): TrajectoryFunction {
  return { name: tool.name, description: tool.description, parameters: tool.parameters as unknown as TrajectoryFunction['parameters'] };
}

/** The give-up text of a Finish's arguments, or undefined when they give an answer. */
function finishOf(args: JsonValue | undefined): { giveUp: boolean; answer: string } {
  const o = args !== null && typeof args === 'object' && !Array.isArray(args) ? args : {};
  const answer = typeof o.final_answer === 'string' ? o.final_answer : o.final_answer === undefined ? '' : JSON.stringify(o.final_answer);
  return { giveUp: o.return_type !== 'give_answer', answer };
}

/** The observation text of a tool result, in ToolBench's `{"error", "response"}` shape, cut to `max` characters. */
export function observationText(result: ToolObservation, max: number): string {
  const text = JSON.stringify(result.ok ? { error: '', response: result.content } : { error: result.error, response: '' });
  return truncate(text, max);
}

const truncate = (text: string, max: number): string => (text.length > max ? text.slice(0, max) : text);

/** One generated step before it is accepted: the turns it adds and what it did. */
interface Attempt {
  readonly step: AgentStep;
  readonly turns: ChatMessage[];
  readonly retryReason: string | undefined;
  readonly finish: { giveUp: boolean; answer: string } | undefined;
}

export async function runAgent(input: RunAgentInput): Promise<AgentTrajectory> {
  const o: AgentLoopOptions = { ...defaultAgentLoopOptions, ...input.options };
  if (!Number.isInteger(o.maxSteps) || o.maxSteps < 1) throw new Error(`agent: maxSteps must be a positive integer, got ${o.maxSteps}`);
  if (o.retryTemperatures.length === 0) throw new Error('agent: retryTemperatures needs at least one temperature (one means no retry)');
  const { policy, executor } = input;
  const emit = input.onEvent ?? (() => {});
  const byId = new Map(input.tools.map((t) => [t.id, t]));
  const finishTool = byId.get(FINISH_FUNCTION) ?? FINISH_TOOL;
  const offered = input.tools.filter((t) => t.id !== FINISH_FUNCTION);
  const allowed = [...offered.map((t) => t.id), FINISH_FUNCTION];
  const messages: ChatMessage[] = [
    { role: 'system', content: o.systemPrompt },
    { role: 'user', content: input.task.trim() },
  ];
  const context: string[] = [input.task];
  const usedArguments: JsonValue[] = [];
  const called = new Set<string>();
  const steps: AgentStep[] = [];

  const { signal } = input;
  const attempt = async (sampling: TurnSampling): Promise<Attempt> => {
    signal?.throwIfAborted();
    const turns: ChatMessage[] = [];
    const view = (): ChatMessage[] => [...messages, ...turns];
    const thought = policy.thought(view(), sampling).trim();
    if (thought !== '') turns.push({ role: 'assistant', content: thought }, { role: 'user', content: ACTION_PROMPT });
    const action = policy.action(view(), allowed, sampling);
    turns.push({ role: 'assistant', content: action.text });
    const base = { thought, action, retries: 0 };
    const tool = action.toolId === FINISH_FUNCTION ? finishTool : action.toolId === undefined ? undefined : byId.get(action.toolId);
    if (tool === undefined) {
      // Named no tool, or a tool of the model's index that the catalog lacks: either way the model reads that it
      // does not exist and tries again, as in ToolGen.
      turns.push({ role: 'tool', content: UNKNOWN_ACTION_OBSERVATION });
      const step: AgentStep = { ...base, argumentsText: '', arguments: undefined, observation: UNKNOWN_ACTION_OBSERVATION, kind: 'unknown-action' };
      return { step, turns, retryReason: APOLOGY.test(thought) ? 'the thought apologises' : undefined, finish: undefined };
    }
    turns.push({ role: 'user', content: argumentsPrompt(toolDocumentation(tool, action.text)) });
    signal?.throwIfAborted();
    const args = policy.arguments(view(), tool, { texts: context, usedArguments }, sampling);
    turns.push({ role: 'assistant', content: args.text });
    if (tool.id === FINISH_FUNCTION) {
      const finish = finishOf(args.value);
      const step: AgentStep = { ...base, argumentsText: args.text, arguments: args.value, observation: '', kind: 'finish' };
      const reason = finish.giveUp ? 'the step gives up' : APOLOGY.test(thought) || APOLOGY.test(finish.answer) ? 'the step apologises' : undefined;
      return { step, turns, retryReason: reason, finish };
    }
    let result: ToolObservation | undefined;
    let observation: string;
    let kind: StepKind = 'call';
    if (args.value === undefined) {
      kind = 'invalid-arguments';
      observation = truncate(JSON.stringify({ error: `the input of ${action.text} is not valid JSON: ${args.text}`, response: '' }), o.maxObservationChars);
    } else {
      result = await callSafely(executor, tool.id, args.value, signal);
      signal?.throwIfAborted();
      observation = observationText(result, o.maxObservationChars);
    }
    turns.push({ role: 'tool', content: observation });
    const step: AgentStep = { ...base, argumentsText: args.text, arguments: args.value, observation, kind, ...(result ? { result } : {}) };
    const key = `${tool.id}\u0000${args.value === undefined ? args.text : canonicalJson(args.value)}`;
    const reason = APOLOGY.test(thought) ? 'the thought apologises' : o.retryOnRepeat && called.has(key) ? 'the step repeats an earlier call' : undefined;
    return { step, turns, retryReason: reason, finish: undefined };
  };

  for (let s = 0; s < o.maxSteps; s++) {
    let chosen: Attempt | undefined;
    for (let t = 0; t < o.retryTemperatures.length; t++) {
      const temperature = o.retryTemperatures[t]!;
      if (t > 0) emit({ kind: 'retry', step: s, attempt: t, temperature, reason: chosen!.retryReason! });
      chosen = await attempt({ temperature, seed: o.seed * 7919 + s * 31 + t });
      chosen = { ...chosen, step: { ...chosen.step, retries: t } };
      if (chosen.retryReason === undefined) break;
    }
    const { step, turns, finish } = chosen!;
    if (step.thought !== '') emit({ kind: 'thought', step: s, text: step.thought });
    emit({ kind: 'action', step: s, choice: step.action });
    if (step.kind !== 'unknown-action') emit({ kind: 'arguments', step: s, text: step.argumentsText });
    if (step.kind !== 'finish') emit({ kind: 'observation', step: s, text: step.observation });
    messages.push(...turns);
    steps.push(step);
    if (step.kind === 'call' || step.kind === 'invalid-arguments') {
      // The tool's own content (not its JSON envelope) is what later values are copied from.
      context.push(step.result?.ok ? step.result.content : step.observation);
      if (step.arguments !== undefined) usedArguments.push(step.arguments);
      if (step.action.toolId !== undefined) called.add(`${step.action.toolId}\u0000${step.arguments === undefined ? step.argumentsText : canonicalJson(step.arguments)}`);
    }
    if (finish !== undefined) {
      const finishType: FinishType = finish.giveUp ? 'give_up' : 'give_answer';
      emit({ kind: 'finish', finishType, answer: finish.giveUp ? '' : finish.answer });
      return { task: input.task, steps, finishType, answer: finish.giveUp ? '' : finish.answer, messages, tools: offered };
    }
  }
  emit({ kind: 'finish', finishType: 'step_limit', answer: '' });
  return { task: input.task, steps, finishType: 'step_limit', answer: '', messages, tools: offered };
}

/** An executor that throws (a bug, a broken connection) still gives the model an observation. */
async function callSafely(executor: ToolExecutor, toolId: string, args: JsonValue, signal: AbortSignal | undefined): Promise<ToolObservation> {
  try {
    return await executor.call(toolId, args, signal ? { signal } : {});
  } catch (err) {
    return { ok: false, kind: 'failed', error: `${toolId} failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** One line per turn, as a person reads a run. */
export function formatAgentEvent(e: AgentEvent): string {
  switch (e.kind) {
    case 'thought':
      return `[step ${e.step + 1}] Thought: ${e.text}`;
    case 'action':
      return `[step ${e.step + 1}] Action: ${e.choice.text}${e.choice.toolId === undefined ? ' (no such tool)' : e.choice.toolId === e.choice.text ? '' : ` = ${e.choice.toolId}`}`;
    case 'arguments':
      return `[step ${e.step + 1}] Arguments: ${e.text}`;
    case 'observation':
      return `[step ${e.step + 1}] Observation: ${e.text}`;
    case 'retry':
      return `[step ${e.step + 1}] retry ${e.attempt} at temperature ${e.temperature}: ${e.reason}`;
    case 'finish':
      return e.finishType === 'give_answer' ? `Answer: ${e.answer}` : e.finishType === 'give_up' ? 'The agent gave up.' : 'The agent reached the step limit without an answer.';
  }
}
