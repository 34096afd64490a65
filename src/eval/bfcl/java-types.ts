/**
 * The leaderboard's Java type rules: a simple_java argument arrives as Java source text and is converted by its
 * schema type (`long` needs an `L` suffix, `float` an `f`, `double` none; arrays, `ArrayList` and `HashMap` literals
 * are read by pattern). Text that does not fit the type stays a string, so the type check then fails on it.
 *
 * The official `Array` rule keeps the quotes of `String`/`char` elements (`new String[]{"a"}` reads as `['"a"']`),
 * which makes every correct string array wrong; the official reading keeps that, the lenient one unquotes those
 * elements, as the official `ArrayList` rule already does.
 */
import { PyScalar, PyValue, parsePythonNumber } from '../../tools/calls/values.js';
import { MAX_CONVERTED_CHARS } from './js-types.js';
import type { CallReading } from '../../tools/calls/python-syntax.js';
import { ToolkenError } from '../../util/errors.js';

/** The Python type each Java schema type is checked against (the leaderboard's JAVA_TYPE_CONVERSION). */
export const JAVA_TYPES: Readonly<Record<string, 'int' | 'float' | 'bool' | 'str' | 'list' | 'dict' | 'set'>> = {
  byte: 'int',
  short: 'int',
  integer: 'int',
  float: 'float',
  double: 'float',
  long: 'int',
  boolean: 'bool',
  char: 'str',
  Array: 'list',
  ArrayList: 'list',
  Set: 'set',
  HashMap: 'dict',
  Hashtable: 'dict',
  Queue: 'list',
  Stack: 'list',
  String: 'str',
  any: 'str',
};

/** A schema type the leaderboard declares but never implemented a conversion for. */
export class UnsupportedTypeError extends ToolkenError {
  constructor(type: string) {
    super('JAVA_TYPE_UNSUPPORTED', `conversion of Java type '${type}' is not implemented by the leaderboard`);
  }
}

const INTEGER = /^-?\d+$/;
const FLOAT_F = /^-?\d+(\.\d+)?([eE][+-]?\d+)?[fF]$/;
const DOUBLE = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
const LONG_L = /^-?\d+[lL]$/;

/** Converts Java source text to the value the checker compares, by schema type and element type. */
export function convertJava(text: string, type: string, elementType?: string, reading: CallReading = 'official'): PyValue {
  switch (type) {
    case 'byte':
    case 'short':
    case 'integer':
      return INTEGER.test(text) ? BigInt(text) : text;
    case 'float':
      return FLOAT_F.test(text) ? Number(text.slice(0, -1)) : text;
    case 'double':
      return DOUBLE.test(text) ? Number(text) : text;
    case 'long':
      return LONG_L.test(text) ? BigInt(text.slice(0, -1)) : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'char':
    case 'String':
    case 'any':
      return text;
    case 'Array':
    case 'ArrayList':
    case 'HashMap':
      // The leaderboard's patterns for these are polynomial in the text; longer text stays a string.
      if (text.length > MAX_CONVERTED_CHARS) return text;
      return type === 'Array' ? parseArray(text, elementType, reading) : type === 'ArrayList' ? parseArrayList(text, elementType) : parseHashMap(text);
    default:
      throw new UnsupportedTypeError(type);
  }
}

/** A Java literal read without a declared type (elements of untyped collections, HashMap values). */
export function parseJavaLiteral(text: string): PyValue {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1);
  if (LONG_L.test(text)) return BigInt(text.slice(0, -1));
  if (FLOAT_F.test(text)) return Number(text.slice(0, -1));
  return parsePythonNumber(text) ?? text;
}

const unquote = (text: string, quote: string): string => (text.length >= 2 && text.startsWith(quote) && text.endsWith(quote) ? text.slice(1, -1) : text);

function element(text: string, elementType: string | undefined): PyValue {
  if (elementType === 'String') return unquote(text, '"');
  if (elementType === 'char') return unquote(text, "'");
  return elementType !== undefined ? convertJava(text, elementType) : parseJavaLiteral(text);
}

function parseArray(text: string, elementType: string | undefined, reading: CallReading): PyValue {
  const m = /new\s+\w+\[\]\s*\{(.*?)\}/.exec(text);
  if (m === null) return text;
  // Officially each element goes through the element type's own rule, which keeps String and char text as written.
  const read = reading === 'official' && elementType !== undefined ? (x: string) => convertJava(x, elementType) : (x: string) => element(x, elementType);
  return m[1]!
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0)
    .map(read);
}

function parseArrayList(text: string, elementType: string | undefined): PyValue {
  // In ArrayList literals the leaderboard drops the first and last character of String/char elements unconditionally.
  const listElement = (x: string): PyValue => (elementType === 'String' || elementType === 'char' ? x.slice(1, -1) : element(x, elementType));
  const asList = /new\s+ArrayList<\w*>\(Arrays\.asList\((.+?)\)\)/.exec(text);
  if (asList !== null) return asList[1]!.split(',').map((x) => listElement(x.trim()));
  const adds = /new\s+ArrayList<\w*>\(\)\s*\{\{\s*(.+?)\s*\}\}/s.exec(text);
  if (adds !== null) return [...adds[1]!.matchAll(/add\((.+?)\)/g)].map((m) => listElement(m[1]!.trim()));
  if (/new\s+ArrayList<\w*>\(\)/.test(text)) return [];
  return text;
}

function parseHashMap(text: string): PyValue {
  const m = /new\s+HashMap<.*?>\s*\(\)\s*\{\s*\{?\s*(.*?)\s*\}?\s*\}/s.exec(text);
  if (m !== null) {
    const out = new Map<PyScalar, PyValue>();
    for (const put of m[1]!.matchAll(/put\("(.*?)",\s*(.*?)\)/g)) out.set(put[1]!, parseJavaLiteral(put[2]!.trim()));
    return out;
  }
  if (/new\s+HashMap<.*?>\s*\(\)/.test(text)) return new Map();
  return text;
}
