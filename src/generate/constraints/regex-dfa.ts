/**
 * JSON Schema `pattern` as a byte automaton, so that constrained decoding writes only strings that match.
 *
 * A pattern is an ECMAScript regular expression that matches anywhere in the string unless anchored, so each
 * top-level alternative without `^` gets a leading `.*` and without `$` a trailing one. Supported: literals,
 * escapes (\d \w \s, their negations, escaped punctuation, \xXX, \uXXXX), classes with ranges and negation, `.`, groups
 * (capturing, non-capturing, named), alternation and the quantifiers * + ? {n} {n,} {n,m} (greedy or lazy: the
 * same language). Lookarounds, backreferences and word boundaries describe no regular language a byte automaton
 * can follow this way and are rejected, as are `^` and `$` anywhere but the ends of an alternative.
 *
 * What gets generated is printable ASCII without `"` and `\` (no JSON escapes needed), so the automaton accepts
 * the pattern's strings over that alphabet: every generated string matches, though not every matching string can
 * be generated.
 */

/** The pattern cannot be compiled; `problem` says why (the caller names the schema path). */
export class PatternError extends Error {}

/** Bytes 0x20..0x7e except `"` and `\`. */
const ALPHABET: readonly number[] = Array.from({ length: 0x7f - 0x20 }, (_, i) => 0x20 + i).filter((b) => b !== 0x22 && b !== 0x5c);
/** Most DFA states a pattern may need (patterns of tool schemas need tens). */
const MAX_STATES = 4096;
/** Largest repetition count written out ({n,m} copies its operand). */
const MAX_REPEAT = 1000;

/** 128 flags, one per ASCII code. */
type CharSet = Uint8Array<ArrayBuffer>;

type Ast =
  | { readonly kind: 'chars'; readonly set: CharSet }
  | { readonly kind: 'seq'; readonly items: readonly Ast[] }
  | { readonly kind: 'alt'; readonly options: readonly Ast[] }
  | { readonly kind: 'repeat'; readonly item: Ast; readonly min: number; readonly max: number };

