/**
 * Constrained decoding of function calls in the Hermes form the Qwen templates ask for:
 * `<tool_call>\n{"name": "<name>", "arguments": <arguments>}\n</tool_call>`, one or more. The fixed text is forced,
 * the name is decoded under a trie of the offered functions' names, the arguments under the JSON-Schema token mask of
 * the chosen function; after each call the model chooses between another call and the end of its turn.
 *
 * It runs as a logits hook of the ordinary generation loop, greedy: each sequence keeps a small state machine fed
 * with the tokens generated so far.
 */
import type { LogitsHook } from '../../generate/generate.js';
import { JsonAutomaton } from '../../generate/constraints/json-automaton.js';
import { UnsupportedSchemaError } from '../../generate/constraints/json-schema-nodes.js';
import type { JsonState } from '../../generate/constraints/json-automaton.js';
import { JsonTokenMasker } from '../../generate/constraints/json-token-mask.js';
import { applyMask, keepOnly } from '../../generate/constraints/logits-processor.js';
import { ToolTrie } from '../../generate/constraints/tool-trie.js';
import type { VocabularyTrie } from '../../generate/constraints/vocabulary-trie.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import type { JsonSchema, JsonValue } from '../../tools/types.js';

/** An offered function: its name as the model must write it and its parameters' JSON Schema. */
export interface ConstrainedFunction {
  readonly name: string;
  readonly parameters: { readonly [key: string]: JsonValue };
  /** How often one call may take each copied value (copy-values.ts `copyBudget`); unlimited when absent. */
  readonly literalBudget?: ReadonlyMap<string, number>;
}

/** Most calls one answer may make; then the turn is ended. */
const MAX_CALLS = 8;
const CALL_OPEN = '<tool_call>\n{"name": "';
const AFTER_NAME = '", "arguments": ';
const CALL_CLOSE = '}\n</tool_call>';
const NEXT_CALL = '\n' + CALL_OPEN;

type Phase =
  | { kind: 'force'; ids: readonly number[]; pos: number; then: () => Phase }
  | { kind: 'name'; walked: number[] }
  | { kind: 'args'; masker: JsonTokenMasker; state: JsonState | null; ending: boolean }
  | { kind: 'choice' }
  | { kind: 'done' };

/** Allows only `id`, whatever the model's logit for it (it may have been masked). */
function forceOne(logits: Float32Array, id: number): void {
  logits.fill(-Infinity);
  logits[id] = 0;
}

/** The pieces of text a constrained answer is built from, as token ids of one tokenizer. */
class CallGrammar {
  readonly open: number[];
  readonly afterName: number[];
  readonly close: number[];
  readonly next: number[];
  readonly trie: ToolTrie;
  private readonly maskers = new Map<string, JsonTokenMasker>();

  constructor(
    tokenizer: Tokenizer,
    private readonly vocabulary: VocabularyTrie,
    private readonly functions: readonly ConstrainedFunction[],
    readonly stopId: number,
  ) {
    const ids = (text: string): number[] => tokenizer.encode(text);
    this.open = ids(CALL_OPEN);
    this.afterName = ids(AFTER_NAME);
    this.close = ids(CALL_CLOSE);
    this.next = ids(NEXT_CALL);
    // The first token after a name ends it in the trie; names never contain a quote, so it cannot occur inside one.
    this.trie = new ToolTrie(
      functions.map((f) => ({ toolId: f.name, tokens: ids(f.name) })),
      this.afterName[0]!,
    );
  }

  masker(name: string): JsonTokenMasker {
    let masker = this.maskers.get(name);
    if (masker === undefined) {
      const fn = this.functions.find((f) => f.name === name)!;
      const limits = { maxStringLength: 64, maxArrayItems: 8, unfollowablePatterns: 'ignore' as const, ...(fn.literalBudget ? { literalBudget: fn.literalBudget } : {}) };
      let automaton: JsonAutomaton;
      try {
        automaton = new JsonAutomaton(fn.parameters as unknown as JsonSchema, limits);
      } catch (err) {
        // A schema the mask cannot follow still gets a JSON object, checked afterwards like any answer.
        if (!(err instanceof UnsupportedSchemaError)) throw err;
        automaton = new JsonAutomaton({ type: 'object' }, limits);
      }
      masker = new JsonTokenMasker(automaton, this.vocabulary, this.stopId);
      this.maskers.set(name, masker);
    }
    return masker;
  }
}

