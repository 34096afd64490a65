/**
 * The ToolGen model as an `AgentPolicy`: thoughts are sampled freely up to the end of the assistant turn, the
 * action is sampled under a trie of the allowed tools' token sequences (or freely, for the hallucination
 * measurement, and read back through the index), and the arguments are sampled under the tool's JSON-Schema mask,
 * with values copied from the context when `copyValues` is on (copy-values.ts).
 *
 * Every turn renders the conversation with the chat template and generates from it; a conversation longer than
 * the model's context keeps its opening (system prompt and task) and its most recent turns.
 */
import { generate, type LogitsHook } from '../../generate/generate.js';
import { jsonLogitsProcessor } from '../../generate/constraints/json-decode.js';
import { JsonAutomaton } from '../../generate/constraints/json-automaton.js';
import { JsonTokenMasker } from '../../generate/constraints/json-token-mask.js';
import { ToolTrie } from '../../generate/constraints/tool-trie.js';
import { VocabularyTrie } from '../../generate/constraints/vocabulary-trie.js';
import { assistantTurnEnd } from '../../retrieval/generative.js';
import { chatPromptIds, type ChatMessage } from '../../tokenizer/chat-template.js';
import type { JsonValue, Tool } from '../../tools/types.js';
import type { ActionChoice, AgentPolicy, ArgumentsChoice, TurnSampling } from './agent-loop.js';
import { copyCandidates, withCopiedValues } from './copy-values.js';
import type { ToolGenModel } from './model.js';

export interface ToolGenPolicyOptions {
  /** Restrict the action to the allowed tools' token sequences (ToolGen's constraint). */
  readonly constrainActions: boolean;
  /** Decode arguments under the tool's JSON-Schema mask. */
  readonly constrainArguments: boolean;
  /** Offer the context's values as the candidates of free string and number parameters (needs the mask). */
  readonly copyValues: boolean;
  readonly maxThoughtTokens: number;
  readonly maxArgumentTokens: number;
}

export const defaultToolGenPolicyOptions: ToolGenPolicyOptions = {
  constrainActions: true,
  constrainArguments: true,
  copyValues: true,
  maxThoughtTokens: 48,
  maxArgumentTokens: 96,
};

/** Tokens of the prompt's opening kept when a conversation is cut to fit (the system prompt and the task). */
const KEEP_OPENING = 160;

export class ToolGenPolicy implements AgentPolicy {
  private readonly terminator: number;
  private readonly vocabulary: VocabularyTrie;
  private readonly tries = new Map<string, ToolTrie>();
  private readonly longestTool: number;
  readonly options: ToolGenPolicyOptions;

  constructor(
    private readonly tg: Pick<ToolGenModel, 'model' | 'tokenizer' | 'index'>,
    options: Partial<ToolGenPolicyOptions> = {},
  ) {
    this.options = { ...defaultToolGenPolicyOptions, ...options };
    this.terminator = assistantTurnEnd(tg.tokenizer);
    this.vocabulary = new VocabularyTrie(tg.tokenizer);
    this.longestTool = Math.max(1, ...tg.index.sequences(tg.tokenizer).map((s) => s.tokens.length));
  }

  toolText(toolId: string): string {
    return this.tg.index.toolToText(toolId);
  }

  thought(messages: readonly ChatMessage[], sampling: TurnSampling): string {
    return this.generate(messages, this.options.maxThoughtTokens, sampling).text;
  }

  action(messages: readonly ChatMessage[], allowed: readonly string[], sampling: TurnSampling): ActionChoice {
    const { index, tokenizer } = this.tg;
    if (!this.options.constrainActions) {
      const text = this.generate(messages, this.longestTool + 1, sampling).text.trim();
      return { text, toolId: index.textToTool(text) };
    }
    const trie = this.trie(allowed);
    const mask = trie.processor();
    const { tokens } = this.generate(messages, this.longestTool + 1, sampling, (logits, generated) => mask(logits, generated));
    const node = trie.walk(tokens);
    const text = tokens.length === 0 ? '' : tokenizer.decode(tokens).trim();
    return { text, toolId: node?.toolId ?? index.textToTool(text) };
  }

  arguments(messages: readonly ChatMessage[], tool: Tool, context: readonly string[], sampling: TurnSampling): ArgumentsChoice {
    const budget = this.options.maxArgumentTokens;
    if (!this.options.constrainArguments) {
      const text = this.generate(messages, budget, sampling).text.trim();
      return { text, value: parseJson(text) };
    }
    const parameters = this.options.copyValues ? withCopiedValues(tool.parameters, copyCandidates(context)) : tool.parameters;
    // A pattern the decoder cannot follow is left to the executor's validation (an invalid-arguments observation).
    const automaton = new JsonAutomaton(parameters, { maxStringLength: 64, maxArrayItems: 8, unfollowablePatterns: 'ignore' });
    const masker = new JsonTokenMasker(automaton, this.vocabulary, this.terminator);
    const processor = jsonLogitsProcessor(masker, budget);
    const { tokens } = this.generate(messages, budget, sampling, processor);
    const bytes = Buffer.concat(tokens.map((id) => this.vocabulary.table.tokenBytes(id)));
    const text = new TextDecoder('utf-8').decode(bytes);
    return { text, value: parseJson(text) };
  }

  private trie(allowed: readonly string[]): ToolTrie {
    const key = allowed.join('\u0000');
    let trie = this.tries.get(key);
    if (trie === undefined) {
      const known = new Set(this.tg.index.toolIds());
      trie = new ToolTrie(this.tg.index.sequences(this.tg.tokenizer, allowed.filter((id) => known.has(id))), this.terminator);
      this.tries.set(key, trie);
    }
    return trie;
  }

  private generate(messages: readonly ChatMessage[], maxTokens: number, sampling: TurnSampling, hook?: LogitsHook): { tokens: number[]; text: string } {
    const prompt = this.fit(chatPromptIds(this.tg.tokenizer, messages), maxTokens);
    const [result] = generate(this.tg.model, [prompt], {
      maxTokens,
      temperature: sampling.temperature,
      seed: sampling.seed,
      stopTokens: [this.terminator],
      ...(hook ? { logitsHook: hook } : {}),
    });
    const tokens = result!.tokens;
    return { tokens, text: tokens.length === 0 ? '' : this.tg.tokenizer.decode(tokens) };
  }

  /** The prompt cut to leave `room` positions: its opening and its end are kept, the middle goes. */
  private fit(ids: number[], room: number): number[] {
    const max = this.tg.model.config.maxPositions - room - 1;
    if (ids.length <= max) return ids;
    const head = Math.min(KEEP_OPENING, Math.floor(max / 2));
    return [...ids.slice(0, head), ...ids.slice(ids.length - (max - head))];
  }
}

function parseJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}
