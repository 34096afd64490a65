/**
 * A parser for the Python expressions the leaderboard's prompting mode asks models for, `[f(a=1), g.h(b="x")]`,
 * and the rules that turn them into calls. The rules follow the official decoder (`ast.parse(..., mode="eval")`
 * then `resolve_ast_by_type`): keyword arguments only, literal values, names read as their identifier, calls
 * without keywords read as their source text, calls with keywords as nested `{name: {args}}` dicts, arithmetic on
 * literals computed. Nothing is ever evaluated as code; anything outside these rules is a decode error.
 */
import { PyDict, PyScalar, PyTuple, PyValue, pyRepr } from './values.js';
import { errorWithCode } from '../../util/errors.js';

/** A decoded function call: the dotted name and its keyword arguments in source order. */
export interface DecodedCall {
  readonly name: string;
  readonly args: ReadonlyMap<string, PyValue>;
}

/**
 * How model output is read. `official`: exactly as the leaderboard's decoders do, quirks included (README.md in
 * src/eval/bfcl lists each quirk and the rule it follows). `lenient`: toolken's reading, which also accepts the
 * wrappers and forms models commonly emit and reads a few values the official code misreads.
 */
export type CallReading = 'official' | 'lenient';

/** The model output could not be read as function calls; the message says where and why. */
export class DecodeError extends errorWithCode('CALL_DECODE_FAILED') {}

// ---------------------------------------------------------------- bounds

/**
 * Model text is untrusted and decoding is synchronous, so no timeout could stop a runaway computation: every value
 * the decoder builds is bounded. Integers follow Python's own limit for integer text (4300 digits, `sys.
 * get_int_max_str_digits()`), strings built by `*` and `+` stay below a million characters, and brackets nest at most
 * 100 deep (CPython's parser stops at 200).
 */
export const MAX_INT_DIGITS = 4300;
const INT_LIMIT = 10n ** BigInt(MAX_INT_DIGITS);
const MAX_BUILT_CHARS = 1_000_000;
const MAX_NESTING = 100;

function boundedInt(value: bigint): bigint {
  if (value >= INT_LIMIT || value <= -INT_LIMIT) throw new DecodeError(`integer with more than ${MAX_INT_DIGITS} digits (Python's limit for integer literals)`);
  return value;
}

function boundedText(length: number): void {
  if (length > MAX_BUILT_CHARS) throw new DecodeError(`a value of more than ${MAX_BUILT_CHARS} characters would be built`);
}

/** Python's `x ** y` for ints, refused before computing when the result would pass the digit limit. */
function intPower(x: bigint, y: bigint): bigint {
  if (x === 0n || x === 1n) return x;
  if (x === -1n) return y % 2n === 0n ? 1n : -1n;
  const bits = (x < 0n ? -x : x).toString(2).length;
  // |x| >= 2^(bits-1), so the result has at least (bits-1) * y * log10(2) digits.
  if (y > BigInt(MAX_INT_DIGITS * 4) || (bits - 1) * Number(y) * Math.LOG10E * Math.LN2 > MAX_INT_DIGITS) {
    throw new DecodeError(`integer with more than ${MAX_INT_DIGITS} digits (Python's limit for integer literals)`);
  }
  return boundedInt(x ** y);
}

// ---------------------------------------------------------------- tokens

type TokenKind = 'name' | 'number' | 'string' | 'op' | 'end';
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly pos: number;
  /** For strings: the decoded value; for numbers: the parsed int or float. */
  readonly value?: PyValue;
}

