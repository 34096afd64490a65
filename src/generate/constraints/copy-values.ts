/**
 * Copying argument values from the conversation, inside the schema-constrained decoder. A small model trained
 * from scratch learns which parameter a request fills long before it learns to reproduce the value character by
 * character (it writes a well-formed date, just not the one asked for). So the values a call may take are offered
 * as candidates: spans of the task and the values of earlier observations, each checked against the parameter's
 * schema, become that parameter's `enum`, and the JSON decoder (json-automaton's literal frames) lets the model
 * choose among them token by token. The model still decides everything — which parameters, which span for which
 * parameter — but it can only write values that occur in its context.
 *
 * A parameter with no fitting candidate (a value the user never wrote) keeps its schema and is decoded freely.
 */
import type { JsonSchema, JsonValue, ObjectSchema } from '../../tools/types.js';
import { validateJson } from '../../tools/validate.js';

export interface CopyCandidates {
  readonly strings: readonly string[];
  readonly numbers: readonly number[];
  /** Lists: a text's runs of comma-separated items ("3, 1, 2"), and the arrays inside JSON texts. */
  readonly arrays: readonly (readonly (string | number)[])[];
  /**
   * How many times each candidate occurs in the texts, by its JSON text (`"on"`, `27`, `[1,2]`): how often one call
   * may use it (the automaton's `literalBudget`), so that "the GCD of 62520 and 48425" cannot become (48425, 48425).
   */
  readonly occurrences: ReadonlyMap<string, number>;
}

export interface CopyOptions {
  /** Longest span, in words, offered as a string value. */
  readonly maxWords: number;
  /** Most candidates offered for one parameter (the first found are kept: see copyCandidates for the order). */
  readonly maxCandidates: number;
}

export const defaultCopyOptions: CopyOptions = { maxWords: 4, maxCandidates: 256 };

const NUMBER = /-?\d+(?:\.\d+)?/g;
/** A quoted string (double, single or typographic quotes): its content is the first group that matched. */
export const QUOTED = /"([^"\n]{1,200})"|'([^'\n]{1,200})'|“([^”\n]{1,200})”/g;
/** White space and punctuation that a span does not begin or end with. */
const EDGE = `[\\s.,;:!?()[\\]{}"'“”]+`;
const EDGE_PUNCTUATION = new RegExp(`^${EDGE}|${EDGE}$`, 'g');
const LEADING_PUNCTUATION = new RegExp(`^${EDGE}`);
const TRAILING_PUNCTUATION = new RegExp(`${EDGE}$`);
/** Two or more one-word items joined by ", " (how a request says a list). */
const LIST = /(?:[^\s,]+, )+[^\s,]+/g;
const NUMERIC = /^-?\d+(?:\.\d+)?$/;

type Copyable = string | number | (string | number)[];

/** One place a value occurs: text `text`, characters start..end. */
interface Occurrence {
  readonly value: Copyable;
  readonly key: string;
  readonly text: number;
  readonly start: number;
  readonly end: number;
}

/**
 * The values the texts offer: quoted spans, word spans, numbers, and the scalar leaves of JSON texts. The texts
 * are the task and then the observations; they are read latest first, so that the result a step passes on (and
 * the Finish's answer) is never cut off behind the hundreds of word spans of a long task: with the task first and
 * 96 candidates, a three-step task's final answer was not among the Finish's candidates at all.
 *
 * `used`: the argument values of the calls made so far. Each takes up the place it was copied from (latest text
 * first), and no value that overlaps a place taken is offered again: once "2017-07-04" went to the first call, its
 * 2017 is no number for the second, whose "the result" can then only be the observation's.
 */
export function copyCandidates(texts: readonly string[], options: CopyOptions = defaultCopyOptions, used: readonly JsonValue[] = []): CopyCandidates {
  const found = occurrencesIn(texts, options);
  const taken: Occurrence[] = [];
  const overlapsTaken = (o: Occurrence): boolean => taken.some((t) => t.text === o.text && o.start < t.end && t.start < o.end);
  for (const value of used.flatMap(copiedParts)) {
    const key = JSON.stringify(value);
    const place = found.find((o) => o.key === key && !overlapsTaken(o));
    if (place !== undefined) taken.push(place);
  }
  const strings = new Set<string>();
  const numbers = new Set<number>();
  const arrays = new Map<string, (string | number)[]>();
  const occurrences = new Map<string, number>();
  for (const o of found) {
    if (overlapsTaken(o)) continue;
    occurrences.set(o.key, (occurrences.get(o.key) ?? 0) + 1);
    if (typeof o.value === 'string') strings.add(o.value);
    else if (typeof o.value === 'number') numbers.add(o.value);
    else arrays.set(o.key, o.value);
  }
  return { strings: [...strings], numbers: [...numbers], arrays: [...arrays.values()], occurrences };
}

