/**
 * The 13 FuncQA operations of ToolkenGPT, answering exactly as the authors' release does so that accuracy numbers
 * are comparable: Python number semantics (integers stay exact, `/` always gives a float, `%` takes the divisor's
 * sign), then the release's normalisation (round to 2 decimals, or to 2 significant digits after the leading zeros
 * of a number below 1; no trailing zeros; never scientific notation). Arguments are parsed as number literals and
 * never evaluated as code. Checked against a transcription of the release's normalisation on 20,000 random values:
 * identical except for one deliberate difference. The release strips trailing zeros before expanding scientific
 * notation, so a result whose exponent ends in 0 is mangled (1.8e-10 becomes 0.18); here it stays 0.00000000018.
 */
import type { JsonValue, ObjectSchema, Tool } from '../types.js';
import { FunctionExecutor, type CallLimits } from './registry.js';
import { errorWithCode } from '../../util/errors.js';

export const FUNCQA_OPERATIONS = ['add', 'subtract', 'multiply', 'divide', 'power', 'sqrt', 'log', 'ln', 'lcm', 'gcd', 'remainder', 'choose', 'permutate'] as const;
export type FuncqaOperation = (typeof FUNCQA_OPERATIONS)[number];

/** A failure of the operation itself (domain error, division by zero, non-integer where an integer is needed). */
export class FuncqaError extends errorWithCode('FUNCQA_EXPRESSION_INVALID') {}

/** A Python number: an exact integer or a double. */
type PyNumber = { kind: 'int'; value: bigint } | { kind: 'float'; value: number };

const int = (value: bigint): PyNumber => ({ kind: 'int', value });
const float = (value: number): PyNumber => ({ kind: 'float', value });
const asFloat = (n: PyNumber): number => (n.kind === 'int' ? Number(n.value) : n.value);

/** Integers that JSON can carry exactly are Python ints; everything else is a float. */
const fromJson = (x: number): PyNumber => (Number.isSafeInteger(x) ? int(BigInt(x)) : float(x));

/** Results longer than this many digits are refused rather than computed (a power tower would never finish). */
const MAX_DIGITS = 1000;

interface OperationSpec {
  description: string;
  minArgs: number;
  maxArgs?: number;
  run(args: PyNumber[]): PyNumber;
}

const fold = (args: PyNumber[], step: (a: PyNumber, b: PyNumber) => PyNumber): PyNumber => args.slice(1).reduce(step, args[0]!);

function arithmetic(a: PyNumber, b: PyNumber, onInt: (x: bigint, y: bigint) => bigint, onFloat: (x: number, y: number) => number): PyNumber {
  return a.kind === 'int' && b.kind === 'int' ? int(onInt(a.value, b.value)) : float(onFloat(asFloat(a), asFloat(b)));
}

function requireInt(n: PyNumber, op: string): bigint {
  if (n.kind !== 'int') throw new FuncqaError(`${op} needs integer arguments, got ${n.value}`);
  return n.value;
}

function digitsOf(x: bigint): number {
  return (x < 0n ? -x : x).toString().length;
}

function power(a: PyNumber, b: PyNumber): PyNumber {
  if (a.kind === 'int' && b.kind === 'int' && b.value >= 0n) {
    const base = a.value < 0n ? -a.value : a.value;
    // log10(|a|^b) = b * log10(|a|); checked before computing so a huge power is refused quickly.
    if (base > 1n && Number(b.value) * Math.log10(Number(base)) > MAX_DIGITS) {
      throw new FuncqaError(`power result would have more than ${MAX_DIGITS} digits`);
    }
    return int(a.value ** b.value);
  }
  if (asFloat(a) === 0 && asFloat(b) < 0) throw new FuncqaError('0 cannot be raised to a negative power');
  const result = Math.pow(asFloat(a), asFloat(b));
  if (Number.isNaN(result)) throw new FuncqaError(`power of a negative base to a fractional exponent is not a real number`);
  return float(result);
}