const OPERATORS = ['...', '**', '//', '==', '!=', '<=', '>=', '->', '(', ')', '[', ']', '{', '}', ',', ':', '=', '.', '+', '-', '*', '/', '%', '@', '~', '<', '>', '|', '&', '^', ';'];

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  // Open brackets, counted here so that `[[[[...` fails at once instead of after tokenizing all of it.
  let open = 0;
  while (pos < src.length) {
    const ch = src[pos]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f') {
      pos++;
      continue;
    }
    if (ch === '\\' && (src[pos + 1] === '\n' || src[pos + 1] === '\r')) {
      pos += 2;
      continue;
    }
    if (ch === '#') {
      while (pos < src.length && src[pos] !== '\n') pos++;
      continue;
    }
    const stringStart = /^([rRuUbBfF]{0,2})(['"])/.exec(src.slice(pos, pos + 3));
    if (stringStart !== null && isStringPrefix(stringStart[1]!)) {
      const [value, end] = readString(src, pos, stringStart[1]!.toLowerCase(), stringStart[2]!);
      tokens.push({ kind: 'string', text: src.slice(pos, end), pos, value });
      pos = end;
      continue;
    }
    if (/[A-Za-z_\u00c0-\uffff]/.test(ch)) {
      const m = /^[A-Za-z_0-9\u00c0-\uffff]+/.exec(src.slice(pos))!;
      tokens.push({ kind: 'name', text: m[0], pos });
      pos += m[0].length;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(src[pos + 1] ?? ''))) {
      const [value, end] = readNumber(src, pos);
      tokens.push({ kind: 'number', text: src.slice(pos, end), pos, value });
      pos = end;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, pos));
    if (op === undefined) throw new DecodeError(`unexpected character '${ch}' at offset ${pos}`);
    if (op === '(' || op === '[' || op === '{') {
      if (++open > MAX_NESTING) throw new DecodeError(`invalid syntax: values nested more than ${MAX_NESTING} deep at offset ${pos}`);
    } else if (op === ')' || op === ']' || op === '}') open--;
    tokens.push({ kind: 'op', text: op, pos });
    pos += op.length;
  }
  tokens.push({ kind: 'end', text: '', pos });
  return tokens;
}

function isStringPrefix(prefix: string): boolean {
  const p = prefix.toLowerCase();
  return ['', 'r', 'u', 'b', 'f', 'rb', 'br', 'fr', 'rf'].includes(p);
}

function readString(src: string, start: number, prefix: string, quote: string): [PyValue, number] {
  if (prefix.includes('f')) throw new DecodeError(`f-strings are not literal values (offset ${start})`);
  if (prefix.includes('b')) throw new DecodeError(`bytes literals are not supported (offset ${start})`);
  const raw = prefix.includes('r');
  let pos = start + prefix.length;
  const triple = src.startsWith(quote.repeat(3), pos);
  const delim = triple ? quote.repeat(3) : quote;
  pos += delim.length;
  let out = '';
  for (;;) {
    if (pos >= src.length) throw new DecodeError(`unterminated string starting at offset ${start}`);
    if (src.startsWith(delim, pos)) return [out, pos + delim.length];
    const ch = src[pos]!;
    if (ch === '\n' && !triple) throw new DecodeError(`unterminated string starting at offset ${start}`);
    if (ch !== '\\') {
      out += ch;
      pos++;
      continue;
    }
    const next = src[pos + 1];
    if (next === undefined) throw new DecodeError(`unterminated string starting at offset ${start}`);
    if (raw) {
      // A raw string keeps the backslash; it only stops the next character from closing the string.
      out += ch + next;
      pos += 2;
      continue;
    }
    const [text, used] = escapeSequence(src, pos);
    out += text;
    pos += used;
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\n': '',
};

/** Decodes the escape at `src[pos] === '\\'`; returns the text and the characters consumed. */
function escapeSequence(src: string, pos: number): [string, number] {
  const next = src[pos + 1]!;
  const simple = SIMPLE_ESCAPES[next];
  if (simple !== undefined) return [simple, 2];
  const octal = /^[0-7]{1,3}/.exec(src.slice(pos + 1, pos + 4));
  if (octal !== null) return [String.fromCodePoint(parseInt(octal[0], 8)), 1 + octal[0].length];
  const hexLength = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
  if (hexLength > 0) {
    const hex = src.slice(pos + 2, pos + 2 + hexLength);
    if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) throw new DecodeError(`bad \\${next} escape at offset ${pos}`);
    return [String.fromCodePoint(parseInt(hex, 16)), 2 + hexLength];
  }
  if (next === 'N') throw new DecodeError(`\\N{...} escapes are not supported (offset ${pos})`);
  // Python keeps unknown escapes as written.
  return ['\\' + next, 2];
}

