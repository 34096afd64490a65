/**
 * JSON Schema `pattern` in linear time: as a byte automaton, so that constrained decoding writes only strings that
 * match, and as a matcher that validation runs over any string (`compileMatcher`). JavaScript's own engine
 * backtracks (`^(a+)+$` takes seconds on 30 characters) and synchronous code cannot be interrupted, so schema
 * patterns from catalogs are never handed to it.
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
 * be generated. The matcher reads every code point; it simulates the same Thompson automaton, building its
 * deterministic states lazily, so a string costs time linear in its length.
 */

import { ToolkenError } from '../util/errors.js';

/** The pattern cannot be compiled; `problem` says why (the caller names the schema path). */
export class PatternError extends ToolkenError {
  constructor(problem: string) {
    super('PATTERN_UNSUPPORTED', problem);
  }
}

/** Bytes 0x20..0x7e except `"` and `\`. */
const ALPHABET: readonly number[] = Array.from({ length: 0x7f - 0x20 }, (_, i) => 0x20 + i).filter((b) => b !== 0x22 && b !== 0x5c);
/** Most DFA states a pattern may need (patterns of tool schemas need tens). */
const MAX_STATES = 4096;
/** Most NFA states (each written-out repetition copies its operand, so `(a{1000}){1000}` would need a million). */
const MAX_NFA_STATES = 20_000;
const MAX_CODE_POINT = 0x10ffff;
/** Largest repetition count written out ({n,m} copies its operand). */
const MAX_REPEAT = 1000;

/**
 * A set of code points: 128 flags for ASCII, and sorted disjoint ranges above it (the byte automaton reads only the
 * flags; the matcher reads both).
 */
interface CharSet {
  readonly ascii: Uint8Array<ArrayBuffer>;
  readonly high: readonly (readonly [number, number])[];
}

type Ast =
  | { readonly kind: 'chars'; readonly set: CharSet }
  | { readonly kind: 'seq'; readonly items: readonly Ast[] }
  | { readonly kind: 'alt'; readonly options: readonly Ast[] }
  | { readonly kind: 'repeat'; readonly item: Ast; readonly min: number; readonly max: number };