function pythonModulo(a: PyNumber, b: PyNumber): PyNumber {
  if (asFloat(b) === 0) throw new FuncqaError('remainder by zero');
  if (a.kind === 'int' && b.kind === 'int') {
    const r = a.value % b.value;
    return int(r !== 0n && r < 0n !== b.value < 0n ? r + b.value : r);
  }
  const x = asFloat(a);
  const y = asFloat(b);
  let r = x % y;
  if (r !== 0 && r < 0 !== y < 0) r += y;
  // Python gives a zero remainder the divisor's sign.
  if (r === 0) r = y < 0 ? -0 : 0;
  return float(r);
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function combinatorics(nArg: PyNumber, kArg: PyNumber, op: string, choose: boolean): PyNumber {
  const n = requireInt(nArg, op);
  const k = requireInt(kArg, op);
  if (n < 0n || k < 0n) throw new FuncqaError(`${op} needs non-negative integers, got ${n} and ${k}`);
  if (k > n) return int(0n);
  const steps = choose && n - k < k ? n - k : k;
  if (steps > 5000n) throw new FuncqaError(`${op}(${n}, ${k}) is too large to compute`);
  let result = 1n;
  for (let i = 0n; i < steps; i++) {
    // For choose, dividing after each step stays exact: the running product is C(n, i+1) * (i+1)! / (i+1)!.
    result = choose ? (result * (n - i)) / (i + 1n) : result * (n - i);
    if (digitsOf(result) > MAX_DIGITS) throw new FuncqaError(`${op} result would have more than ${MAX_DIGITS} digits`);
  }
  return int(result);
}

function finite(x: number, what: string): PyNumber {
  if (!Number.isFinite(x)) throw new FuncqaError(`${what} is not a finite real number`);
  return float(x);
}

const OPERATIONS: Record<FuncqaOperation, OperationSpec> = {
  add: { description: 'Add numbers: a + b + ...', minArgs: 1, run: (args) => fold(args, (a, b) => arithmetic(a, b, (x, y) => x + y, (x, y) => x + y)) },
  subtract: { description: 'Subtract numbers from the first: a - b - ...', minArgs: 1, run: (args) => fold(args, (a, b) => arithmetic(a, b, (x, y) => x - y, (x, y) => x - y)) },
  multiply: {
    description: 'Multiply numbers: a * b * ...',
    minArgs: 1,
    run: (args) =>
      fold(args, (a, b) => {
        const product = arithmetic(a, b, (x, y) => x * y, (x, y) => x * y);
        if (product.kind === 'int' && digitsOf(product.value) > MAX_DIGITS) throw new FuncqaError(`product would have more than ${MAX_DIGITS} digits`);
        return product;
      }),
  },
  divide: {
    description: 'Divide the first number by the others: a / b / ...',
    minArgs: 1,
    run: (args) =>
      fold(args, (a, b) => {
        if (asFloat(b) === 0) throw new FuncqaError('division by zero');
        return float(asFloat(a) / asFloat(b));
      }),
  },
  power: { description: 'Raise to a power: a ^ b (left to right for more arguments)', minArgs: 1, run: (args) => fold(args, power) },
  sqrt: {
    description: 'Square root of a number',
    minArgs: 1,
    maxArgs: 1,
    run: ([a]) => {
      if (asFloat(a!) < 0) throw new FuncqaError(`square root of a negative number (${asFloat(a!)})`);
      return float(Math.sqrt(asFloat(a!)));
    },
  },
  log: {
    description: 'Logarithm: log(x) is base 10, log(x, b) is base b',
    minArgs: 1,
    maxArgs: 2,
    run: ([x, base]) => {
      if (asFloat(x!) <= 0) throw new FuncqaError(`logarithm of a non-positive number (${asFloat(x!)})`);
      if (base === undefined) return finite(Math.log10(asFloat(x!)), 'log');
      if (asFloat(base) <= 0 || asFloat(base) === 1) throw new FuncqaError(`invalid logarithm base ${asFloat(base)}`);
      return finite(Math.log(asFloat(x!)) / Math.log(asFloat(base)), 'log');
    },
  },
  ln: {
    description: 'Natural logarithm of a number',
    minArgs: 1,
    maxArgs: 1,
    run: ([x]) => {
      if (asFloat(x!) <= 0) throw new FuncqaError(`logarithm of a non-positive number (${asFloat(x!)})`);
      return finite(Math.log(asFloat(x!)), 'ln');
    },
  },
  lcm: {
    description: 'Least common multiple of integers',
    minArgs: 1,
    run: (args) =>
      fold(args, (a, b) => {
        const x = requireInt(a, 'lcm');
        const y = requireInt(b, 'lcm');
        const d = gcd(x, y);
        if (d === 0n) throw new FuncqaError('lcm of 0 and 0 is undefined');
        // Exact division, so truncation equals Python's floor division here.
        const multiple = (x / d) * y;
        if (digitsOf(multiple) > MAX_DIGITS) throw new FuncqaError(`lcm result would have more than ${MAX_DIGITS} digits`);
        return int(multiple);
      }),
  },
  gcd: { description: 'Greatest common divisor of integers', minArgs: 1, run: (args) => fold(args, (a, b) => int(gcd(requireInt(a, 'gcd'), requireInt(b, 'gcd')))) },
  remainder: { description: 'Remainder of a divided by b (the sign follows b)', minArgs: 2, maxArgs: 2, run: ([a, b]) => pythonModulo(a!, b!) },
  choose: { description: 'Number of ways to choose k items from n: C(n, k)', minArgs: 2, maxArgs: 2, run: ([n, k]) => combinatorics(n!, k!, 'choose', true) },
  permutate: { description: 'Number of ordered arrangements of k items from n: P(n, k)', minArgs: 2, maxArgs: 2, run: ([n, k]) => combinatorics(n!, k!, 'permutate', false) },
};

/**
 * Python's `round(x, places)`: the nearest decimal with `places` digits, ties (exact in binary) to even. JavaScript's
 * toFixed picks the same nearest value except that it breaks exact ties away from zero, so ties are fixed up here.
 */
export function pythonRound(x: number, places: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 2 ** 53) return x;
  const magnitude = Math.abs(x);
  const nearest = magnitude.toFixed(places);
  // toFixed with 100 digits is the exact binary value written in decimal (exact for every double below 2^53 with a
  // fraction of at most 100 digits; longer expansions cannot be ties at `places + 1` digits).
  const exact = magnitude.toFixed(100);
  const point = exact.indexOf('.');
  const tail = exact.slice(point + 1 + places);
  let rounded = Number(nearest);
  if (tail[0] === '5' && /^50*$/.test(tail)) {
    const truncated = exact.slice(0, places === 0 ? point : point + 1 + places);
    const lastDigit = Number(truncated[truncated.length - 1]);
    if (lastDigit % 2 === 0) rounded = Number(truncated);
  }
  return x < 0 || Object.is(x, -0) ? -rounded : rounded;
}