function readNumber(src: string, start: number): [PyValue, number] {
  const rest = src.slice(start);
  const radix = /^0([xX][0-9a-fA-F_]+|[oO][0-7_]+|[bB][01_]+)/.exec(rest);
  if (radix !== null) {
    if (radix[0].length > MAX_INT_DIGITS + 2) throw new DecodeError(`integer with more than ${MAX_INT_DIGITS} digits at offset ${start}`);
    return [boundedInt(BigInt(radix[0].replace(/_/g, '').toLowerCase())), start + radix[0].length];
  }
  const m = /^(?:\d[\d_]*)?(\.[\d_]*)?(?:[eE][+-]?\d[\d_]*)?/.exec(rest)!;
  let text = m[0];
  if (text === '' || text === '.') throw new DecodeError(`bad number at offset ${start}`);
  let end = start + text.length;
  if (/[jJ]/.test(src[end] ?? '')) throw new DecodeError(`complex numbers are not supported (offset ${start})`);
  if (/[A-Za-z_]/.test(src[end] ?? '')) throw new DecodeError(`bad number at offset ${start}`);
  text = text.replace(/_/g, '');
  const isFloat = /[.eE]/.test(text);
  if (!isFloat && /^0\d/.test(text) && !/^0+$/.test(text)) throw new DecodeError(`leading zeros in a decimal integer at offset ${start}`);
  if (!isFloat && text.length > MAX_INT_DIGITS) throw new DecodeError(`integer with more than ${MAX_INT_DIGITS} digits at offset ${start}`);
  return [isFloat ? Number(text) : BigInt(text), end];
}

// ---------------------------------------------------------------- syntax tree

type Node =
  | { readonly type: 'const'; readonly value: PyValue; readonly ellipsis?: true }
  | { readonly type: 'name'; readonly id: string }
  | { readonly type: 'attribute'; readonly value: Node; readonly attr: string }
  | { readonly type: 'call'; readonly func: Node; readonly args: readonly Node[]; readonly keywords: readonly Keyword[] }
  | { readonly type: 'list' | 'tuple' | 'set'; readonly elts: readonly Node[] }
  | { readonly type: 'dict'; readonly keys: readonly Node[]; readonly values: readonly Node[] }
  | { readonly type: 'unary'; readonly op: string; readonly operand: Node }
  | { readonly type: 'binary'; readonly op: string; readonly left: Node; readonly right: Node }
  | { readonly type: 'subscript'; readonly value: Node; readonly slice: Node }
  | { readonly type: 'starred'; readonly value: Node };

interface Keyword {
  readonly arg: string;
  readonly value: Node;
}

