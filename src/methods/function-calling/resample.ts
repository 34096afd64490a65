/**
 * Fresh argument values for a training example, so that a base pretrained on many copies of a few thousand
 * examples learns to copy values from the question into the call instead of recalling them (as ToolkenGPT's FuncQA
 * resampling does for operands). Each value of the gold calls that the question states verbatim is replaced,
 * consistently in the user turns and the calls:
 * - a number (written as the question writes it) by a random number of the same shape;
 * - a string by another example's stated string value, drawn from `pool`.
 * A string the function docs also name (an enum member, a default, an example) is kept: there the answer does not
 * copy from the question; so is a one-character string, which may be a letter of a word rather than an argument. An example with nothing to replace gives undefined.
 */
import type { ChatMessage, ChatToolCall } from '../../tokenizer/chat-template.js';
import type { JsonValue } from '../../tools/types.js';
import { sameShapeNumber, WRITTEN_NUMBER } from '../../util/number-shape.js';
import type { FcExample } from './data.js';

/** Every string and number among the gold calls' arguments (inside arrays and objects too), in order. */
function argumentLeaves(calls: readonly ChatToolCall[]): (string | number)[] {
  const out: (string | number)[] = [];
  const walk = (v: JsonValue): void => {
    if (typeof v === 'string' || typeof v === 'number') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  // Arguments are objects once parsed (data.ts reads OpenAI's JSON strings into objects).
  for (const c of calls) if (typeof c.function.arguments !== 'string') walk(c.function.arguments);
  return out;
}

const callsOf = (e: FcExample): ChatToolCall[] => e.messages.flatMap((m) => m.tool_calls ?? []);
const questionOf = (e: FcExample): string => e.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `value` occurs in `text` as a whole: not inside a longer word or number. */
const statesWhole = (text: string, value: string): boolean => new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(value)}(?![\\p{L}\\p{N}])`, 'u').test(text);

/** A number as a question writes it, without its sign (`-44` is written "-" then "44"). */
const writtenMagnitude = (n: number): string => String(Math.abs(n));

/**
 * The written form of each gold argument value that the question states and the docs do not name: what an answer
 * copies from the question. Numbers as the question writes them (digits, without the sign), strings as they are.
 */
export function statedValues(example: FcExample): string[] {
  return statedArguments(example).map((a) => a.written);
}

/** A gold argument value that the question states: as written there, and whether it is a string (else a number). */
export interface StatedArgument {
  readonly written: string;
  readonly isString: boolean;
}

/** statedValues with each value's kind. */
export function statedArguments(example: FcExample): StatedArgument[] {
  const question = questionOf(example);
  const docs = JSON.stringify(example.tools);
  const stated = new Map<string, StatedArgument>();
  const numbers = new Set([...question.matchAll(WRITTEN_NUMBER)].map((m) => m[0]));
  for (const leaf of argumentLeaves(callsOf(example))) {
    if (typeof leaf === 'number') {
      if (numbers.has(writtenMagnitude(leaf))) stated.set(writtenMagnitude(leaf), { written: writtenMagnitude(leaf), isString: false });
    } else if (leaf.length >= 2 && !docs.includes(JSON.stringify(leaf)) && statesWhole(question, leaf)) stated.set(leaf, { written: leaf, isString: true });
  }
  return [...stated.values()];
}

/** The distinct string values the examples' questions state: what resampled strings are drawn from. */
export function statedStringPool(examples: readonly FcExample[]): string[] {
  const pool = new Set<string>();
  for (const e of examples) {
    const strings = new Set(argumentLeaves(callsOf(e)).filter((v): v is string => typeof v === 'string'));
    for (const v of statedValues(e)) if (strings.has(v) && v.length <= 60 && !v.includes('\n')) pool.add(v);
  }
  return [...pool].sort();
}

/** A copy of `example` with fresh stated values (the rules above), id `<id>#<copy>`; undefined if none is stated. */
export function resampleFcExample(example: FcExample, copy: number, random: () => number, pool: readonly string[]): FcExample | undefined {
  const calls = callsOf(example);
  const strings = new Set(argumentLeaves(calls).filter((v): v is string => typeof v === 'string'));
  const question = questionOf(example);
  const fresh = new Map<string, string>();
  const taken = new Set<string>();
  for (const value of statedValues(example)) {
    let candidate: string | undefined;
    for (let tries = 0; tries < 8; tries++) {
      const c = strings.has(value) ? pool[Math.floor(random() * pool.length)] : sameShapeNumber(value, random);
      if (c !== undefined && c !== value && !taken.has(c) && !question.includes(c)) {
        candidate = c;
        break;
      }
    }
    if (candidate === undefined) continue;
    fresh.set(value, candidate);
    taken.add(candidate);
  }
  if (fresh.size === 0) return undefined;

  // Strings first, through placeholders, so that the numbers inside a replaced string (a date) or inside its
  // replacement are not renumbered; then the numbers the question writes.
  const replacedStrings = [...fresh.keys()].filter((v) => strings.has(v)).sort((a, b) => b.length - a.length);
  const rewrite = (text: string): string => {
    let out = text;
    replacedStrings.forEach((v, i) => {
      out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(v)}(?![\\p{L}\\p{N}])`, 'gu'), `\u0000${i}\u0000`);
    });
    out = out.replace(WRITTEN_NUMBER, (n) => fresh.get(n) ?? n);
    return out.replace(/\u0000(\d+)\u0000/g, (_, i: string) => fresh.get(replacedStrings[Number(i)]!)!);
  };
  const value = (v: JsonValue): JsonValue => {
    if (typeof v === 'string') return fresh.get(v) ?? v;
    if (typeof v === 'number') return fresh.has(writtenMagnitude(v)) ? Math.sign(v) * Number(fresh.get(writtenMagnitude(v))) : v;
    if (Array.isArray(v)) return v.map(value);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value(x)]));
    return v;
  };
  const messages: ChatMessage[] = example.messages.map((m) => {
    if (m.role === 'user') return { ...m, content: rewrite(m.content) };
    if (m.tool_calls === undefined) return m;
    const rewritten = (c: ChatToolCall): ChatToolCall => {
      const args = c.function.arguments;
      return typeof args === 'string' ? c : { ...c, function: { ...c.function, arguments: value(args) as { [key: string]: JsonValue } } };
    };
    return { ...m, tool_calls: m.tool_calls.map(rewritten) };
  });
  const { bfcl: _bfcl, ...rest } = example;
  return { ...rest, id: `${example.id}#${copy}`, messages };
}
