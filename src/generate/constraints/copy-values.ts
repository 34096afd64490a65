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
}

export interface CopyOptions {
  /** Longest span, in words, offered as a string value. */
  readonly maxWords: number;
  /** Most candidates offered for one parameter (the first found are kept: the task before later observations). */
  readonly maxCandidates: number;
}

export const defaultCopyOptions: CopyOptions = { maxWords: 4, maxCandidates: 96 };

const NUMBER = /-?\d+(?:\.\d+)?/g;
const QUOTED = /"([^"\n]{1,200})"|'([^'\n]{1,200})'|“([^”\n]{1,200})”/g;
const EDGE_PUNCTUATION = /^[\s.,;:!?()[\]{}"'“”]+|[\s.,;:!?()[\]{}"'“”]+$/g;

/** The values the texts offer: quoted spans, word spans, numbers, and the scalar leaves of JSON texts. */
export function copyCandidates(texts: readonly string[], options: CopyOptions = defaultCopyOptions): CopyCandidates {
  const strings = new Set<string>();
  const numbers = new Set<number>();
  const addNumber = (x: number): void => {
    if (Number.isFinite(x)) numbers.add(x);
  };
  for (const text of texts) {
    const json = parseJson(text);
    if (json !== undefined && typeof json === 'object' && json !== null) {
      strings.add(text.trim());
      leaves(json, (leaf) => {
        if (typeof leaf === 'number') {
          addNumber(leaf);
          strings.add(String(leaf));
        } else if (typeof leaf === 'string') {
          strings.add(leaf);
          for (const m of leaf.matchAll(NUMBER)) addNumber(Number(m[0]));
        } else if (typeof leaf === 'boolean') strings.add(String(leaf));
      });
      continue;
    }
    if (json !== undefined) strings.add(typeof json === 'string' ? json : JSON.stringify(json));
    for (const m of text.matchAll(QUOTED)) strings.add(m[1] ?? m[2] ?? m[3]!);
    for (const m of text.matchAll(NUMBER)) addNumber(Number(m[0]));
    const words = text.split(/\s+/).filter((w) => w !== '');
    for (let i = 0; i < words.length; i++) {
      for (let n = 1; n <= options.maxWords && i + n <= words.length; n++) {
        const span = words.slice(i, i + n).join(' ').replace(EDGE_PUNCTUATION, '');
        if (span !== '') strings.add(span);
      }
    }
  }
  return { strings: [...strings], numbers: [...numbers] };
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

function leaves(value: JsonValue, visit: (leaf: JsonValue) => void): void {
  if (Array.isArray(value)) value.forEach((v) => leaves(v, visit));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => leaves(v, visit));
  else visit(value);
}

/**
 * The parameter schema with each free string / number / integer parameter (and array items of those types)
 * narrowed to the candidates that satisfy it. Parameters that already have an `enum` or `const`, and those no
 * candidate fits, are left as they are.
 */
export function withCopiedValues(schema: ObjectSchema, candidates: CopyCandidates, options: CopyOptions = defaultCopyOptions): ObjectSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, property] of Object.entries(schema.properties)) properties[name] = narrow(property, candidates, options);
  return { ...schema, properties };
}

function narrow(schema: JsonSchema, candidates: CopyCandidates, options: CopyOptions): JsonSchema {
  if (schema.enum !== undefined || schema.const !== undefined) return schema;
  const type = schema.type;
  if (type === 'array' && schema.items !== undefined) return { ...schema, items: narrow(schema.items, candidates, options) };
  const pool: readonly JsonValue[] = type === 'string' ? candidates.strings : type === 'number' || type === 'integer' ? candidates.numbers : [];
  const fitting = pool.filter((v) => validateJson(schema, v).length === 0).slice(0, options.maxCandidates);
  return fitting.length === 0 ? schema : { ...schema, enum: fitting };
}