const KEYWORD_CONSTANTS: ReadonlyMap<string, PyValue> = new Map<string, PyValue>([
  ['True', true],
  ['False', false],
  ['None', null],
]);
const RESERVED = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else', 'lambda', 'for', 'while', 'def', 'class', 'return', 'import', 'from', 'with', 'as', 'yield', 'await', 'async', 'pass', 'del', 'global', 'nonlocal', 'try', 'except', 'finally', 'raise', 'assert', 'break', 'continue', 'elif']);

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly tokens: readonly Token[],
    /** Python's parser accepts `f(a=1, a=2)` (only the compiler refuses it), so the official reading does too. */
    private readonly allowRepeatedKeywords = false,
  ) {}

  private get tok(): Token {
    return this.tokens[this.i]!;
  }

  private isOp(text: string): boolean {
    return this.tok.kind === 'op' && this.tok.text === text;
  }

  private take(text: string): boolean {
    if (!this.isOp(text)) return false;
    this.i++;
    return true;
  }

  private expect(text: string): void {
    if (!this.take(text)) throw this.error(`expected '${text}'`);
  }

  private error(what: string): DecodeError {
    const t = this.tok;
    return new DecodeError(`invalid syntax: ${what}, found ${t.kind === 'end' ? 'end of input' : `'${t.text}'`} at offset ${t.pos}`);
  }

  /** The whole input as one expression (Python's `mode="eval"`). */
  parseExpression(): Node {
    const node = this.expressionList('end');
    if (this.tok.kind !== 'end') throw this.error('unexpected text after the expression');
    return node;
  }

  /** `a, b` without brackets is a tuple, as in Python. */
  private expressionList(closer: string): Node {
    const first = this.expression();
    if (!this.isOp(',')) return first;
    const elts = [first];
    while (this.take(',')) {
      if (this.isOp(closer) || this.tok.kind === 'end') break;
      elts.push(this.expression());
    }
    return { type: 'tuple', elts };
  }

  private expression(): Node {
    if (this.tok.kind === 'name' && this.tok.text === 'lambda') throw this.error('lambda is not a literal value');
    const outer = this.depth;
    this.nest();
    try {
      return this.arith();
    } finally {
      this.depth = outer;
    }
  }

  /**
   * One more level of the syntax tree under construction (a bracket, an operator in a chain, an attribute); the
   * enclosing `expression` restores the depth, so chains count as deep as the trees they build.
   */
  private nest(): void {
    if (++this.depth > MAX_NESTING) throw this.error(`values nested more than ${MAX_NESTING} deep`);
  }

  private arith(): Node {
    return this.leftChain(['+', '-'], () => this.term());
  }

  private term(): Node {
    return this.leftChain(['*', '/', '//', '%', '@'], () => this.factor());
  }

  /** `operand`s joined by any of `operators`, grouped from the left: `a - b - c` is `(a - b) - c`. */
  private leftChain(operators: readonly string[], operand: () => Node): Node {
    let left = operand();
    while (operators.some((o) => this.isOp(o))) {
      const op = this.tok.text;
      this.i++;
      this.nest();
      left = { type: 'binary', op, left, right: operand() };
    }
    return left;
  }

  private factor(): Node {
    if (this.isOp('-') || this.isOp('+') || this.isOp('~')) {
      const op = this.tok.text;
      this.i++;
      this.nest();
      return { type: 'unary', op, operand: this.factor() };
    }
    const base = this.primary();
    if (this.take('**')) {
      this.nest();
      return { type: 'binary', op: '**', left: base, right: this.factor() };
    }
    return base;
  }

  private primary(): Node {
    let node = this.atom();
    for (;;) {
      if (this.isOp('.') || this.isOp('(') || this.isOp('[')) this.nest();
      if (this.take('.')) {
        if (this.tok.kind !== 'name') throw this.error('expected an attribute name');
        node = { type: 'attribute', value: node, attr: this.tok.text };
        this.i++;
      } else if (this.take('(')) node = this.callArguments(node);
      else if (this.take('[')) {
        const slice = this.expressionList(']');
        this.expect(']');
        node = { type: 'subscript', value: node, slice };
      } else return node;
    }
  }

  private callArguments(func: Node): Node {
    const args: Node[] = [];
    const keywords: Keyword[] = [];
    const seen = new Set<string>();
    while (!this.isOp(')')) {
      if (this.isOp('*') || this.isOp('**')) throw this.error('argument unpacking is not supported');
      const next = this.tokens[this.i + 1];
      if (this.tok.kind === 'name' && next?.kind === 'op' && next.text === '=') {
        const arg = this.tok.text;
        if (seen.has(arg) && !this.allowRepeatedKeywords) throw this.error(`keyword argument repeated: ${arg}`);
        seen.add(arg);
        this.i += 2;
        keywords.push({ arg, value: this.expression() });
      } else {
        if (keywords.length > 0) throw this.error('positional argument follows keyword argument');
        args.push(this.expression());
      }
      if (!this.take(',')) break;
    }
    this.expect(')');
    return { type: 'call', func, args, keywords };
  }

  private atom(): Node {
    const t = this.tok;
    if (t.kind === 'number') {
      this.i++;
      return { type: 'const', value: t.value! };
    }
    if (t.kind === 'string') {
      // Adjacent literals concatenate, as in Python.
      let value = '';
      while (this.tok.kind === 'string') value += this.tokens[this.i++]!.value as string;
      return { type: 'const', value };
    }
    if (t.kind === 'name') {
      if (RESERVED.has(t.text)) throw this.error(`'${t.text}' is not a value`);
      this.i++;
      const constant = KEYWORD_CONSTANTS.get(t.text);
      return constant !== undefined ? { type: 'const', value: constant } : { type: 'name', id: t.text };
    }
    if (this.take('...')) return { type: 'const', value: '...', ellipsis: true };
    if (this.take('(')) {
      if (this.take(')')) return { type: 'tuple', elts: [] };
      const inner = this.expressionList(')');
      this.expect(')');
      return inner;
    }
    if (this.take('[')) {
      const elts: Node[] = [];
      while (!this.isOp(']')) {
        elts.push(this.isOp('*') ? this.starred() : this.expression());
        if (!this.take(',')) break;
      }
      this.expect(']');
      return { type: 'list', elts };
    }
    if (this.take('{')) return this.dictOrSet();
    throw this.error('expected a value');
  }

  private starred(): Node {
    this.expect('*');
    return { type: 'starred', value: this.expression() };
  }

  private dictOrSet(): Node {
    if (this.take('}')) return { type: 'dict', keys: [], values: [] };
    const first = this.expression();
    if (!this.take(':')) {
      const elts = [first];
      while (this.take(',') && !this.isOp('}')) elts.push(this.expression());
      this.expect('}');
      return { type: 'set', elts };
    }
    const keys = [first];
    const values = [this.expression()];
    while (this.take(',') && !this.isOp('}')) {
      keys.push(this.expression());
      this.expect(':');
      values.push(this.expression());
    }
    this.expect('}');
    return { type: 'dict', keys, values };
  }
}

