/**
 * Decoding one turn of an agent's conversation, shared by the agent's policies (the ToolGen model's and the
 * in-context baseline's): greedy or seeded sampling up to the end of the assistant turn, prompts cut to fit the
 * model's context, and JSON arguments under a tool's JSON-Schema mask with values copied from the context.
 */
import { generate, type LogitsHook } from '../../generate/generate.js';
import { jsonLogitsProcessor } from '../../generate/constraints/json-decode.js';
import { JsonAutomaton } from '../../generate/constraints/json-automaton.js';
import { JsonTokenMasker } from '../../generate/constraints/json-token-mask.js';
import { VocabularyTrie } from '../../generate/constraints/vocabulary-trie.js';
import type { DecoderModel } from '../../models/decoder.js';
import { assistantTurnEnd } from '../../retrieval/generative.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import type { JsonValue, Tool } from '../../tools/types.js';
import type { ArgumentsChoice, CopyContext, TurnSampling } from './agent-loop.js';
import { copyBudget, copyCandidates, defaultCopyOptions, withCopiedValues } from '../../generate/constraints/copy-values.js';

export interface DecodedTurn {
  readonly tokens: number[];
  readonly text: string;
}

export class TurnDecoder {
  /** The token that ends an assistant turn. */
  readonly terminator: number;
  readonly vocabulary: VocabularyTrie;

  constructor(
    readonly model: DecoderModel,
    readonly tokenizer: Tokenizer,
  ) {
    this.terminator = assistantTurnEnd(tokenizer);
    this.vocabulary = new VocabularyTrie(tokenizer);
  }

  /** Continues `prompt` until the turn ends, a stop token comes or `maxTokens` are written. */
  generate(prompt: readonly number[], maxTokens: number, sampling: TurnSampling, hook?: LogitsHook, stopTokens: readonly number[] = []): DecodedTurn {
    const [result] = generate(this.model, [[...prompt]], {
      maxTokens,
      temperature: sampling.temperature,
      seed: sampling.seed,
      stopTokens: [this.terminator, ...stopTokens],
      ...(hook ? { logitsHook: hook } : {}),
    });
    const tokens = result!.tokens;
    return { tokens, text: tokens.length === 0 ? '' : this.tokenizer.decode(tokens) };
  }

  /** The prompt cut to leave `room` positions: its first `keepOpening` tokens and its end are kept, the middle goes. */
  fit(ids: readonly number[], room: number, keepOpening: number): number[] {
    const max = this.model.config.maxPositions - room - 1;
    if (ids.length <= max) return [...ids];
    const head = Math.min(keepOpening, Math.floor(max / 2));
    return [...ids.slice(0, head), ...ids.slice(ids.length - (max - head))];
  }

  /**
   * A tool's arguments decoded under its JSON-Schema mask, after `promptIds` cut to fit (keeping `keepOpening` tokens
   * of its start). `copy`: 'on' lets free string and number parameters take only values that occur in the context's
   * texts (generate/constraints/copy-values.ts); 'coverage' also spends each value's occurrences, within the call and
   * across the run's earlier calls (`usedArguments`). `bindings`: values the context's words bind to parameters
   * (copy-binding.ts), offered to those parameters only. A schema whose shortest valid arguments exceed `maxTokens` gets
   * the tokens it needs (copying is dropped first if that is what made it longer); one that cannot fit in the model's
   * context at all comes back as no arguments, which the loop reports as invalid instead of ending the run.
   */
  jsonArguments(
    promptIds: readonly number[], tool: Tool, context: CopyContext,
    o: { copy: 'off' | 'on' | 'coverage'; maxTokens: number; keepOpening: number; bindings?: ReadonlyMap<string, readonly JsonValue[]> }, sampling: TurnSampling,
  ): ArgumentsChoice {
    const used = o.copy === 'coverage' ? context.usedArguments : [];
    const candidates = o.copy === 'off' ? undefined : copyCandidates(context.texts, defaultCopyOptions, used);
    const automatonFor = (withCopies: boolean): JsonAutomaton => new JsonAutomaton(withCopies && candidates !== undefined ? withCopiedValues(tool.parameters, candidates, defaultCopyOptions, o.bindings) : tool.parameters, {
      // A pattern the decoder cannot follow is left to the executor's validation (an invalid-arguments observation).
      maxStringLength: 64, maxArrayItems: 8, unfollowablePatterns: 'ignore',
      ...(o.copy === 'coverage' && withCopies && candidates !== undefined ? { literalBudget: copyBudget(tool.parameters, candidates) } : {}),
    });
    // The fewest tokens the arguments can take, counting one byte per token, plus the end token.
    const shortest = (a: JsonAutomaton): number => a.minBytesToComplete(a.initial()) + 1;
    let automaton = automatonFor(true);
    let needed = shortest(automaton);
    if (candidates !== undefined && needed > o.maxTokens) {
      const own = automatonFor(false);
      const ownNeeded = shortest(own);
      if (ownNeeded < needed) [automaton, needed] = [own, ownNeeded];
    }
    const budget = Math.max(o.maxTokens, needed);
    // At most half the context goes to the arguments, so the documentation and the task stay in view.
    if (budget > Math.floor(this.model.config.maxPositions / 2)) return { text: '', value: undefined };
    const prompt = this.fit(promptIds, budget, o.keepOpening);
    const masker = new JsonTokenMasker(automaton, this.vocabulary, this.terminator);
    const { tokens } = this.generate(prompt, budget, sampling, jsonLogitsProcessor(masker, budget));
    // Byte for byte: a value cut at the budget may end inside a character.
    const text = new TextDecoder('utf-8').decode(Buffer.concat(tokens.map((id) => this.vocabulary.table.tokenBytes(id))));
    return { text, value: parseJson(text) };
  }
}

export function parseJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}