/** The values an argument was copied as: its scalars and scalar lists (the object around them was not copied). */
function copiedParts(value: JsonValue): Copyable[] {
  if (typeof value === 'string' || typeof value === 'number') return [value];
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === 'string' || typeof v === 'number')) return [value as (string | number)[]];
    return value.flatMap(copiedParts);
  }
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(copiedParts);
  return [];
}

/** Every place a value occurs, latest text first, each place once per value. */
function occurrencesIn(texts: readonly string[], options: CopyOptions): Occurrence[] {
  const out: Occurrence[] = [];
  const seen = new Set<string>();
  for (let t = texts.length - 1; t >= 0; t--) {
    const text = texts[t]!;
    const add = (value: Copyable, start: number, end: number): void => {
      if (typeof value === 'number' && !Number.isFinite(value)) return;
      if (Array.isArray(value) && value.length === 0) return;
      const key = JSON.stringify(value);
      const id = `${key}\u0000${start}`;
      if (seen.has(id)) return;
      seen.add(id);
      out.push({ value, key, text: t, start, end });
    };
    const json = parseJson(text);
    if (json !== undefined && typeof json === 'object' && json !== null) {
      jsonOccurrences(text, json, add);
      continue;
    }
    if (json !== undefined) {
      const whole = typeof json === 'string' ? json : JSON.stringify(json);
      add(whole, 0, text.length);
    }
    for (const m of text.matchAll(QUOTED)) {
      const inner = m[1] ?? m[2] ?? m[3]!;
      add(inner, m.index + 1, m.index + 1 + inner.length);
    }
    for (const m of text.matchAll(NUMBER)) add(Number(m[0]), m.index, m.index + m[0].length);
    for (const m of text.matchAll(LIST)) {
      const items = m[0].split(', ').map((item) => item.replace(EDGE_PUNCTUATION, ''));
      if (items.every((item) => item !== '')) add(items.map((item) => (NUMERIC.test(item) ? Number(item) : item)), m.index, m.index + m[0].length);
    }
    const words = [...text.matchAll(/\S+/g)];
    for (let i = 0; i < words.length; i++) {
      for (let n = 1; n <= options.maxWords && i + n <= words.length; n++) {
        const last = words[i + n - 1]!;
        const from = words[i]!.index;
        const raw = text.slice(from, last.index + last[0].length);
        const lead = LEADING_PUNCTUATION.exec(raw)?.[0].length ?? 0;
        const span = raw.slice(lead).replace(TRAILING_PUNCTUATION, '');
        const spoken = span.replace(/\s+/g, ' ');
        if (span !== '') add(spoken, from + lead, from + lead + span.length);
      }
    }
  }
  return out;
}

/**
 * The candidates of a JSON text (an observation): the text itself, its scalar arrays and its scalar leaves (numbers
 * also as strings, and the numbers inside string leaves), each placed where its JSON spelling first occurs after the
 * previous leaf, or at the whole text when it cannot be found.
 */
function jsonOccurrences(text: string, json: JsonValue, add: (value: Copyable, start: number, end: number) => void): void {
  add(text.trim(), 0, text.length);
  let cursor = 0;
  const place = (spelling: string): [number, number] => {
    const at = text.indexOf(spelling, cursor);
    if (at === -1) return [0, text.length];
    cursor = at + spelling.length;
    return [at, at + spelling.length];
  };
  arraysIn(json, (items) => {
    const [start, end] = place(JSON.stringify(items));
    add(items, start, end);
  });
  cursor = 0;
  leaves(json, (leaf) => {
    if (typeof leaf === 'number') {
      const [start, end] = place(JSON.stringify(leaf));
      add(leaf, start, end);
      add(String(leaf), start, end);
    } else if (typeof leaf === 'string') {
      const [start, end] = place(JSON.stringify(leaf));
      add(leaf, start, end);
      for (const m of leaf.matchAll(NUMBER)) add(Number(m[0]), start, end);
    } else if (typeof leaf === 'boolean') {
      const [start, end] = place(String(leaf));
      add(String(leaf), start, end);
    }
  });
}