const setOf = (bytes: Iterable<number>): CharSet => {
  const set = new Uint8Array(128);
  for (const b of bytes) if (b < 128) set[b] = 1;
  return set;
};
const range = (from: string, to: string): number[] => Array.from({ length: to.charCodeAt(0) - from.charCodeAt(0) + 1 }, (_, i) => from.charCodeAt(0) + i);
const DIGITS = setOf(range('0', '9'));
const WORD = setOf([...range('a', 'z'), ...range('A', 'Z'), ...range('0', '9'), 0x5f]);
const SPACES = setOf([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);
const ANY = setOf(ALPHABET);
const negate = (set: CharSet): CharSet => setOf(ALPHABET.filter((b) => set[b] === 0));
const union = (a: CharSet, b: CharSet): CharSet => a.map((v, i) => v | b[i]!);
const DOT_STAR: Ast = { kind: 'repeat', item: { kind: 'chars', set: ANY }, min: 0, max: Infinity };

class Parser {
  private pos = 0;
  constructor(private readonly source: string) {}

  /** The whole pattern, each top-level alternative anchored as written. */
  parsePattern(): Ast {
    const options: Ast[] = [];
    for (;;) {
      const anchoredStart = this.eat('^');
      const body = this.parseSequence(true);
      const anchoredEnd = this.eat('$');
      options.push({ kind: 'seq', items: [...(anchoredStart ? [] : [DOT_STAR]), body, ...(anchoredEnd ? [] : [DOT_STAR])] });
      if (this.pos >= this.source.length) break;
      if (!this.eat('|')) throw this.fail(this.source[this.pos] === ')' ? 'unbalanced )' : `'${this.source[this.pos]}' here (^ and $ only at the ends of an alternative)`);
    }
    return options.length === 1 ? options[0]! : { kind: 'alt', options };
  }

  private parseAlternation(): Ast {
    const options = [this.parseSequence(false)];
    while (this.eat('|')) options.push(this.parseSequence(false));
    return options.length === 1 ? options[0]! : { kind: 'alt', options };
  }

  /** Items up to `|`, `)` or the end (at the top level, also up to a final `$`). */
  private parseSequence(topLevel: boolean): Ast {
    const items: Ast[] = [];
    while (this.pos < this.source.length) {
      const c = this.source[this.pos]!;
      if (c === '|' || c === ')') break;
      if (c === '$' && topLevel && (this.pos + 1 === this.source.length || this.source[this.pos + 1] === '|')) break;
      items.push(this.parseQuantified());
    }
    return items.length === 1 ? items[0]! : { kind: 'seq', items };
  }

  private parseQuantified(): Ast {
    const item = this.parseAtom();
    const c = this.source[this.pos];
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.pos));
      if (m === null) throw this.fail('a { that starts no {n}, {n,} or {n,m} quantifier');
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) throw this.fail(`quantifier {${min},${max}} has max < min`);
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) throw this.fail(`repetition counts above ${MAX_REPEAT} are not supported`);
      this.pos += m[0].length - 1;
    } else return item;
    this.pos++;
    this.eat('?'); // lazy: same language
    if ('*+?{'.includes(this.source[this.pos] ?? '')) throw this.fail('a quantifier cannot follow a quantifier');
    return { kind: 'repeat', item, min, max };
  }

  private parseAtom(): Ast {
    const c = this.source[this.pos++]!;
    switch (c) {
      case '(': {
        if (this.source.startsWith('?:', this.pos)) this.pos += 2;
        else if (this.source[this.pos] === '?') {
          const named = /^\?<([A-Za-z_$][\w$]*)>/.exec(this.source.slice(this.pos));
          if (named === null) throw this.fail('lookaround assertions are not supported');
          this.pos += named[0].length;
        }
        const inner = this.parseAlternation();
        if (!this.eat(')')) throw this.fail('missing )');
        return inner;
      }
      case '[':
        return { kind: 'chars', set: this.parseClass() };
      case '.':
        return { kind: 'chars', set: ANY };
      case '\\': {
        const escaped = this.parseEscape(false);
        return { kind: 'chars', set: typeof escaped === 'number' ? setOf([escaped]) : escaped };
      }
      case '^':
      case '$':
        throw this.fail(`${c} is supported only at the start / end of an alternative`);
      case '*':
      case '+':
      case '?':
      case '{':
      case '}':
      case ']':
        throw this.fail(`nothing to repeat or unescaped '${c}'`);
      default: {
        const code = c.codePointAt(0)!;
        return { kind: 'chars', set: setOf([code]) };
      }
    }
  }

  private parseClass(): CharSet {
    const negated = this.eat('^');
    let set = new Uint8Array(128);
    while (this.pos < this.source.length && this.source[this.pos] !== ']') {
      const low = this.classAtom();
      if (this.source[this.pos] === '-' && this.source[this.pos + 1] !== ']' && this.pos + 1 < this.source.length) {
        this.pos++;
        const high = this.classAtom();
        if (typeof low !== 'number' || typeof high !== 'number') throw this.fail('a class escape cannot bound a range');
        if (high < low) throw this.fail('range out of order in character class');
        for (let b = low; b <= Math.min(high, 127); b++) set[b] = 1;
      } else set = typeof low === 'number' ? union(set, setOf([low])) : union(set, low);
    }
    if (!this.eat(']')) throw this.fail('missing ]');
    return negated ? negate(set) : set;
  }

  /** One class member: a code point, or a class escape's set. */
  private classAtom(): number | CharSet {
    const c = this.source[this.pos++]!;
    return c === '\\' ? this.parseEscape(true) : c.codePointAt(0)!;
  }

  /** After a backslash: a class escape's set (\d \w \s and negations), else the code point it stands for. */
  private parseEscape(inClass: boolean): number | CharSet {
    const c = this.source[this.pos++];
    if (c === undefined) throw this.fail('pattern ends with a backslash');
    switch (c) {
      case 'd': return DIGITS;
      case 'D': return negate(DIGITS);
      case 'w': return WORD;
      case 'W': return negate(WORD);
      case 's': return SPACES;
      case 'S': return negate(SPACES);
      case 't': return 0x09;
      case 'n': return 0x0a;
      case 'r': return 0x0d;
      case 'f': return 0x0c;
      case 'v': return 0x0b;
      case 'u':
      case 'x': {
        const digits = c === 'u' ? 4 : 2;
        const hex = new RegExp(`^[0-9a-fA-F]{${digits}}`).exec(this.source.slice(this.pos));
        if (hex === null) throw this.fail(`\\${c} needs ${digits} hex digits`);
        this.pos += digits;
        return parseInt(hex[0], 16);
      }
      case 'b':
        if (inClass) return 0x08;
        throw this.fail('word boundaries (\\b) are not supported');
      default:
        if (/[0-9]/.test(c)) throw this.fail('backreferences are not supported');
        if (/[A-Za-z]/.test(c)) throw this.fail(`unknown escape \\${c}`);
        return c.codePointAt(0)!;
    }
  }

  private eat(c: string): boolean {
    if (this.source[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  private fail(problem: string): PatternError {
    return new PatternError(`${problem} (at offset ${this.pos} of /${this.source}/)`);
  }
}

/** Thompson NFA: epsilon edges and byte-set edges. */
class Nfa {
  readonly epsilon: number[][] = [];
  readonly edges: { set: CharSet; to: number }[][] = [];

  state(): number {
    this.epsilon.push([]);
    this.edges.push([]);
    return this.epsilon.length - 1;
  }

  /** Adds `ast` between two fresh states; returns them. */
  build(ast: Ast): [number, number] {
    const start = this.state();
    const end = this.state();
    switch (ast.kind) {
      case 'chars':
        this.edges[start]!.push({ set: ast.set, to: end });
        break;
      case 'seq': {
        let at = start;
        for (const item of ast.items) {
          const [s, e] = this.build(item);
          this.epsilon[at]!.push(s);
          at = e;
        }
        this.epsilon[at]!.push(end);
        break;
      }
      case 'alt':
        for (const option of ast.options) {
          const [s, e] = this.build(option);
          this.epsilon[start]!.push(s);
          this.epsilon[e]!.push(end);
        }
        break;
      case 'repeat': {
        let at = start;
        for (let i = 0; i < ast.min; i++) {
          const [s, e] = this.build(ast.item);
          this.epsilon[at]!.push(s);
          at = e;
        }
        if (ast.max === Infinity) {
          const [s, e] = this.build(ast.item);
          this.epsilon[at]!.push(s, end);
          this.epsilon[e]!.push(s, end);
        } else {
          for (let i = ast.min; i < ast.max; i++) {
            const [s, e] = this.build(ast.item);
            this.epsilon[at]!.push(s, end);
            at = e;
          }
          this.epsilon[at]!.push(end);
        }
        break;
      }
    }
    return [start, end];
  }

  closure(states: Iterable<number>): number[] {
    const seen = new Set<number>(states);
    const stack = [...seen];
    while (stack.length > 0) {
      for (const next of this.epsilon[stack.pop()!]!) {
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return [...seen].sort((a, b) => a - b);
  }
}

/** A deterministic automaton over the string's bytes; state 0 is the start, no state is dead. */
export interface PatternDfa {
  readonly states: number;
  /** (states, 128): the next state, or -1. */
  readonly transitions: Int32Array;
  readonly accepting: Uint8Array;
}

/** Compiles a pattern; throws PatternError when it is invalid or outside the supported subset. */
export function compilePattern(pattern: string): PatternDfa {
  try {
    new RegExp(pattern, 'u');
  } catch {
    throw new PatternError(`/${pattern}/ is not a valid regular expression`);
  }
  const nfa = new Nfa();
  const [start, end] = nfa.build(new Parser(pattern).parsePattern());
  const sets: number[][] = [nfa.closure([start])];
  const ids = new Map<string, number>([[sets[0]!.join(','), 0]]);
  const rows: Int32Array[] = [];
  for (let d = 0; d < sets.length; d++) {
    const row = new Int32Array(128).fill(-1);
    for (const b of ALPHABET) {
      const targets: number[] = [];
      for (const s of sets[d]!) for (const edge of nfa.edges[s]!) if (edge.set[b] === 1) targets.push(edge.to);
      if (targets.length === 0) continue;
      const closed = nfa.closure(targets);
      const key = closed.join(',');
      let id = ids.get(key);
      if (id === undefined) {
        if (sets.length >= MAX_STATES) throw new PatternError(`/${pattern}/ needs more than ${MAX_STATES} automaton states`);
        id = sets.length;
        sets.push(closed);
        ids.set(key, id);
      }
      row[b] = id;
    }
    rows.push(row);
  }
  return pruneDead(rows, sets.map((set) => set.includes(end)));
}

/** Drops the states from which no accepting state can be reached, renumbering the rest (start stays 0). */
function pruneDead(rows: readonly Int32Array[], accepting: readonly boolean[]): PatternDfa {
  const live = accepting.slice();
  for (let changed = true; changed; ) {
    changed = false;
    rows.forEach((row, s) => {
      if (!live[s] && row.some((t) => t >= 0 && live[t]!)) changed = live[s] = true;
    });
  }
  if (!live[0]) throw new PatternError('the pattern matches no string of printable characters without " and \\');
  const renumber = new Int32Array(rows.length).fill(-1);
  let count = 0;
  live.forEach((l, s) => {
    if (l) renumber[s] = count++;
  });
  const transitions = new Int32Array(count * 128).fill(-1);
  const accepts = new Uint8Array(count);
  rows.forEach((row, s) => {
    if (!live[s]) return;
    const from = renumber[s]!;
    accepts[from] = accepting[s] ? 1 : 0;
    row.forEach((t, b) => {
      if (t >= 0 && live[t]) transitions[from * 128 + b] = renumber[t]!;
    });
  });
  return { states: count, transitions, accepting: accepts };
}

/**
 * For each state, which suffix lengths 0..maxLength lead from it to acceptance: (states, maxLength + 1) flags. With
 * it, a string of minLength..maxLength characters can be steered so that it always ends matching.
 */
export function suffixLengths(dfa: PatternDfa, maxLength: number): Uint8Array {
  const width = maxLength + 1;
  const reach = new Uint8Array(dfa.states * width);
  for (let s = 0; s < dfa.states; s++) reach[s * width] = dfa.accepting[s]!;
  for (let length = 1; length <= maxLength; length++) {
    for (let s = 0; s < dfa.states; s++) {
      for (const b of ALPHABET) {
        const t = dfa.transitions[s * 128 + b]!;
        if (t >= 0 && reach[t * width + length - 1] === 1) {
          reach[s * width + length] = 1;
          break;
        }
      }
    }
  }
  return reach;
}
