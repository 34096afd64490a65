/**
 * A policy that plays a gold plan: the calls of the plan in order, each after a thought that quotes the part of the
 * task it does (quoted-thoughts.ts), then Finish with the last result as the answer. Run through the agent loop on the real tools, it writes the
 * agent-tuning conversation of a task exactly as the model will see it at inference (prompts, documentation,
 * observations and their truncation included), so training and inference cannot drift apart.
 */
import type { ChatExample, ToolCall } from '../../data/types.js';
import type { ChatMessage } from '../../tokenizer/chat-template.js';
import type { Tool, ToolExecutor } from '../../tools/types.js';
import { runAgent, type ActionChoice, type AgentLoopOptions, type AgentPolicy, type ArgumentsChoice, type CopyContext } from './agent-loop.js';
import { FINISH_FUNCTION } from './examples.js';
import { FINISH_THOUGHT, planSteps } from './quoted-thoughts.js';

/** The answer a result gives: a JSON string's text, anything else as it reads. */
export function answerOf(content: string): string {
  try {
    const value: unknown = JSON.parse(content);
    return typeof value === 'string' ? value : content;
  } catch {
    return content;
  }
}


export class PlanPolicy implements AgentPolicy {
  constructor(
    private readonly plan: readonly ToolCall[],
    /** The part of the task each call does, quoted by its thought. */
    private readonly steps: readonly string[],
    tools: ReadonlyMap<string, Tool>,
    readonly toolText: (toolId: string) => string,
  ) {
    for (const call of plan) if (!tools.has(call.tool)) throw new Error(`gold plan: tool '${call.tool}' is not in the catalog`);
    if (steps.length !== plan.length) throw new Error(`gold plan: ${plan.length} calls but ${steps.length} step texts`);
  }

  /** The index of the plan's next call (the plan's length: time to finish), counted by the observations so far. */
  private position(messages: readonly ChatMessage[]): number {
    return messages.filter((m) => m.role === 'tool').length;
  }

  private next(messages: readonly ChatMessage[]): ToolCall | undefined {
    return this.plan[this.position(messages)];
  }

  thought(messages: readonly ChatMessage[]): string {
    return this.steps[this.position(messages)] ?? FINISH_THOUGHT;
  }

  action(messages: readonly ChatMessage[]): ActionChoice {
    const toolId = this.next(messages)?.tool ?? FINISH_FUNCTION;
    return { text: this.toolText(toolId), toolId };
  }

  arguments(messages: readonly ChatMessage[], _tool: Tool, context: CopyContext): ArgumentsChoice {
    const call = this.next(messages);
    const value = call?.arguments ?? { return_type: 'give_answer', final_answer: answerOf(context.texts[context.texts.length - 1] ?? '') };
    return { text: JSON.stringify(value), value };
  }
}

/**
 * The agent-tuning conversation of a task: its gold plan played through the agent loop on real tools. Throws when
 * the plan does not end in an answer (a step failed the loop's checks), since such a run teaches nothing good.
 */
export async function goldConversation(input: {
  readonly task: string;
  readonly plan: readonly ToolCall[];
  readonly tools: readonly Tool[];
  readonly executor: ToolExecutor;
  readonly toolText: (toolId: string) => string;
  /** The part of the task each call does; default `planSteps` of the task (its sentences, or all of it for one call). */
  readonly steps?: readonly string[];
  readonly options?: Partial<AgentLoopOptions>;
}): Promise<ChatExample> {
  const steps = input.steps ?? planSteps(input.task, input.plan.length);
  const policy = new PlanPolicy(input.plan, steps, new Map(input.tools.map((t) => [t.id, t])), input.toolText);
  const run = await runAgent({ task: input.task, policy, tools: input.tools, executor: input.executor, options: { ...input.options, retryTemperatures: [0] } });
  const failed = run.steps.find((s) => s.result !== undefined && !s.result.ok);
  if (failed !== undefined) throw new Error(`gold plan of ${JSON.stringify(input.task)}: ${failed.action.toolId} failed: ${failed.observation}`);
  if (run.finishType !== 'give_answer') throw new Error(`gold plan of ${JSON.stringify(input.task)} ended with ${run.finishType}`);
  return { messages: [...run.messages] };
}
