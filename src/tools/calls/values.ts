/**
 * Python values as the leaderboard's checker sees them. The official checker compares Python objects, so the
 * distinctions Python makes matter here: `int` and `float` are different types (`type(4) != type(4.0)`) yet equal
 * values (`4 == 4.0`), `bool` is its own type, a tuple never equals a list, and dict equality ignores key order.
 * JavaScript numbers cannot keep int apart from float, so ints are `bigint` and floats are `number`.
 */
export type PyScalar = null | boolean | bigint | number | string;
export type PyValue = PyScalar | PyList | PyTuple | PyDict;
export type PyList = readonly PyValue[];
export type PyDict = ReadonlyMap<PyScalar, PyValue>;

/** A Python tuple: kept apart from lists because `(1, 2) != [1, 2]` in Python. */
export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export type PyTypeName = 'NoneType' | 'bool' | 'int' | 'float' | 'str' | 'list' | 'tuple' | 'dict';

/** Python's `type(value).__name__`. */
export function pyType(value: PyValue): PyTypeName {
  if (value === null) return 'NoneType';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'str';
  }
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyTuple) return 'tuple';
  return 'dict';
}

export const isPyList = (value: PyValue | undefined): value is PyList => Array.isArray(value);
export const isPyDict = (value: PyValue | undefined): value is PyDict => value instanceof Map;

/** Numeric view of bool/int/float, the way Python compares them (`True == 1 == 1.0`); undefined otherwise. */
function numeric(value: PyValue): number | bigint | undefined {
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'bigint' || typeof value === 'number') return value;
  return undefined;
}

/** Python `a == b` for the values the checker handles. */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined || nb !== undefined) {
    if (na === undefined || nb === undefined) return false;
    // bigint == number compares mathematically in JavaScript, as int == float does in Python.
    return na == nb;
  }
  if (a === null || b === null || typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item: PyValue, i: number) => pyEquals(item, (b as PyList)[i]!));
  }
  if (a instanceof PyTuple || b instanceof PyTuple) {
    if (!(a instanceof PyTuple) || !(b instanceof PyTuple) || a.items.length !== b.items.length) return false;
    return a.items.every((item, i) => pyEquals(item, b.items[i]!));
  }
  const da = a as PyDict;
  const db = b as PyDict;
  if (da.size !== db.size) return false;
  for (const [key, value] of da) {
    const other = dictGet(db, key);
    if (other === undefined || !pyEquals(value, other)) return false;
  }
  return true;
}

/** Python `value in options`. */
export const pyIn = (value: PyValue, options: readonly PyValue[]): boolean => options.some((o) => pyEquals(value, o));

/** Python `dict[key]` lookup with Python key equality (`1 == 1.0 == True`); undefined when absent. */
export function dictGet(dict: PyDict, key: PyScalar): PyValue | undefined {
  const direct = dict.get(key);
  if (direct !== undefined || dict.has(key)) return direct;
  if (typeof key === 'string' || key === null) return undefined;
  for (const [k, v] of dict) if (k !== null && typeof k !== 'string' && pyEquals(k, key)) return v;
  return undefined;
}

/** Python `key in dict`. */
export const dictHas = (dict: PyDict, key: PyScalar): boolean => dictGet(dict, key) !== undefined;

/** Python's float repr: always shows a fractional part or exponent (`4.0`, `1e+20`). */
/**
 * Python's `repr(float)`: the shortest digits that read back (as JavaScript's), written in fixed notation when the
 * exponent is in [-4, 16) and otherwise as `d.ddde±XX` with at least two exponent digits.
 */
function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const [mantissa, exponentText] = Math.abs(x).toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  const digits = mantissa.replace('.', '');
  if (exponent < -4 || exponent >= 16) return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  return `${sign}${whole}.${digits.slice(exponent + 1) || '0'}`;
}

function stringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else out += ch;
  }
  return out + quote;
}

/** Python `repr(value)`: how reasons quote expected and actual values. */
export function pyRepr(value: PyValue): string {
  if (value === null) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'bigint':
      return value.toString();
    case 'number':
      return floatRepr(value);
    case 'string':
      return stringRepr(value);
  }
  if (Array.isArray(value)) return '[' + value.map(pyRepr).join(', ') + ']';
  if (value instanceof PyTuple) {
    return value.items.length === 1 ? `(${pyRepr(value.items[0]!)},)` : '(' + value.items.map(pyRepr).join(', ') + ')';
  }
  return '{' + [...(value as PyDict)].map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ') + '}';
}

/**
 * Python's `int(s)`, falling back to `float(s)`, on a string: what the leaderboard's Java and JavaScript converters
 * do with a literal they have no type for. Undefined when neither accepts the text.
 */
export function parsePythonNumber(text: string): bigint | number | undefined {
  const s = text.trim();
  if (/^[+-]?\d+(?:_\d+)*$/.test(s)) return BigInt(s.replace(/_/g, '').replace(/^\+/, ''));
  if (/^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/.test(s)) return Number(s.replace(/_/g, ''));
  if (/^[+-]?(?:inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  return undefined;
}