/** One sequence's progress through the grammar. */
class CallState {
  private phase: Phase;
  private consumed = 0;
  private calls = 0;

  constructor(
    private readonly grammar: CallGrammar,
    private readonly maxTokens: number,
  ) {
    this.phase = this.force(grammar.open, () => ({ kind: 'name', walked: [] }));
  }

  private force(ids: readonly number[], then: () => Phase): Phase {
    return ids.length === 0 ? then() : { kind: 'force', ids, pos: 0, then };
  }

  private afterCall(): Phase {
    this.calls++;
    return this.calls >= MAX_CALLS ? { kind: 'done' } : { kind: 'choice' };
  }

  private accept(token: number): void {
    const g = this.grammar;
    const p = this.phase;
    switch (p.kind) {
      case 'force':
        if (++p.pos === p.ids.length) this.phase = p.then();
        return;
      case 'name': {
        if (token !== g.trie.terminator) {
          p.walked.push(token);
          return;
        }
        const name = g.trie.toolOf(p.walked)!;
        const masker = g.masker(name);
        this.phase = this.force(g.afterName.slice(1), () => ({ kind: 'args', masker, state: masker.automaton.initial(), ending: false }));
        return;
      }
      case 'args':
        if (p.ending) this.phase = this.force(g.close.slice(1), () => this.afterCall());
        else p.state = p.masker.advanceToken(p.state, token) ?? null;
        return;
      case 'choice':
        this.phase = token === g.next[0] ? this.force(g.next.slice(1), () => ({ kind: 'name', walked: [] })) : { kind: 'done' };
        return;
      case 'done':
        return;
    }
  }

  hook(logits: Float32Array, generated: readonly number[]): void {
    for (; this.consumed < generated.length; this.consumed++) this.accept(generated[this.consumed]!);
    const g = this.grammar;
    const p = this.phase;
    const left = this.maxTokens - generated.length;
    switch (p.kind) {
      case 'force':
        forceOne(logits, p.ids[p.pos]!);
        return;
      case 'name':
        keepOnly(logits, g.trie.allowedAfter(g.trie.walk(p.walked)!));
        return;
      case 'args': {
        // Room for the arguments: what is left after the closing text.
        const budget = left - g.close.length;
        if (budget < 2 || p.masker.automaton.minBytesToComplete(p.state) > budget - 1) {
          forceOne(logits, g.stopId);
          this.phase = { kind: 'done' };
          return;
        }
        applyMask(logits, p.masker.allowed(p.state, budget));
        let best = 0;
        for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
        // The mask's end id means "the arguments are complete": write the closing text instead.
        if (best === g.stopId) {
          p.ending = true;
          forceOne(logits, g.close[0]!);
        }
        return;
      }
      case 'choice':
        keepOnly(logits, left > g.next.length + 8 ? [g.stopId, g.next[0]!] : [g.stopId]);
        return;
      case 'done':
        forceOne(logits, g.stopId);
        return;
    }
  }
}

/**
 * A logits hook for a batch of sequences, each with its own offered functions: sequence i decodes calls to
 * `functions[i]` within `maxTokens` tokens, ending with `stopId` (which must be one of the loop's stop tokens).
 */
export function constrainedCallsHook(tokenizer: Tokenizer, vocabulary: VocabularyTrie, functions: readonly (readonly ConstrainedFunction[])[], stopId: number, maxTokens: number): LogitsHook {
  const states = functions.map((fns) => new CallState(new CallGrammar(tokenizer, vocabulary, fns, stopId), maxTokens));
  return (logits, generated, sequenceIndex) => states[sequenceIndex]!.hook(logits, generated);
}
