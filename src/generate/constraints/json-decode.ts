import type { JsonValue } from '../../tools/types.js';
import type { DecoderSession } from './decoder-session.js';
import type { JsonState } from './json-automaton.js';
import type { JsonTokenMasker } from './json-token-mask.js';
import { applyMask, type LogitsProcessor } from './logits-processor.js';

/** Checks that `maxTokens` leaves room for the shortest valid document and its end id. */
function checkBudget(masker: JsonTokenMasker, maxTokens: number): void {
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new Error(`json decoding: maxTokens must be a positive integer, got ${maxTokens}`);
  const shortest = masker.automaton.minBytesToComplete(masker.automaton.initial());
  if (maxTokens < shortest + 1) {
    throw new Error(`json decoding: maxTokens ${maxTokens} is too small; the shortest valid arguments need ${shortest} tokens plus the end token`);
  }
  if (!masker.vocabulary.coversAllBytes()) {
    throw new Error('json decoding: a token budget needs a one-byte token for every byte value, and this vocabulary lacks some');
  }
}

/**
 * A logits processor that keeps generation inside the schema and within `maxTokens` (the end id included).
 * `generated` holds the tokens after the prompt; it is followed incrementally, and a shorter list starts over.
 */
export function jsonLogitsProcessor(masker: JsonTokenMasker, maxTokens: number): LogitsProcessor {
  checkBudget(masker, maxTokens);
  let state: JsonState | null = masker.automaton.initial();
  let consumed = 0;
  return (logits, generated) => {
    if (generated.length < consumed) {
      state = masker.automaton.initial();
      consumed = 0;
    }
    for (; consumed < generated.length; consumed++) {
      const next = masker.advanceToken(state, generated[consumed]!);
      if (next === undefined) throw new Error(`json decoding: token ${generated[consumed]} at position ${consumed} breaks the schema`);
      state = next;
    }
    applyMask(logits, masker.allowed(state, maxTokens - generated.length));
  };
}

export interface JsonDecodeResult {
  /** Generated ids, without the end id. */
  readonly tokens: number[];
  readonly text: string;
  readonly value: JsonValue;
}

/**
 * Greedy decoding of tool arguments under the schema mask: the result always parses and validates, and takes at
 * most `maxTokens` tokens including the end id.
 */
export function decodeJson<State>(
  session: DecoderSession<State>,
  promptIds: readonly number[],
  masker: JsonTokenMasker,
  maxTokens: number,
): JsonDecodeResult {
  const processor = jsonLogitsProcessor(masker, maxTokens);
  const tokens: number[] = [];
  let { state, logits } = session.prefill(promptIds);
  for (;;) {
    processor(logits, tokens);
    let best = -1;
    for (let id = 0; id < logits.length; id++) if (logits[id]! > -Infinity && (best === -1 || logits[id]! > logits[best]!)) best = id;
    if (best === -1) throw new Error('json decoding: every token is masked (the model gave -Infinity to all allowed ids)');
    if (best === masker.endId) break;
    tokens.push(best);
    const [next] = session.step([state], [best]);
    session.release(state);
    ({ state, logits } = next!);
  }
  session.release(state);
  const table = masker.vocabulary.table;
  const bytes = Buffer.concat(tokens.map((id) => table.tokenBytes(id)));
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  return { tokens, text, value: JSON.parse(text) as JsonValue };
}
