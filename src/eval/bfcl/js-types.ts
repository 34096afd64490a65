/**
 * The leaderboard's JavaScript type rules: a simple_javascript argument arrives as source text and is converted by
 * its schema type (`integer` digits only, `float` digits with an optional fraction, `Bigint` an `n` suffix, arrays
 * and objects read by pattern, one level deep). Text that does not fit the type stays a string.
 */
import { PyScalar, PyValue, parsePythonNumber } from '../../tools/calls/values.js';

/** The Python type each JavaScript schema type is checked against (the leaderboard's JS_TYPE_CONVERSION). */
export const JS_TYPES: Readonly<Record<string, 'int' | 'float' | 'bool' | 'str' | 'list' | 'dict'>> = {
  String: 'str',
  integer: 'int',
  float: 'float',
  Bigint: 'int',
  Boolean: 'bool',
  dict: 'dict',
  array: 'list',
  any: 'str',
};

const isQuoted = (s: string): boolean => s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")));

/** Converts JavaScript source text by schema type; undefined when the type is not a JavaScript schema type. */
export function convertJs(text: string, type: string, elementType?: string): PyValue | undefined {
  switch (type) {
    case 'String':
      return isQuoted(text) ? text.slice(1, -1) : text;
    case 'integer':
      return /^-?\d+$/.test(text) ? BigInt(text) : text;
    case 'float':
      return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    case 'Bigint':
      return /^-?\d+n$/.test(text) ? BigInt(text.slice(0, -1)) : text;
    case 'Boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'dict':
      return parseObject(text.trim());
    case 'array':
      return parseArray(text.trim(), elementType);
    case 'any':
      return text;
    default:
      return undefined;
  }
}

/** A JavaScript literal read without a declared type. */
export function parseJsLiteral(text: string): PyValue {
  const s = text.trim();
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (isQuoted(s)) return s.slice(1, -1);
  return parsePythonNumber(s) ?? s;
}

const ARRAY_2D = /^(?:\[\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\]|\bnew\s+Array\(\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\))/;
const ARRAY_1D = /^(?:\[(.*?)\]|\bnew\s+Array\((.*?)\))/;

function parseArray(code: string, elementType: string | undefined): PyValue {
  const grid = ARRAY_2D.exec(code);
  if (grid !== null) {
    // Rows are the bracketed runs; the first one still carries the outer '['.
    return [...grid[0].matchAll(/\[(.*?)\]/g)].map((row, i) => {
      let inner = row[1]!.trim();
      if (i === 0 && inner.startsWith('[')) inner = inner.slice(1);
      return inner.split(',').map((e) => parseJsLiteral(e.trim()));
    });
  }
  const flat = ARRAY_1D.exec(code);
  if (flat === null) return code;
  const body = (flat[1] ?? flat[2] ?? '').trim();
  const items = body.length > 0 ? body.split(',') : [];
  if (elementType === undefined) return items.map((e) => parseJsLiteral(e.trim()));
  const out: PyValue[] = [];
  for (const raw of items) {
    const converted = convertJs(raw.trim(), elementType);
    // An element type the leaderboard cannot convert makes it give up and keep the whole text.
    if (converted === undefined) return code;
    out.push(converted);
  }
  return out;
}

function parseObject(code: string): PyValue {
  if (code === '{}') return new Map();
  const m = /^\{(.*?)\}/.exec(code);
  if (m === null) return code;
  const out = new Map<PyScalar, PyValue>();
  for (const pair of m[1]!.matchAll(/([^:]+):\s*(.*?)(?:,\s*(?=[^,]+:)|$)/g)) {
    const key = stripQuotes(pair[1]!.trim());
    const value = pair[2]!.trim();
    if (value.startsWith('[') && value.endsWith(']')) out.set(key, parseArray(value, undefined));
    else if (value.startsWith('{') && value.endsWith('}')) out.set(key, parseObject(value));
    else out.set(key, parseJsLiteral(stripQuotes(value)));
  }
  return out;
}

/** Python's `s.strip("'\"")`. */
const stripQuotes = (s: string): string => s.replace(/^['"]+|['"]+$/g, '');
