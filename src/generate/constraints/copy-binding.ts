/**
 * Which stated value goes to which parameter, read off the words just before the value: "hue the result,
 * saturation 39, lightness 17", "fixed costs of 705820, price 110.27 and unit cost 0.98", "a mean of 151.1".
 * Copying (copy-values.ts) makes the decoder write only values the context states, but the model still chooses
 * which value fills which parameter, and a small model swaps values of the same type (the demo's agent wrote
 * hue 39, saturation 1 for the request above). When the words right before a value name one parameter more
 * than any other — by the words of its name (`fixed_costs`, `costPerUnit`) or of its `title` — that value is
 * bound to it: that parameter is offered the values bound to it, and the other parameters are not offered them.
 * Values no parameter's name introduces, and parameters no value is bound to, stay the model's choice.
 *
 * A reference such as "the result" stands for a value the text does not spell (the previous call's result): it is
 * bound like a value that stood where the phrase stands.
 */
import type { JsonValue, ObjectSchema } from '../../tools/types.js';
import { QUOTED } from './copy-values.js';

/** A phrase in the text that stands for a value (e.g. "the result" for the previous observation). */
export interface ValueReference {
  readonly phrase: string;
  readonly value: JsonValue;
}

/** Words that introduce a value in any request and so name no parameter. */
const FILLER = new Set(['a', 'an', 'the', 'of', 'is', 'are', 'at', 'with', 'for', 'by', 'and', 'when', 'to', 'in', 'on', 'as', 'be', 'my', 'our', 'per', 'from', 'its', 'it', 'that']);
/** How many words before a value are read. */
const CONTEXT_WORDS = 3;
const NUMBER = /(?<![\p{L}\p{N}.])-?\d+(?:\.\d+)?(?![\p{L}\p{N}]|\.\d)/gu;
/** Marks that end the clause a value is introduced in: words before them introduce an earlier value. */
const CLAUSE_END = /[,;:.?!()"'“”]/;

/** A word as compared: lower case, a plural's `s` dropped ("costs" and "cost" are one word). */
const stem = (word: string): string => {
  const w = word.toLowerCase();
  return w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w;
};

/** The words of a parameter's name (snake_case, camelCase, kebab-case, digits apart) and of its title. */
export function parameterWords(name: string, title?: string): Set<string> {
  const split = (s: string): string[] => s.replace(/([a-z])([A-Z])/g, '$1 $2').split(/[^\p{L}]+/u).filter((w) => w !== '');
  return new Set([...split(name), ...(title === undefined ? [] : split(title))].map(stem).filter((w) => !FILLER.has(w)));
}

interface Placed {
  readonly value: JsonValue;
  readonly start: number;
  readonly end: number;
}

/** The values the text spells (numbers outside quotes, quoted strings) or refers to, in the order they stand. */
function placedValues(text: string, references: readonly ValueReference[]): Placed[] {
  const quoted: Placed[] = [...text.matchAll(QUOTED)].map((m) => ({ value: m[1] ?? m[2] ?? m[3]!, start: m.index, end: m.index + m[0].length }));
  const insideQuote = (at: number): boolean => quoted.some((q) => at >= q.start && at < q.end);
  const out: Placed[] = [...quoted];
  for (const m of text.matchAll(NUMBER)) if (!insideQuote(m.index)) out.push({ value: Number(m[0]), start: m.index, end: m.index + m[0].length });
  const lower = text.toLowerCase();
  for (const r of references) {
    const phrase = r.phrase.toLowerCase();
    if (phrase === '') continue;
    for (let at = lower.indexOf(phrase); at >= 0; at = lower.indexOf(phrase, at + phrase.length)) {
      if (!insideQuote(at)) out.push({ value: r.value, start: at, end: at + phrase.length });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Up to CONTEXT_WORDS words right before `start`, within its clause and after the previous value, filler dropped. */
function introducingWords(text: string, start: number, previousEnd: number): string[] {
  let before = text.slice(previousEnd, start);
  const clauseEnd = [...before].findLastIndex((ch) => CLAUSE_END.test(ch));
  if (clauseEnd >= 0) before = before.slice(clauseEnd + 1);
  const words = before.split(/[^\p{L}\p{N}_-]+/u).filter((w) => w !== '' && !/^\d/.test(w));
  return words.slice(-CONTEXT_WORDS).map(stem).filter((w) => !FILLER.has(w));
}

/**
 * The values of `text` bound to each top-level parameter of `schema` (in the order the text states them): a value
 * is bound to the one parameter whose name shares the most words with the words introducing it; a tie binds it
 * to none. `references` are phrases that stand for values.
 */
export function argumentBindings(schema: ObjectSchema, text: string, references: readonly ValueReference[] = []): Map<string, JsonValue[]> {
  const parameters = Object.entries(schema.properties).map(([name, s]) => ({ name, words: parameterWords(name, s.title) }));
  const bindings = new Map<string, JsonValue[]>();
  const placed = placedValues(text, references);
  let previousEnd = 0;
  for (const p of placed) {
    const context = introducingWords(text, p.start, Math.min(previousEnd, p.start));
    previousEnd = Math.max(previousEnd, p.end);
    let best: string | undefined;
    let bestScore = 0;
    let tied = false;
    for (const { name, words } of parameters) {
      const score = context.filter((w) => words.has(w)).length;
      if (score > bestScore) [best, bestScore, tied] = [name, score, false];
      else if (score === bestScore && score > 0) tied = true;
    }
    if (best === undefined || tied) continue;
    const list = bindings.get(best) ?? [];
    list.push(p.value);
    bindings.set(best, list);
  }
  return bindings;
}
