/**
 * The in-context baseline of ToolGen's agent: the paper's ToolLlama + retriever setting, where the model reads the
 * documentation of a few retrieved tools in its prompt and names a tool by writing its name. Each step is one
 * assistant turn in the ReAct form
 *
 *   Thought: <free text>
 *   Action: <a tool name from the prompt, or Finish>
 *   Action Input: <JSON arguments>
 *
 * followed by the tool's observation; the system prompt lists the candidate tools and Finish, one signature each.
 *
 * The policy plugs into the same agent loop as ToolGen's (agent-loop.ts), so both run on the same tasks, executors,
 * step limit and retry schedule. The loop speaks in ToolGen's turns (thought; "Generate the action."; action;
 * "Please give the input..."; arguments; observation); `reactMessages` rewrites that conversation into ReAct turns
 * and hands back the unfinished step, which the model continues after its field label. Nothing is constrained: the
 * name is read back from the text (a name not on offer is a hallucinated action) and the input must parse as JSON,
 * as in ToolLlama. Training conversations for the baseline are the same rewrite of gold runs (`reactConversation`),
 * so training and inference see identical text.
 */
import { chatPromptIds, type ChatMessage } from '../../tokenizer/chat-template.js';
import type { JsonSchema, Tool } from '../../tools/types.js';
import type { ActionChoice, AgentPolicy, ArgumentsChoice, CopyContext, TurnSampling } from './agent-loop.js';
import { ACTION_PROMPT, argumentsPrompt, FINISH_FUNCTION, FINISH_TOOL } from './examples.js';
import type { ToolGenModel } from './model.js';
import { parseJson, TurnDecoder } from './turn-decoding.js';

/**
 * The system prompt of the in-context agent: how to answer, then one line per offered tool and Finish. The lines are
 * signatures (`name(param: type, optional?: type): description`, enums as their values) rather than ToolGen's JSON
 * documentation, which for five tools fills most of a small model's context before the first step.
 */
export function reactSystemPrompt(tools: readonly Tool[]): string {
  return [
    'Complete the user\'s task with the tools below. Write each step as',
    'Thought: what to do next',
    'Action: one tool name',
    'Action Input: its input as a JSON object',
    'and read the result. End with Action: Finish, whose input has return_type "give_answer" and the final_answer,',
    'or return_type "give_up_and_restart" when the task cannot be done.',
    'Tools:',
    ...[...tools.filter((t) => t.id !== FINISH_FUNCTION), FINISH_TOOL].map(toolSignature),
  ].join('\n');
}

/** A tool in one line: its name, parameters (optional ones marked `?`) with their types, and description. */
export function toolSignature(tool: Tool): string {
  const required = new Set(tool.parameters.required);
  const parameters = Object.entries(tool.parameters.properties).map(([name, schema]) => `${name}${required.has(name) ? '' : '?'}: ${typeText(schema)}`);
  return `${tool.name}(${parameters.join(', ')}): ${tool.description}`;
}

function typeText(schema: JsonSchema): string {
  if (schema.enum !== undefined) return schema.enum.map((v) => JSON.stringify(v)).join('|');
  if (schema.type === 'array') return `${schema.items === undefined ? 'any' : typeText(schema.items)}[]`;
  if (Array.isArray(schema.type)) return schema.type.join('|');
  return schema.type ?? 'any';
}

const THOUGHT = 'Thought:';
const ACTION = 'Action:';
const INPUT = 'Action Input:';

interface PartialStep {
  thought?: string;
  action?: string;
  input?: string;
}

/** A step's text up to its last field written so far. */
function stepText(step: PartialStep): string {
  const lines = [`${THOUGHT} ${step.thought ?? ''}`];
  if (step.action !== undefined) lines.push(`${ACTION} ${step.action}`);
  if (step.input !== undefined) lines.push(`${INPUT} ${step.input}`);
  return lines.join('\n');
}

const ARGUMENTS_PROMPT_START = argumentsPrompt('');

/**
 * The agent loop's conversation as ReAct turns: the system prompt and task as they are, one assistant turn per
 * finished step, the observations as tool turns; `open` is the step in progress (empty when none has begun).
 */