function parseJson(text: string): JsonValue | undefined {
  const t = text.trim();
  if (t === '' || !/^[[{"\d-]|^(true|false|null)$/.test(t)) return undefined;
  try {
    return JSON.parse(t) as JsonValue;
  } catch {
    return undefined;
  }
}

/** The arrays of scalars (strings and numbers) inside a JSON value. */
function arraysIn(value: JsonValue, visit: (items: (string | number)[]) => void): void {
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string' || typeof v === 'number')) visit(value as (string | number)[]);
    else value.forEach((v) => arraysIn(v, visit));
  } else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => arraysIn(v, visit));
}

function leaves(value: JsonValue, visit: (leaf: JsonValue) => void): void {
  if (Array.isArray(value)) value.forEach((v) => leaves(v, visit));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => leaves(v, visit));
  else visit(value);
}

/**
 * The parameter schema with each free string / number / integer parameter narrowed to the candidates that satisfy
 * it, and each array parameter to the lists that satisfy it (a list is chosen whole: item by item, the demo's model
 * matched none of 19 gold arrays) or, when no list fits, its items narrowed. Parameters that already have an `enum`
 * or `const` (their stated values are preferred through `copyBudget`), and those no candidate fits, are left as they are.
 *
 * `bindings` (copy-binding.ts `argumentBindings`): the values the context's words bind to a parameter. A scalar
 * parameter with bound values that fit it is offered those; the others are not offered values bound elsewhere
 * (unless nothing else would fit).
 */
export function withCopiedValues(
  schema: ObjectSchema, candidates: Omit<CopyCandidates, 'occurrences'>, options: CopyOptions = defaultCopyOptions,
  bindings: ReadonlyMap<string, readonly JsonValue[]> = new Map(),
): ObjectSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    const elsewhere = new Set([...bindings].filter(([other]) => other !== name).flatMap(([, values]) => values.map((v) => JSON.stringify(v))));
    properties[name] = narrow(property, candidates, options, { bound: bindings.get(name) ?? [], elsewhere });
  }
  return { ...schema, properties };
}

/**
 * The literal budget of a call (the automaton's `literalBudget`): how often the call may take each value, from the
 * candidates' occurrences. An `enum` whose values the context states, by the value itself or by its name
 * (`enumNames`, matched without regard to case), gets each stated value as often as it is said and the others
 * none, so that "70717.56 square meters in hectares" leaves `m2` and `ha` of five area units and cannot become
 * m2 -> m2; once the stated values are spent, the automaton lets every value back in (a unit the context never
 * names is then the model's choice).
 */
export function copyBudget(schema: ObjectSchema, candidates: CopyCandidates): ReadonlyMap<string, number> {
  const budget = new Map(candidates.occurrences);
  const byWord = new Map<string, number>();
  for (const [key, count] of candidates.occurrences) {
    const value = JSON.parse(key) as JsonValue;
    if (typeof value === 'string') byWord.set(value.toLowerCase(), (byWord.get(value.toLowerCase()) ?? 0) + count);
  }
  const said = (word: string | undefined): number => (word === undefined ? 0 : byWord.get(word.toLowerCase()) ?? 0);
  const visit = (property: JsonSchema): void => {
    if (property.items !== undefined) visit(property.items);
    if (property.enum === undefined) return;
    const counts = property.enum.map((value, i) => Math.max(typeof value === 'string' ? said(value) : 0, said(property.enumNames?.[i])));
    if (counts.every((c) => c === 0)) return;
    property.enum.forEach((value, i) => {
      const key = JSON.stringify(value);
      budget.set(key, Math.max(budget.get(key) ?? 0, counts[i]!));
    });
  };
  Object.values(schema.properties).forEach(visit);
  return budget;
}

interface Binding {
  readonly bound: readonly JsonValue[];
  /** JSON texts of the values bound to other parameters. */
  readonly elsewhere: ReadonlySet<string>;
}

const NO_BINDING: Binding = { bound: [], elsewhere: new Set() };

function narrow(schema: JsonSchema, candidates: Omit<CopyCandidates, 'occurrences'>, options: CopyOptions, binding: Binding = NO_BINDING): JsonSchema {
  if (schema.enum !== undefined || schema.const !== undefined) return schema;
  const type = schema.type;
  if (type === 'array' && schema.items !== undefined) {
    const lists = candidates.arrays.filter((v) => validateJson(schema, v as JsonValue).length === 0).slice(0, options.maxCandidates);
    return lists.length > 0 ? { ...schema, enum: lists as JsonValue[] } : { ...schema, items: narrow(schema.items, candidates, options) };
  }
  const fits = (v: JsonValue): boolean => validateJson(schema, v).length === 0;
  const bound = [...new Map(binding.bound.filter(fits).map((v) => [JSON.stringify(v), v])).values()];
  if (bound.length > 0) return { ...schema, enum: bound };
  const pool: readonly JsonValue[] = type === 'string' ? candidates.strings : type === 'number' || type === 'integer' ? candidates.numbers : [];
  const fitting = pool.filter(fits);
  const unbound = fitting.filter((v) => !binding.elsewhere.has(JSON.stringify(v)));
  const offered = (unbound.length > 0 ? unbound : fitting).slice(0, options.maxCandidates);
  return offered.length === 0 ? schema : { ...schema, enum: offered };
}