/** Sorts and merges ranges of code points >= 128. */
function normalizeRanges(ranges: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = ranges.filter(([lo, hi]) => hi >= 128 && lo <= hi).map(([lo, hi]): [number, number] => [Math.max(lo, 128), hi]).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

const setOf = (codes: Iterable<number>, high: readonly (readonly [number, number])[] = []): CharSet => {
  const ascii = new Uint8Array(128);
  const above: (readonly [number, number])[] = [...high];
  for (const c of codes) {
    if (c < 128) ascii[c] = 1;
    else above.push([c, c]);
  }
  return { ascii, high: normalizeRanges(above) };
};
const range = (from: string, to: string): number[] => Array.from({ length: to.charCodeAt(0) - from.charCodeAt(0) + 1 }, (_, i) => from.charCodeAt(0) + i);
const DIGITS = setOf(range('0', '9'));
const WORD = setOf([...range('a', 'z'), ...range('A', 'Z'), ...range('0', '9'), 0x5f]);
// ECMAScript's \s: ASCII white space, NBSP, the Unicode space separators, line and paragraph separators, BOM.
const SPACES = setOf([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff], [[0x2000, 0x200a]]);
const LINE_TERMINATORS = [0x0a, 0x0d, 0x2028, 0x2029];
const EVERYTHING = setOf(range('\0', '\x7f'), [[128, MAX_CODE_POINT]]);
function negate(set: CharSet): CharSet {
  const high: [number, number][] = [];
  let next = 128;
  for (const [lo, hi] of set.high) {
    if (lo > next) high.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) high.push([next, MAX_CODE_POINT]);
  return { ascii: set.ascii.map((v) => 1 - v), high };
}
const union = (a: CharSet, b: CharSet): CharSet => ({ ascii: a.ascii.map((v, i) => v | b.ascii[i]!), high: normalizeRanges([...a.high, ...b.high]) });
const ANY = negate(setOf(LINE_TERMINATORS));
const DOT_STAR: Ast = { kind: 'repeat', item: { kind: 'chars', set: EVERYTHING }, min: 0, max: Infinity };

function contains(set: CharSet, code: number): boolean {
  if (code < 128) return set.ascii[code] === 1;
  let lo = 0;
  let hi = set.high.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [from, to] = set.high[mid]!;
    if (code < from) hi = mid - 1;
    else if (code > to) lo = mid + 1;
    else return true;
  }
  return false;
}

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
        this.pos--;
        return { kind: 'chars', set: setOf([this.codePoint()]) };
      }
    }
  }

  private parseClass(): CharSet {
    const negated = this.eat('^');
    let set = setOf([]);
    while (this.pos < this.source.length && this.source[this.pos] !== ']') {
      const low = this.classAtom();
      if (this.source[this.pos] === '-' && this.source[this.pos + 1] !== ']' && this.pos + 1 < this.source.length) {
        this.pos++;
        const high = this.classAtom();
        if (typeof low !== 'number' || typeof high !== 'number') throw this.fail('a class escape cannot bound a range');
        if (high < low) throw this.fail('range out of order in character class');
        set = union(set, setOf(Array.from({ length: Math.max(0, Math.min(high, 127) - low + 1) }, (_, i) => low + i), [[low, high]]));
      } else set = typeof low === 'number' ? union(set, setOf([low])) : union(set, low);
    }
    if (!this.eat(']')) throw this.fail('missing ]');
    return negated ? negate(set) : set;
  }

  /** One class member: a code point, or a class escape's set. */
  private classAtom(): number | CharSet {
    if (this.source[this.pos] === '\\') {
      this.pos++;
      return this.parseEscape(true);
    }
    return this.codePoint();
  }

  /** The code point at the cursor (a surrogate pair is one), moving past it. */
  private codePoint(): number {
    const code = this.source.codePointAt(this.pos)!;
    this.pos += code > 0xffff ? 2 : 1;
    return code;
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
    if (this.epsilon.length >= MAX_NFA_STATES) throw new PatternError(`the pattern needs more than ${MAX_NFA_STATES} automaton states`);
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

function buildNfa(pattern: string): { nfa: Nfa; start: number; end: number } {
  try {
    // Only checks the syntax; the engine never runs the pattern.
    new RegExp(pattern, 'u');
  } catch {
    throw new PatternError(`/${pattern}/ is not a valid regular expression`);
  }
  const nfa = new Nfa();
  const [start, end] = nfa.build(new Parser(pattern).parsePattern());
  return { nfa, start, end };
}

/** A compiled pattern that tests strings in time linear in their length (the `test` of a RegExp, without backtracking). */
export interface PatternMatcher {
  test(text: string): boolean;
}

/** Most lazily built deterministic states kept per matcher; past it the cache starts over, so memory stays bounded. */
const MAX_CACHED_STATES = 10_000;

/**
 * Compiles a pattern for validation: `test` is true when the pattern matches somewhere in the string, as
 * `new RegExp(pattern, 'u').test` would say. Throws PatternError for patterns outside the supported subset.
 */
export function compileMatcher(pattern: string): PatternMatcher {
  const { nfa, start, end } = buildNfa(pattern);
  let ids = new Map<string, number>();
  let sets: number[][] = [];
  let moves: Map<number, number>[] = [];
  const stateOf = (set: number[]): number => {
    const key = set.join(',');
    let id = ids.get(key);
    if (id === undefined) {
      id = sets.length;
      sets.push(set);
      moves.push(new Map());
      ids.set(key, id);
    }
    return id;
  };
  const initial = nfa.closure([start]);
  return {
    test(text: string): boolean {
      let set = initial;
      let id = stateOf(set);
      for (const ch of text) {
        const code = ch.codePointAt(0)!;
        let next = moves[id]!.get(code);
        if (next === undefined) {
          const targets: number[] = [];
          for (const s of set) for (const edge of nfa.edges[s]!) if (contains(edge.set, code)) targets.push(edge.to);
          const nextSet = nfa.closure(targets);
          if (sets.length + 2 > MAX_CACHED_STATES) {
            ids = new Map();
            sets = [];
            moves = [];
            id = stateOf(set);
          }
          next = stateOf(nextSet);
          moves[id]!.set(code, next);
        }
        id = next;
        set = sets[id]!;
        if (set.length === 0) return false;
      }
      return set.includes(end);
    },
  };
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
  const { nfa, start, end } = buildNfa(pattern);
  const sets: number[][] = [nfa.closure([start])];
  const ids = new Map<string, number>([[sets[0]!.join(','), 0]]);
  const rows: Int32Array[] = [];
  for (let d = 0; d < sets.length; d++) {
    const row = new Int32Array(128).fill(-1);
    for (const b of ALPHABET) {
      const targets: number[] = [];
      for (const s of sets[d]!) for (const edge of nfa.edges[s]!) if (edge.set.ascii[b] === 1) targets.push(edge.to);
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