// ---------------------------------------------------------------- resolution into values

/** Python's `ast.unparse` for the nodes above: how a call without keywords or a subscript is read as text. */
function unparse(node: Node): string {
  switch (node.type) {
    case 'const':
      return node.ellipsis ? '...' : pyRepr(node.value);
    case 'name':
      return node.id;
    case 'attribute':
      return `${unparse(node.value)}.${node.attr}`;
    case 'call': {
      const parts = [...node.args.map(unparse), ...node.keywords.map((k) => `${k.arg}=${unparse(k.value)}`)];
      return `${unparse(node.func)}(${parts.join(', ')})`;
    }
    case 'list':
      return `[${node.elts.map(unparse).join(', ')}]`;
    case 'tuple':
      return node.elts.length === 1 ? `(${unparse(node.elts[0]!)},)` : `(${node.elts.map(unparse).join(', ')})`;
    case 'set':
      return `{${node.elts.map(unparse).join(', ')}}`;
    case 'dict':
      return `{${node.keys.map((k, i) => `${unparse(k)}: ${unparse(node.values[i]!)}`).join(', ')}}`;
    case 'unary':
      return `${node.op}${unparse(node.operand)}`;
    case 'binary':
      return `${unparse(node.left)} ${node.op} ${unparse(node.right)}`;
    case 'subscript':
      return `${unparse(node.value)}[${node.slice.type === 'tuple' ? node.slice.elts.map(unparse).join(', ') : unparse(node.slice)}]`;
    case 'starred':
      return `*${unparse(node.value)}`;
  }
}

const isNumber = (v: PyValue): v is bigint | number | boolean => typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean';
const asInt = (v: bigint | boolean): bigint => (typeof v === 'boolean' ? (v ? 1n : 0n) : v);