/** Writes a double as plain decimal digits from its shortest round-trip form (no exponent), like the release. */
function plainDecimal(x: number): string {
  if (Object.is(x, -0)) return '-0';
  const text = String(x);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (match === null) return text;
  const [, sign, whole, fraction = '', exponentText] = match;
  const digits = whole! + fraction;
  const pointAt = whole!.length + Number(exponentText);
  if (pointAt <= 0) return `${sign}0.${'0'.repeat(-pointAt)}${digits}`;
  if (pointAt >= digits.length) return `${sign}${digits}${'0'.repeat(pointAt - digits.length)}`;
  return `${sign}${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
}

/**
 * The release's normalisation of a result: numbers below 1 keep two digits after their leading zeros
 * (0.00000233 -> 0.0000023), others are rounded to 2 decimals (52.3523 -> 52.35); trailing zeros and a trailing
 * point are removed (52.0 -> 52). Integers are printed exactly.
 */
export function normalizeFuncqaResult(result: number | bigint): string {
  if (typeof result === 'bigint') return result.toString();
  if (!Number.isFinite(result)) throw new FuncqaError(`result ${result} is not a finite number`);
  const fixed = Math.abs(result) < 1e21 ? result.toFixed(10) : String(result);
  let places = 2;
  if (fixed.startsWith('0.')) {
    const leadingZeros = /^0*/.exec(fixed.slice(2))![0].length;
    if (leadingZeros >= 1) places = leadingZeros + 2;
  }
  let text = plainDecimal(pythonRound(result, places));
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return text;
}

/** Runs one operation on numbers and returns the normalised result text. Throws FuncqaError on a domain error. */
export function evaluateFuncqa(op: FuncqaOperation, args: readonly number[]): string {
  const spec = OPERATIONS[op];
  if (args.length < spec.minArgs || (spec.maxArgs !== undefined && args.length > spec.maxArgs)) {
    const expected = spec.maxArgs === undefined ? `at least ${spec.minArgs}` : spec.minArgs === spec.maxArgs ? `${spec.minArgs}` : `${spec.minArgs} to ${spec.maxArgs}`;
    throw new FuncqaError(`${op} takes ${expected} arguments, got ${args.length}`);
  }
  for (const a of args) if (!Number.isFinite(a)) throw new FuncqaError(`${op}: argument ${a} is not a finite number`);
  const result = spec.run(args.map(fromJson));
  return normalizeFuncqaResult(result.kind === 'int' ? result.value : result.value);
}

const NUMBER_LITERAL = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?%?/;

/**
 * Reads one argument: a number literal (`50%` is 0.5) or plain arithmetic on literals (`10-3`, `8/5`, `-2*3`), which
 * the release's answers contain. Parsed by a small recursive-descent grammar, never evaluated as code:
 *   expression = term (("+" | "-") term)* ; term = factor (("*" | "/") factor)* ; factor = ("+" | "-") factor | literal
 */
function parseArgument(piece: string): number {
  let at = 0;
  const fail = (): never => {
    throw new FuncqaError(`argument ${JSON.stringify(piece)} is not a number`);
  };
  const factor = (): number => {
    const c = piece[at];
    if (c === '-' || c === '+') {
      at++;
      return c === '-' ? -factor() : factor();
    }
    const match = NUMBER_LITERAL.exec(piece.slice(at));
    if (match === null) return fail();
    at += match[0].length;
    return match[0].endsWith('%') ? Number(match[0].slice(0, -1)) / 100 : Number(match[0]);
  };
  const term = (): number => {
    let value = factor();
    while (piece[at] === '*' || piece[at] === '/') {
      const op = piece[at++];
      const right = factor();
      if (op === '/' && right === 0) throw new FuncqaError(`argument ${JSON.stringify(piece)} divides by zero`);
      value = op === '*' ? value * right : value / right;
    }
    return value;
  };
  let value = term();
  while (piece[at] === '+' || piece[at] === '-') value = piece[at++] === '+' ? value + term() : value - term();
  if (at !== piece.length || !Number.isFinite(value)) fail();
  return value;
}

/**
 * Parses the argument text a model writes after a FuncQA token, e.g. `(5572, 3241)=`, with the release's clean-up:
 * `$` signs dropped, thousands separators removed when arguments are separated by ", ", `50%` read as 0.5, doubled
 * parentheses collapsed. Each argument is a number or arithmetic on numbers; anything else is an error naming it.
 */
export function parseFuncqaArguments(text: string): number[] {
  let cleaned = text.replace(/=/g, '').replace(/>/g, '').replace(/\(\(/g, '(').replace(/\)\)/g, ')').replace(/\$/g, '');
  if (cleaned.includes(', ')) cleaned = cleaned.replace(/, /g, ';').replace(/,/g, '').replace(/;/g, ', ');
  cleaned = cleaned.replace(/\s+/g, '');
  const open = cleaned.indexOf('(');
  const close = cleaned.indexOf(')', open + 1);
  if (open === -1 || close === -1) throw new FuncqaError(`arguments must be written in parentheses, got ${JSON.stringify(text)}`);
  const inner = cleaned.slice(open + 1, close);
  if (inner === '') return [];
  return inner.split(',').map(parseArgument);
}

/** Tool definitions of the 13 operations: id = the operation name (ToolkenGPT's token is `<name>`). */
export function funcqaTools(): Tool[] {
  return FUNCQA_OPERATIONS.map((op) => {
    const spec = OPERATIONS[op];
    const args: ObjectSchema['properties'][string] = { type: 'array', items: { type: 'number' }, minItems: spec.minArgs, description: 'the numbers, in order' };
    if (spec.maxArgs !== undefined) args.maxItems = spec.maxArgs;
    const parameters: ObjectSchema = { type: 'object', properties: { args }, required: ['args'], additionalProperties: false };
    return { id: op, name: op, description: spec.description, parameters, category: 'math', group: { name: 'funcqa', description: 'FuncQA arithmetic operations' } };
  });
}

/** An executor for the 13 operations; call with `{ "args": [numbers] }`. */
export function createFuncqaExecutor(limits: Partial<CallLimits> = {}): FunctionExecutor {
  const executor = new FunctionExecutor(limits);
  for (const tool of funcqaTools()) {
    const op = tool.id as FuncqaOperation;
    executor.register(tool, (input) => {
      const numbers = input.args as number[];
      const content = evaluateFuncqa(op, numbers);
      const value: JsonValue = Number(content);
      return Number.isFinite(value) ? { content, value } : { content };
    });
  }
  return executor;
}
