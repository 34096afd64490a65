/**
 * Token spans of tool results for any tokenizer, recomputed from character offsets. The text is cut at every
 * result boundary and each piece encoded on its own, so each result is a whole number of tokens: the same tokens
 * inference splices in when it encodes an executed result, whatever the tokenizer's merges would do across the
 * boundary. Every span is checked to decode to its result's text.
 */
import type { Tokenizer } from '../../tokenizer/types.js';
import type { ToolText } from './data.js';
import { errorWithCode } from '../../util/errors.js';

/** A result's tokens [start, end) in the encoded text, and the tool that produced it. */
export interface TokenSpan {
  readonly start: number;
  readonly end: number;
  readonly tool: string;
}

export interface TokenizedToolText {
  readonly ids: readonly number[];
  readonly spans: readonly TokenSpan[];
}

export class SpanError extends errorWithCode('TOOLKEN_SPAN_INVALID') {}

/** Encodes a training text (BOS first when the tokenizer has one) and locates every result's tokens. */
export function tokenizeToolText(tokenizer: Tokenizer, example: ToolText): TokenizedToolText {
  const ids: number[] = tokenizer.bosId === undefined ? [] : [tokenizer.bosId];
  const spans: TokenSpan[] = [];
  let at = 0;
  for (const span of example.spans) {
    if (span.start < at || span.end <= span.start || span.end > example.text.length) {
      throw new SpanError(`span [${span.start}, ${span.end}) of ${span.tool} is out of order or outside the text (${example.text.length} characters)`);
    }
    ids.push(...tokenizer.encode(example.text.slice(at, span.start)));
    const start = ids.length;
    const result = example.text.slice(span.start, span.end);
    ids.push(...tokenizer.encode(result));
    const decoded = tokenizer.decode(ids.slice(start));
    if (decoded !== result) {
      throw new SpanError(`the result ${JSON.stringify(result)} of ${span.tool} encodes to tokens that decode to ${JSON.stringify(decoded)}; this tokenizer cannot keep a result as its own tokens`);
    }
    spans.push({ start, end: ids.length, tool: span.tool });
    at = span.end;
  }
  ids.push(...tokenizer.encode(example.text.slice(at)));
  return { ids, spans };
}

/** The last `maxTokens` tokens of a tokenized text (spans shifted; spans that would start the text are dropped). */
export function keepTail(example: TokenizedToolText, maxTokens: number): TokenizedToolText {
  const cut = example.ids.length - maxTokens;
  if (cut <= 0) return example;
  return {
    ids: example.ids.slice(cut),
    spans: example.spans.filter((s) => s.start - cut >= 1).map((s) => ({ ...s, start: s.start - cut, end: s.end - cut })),
  };
}
