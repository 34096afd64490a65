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

const ARRAY_1D = /^(?:\[(.*?)\]|\bnew\s+Array\((.*?)\))/;
const NEW_ARRAY = /^new\s+Array\(/;
const LINE_TERMINATORS = '\n\r\u2028\u2029';

/**
 * Longest argument text converted to an array or object. The leaderboard reads these with regular expressions;
 * longer text stays a string (and so fails the type check) rather than letting a model's answer cost unbounded time.
 */
export const MAX_CONVERTED_CHARS = 4096;

/**
 * Where the leaderboard's two-dimensional array pattern
 * `^(?:\[\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\]|\bnew\s+Array\(\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\))` ends its match, or -1.
 *
 * A backtracking engine takes exponential time on that pattern (each `.*?` may swallow the next row), so its first
 * match in backtracking order is computed here in one right-to-left pass. The whitespace runs are forced (each is
 * followed by a non-space), so the only choices are where each lazy row ends (the earliest `]` on its line that
 * lets the rest match) and whether another `, [row]` follows (tried before closing). `tail[p]` is where the rest
 * `(,\s*\[.*?\]\s*)*<closer>` ends when it starts at p, and `rowEnd[k]` the earliest `]` at or after k on k's line
 * from which the rest matches.
 */
function grid2dEnd(code: string): number {
  const bracketed = code.startsWith('[');
  const prefix = bracketed ? 1 : NEW_ARRAY.exec(code)?.[0].length;
  if (prefix === undefined) return -1;
  const closer = bracketed ? ']' : ')';
  const n = code.length;
  const nonSpace = new Int32Array(n + 1).fill(n);
  const tail = new Int32Array(n + 1).fill(-1);
  const rowEnd = new Int32Array(n + 2).fill(-1);
  for (let k = n - 1; k >= 0; k--) nonSpace[k] = /\s/.test(code[k]!) ? nonSpace[k + 1]! : k;
  const afterRow = (close: number): number => tail[nonSpace[close + 1]!]!;
  for (let k = n - 1; k >= 0; k--) {
    const ch = code[k]!;
    if (ch === ',') {
      const open = nonSpace[k + 1]!;
      const close = code[open] === '[' ? rowEnd[open + 1]! : -1;
      tail[k] = close === -1 ? -1 : afterRow(close);
    } else if (ch === closer) tail[k] = k + 1;
    if (LINE_TERMINATORS.includes(ch)) rowEnd[k] = -1;
    else rowEnd[k] = ch === ']' && afterRow(k) !== -1 ? k : rowEnd[k + 1]!;
  }
  const open = nonSpace[prefix]!;
  if (code[open] !== '[') return -1;
  const close = rowEnd[open + 1]!;
  return close === -1 ? -1 : afterRow(close);
}

function parseArray(code: string, elementType: string | undefined): PyValue {
  if (code.length > MAX_CONVERTED_CHARS) return code;
  const gridEnd = grid2dEnd(code);
  if (gridEnd !== -1) {
    // Rows are the bracketed runs; the first one still carries the outer '['.
    return [...code.slice(0, gridEnd).matchAll(/\[(.*?)\]/g)].map((row, i) => {
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
  if (code.length > MAX_CONVERTED_CHARS) return code;
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
