/**
 * Reads Java and JavaScript call syntax the way the leaderboard's tree-sitter decoders do for simple_java and
 * simple_javascript: `Cls.method(name=value, ...)`, where each value is kept as its source text (the type
 * converters in java-types.ts / js-types.ts read it later against the schema type). Java unquotes a value that is a
 * single string or char literal; JavaScript unquotes a value that starts and ends with the same quote.
 */
import { CallReading, DecodeError, DecodedCall, stripChars } from './python-syntax.js';

export type CLikeLanguage = 'java' | 'javascript';

interface Token {
  readonly kind: 'ident' | 'number' | 'string' | 'char' | 'op';
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const PUNCTUATION = ['>>>=', '===', '!==', '>>>', '<<=', '>>=', '...', '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<', '>>', '**', '::'];

function tokenize(src: string, language: CLikeLanguage): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < src.length) {
    const ch = src[pos]!;
    if (/\s/.test(ch)) {
      pos++;
      continue;
    }
    if (src.startsWith('//', pos)) {
      while (pos < src.length && src[pos] !== '\n') pos++;
      continue;
    }
    if (src.startsWith('/*', pos)) {
      const end = src.indexOf('*/', pos + 2);
      if (end === -1) throw new DecodeError(`unterminated comment at offset ${pos}`);
      pos = end + 2;
      continue;
    }
    if (ch === '"' || ch === "'" || (ch === '`' && language === 'javascript')) {
      const end = quotedEnd(src, pos, ch);
      const kind = ch === "'" && language === 'java' ? 'char' : 'string';
      tokens.push({ kind, text: src.slice(pos, end), start: pos, end });
      pos = end;
      continue;
    }
    const ident = /^[A-Za-z_$\u00c0-\uffff][\w$\u00c0-\uffff]*/.exec(src.slice(pos, pos + 256));
    if (ident !== null) {
      tokens.push({ kind: 'ident', text: ident[0], start: pos, end: pos + ident[0].length });
      pos += ident[0].length;
      continue;
    }
    const number = /^(?:0[xXbBoO][0-9a-fA-F_]+|\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)[lLfFdDn]?/.exec(src.slice(pos, pos + 256));
    if (number !== null) {
      tokens.push({ kind: 'number', text: number[0], start: pos, end: pos + number[0].length });
      pos += number[0].length;
      continue;
    }
    const op = PUNCTUATION.find((p) => src.startsWith(p, pos)) ?? ch;
    if (!'()[]{}<>,;.=+-*/%!~?:&|^@#'.includes(op[0]!)) throw new DecodeError(`unexpected character '${ch}' at offset ${pos}`);
    tokens.push({ kind: 'op', text: op, start: pos, end: pos + op.length });
    pos += op.length;
  }
  return tokens;
}

function quotedEnd(src: string, start: number, quote: string): number {
  let pos = start + 1;
  while (pos < src.length) {
    const ch = src[pos]!;
    if (ch === '\\') pos += 2;
    else if (ch === quote) return pos + 1;
    else if (ch === '\n' && quote !== '`') break;
    else pos++;
  }
  throw new DecodeError(`unterminated ${quote === "'" ? 'quoted literal' : 'string'} starting at offset ${start}`);
}

const OPENERS: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

/**
 * In Java, `<` after a type name opens type arguments (`HashMap<String, Object>`), whose commas do not separate
 * call arguments. For every token index holding such a `<`, the index of its closing `>`; a `<` whose list never
 * closes (an operator, or a list broken by a token that cannot appear in a type) is absent.
 *
 * One pass with a stack of open lists, so `a<a<a<...` costs linear time: a `>` closes the innermost open list, `>>`
 * the two innermost (the innermost of them over-closed, so it is no list), and any other token but identifiers and
 * `. , ? [ ] &` breaks every open list.
 */
function typeArgumentEnds(tokens: readonly Token[]): Map<number, number> {
  const ends = new Map<number, number>();
  const open: number[] = [];
  tokens.forEach((t, j) => {
    if (t.text === '<') open.push(j);
    else if (t.text === '>') {
      const i = open.pop();
      if (i !== undefined) ends.set(i, j);
    } else if (t.text === '>>') {
      open.pop();
      const i = open.pop();
      if (i !== undefined) ends.set(i, j);
    } else if (t.kind !== 'ident' && !['.', ',', '?', '[', ']', '&'].includes(t.text)) open.length = 0;
  });
  for (const i of [...ends.keys()]) if (i === 0 || tokens[i - 1]!.kind !== 'ident') ends.delete(i);
  return ends;
}

class CallReader {
  private i = 0;
  private readonly typeArguments: Map<number, number>;
  constructor(
    private readonly src: string,
    private readonly tokens: readonly Token[],
    private readonly language: CLikeLanguage,
    private readonly reading: CallReading,
  ) {
    this.typeArguments = language === 'java' ? typeArgumentEnds(tokens) : new Map();
  }

  private error(what: string): DecodeError {
    const t = this.tokens[this.i];
    return new DecodeError(`invalid ${this.language} syntax: ${what}, found ${t === undefined ? 'end of input' : `'${t.text}' at offset ${t.start}`}`);
  }