/** Arithmetic on two literal operands with Python's rules (`/` gives a float, `//` and `%` floor). */
function arithmetic(op: string, a: PyValue, b: PyValue): PyValue {
  if (isNumber(a) && isNumber(b)) {
    if (typeof a !== 'number' && typeof b !== 'number') {
      const x = asInt(a);
      const y = asInt(b);
      switch (op) {
        case '+':
          return boundedInt(x + y);
        case '-':
          return boundedInt(x - y);
        case '*':
          return boundedInt(x * y);
        case '/':
          if (y === 0n) break;
          return Number(x) / Number(y);
        case '//':
          if (y === 0n) break;
          return x / y - ((x % y !== 0n && (x < 0n) !== (y < 0n)) ? 1n : 0n);
        case '%':
          if (y === 0n) break;
          return ((x % y) + y) % y;
        case '**':
          return y >= 0n ? intPower(x, y) : Number(x) ** Number(y);
      }
    } else {
      const x = Number(typeof a === 'boolean' ? asInt(a) : a);
      const y = Number(typeof b === 'boolean' ? asInt(b) : b);
      switch (op) {
        case '+':
          return x + y;
        case '-':
          return x - y;
        case '*':
          return x * y;
        case '/':
          if (y === 0) break;
          return x / y;
        case '//':
          if (y === 0) break;
          return Math.floor(x / y);
        case '%':
          if (y === 0) break;
          return x - y * Math.floor(x / y);
        case '**':
          return x ** y;
      }
    }
    throw new DecodeError(`cannot compute ${pyRepr(a)} ${op} ${pyRepr(b)}`);
  }
  if (op === '+' && typeof a === 'string' && typeof b === 'string') {
    boundedText(a.length + b.length);
    return a + b;
  }
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) {
    boundedText(a.length + b.length);
    return [...a, ...b];
  }
  if (op === '*' && (typeof a === 'string' || typeof b === 'string') && (typeof a === 'bigint' || typeof b === 'bigint')) {
    const text = typeof a === 'string' ? a : (b as string);
    const count = typeof a === 'bigint' ? a : (b as bigint);
    if (count <= 0n || text === '') return '';
    boundedText(count > BigInt(MAX_BUILT_CHARS) ? Infinity : text.length * Number(count));
    return text.repeat(Number(count));
  }
  throw new DecodeError(`cannot compute ${pyRepr(a)} ${op} ${pyRepr(b)}`);
}

/** Values of the operands of arithmetic: only literals and arithmetic on literals (no names, no calls). */
function literal(node: Node): PyValue {
  switch (node.type) {
    case 'const':
      return node.value;
    case 'unary':
      return negate(node.op, literal(node.operand));
    case 'binary':
      return arithmetic(node.op, literal(node.left), literal(node.right));
    case 'list':
      return node.elts.map(literal);
    case 'tuple':
      return new PyTuple(node.elts.map(literal));
    default:
      throw new DecodeError(`'${unparse(node)}' is not a literal and cannot be computed`);
  }
}

function negate(op: string, value: PyValue): PyValue {
  if (!isNumber(value) || op === '~') throw new DecodeError(`unsupported unary '${op}' on ${pyRepr(value)}`);
  if (op === '+') return typeof value === 'boolean' ? asInt(value) : value;
  return typeof value === 'number' ? -value : -asInt(value);
}

/**
 * The official decoder reads every unary operator on a constant as negation (`-value.operand.value`), so `+5` and
 * `~5` both give -5; an operand that is not a constant, or not a number, is an error there.
 */
function officialUnary(node: Node & { type: 'unary' }): PyValue {
  const operand = node.operand;
  if (operand.type !== 'const' || !isNumber(operand.value)) throw new DecodeError(`the leaderboard cannot negate '${unparse(operand)}' (in '${unparse(node)}')`);
  return negate('-', operand.value);
}