export function reactMessages(loop: readonly ChatMessage[]): { messages: ChatMessage[]; open: PartialStep | undefined } {
  const messages: ChatMessage[] = [];
  let step: PartialStep | undefined;
  let expect: 'thought-or-action' | 'action' | 'input' = 'thought-or-action';
  for (let i = 0; i < loop.length; i++) {
    const m = loop[i]!;
    if (m.role === 'system' || (m.role === 'user' && step === undefined && expect === 'thought-or-action')) {
      messages.push(m);
    } else if (m.role === 'user') {
      if (m.content === ACTION_PROMPT) expect = 'action';
      else if (m.content.startsWith(ARGUMENTS_PROMPT_START)) expect = 'input';
    } else if (m.role === 'tool') {
      messages.push({ role: 'assistant', content: stepText(step ?? {}) }, { role: 'tool', content: m.content });
      step = undefined;
      expect = 'thought-or-action';
    } else if (expect === 'input') {
      step = { ...step, input: m.content };
    } else if (expect === 'action') {
      step = { ...step, action: m.content };
    } else {
      // A thought is followed by the loop's request for the action; a step without a thought starts with its action.
      step = loop[i + 1]?.content === ACTION_PROMPT ? { thought: m.content } : { thought: '', action: m.content };
    }
  }
  return { messages, open: step };
}

/** A gold run's conversation (the loop's turns) as the in-context agent is trained on it. */
export function reactConversation(loop: readonly ChatMessage[]): ChatMessage[] {
  const { messages, open } = reactMessages(loop);
  return open === undefined ? messages : [...messages, { role: 'assistant', content: stepText(open) }];
}

export interface ReactPolicyOptions {
  readonly maxThoughtTokens: number;
  readonly maxNameTokens: number;
  readonly maxArgumentTokens: number;
}

export const defaultReactPolicyOptions: ReactPolicyOptions = { maxThoughtTokens: 48, maxNameTokens: 24, maxArgumentTokens: 96 };

/**
 * Tokens of the prompt's opening kept when a conversation is cut to fit: the whole system prompt and task, which
 * hold the tools' documentation (a cut conversation loses its middle steps instead).
 */
const KEEP_OPENING = 768;

export class ReactPolicy implements AgentPolicy {
  private readonly decoder: TurnDecoder;
  /** Tokens whose text holds a line break: a thought or a name ends there. */
  private readonly lineBreaks: number[] = [];
  private readonly names: ReadonlyMap<string, Tool>;
  readonly options: ReactPolicyOptions;

  /** `tools`: every tool the policy may be offered (their names are what it writes). */
  constructor(
    tg: Pick<ToolGenModel, 'model' | 'tokenizer'>,
    tools: readonly Tool[],
    options: Partial<ReactPolicyOptions> = {},
  ) {
    this.options = { ...defaultReactPolicyOptions, ...options };
    this.decoder = new TurnDecoder(tg.model, tg.tokenizer);
    const table = this.decoder.vocabulary.table;
    for (let id = 0; id < tg.tokenizer.vocabSize; id++) if (table.tokenBytes(id).includes(0x0a)) this.lineBreaks.push(id);
    this.names = new Map([...tools, FINISH_TOOL].map((t) => [t.id, t]));
  }

  toolText(toolId: string): string {
    return this.names.get(toolId)?.name ?? toolId;
  }

  thought(messages: readonly ChatMessage[], sampling: TurnSampling): string {
    return this.continueStep(messages, THOUGHT, this.options.maxThoughtTokens, sampling, true);
  }

  action(messages: readonly ChatMessage[], allowed: readonly string[], sampling: TurnSampling): ActionChoice {
    const text = this.continueStep(messages, ACTION, this.options.maxNameTokens, sampling, true);
    const toolId = allowed.find((id) => this.toolText(id) === text);
    return { text, toolId };
  }

  arguments(messages: readonly ChatMessage[], _tool: Tool, _context: CopyContext, sampling: TurnSampling): ArgumentsChoice {
    const text = this.continueStep(messages, INPUT, this.options.maxArgumentTokens, sampling, false);
    return { text, value: parseJson(text) };
  }

  /**
   * The model's continuation of the step in progress after `label`: the conversation as ReAct turns, then the open
   * assistant turn with the fields written so far and the label. The label ends without its space, which the model
   * writes with the first word, as the tokenizer split it in training.
   */
  private continueStep(messages: readonly ChatMessage[], label: string, maxTokens: number, sampling: TurnSampling, oneLine: boolean): string {
    const { messages: turns, open } = reactMessages(messages);
    const written = open === undefined ? '' : `${stepText(open)}\n`;
    const prefix = label === THOUGHT ? label : `${written}${label}`;
    const { tokenizer } = this.decoder;
    const ids = [...chatPromptIds(tokenizer, turns), ...tokenizer.encode(prefix)];
    const prompt = this.decoder.fit(ids, maxTokens, KEEP_OPENING);
    const { text } = this.decoder.generate(prompt, maxTokens, sampling, undefined, oneLine ? this.lineBreaks : []);
    return (oneLine ? text : text.split('\n')[0]!).trim();
  }
}
