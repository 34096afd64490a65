/**
 * The ToolGen model as an `AgentPolicy`: thoughts quote the next part of the task (quoted-thoughts.ts), the
 * action is sampled under a trie of the allowed tools' token sequences (or freely, for the hallucination
 * measurement, and read back through the index), and the arguments are sampled under the tool's JSON-Schema mask,
 * with values copied from the context when `copyValues` is on (generate/constraints/copy-values.ts): the task as far
 * as the step's thought has read it and the observations for a tool's arguments, the last observation for the
 * Finish's answer. With a lexical prior, BM25 over the tools' documents is mixed into the constrained action.
 *
 * Every turn renders the conversation with the chat template and generates from it; a conversation longer than
 * the model's context keeps its opening (system prompt and task) and its most recent turns.
 */
import type { LogitsHook } from '../../generate/generate.js';
import type { LogitsProcessor } from '../../generate/constraints/logits-processor.js';
import { ToolTrie } from '../../generate/constraints/tool-trie.js';
import { priorProcessor } from '../../generate/constraints/trie-prior.js';
import { argumentBindings, type ValueReference } from '../../generate/constraints/copy-binding.js';
import type { LexicalPrior } from '../../retrieval/lexical-prior.js';
import { chatPromptIds, type ChatMessage } from '../../tokenizer/chat-template.js';
import type { JsonValue, Tool } from '../../tools/types.js';
import type { ActionChoice, AgentPolicy, ArgumentsChoice, CopyContext, TurnSampling } from './agent-loop.js';
import { ACTION_PROMPT, FINISH_FUNCTION } from './examples.js';
import { nextThoughts, taskThrough } from './quoted-thoughts.js';
import type { ToolGenModel } from './model.js';
import { parseJson, TurnDecoder, type DecodedTurn } from './turn-decoding.js';

export interface ToolGenPolicyOptions {
  /** Restrict the action to the allowed tools' token sequences (ToolGen's constraint). */
  readonly constrainActions: boolean;
  /** Decode arguments under the tool's JSON-Schema mask. */
  readonly constrainArguments: boolean;
  /** Offer the context's values as the candidates of free string and number parameters (needs the mask). */
  readonly copyValues: boolean;
  /**
   * With copyValues, a value goes to a call only as often as it occurs, and the places earlier calls copied from
   * are taken ("each word of the request fills at most one argument").
   */
  readonly copyCoverage: boolean;
  /** Thoughts quote the next part of the task, or say it is done (quoted-thoughts.ts); free text without. */
  readonly quoteThoughts: boolean;
  /**
   * With copyValues, a value the step's words introduce by a parameter's name ("saturation 39", "hue the result")
   * goes to that parameter only (generate/constraints/copy-binding.ts); "the result" stands for the last
   * observation's response.
   */
  readonly bindArguments: boolean;
  readonly maxThoughtTokens: number;
  readonly maxArgumentTokens: number;
  /**
   * BM25 over the tools' documents mixed into the constrained action (retrieval/lexical-prior.ts), read against the
   * step's thought: how the agent reaches tools that no training query named (a catalog's new tools). Off when absent.
   */
  readonly lexicalPrior?: LexicalPrior;
}

export const defaultToolGenPolicyOptions: ToolGenPolicyOptions = {
  constrainActions: true,
  constrainArguments: true,
  copyValues: true,
  copyCoverage: true,
  quoteThoughts: true,
  bindArguments: true,
  maxThoughtTokens: 48,
  maxArgumentTokens: 96,
};

/** How a step refers to the previous call's result. */
const RESULT_PHRASES = ['the result'];

/**
 * The references to the last observation's response (agent-loop.ts observationText: `{"error", "response"}`): the
 * response as the value it encodes (a number, a string), or as its text; none for an error or no observation.
 */
export function resultReferences(observation: string | undefined): ValueReference[] {
  if (observation === undefined) return [];
  const outer = parseJson(observation);
  if (outer === undefined || outer === null || typeof outer !== 'object' || Array.isArray(outer)) return [];
  const { error, response } = outer as { error?: JsonValue; response?: JsonValue };
  if ((typeof error === 'string' && error !== '') || typeof response !== 'string' || response === '') return [];
  const inner = parseJson(response);
  const value = typeof inner === 'number' || typeof inner === 'string' ? inner : response;
  return RESULT_PHRASES.map((phrase) => ({ phrase, value }));
}

/** Tokens of the prompt's opening kept when a conversation is cut to fit (the system prompt and the task). */
const KEEP_OPENING = 160;

export class ToolGenPolicy implements AgentPolicy {
  private readonly decoder: TurnDecoder;
  private readonly tries = new Map<string, ToolTrie>();
  private readonly longestTool: number;
  readonly options: ToolGenPolicyOptions;

  constructor(
    private readonly tg: Pick<ToolGenModel, 'model' | 'tokenizer' | 'index'>,
    options: Partial<ToolGenPolicyOptions> = {},
  ) {
    this.options = { ...defaultToolGenPolicyOptions, ...options };
    this.decoder = new TurnDecoder(tg.model, tg.tokenizer);
    this.longestTool = Math.max(1, ...tg.index.sequences(tg.tokenizer).map((s) => s.tokens.length));
  }

  toolText(toolId: string): string {
    return this.tg.index.toolToText(toolId);
  }