function resolveValue(node: Node, reading: CallReading): PyValue {
  switch (node.type) {
    case 'const':
      return node.value;
    case 'name':
      return node.id;
    case 'unary':
      if (reading === 'official') return officialUnary(node);
      if (node.operand.type !== 'const') throw new DecodeError(`unsupported value '${unparse(node)}'`);
      return negate(node.op, node.operand.value);
    case 'list':
      return node.elts.map((e) => resolveValue(e, reading));
    case 'tuple':
      return new PyTuple(node.elts.map((e) => resolveValue(e, reading)));
    case 'dict': {
      const out = new Map<PyScalar, PyValue>();
      node.keys.forEach((keyNode, i) => {
        const key = resolveValue(keyNode, reading);
        if (key !== null && typeof key === 'object') throw new DecodeError(`unhashable dict key ${pyRepr(key)}`);
        out.set(key, resolveValue(node.values[i]!, reading));
      });
      return out;
    }
    case 'binary':
      return arithmetic(node.op, literal(node.left), literal(node.right));
    case 'call':
      if (node.keywords.length === 0) return unparse(node);
      return nestedCall(resolveCall(node, reading));
    case 'subscript':
      return unparse(node);
    default:
      throw new DecodeError(`unsupported value '${unparse(node)}' (${node.type})`);
  }
}

/** A call used as an argument value reads as `{name: {arg: value}}`, like the official decoder's nested dicts. */
function nestedCall(call: DecodedCall): PyDict {
  return new Map<PyScalar, PyValue>([[call.name, new Map<PyScalar, PyValue>(call.args)]]);
}

function functionName(func: Node): string {
  const parts: string[] = [];
  let node = func;
  while (node.type === 'attribute') {
    parts.push(node.attr);
    node = node.value;
  }
  if (node.type === 'name') parts.push(node.id);
  else if (parts.length === 0) throw new DecodeError(`'${unparse(func)}' is not a function name`);
  return parts.reverse().join('.');
}

function resolveCall(node: Node & { type: 'call' }, reading: CallReading): DecodedCall {
  const args = new Map<string, PyValue>();
  // Positional arguments carry no parameter name; the leaderboard ignores them, so do we. A repeated keyword (official
  // reading only) keeps its first position and its last value, as a Python dict does.
  for (const k of node.keywords) args.set(k.arg, resolveValue(k.value, reading));
  return { name: functionName(node.func), args };
}

/** Parses one Python expression into its value, with the leaderboard's reading of names and calls. */
export function parsePythonValue(src: string, reading: CallReading = 'lenient'): PyValue {
  return resolveValue(new Parser(tokenize(src), reading === 'official').parseExpression(), reading);
}

/**
 * Decodes a model's Python-syntax answer into calls, following the leaderboard's prompting decoder: surrounding
 * backticks, newlines and spaces are stripped, the text is wrapped in `[...]` when it is not already, wrapping single
 * quotes are dropped, and the result must be one call or a list of calls.
 */
export function decodePythonCalls(text: string, reading: CallReading = 'lenient'): DecodedCall[] {
  let body = stripChars(text, '`\n ');
  if (!body.startsWith('[')) body = '[' + body;
  if (!body.endsWith(']')) body = body + ']';
  body = stripChars(body.trim(), "'");
  const node = new Parser(tokenize(body), reading === 'official').parseExpression();
  if (node.type === 'call') return [resolveCall(node, reading)];
  if (node.type !== 'list' && node.type !== 'tuple' && node.type !== 'set') {
    throw new DecodeError(`expected a list of function calls, got '${unparse(node)}'`);
  }
  return node.elts.map((elt) => {
    if (elt.type !== 'call') throw new DecodeError(`expected a function call, got '${unparse(elt)}'`);
    return resolveCall(elt, reading);
  });
}

/** Python's `s.strip(chars)`. */
export function stripChars(s: string, chars: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && chars.includes(s[start]!)) start++;
  while (end > start && chars.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}