  private isOp(text: string): boolean {
    const t = this.tokens[this.i];
    return t !== undefined && t.kind === 'op' && t.text === text;
  }

  calls(): DecodedCall[] {
    const calls: DecodedCall[] = [];
    while (this.i < this.tokens.length) {
      calls.push(this.call());
      // The leaderboard's tree-sitter decoders return the first call they find and ignore the rest.
      if (this.reading === 'official') break;
      while (this.isOp(',') || this.isOp(';')) this.i++;
    }
    return calls;
  }

  private call(): DecodedCall {
    const parts: string[] = [];
    for (;;) {
      const t = this.tokens[this.i];
      if (t === undefined || t.kind !== 'ident') throw this.error('expected a function name');
      parts.push(t.text);
      this.i++;
      if (!this.isOp('.')) break;
      this.i++;
    }
    if (!this.isOp('(')) throw this.error(`expected '(' after ${parts.join('.')}`);
    this.i++;
    const args = new Map<string, string>();
    while (!this.isOp(')')) {
      const name = this.tokens[this.i];
      const eq = this.tokens[this.i + 1];
      if (name?.kind !== 'ident' || eq?.kind !== 'op' || eq.text !== '=') {
        throw this.error('expected name=value (the leaderboard reads arguments by name only)');
      }
      if (args.has(name.text)) throw this.error(`argument '${name.text}' given twice`);
      this.i += 2;
      args.set(name.text, this.value());
      if (!this.isOp(',')) break;
      this.i++;
    }
    if (!this.isOp(')')) throw this.error("expected ')'");
    this.i++;
    return { name: parts.join('.'), args };
  }

  private withoutClassBody(first: number, end: number): number {
    return classBodyStart(this.tokens, first, end);
  }

  /** The source text of one argument value: tokens up to the next top-level ',' or ')'. */
  private value(): string {
    const first = this.i;
    const closers: string[] = [];
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i]!;
      if (t.kind === 'op') {
        if (closers.length === 0 && (t.text === ',' || t.text === ')')) break;
        const closer = OPENERS[t.text];
        if (closer !== undefined) closers.push(closer);
        else if (t.text === ')' || t.text === ']' || t.text === '}') {
          if (closers.pop() !== t.text) throw this.error('unbalanced brackets');
        } else if (t.text === '<' && this.language === 'java') {
          const end = this.typeArguments.get(this.i);
          if (end !== undefined) this.i = end;
        }
      }
      this.i++;
    }
    if (closers.length > 0) throw this.error(`expected '${closers[closers.length - 1]}'`);
    if (this.i === first) throw this.error('expected a value');
    const only = this.i - first === 1 ? this.tokens[first]! : undefined;
    const last = this.language === 'java' && this.reading === 'official' ? this.withoutClassBody(first, this.i) : this.i;
    const text = this.src.slice(this.tokens[first]!.start, this.tokens[last - 1]!.end);
    if (this.language === 'java') return only !== undefined && (only.kind === 'string' || only.kind === 'char') ? text.slice(1, -1) : text;
    const quoted = (text.startsWith('"') && text.endsWith('"')) || (text.startsWith("'") && text.endsWith("'"));
    return quoted && text.length >= 2 ? text.slice(1, -1) : text;
  }
}

/** Index of the token that closes the bracket opened at `open`, or -1. */
function closingIndex(tokens: readonly Token[], open: number, end: number): number {
  let depth = 0;
  for (let j = open; j < end; j++) {
    const t = tokens[j]!;
    if (t.kind !== 'op') continue;
    if (OPENERS[t.text] !== undefined) depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

/**
 * Where an argument value (tokens first..end) ends once an anonymous class body is dropped: the leaderboard rebuilds
 * `new T(args) { ... }` from the type and the arguments only, so `new HashMap<String, Object>() {{ put("a", 1); }}`
 * reads as `new HashMap<String, Object>()`, an empty map.
 */
function classBodyStart(tokens: readonly Token[], first: number, end: number): number {
  if (tokens[first]?.text !== 'new') return end;
  let open = first + 1;
  while (open < end && tokens[open]!.text !== '(') {
    if (tokens[open]!.text === '[' || tokens[open]!.text === '{') return end;
    open++;
  }
  const close = open < end ? closingIndex(tokens, open, end) : -1;
  if (close === -1 || close + 1 >= end || tokens[close + 1]!.text !== '{') return end;
  return closingIndex(tokens, close + 1, end) === end - 1 ? close + 1 : end;
}

/**
 * Decodes a Java or JavaScript answer into calls whose argument values are source text. Like the leaderboard, the
 * text is first trimmed of backticks, newlines and spaces, and a leading '[' and a trailing ']' are removed.
 */
export function decodeCLikeCalls(text: string, language: CLikeLanguage, reading: CallReading = 'lenient'): DecodedCall[] {
  let body = stripChars(text, '`\n ');
  // The leaderboard adds a missing bracket at either end, then drops the first and last character.
  if (body.startsWith('[')) body = body.slice(1);
  if (body.endsWith(']')) body = body.slice(0, -1);
  const tokens = tokenize(body, language);
  if (tokens.length === 0) return [];
  return new CallReader(body, tokens, language, reading).calls();
}