  thought(messages: readonly ChatMessage[], sampling: TurnSampling): string {
    if (!this.options.quoteThoughts) return this.generate(messages, this.options.maxThoughtTokens, sampling).text;
    const task = messages.find((m) => m.role === 'user')?.content ?? '';
    const candidates = nextThoughts(task, quotedThoughts(messages));
    const sequences = candidates.map((text) => ({ toolId: text, tokens: this.tg.tokenizer.encode(text) }));
    const trie = new ToolTrie(sequences, this.decoder.terminator);
    const mask = trie.processor();
    const longest = Math.max(...sequences.map((q) => q.tokens.length));
    const { tokens } = this.generate(messages, longest + 1, sampling, (logits, generated) => mask(logits, generated));
    return trie.walk(tokens)?.toolId ?? this.tg.tokenizer.decode(tokens);
  }

  action(messages: readonly ChatMessage[], allowed: readonly string[], sampling: TurnSampling): ActionChoice {
    const { index, tokenizer } = this.tg;
    if (!this.options.constrainActions) {
      const text = this.generate(messages, this.longestTool + 1, sampling).text.trim();
      return { text, toolId: index.textToTool(text) };
    }
    const constrained = (trie: ToolTrie, mask: LogitsProcessor): ActionChoice => {
      const { tokens } = this.generate(messages, this.longestTool + 1, sampling, (logits, generated) => mask(logits, generated));
      const text = tokens.length === 0 ? '' : tokenizer.decode(tokens).trim();
      return { text, toolId: trie.walk(tokens)?.toolId ?? index.textToTool(text) };
    };
    const trie = this.trie(allowed);
    const own = constrained(trie, trie.processor());
    const prior = this.options.lexicalPrior;
    // The prior is about tools, not about stopping: the model alone decides to Finish (Finish has no document, so
    // a prior over the tools would never let it win), and the prior then mixes into which tool it calls.
    const tools = allowed.filter((id) => id !== FINISH_FUNCTION);
    if (prior === undefined || own.toolId === FINISH_FUNCTION || tools.length === 0) return own;
    const toolTrie = this.trie(tools);
    return constrained(toolTrie, priorProcessor(toolTrie, prior.forQuery(this.stepText(messages), toolTrie)));
  }

  arguments(messages: readonly ChatMessage[], tool: Tool, context: CopyContext, sampling: TurnSampling): ArgumentsChoice {
    const budget = this.options.maxArgumentTokens;
    if (!this.options.constrainArguments) {
      const text = this.generate(messages, budget, sampling).text.trim();
      return { text, value: parseJson(text) };
    }
    // The final answer is copied from what the last call returned: offered every observation (or the task's
    // hundreds of word spans as well), the demo's model picked another one for 20 (32) of 40 teacher-forced answers.
    // Coverage does not apply to it: the answer is the last result, whichever call used it before.
    const finish = tool.id === FINISH_FUNCTION;
    const quote = this.options.quoteThoughts ? quotedThoughts(messages).at(-1) : undefined;
    const [task = '', ...observations] = context.texts;
    const texts = finish ? observations.slice(-1) : quote === undefined ? context.texts : [taskThrough(task, quote), ...observations];
    const copy = !this.options.copyValues ? 'off' : this.options.copyCoverage && !finish ? 'coverage' : 'on';
    const prompt = chatPromptIds(this.tg.tokenizer, messages);
    const bindings = copy === 'off' || finish || !this.options.bindArguments
      ? undefined
      : argumentBindings(tool.parameters, quote ?? task, resultReferences(observations.at(-1)));
    return this.decoder.jsonArguments(prompt, tool, { ...context, texts }, { copy, maxTokens: budget, keepOpening: KEEP_OPENING, ...(bindings ? { bindings } : {}) }, sampling);
  }

  /** What the step is about: its thought, or the task when the thought says nothing (free thoughts may be empty). */
  private stepText(messages: readonly ChatMessage[]): string {
    const thought = quotedThoughts(messages).at(-1)?.trim();
    return thought === undefined || thought === '' ? messages.find((m) => m.role === 'user')?.content ?? '' : thought;
  }

  private trie(allowed: readonly string[]): ToolTrie {
    const key = allowed.join('\u0000');
    let trie = this.tries.get(key);
    if (trie === undefined) {
      const known = new Set(this.tg.index.toolIds());
      trie = new ToolTrie(this.tg.index.sequences(this.tg.tokenizer, allowed.filter((id) => known.has(id))), this.decoder.terminator);
      this.tries.set(key, trie);
    }
    return trie;
  }

  private generate(messages: readonly ChatMessage[], maxTokens: number, sampling: TurnSampling, hook?: LogitsHook): DecodedTurn {
    const prompt = this.decoder.fit(chatPromptIds(this.tg.tokenizer, messages), maxTokens, KEEP_OPENING);
    return this.decoder.generate(prompt, maxTokens, sampling, hook);
  }
}

/** The run's thoughts so far: the loop follows each thought with the action prompt, so they are the assistant turns before one. */
function quotedThoughts(messages: readonly ChatMessage[]): string[] {
  return messages.flatMap((m, i) => (m.role === 'assistant' && messages[i + 1]?.content === ACTION_PROMPT ? [m.content] : []));
}
