import type { JsonSchema } from '../../tools/types.js';
import {
  compileSchema,
  numberCompletionBytes,
  type ArrayNode,
  type JsonLimits,
  type LiteralNode,
  type NumberNode,
  type ObjectNode,
  type PatternNode,
  patternCompletionChars,
  type SchemaNode,
  type StringNode,
} from './json-schema-nodes.js';
import { MODE_BITS, MODE_MASK, STRING_CLOSED, STRING_REJECT, stringByte, stringMinBytes } from './json-string.js';

/*
 * An incremental, schema-driven JSON recogniser over bytes. A state is an immutable stack of frames, so advancing
 * by a byte returns a new state and the old one stays valid: cloning is free, which is what the vocabulary-trie
 * walk needs (it branches at every trie node). Whitespace: one optional space is accepted after ':' and ','.
 * Numbers have no exponent. Strings must be valid UTF-8 and may use the JSON escapes (\uXXXX except surrogates).
 */

const QUOTE = 0x22;
const SPACE = 0x20;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const DOT = 0x2e;
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;

/** Expecting the first byte of a value (after an optional space when `space`). */
export interface ValueFrame {
  readonly kind: 'value';
  readonly node: SchemaNode;
  readonly space: boolean;
}

/**
 * Inside an object. `phase`: 'open' after '{', 'comma' after ',' (a key must follow), 'key' while matching a key
 * (candidates = properties still matching after `keyPos` bytes), 'colon' after a complete key, 'next' after a value.
 */
export interface ObjectFrame {
  readonly kind: 'object';
  readonly node: ObjectNode;
  readonly used: readonly boolean[];
  /** Sum of minBytes of the required properties not yet written. */
  readonly requiredLeft: number;
  readonly requiredCount: number;
  readonly phase: 'open' | 'comma' | 'key' | 'colon' | 'next';
  readonly space: boolean;
  readonly candidates: readonly number[];
  readonly keyPos: number;
  /** The JSON texts of the budgeted literals written as this object's values so far (JsonAutomatonOptions). */
  readonly spent: readonly string[];
}

export interface ArrayFrame {
  readonly kind: 'array';
  readonly node: ArrayNode;
  /** Items written or started. */
  readonly count: number;
  readonly phase: 'open' | 'comma' | 'next';
}

/** Inside a string: see json-string.ts for (count, mode). */
export interface StringFrame {
  readonly kind: 'string';
  readonly node: StringNode;
  readonly count: number;
  readonly mode: number;
}

/** Inside a pattern string: its automaton's state after `count` characters. */
export interface PatternFrame {
  readonly kind: 'pattern';
  readonly node: PatternNode;
  readonly state: number;
  readonly count: number;
}

export interface NumberFrame {
  readonly kind: 'number';
  readonly node: NumberNode;
  readonly negative: boolean;
  readonly integerDigits: string;
  readonly fractionDigits: string | null;
}

export interface LiteralFrame {
  readonly kind: 'literal';
  readonly node: LiteralNode;
  readonly candidates: readonly number[];
  readonly pos: number;
}

export type Frame = ValueFrame | ObjectFrame | ArrayFrame | StringFrame | PatternFrame | NumberFrame | LiteralFrame;

/** The recogniser's state: a stack of frames, top first; `null` once the top-level value is closed. */
export interface JsonState {
  readonly frame: Frame;
  readonly parent: JsonState | null;
}

/** Advancing past the end of the document, or by a byte the schema forbids. */
const REJECT = undefined;

const push = (parent: JsonState | null, frame: Frame): JsonState => ({ frame, parent });

export interface JsonAutomatonOptions extends JsonLimits {
  /**
   * How many times one object may take a literal as a value, by the literal's JSON text: the occurrences of values
   * copied from the context (copy-values.ts), so that two parameters cannot both take a number said once. A literal
   * not in the map is unlimited; when the budget would leave a value no literal at all, every one is allowed again.
   */
  readonly literalBudget?: ReadonlyMap<string, number>;
}

/** A compiled schema plus the byte-level transition function over its states. */
export class JsonAutomaton {
  readonly root: SchemaNode;
  private readonly budget: ReadonlyMap<string, number> | null;
  private readonly literalTexts = new WeakMap<Uint8Array, string>();

  constructor(schema: JsonSchema, options: JsonAutomatonOptions = {}) {
    this.root = compileSchema(schema, options);
    this.budget = options.literalBudget !== undefined && options.literalBudget.size > 0 ? options.literalBudget : null;
  }

  initial(): JsonState {
    return push(null, { kind: 'value', node: this.root, space: false });
  }

  /** The state after `byte`, `null` when it closed the document, or undefined when the byte is not allowed. */
  advance(state: JsonState | null, byte: number): JsonState | null | undefined {
    if (state === null) return REJECT;
    const { frame, parent } = state;
    switch (frame.kind) {
      case 'value':
        return this.startValue(frame, parent, byte);
      case 'object':
        return this.advanceObject(frame, parent, byte);
      case 'array':
        return this.advanceArray(frame, parent, byte);
      case 'string':
        return advanceString(frame, parent, byte);
      case 'pattern':
        return advancePattern(frame, parent, byte);
      case 'number':
        return this.advanceNumber(frame, parent, byte);
      case 'literal':
        return this.advanceLiteral(frame, parent, byte);
    }
  }

  advanceBytes(state: JsonState | null, bytes: Uint8Array): JsonState | null | undefined {
    let s: JsonState | null | undefined = state;
    for (let i = 0; i < bytes.length && s !== REJECT; i++) s = this.advance(s, bytes[i]!);
    return s;
  }

  /** True when the bytes so far form a complete document (a trailing number may still be extendable). */
  isComplete(state: JsonState | null): boolean {
    if (state === null) return true;
    if (state.parent !== null) return false;
    const f = state.frame;
    if (f.kind === 'number') return numberEnds(f);
    return f.kind === 'literal' && f.candidates.some((c) => f.node.options[c]!.length === f.pos);
  }

  /** The fewest bytes that complete the document from `state` (0 when complete). */
  minBytesToComplete(state: JsonState | null): number {
    let total = 0;
    for (let s = state; s !== null; s = s.parent) total += frameMinBytes(s.frame);
    return total;
  }

  /** A string identifying everything about `state` that decides which byte strings it accepts, except string
   * lengths far from their bounds: `lengthSlack` is how far a string count may be from maxLength before the exact
   * count stops mattering to a token of at most lengthSlack bytes. */
  key(state: JsonState | null, lengthSlack: number): string {
    const parts: string[] = [];
    for (let s = state; s !== null; s = s.parent) parts.push(frameKey(s.frame, lengthSlack));
    return parts.join('|');
  }

  private startValue(frame: ValueFrame, parent: JsonState | null, byte: number): JsonState | null | undefined {
    if (byte === SPACE && frame.space) return push(parent, { ...frame, space: false });
    let node = frame.node;
    if (node.kind === 'union') {
      const option = node.options.find((o) => o.firstBytes.has(byte));
      if (option === undefined) return REJECT;
      node = option;
    }
    switch (node.kind) {
      case 'object': {
        if (byte !== OPEN_BRACE) return REJECT;
        const required = node.properties.filter((p) => p.required);
        return push(parent, {
          kind: 'object',
          node,
          used: node.properties.map(() => false),
          requiredLeft: required.reduce((sum, p) => sum + p.minBytes, 0),
          requiredCount: required.length,
          phase: 'open',
          space: false,
          candidates: [],
          keyPos: 0,
          spent: [],
        });
      }
      case 'array':
        return byte === OPEN_BRACKET ? push(parent, { kind: 'array', node, count: 0, phase: 'open' }) : REJECT;
      case 'string':
        return byte === QUOTE
          ? push(parent, { kind: 'string', node, count: 0, mode: 0 })
          : REJECT;
      case 'pattern':
        return byte === QUOTE ? push(parent, { kind: 'pattern', node, state: 0, count: 0 }) : REJECT;
      case 'number': {
        const start: NumberFrame = { kind: 'number', node, negative: false, integerDigits: '', fractionDigits: null };
        if (byte === MINUS) {
          const negative = { ...start, negative: true };
          return numberCompletionBytes(node, negative) === Infinity ? REJECT : push(parent, negative);
        }
        return this.advanceNumber(start, parent, byte);
      }
      case 'literal':
        return this.advanceLiteral({ kind: 'literal', node, candidates: this.affordable(node, parent), pos: 0 }, parent, byte);
      case 'union':
        throw new Error('json automaton: nested unions are flattened at compile time');
    }
  }

  private advanceObject(f: ObjectFrame, parent: JsonState | null, byte: number): JsonState | null | undefined {
    const props = f.node.properties;
    switch (f.phase) {
      case 'open':
      case 'comma': {
        if (f.phase === 'open' && byte === CLOSE_BRACE) return f.requiredCount === 0 ? parent : REJECT;
        if (f.phase === 'comma' && byte === SPACE && f.space) return push(parent, { ...f, space: false });
        if (byte !== QUOTE) return REJECT;
        const candidates = props.map((_, i) => i).filter((i) => !f.used[i]);
        return candidates.length === 0 ? REJECT : push(parent, { ...f, phase: 'key', candidates, keyPos: 1 });
      }
      case 'key': {
        const candidates = f.candidates.filter((c) => props[c]!.keyBytes[f.keyPos] === byte);
        if (candidates.length === 0) return REJECT;
        const keyPos = f.keyPos + 1;
        // A key's closing quote is its last byte and cannot occur earlier in another key, so a finished key is alone.
        if (props[candidates[0]!]!.keyBytes.length === keyPos) return push(parent, { ...f, phase: 'colon', candidates, keyPos });
        return push(parent, { ...f, candidates, keyPos });
      }
      case 'colon': {
        if (byte !== COLON) return REJECT;
        const index = f.candidates[0]!;
        const prop = props[index]!;
        const used = f.used.slice();
        used[index] = true;
        const written: ObjectFrame = {
          ...f,
          used,
          requiredLeft: f.requiredLeft - (prop.required ? prop.minBytes : 0),
          requiredCount: f.requiredCount - (prop.required ? 1 : 0),
          phase: 'next',
          candidates: [],
          keyPos: 0,
        };
        return push(push(parent, written), { kind: 'value', node: prop.value, space: true });
      }
      case 'next':
        if (byte === CLOSE_BRACE) return f.requiredCount === 0 ? parent : REJECT;
        if (byte === COMMA && f.used.some((u) => !u)) return push(parent, { ...f, phase: 'comma', space: true });
        return REJECT;
    }
  }

  private advanceArray(f: ArrayFrame, parent: JsonState | null, byte: number): JsonState | null | undefined {
    const { node } = f;
    if (byte === CLOSE_BRACKET && f.phase !== 'comma') return f.count >= node.minItems ? parent : REJECT;
    if (f.phase === 'next') {
      return byte === COMMA && f.count < node.maxItems ? push(parent, { ...f, phase: 'comma' }) : REJECT;
    }
    if (f.phase === 'open' && node.maxItems === 0) return REJECT;
    // The first byte of the next item (or the space before it, after a comma).
    const item: ValueFrame = { kind: 'value', node: node.items, space: f.phase === 'comma' };
    return this.advance(push(push(parent, { ...f, count: f.count + 1, phase: 'next' }), item), byte);
  }

  private advanceNumber(f: NumberFrame, parent: JsonState | null, byte: number): JsonState | null | undefined {
    const { node } = f;
    let next: NumberFrame | undefined;
    if (isDigit(byte)) {
      const digit = String.fromCharCode(byte);
      if (f.fractionDigits === null) {
        if (f.integerDigits === '0' || f.integerDigits.length >= node.maxIntegerDigits) return this.endNumber(f, parent, byte);
        next = { ...f, integerDigits: f.integerDigits + digit };
      } else {
        if (f.fractionDigits.length >= node.maxFractionDigits) return REJECT;
        next = { ...f, fractionDigits: f.fractionDigits + digit };
      }
    } else if (byte === DOT && !node.integer && f.fractionDigits === null && f.integerDigits !== '') {
      next = { ...f, fractionDigits: '' };
    }
    if (next === undefined) return this.endNumber(f, parent, byte);
    return numberCompletionBytes(node, next) === Infinity ? REJECT : push(parent, next);
  }

  /** A number ends at the first byte that cannot extend it; that byte then belongs to the enclosing value. */
  private endNumber(f: NumberFrame, parent: JsonState | null, byte: number): JsonState | null | undefined {
    if (!numberEnds(f) || isDigit(byte)) return REJECT;
    return this.advance(parent, byte);
  }

  private advanceLiteral(f: LiteralFrame, parent: JsonState | null, byte: number): JsonState | null | undefined {
    const options = f.node.options;
    const candidates = f.candidates.filter((c) => options[c]!.length > f.pos && options[c]![f.pos] === byte);
    if (candidates.length === 0) {
      // Only a numeric literal can be a proper prefix of another (1 vs 12); it ends like a number.
      const ended = f.candidates.find((c) => options[c]!.length === f.pos);
      if (ended === undefined) return REJECT;
      return isDigit(byte) || byte === DOT ? REJECT : this.advance(this.spend(parent, options[ended]!), byte);
    }
    const pos = f.pos + 1;
    const finished = candidates.every((c) => options[c]!.length === pos);
    const endsItself = finished && !isDigit(options[candidates[0]!]![pos - 1]!);
    // Close eagerly when nothing longer matches and the text cannot be mistaken for a longer number.
    if (endsItself) return this.spend(parent, options[candidates[0]!]!);
    return push(parent, { ...f, candidates, pos });
  }

  /** The literal's options an object value may still take: those whose budget its earlier values left. */
  private affordable(node: LiteralNode, parent: JsonState | null): number[] {
    const all = node.options.map((_, i) => i);
    const owner = parent?.frame;
    // Checked even before anything is spent: a budget of 0 (an enum value the context does not state) holds from the start.
    if (this.budget === null || owner?.kind !== 'object') return all;
    const budget = this.budget;
    const left = all.filter((i) => {
      const text = this.literalText(node.options[i]!);
      const allowed = budget.get(text);
      return allowed === undefined || owner.spent.filter((t) => t === text).length < allowed;
    });
    return left.length > 0 ? left : all;
  }

  /** The state after a literal closed as a value of the object below it: the object counts it if it is budgeted. */
  private spend(parent: JsonState | null, option: Uint8Array): JsonState | null {
    if (this.budget === null || parent === null || parent.frame.kind !== 'object') return parent;
    const text = this.literalText(option);
    if (!this.budget.has(text)) return parent;
    return push(parent.parent, { ...parent.frame, spent: [...parent.frame.spent, text] });
  }

  private literalText(option: Uint8Array): string {
    let text = this.literalTexts.get(option);
    if (text === undefined) {
      text = new TextDecoder().decode(option);
      this.literalTexts.set(option, text);
    }
    return text;
  }
}

function numberEnds(f: NumberFrame): boolean {
  if (f.integerDigits === '' || f.fractionDigits === '') return false;
  const value = Number(`${f.negative ? '-' : ''}${f.integerDigits}${f.fractionDigits === null ? '' : '.' + f.fractionDigits}`);
  return value >= f.node.minimum && value <= f.node.maximum;
}

function advanceString(f: StringFrame, parent: JsonState | null, byte: number): JsonState | null | undefined {
  const result = stringByte(f.node, f.count, f.mode, byte);
  if (result === STRING_REJECT) return REJECT;
  if (result === STRING_CLOSED) return parent;
  return push(parent, { kind: 'string', node: f.node, count: result >> MODE_BITS, mode: result & MODE_MASK });
}

/** A pattern string takes a byte its automaton allows only if a match of allowed length can still follow. */
function advancePattern(f: PatternFrame, parent: JsonState | null, byte: number): JsonState | null | undefined {
  const { node } = f;
  if (byte === QUOTE) return node.dfa.accepting[f.state] === 1 && f.count >= node.minLength ? parent : REJECT;
  if (byte >= 128) return REJECT;
  const state = node.dfa.transitions[f.state * 128 + byte]!;
  if (state < 0 || patternCompletionChars(node, state, f.count + 1) === Infinity) return REJECT;
  return push(parent, { kind: 'pattern', node, state, count: f.count + 1 });
}

/** Bytes this frame alone still needs before its enclosing frame can go on. */
function frameMinBytes(f: Frame): number {
  switch (f.kind) {
    case 'value':
      return f.node.minBytes;
    case 'object': {
      const props = f.node.properties;
      // Each remaining required property costs its minBytes plus a separating comma.
      const required = f.requiredLeft + f.requiredCount;
      switch (f.phase) {
        case 'open':
          return f.requiredCount === 0 ? 1 : required;
        case 'next':
          return required + 1;
        case 'comma': {
          if (f.requiredCount > 0) return required;
          let cheapest = Infinity;
          props.forEach((p, i) => {
            if (!f.used[i]) cheapest = Math.min(cheapest, p.minBytes);
          });
          return cheapest + 1;
        }
        case 'key': {
          let best = Infinity;
          for (const c of f.candidates) {
            const p = props[c]!;
            const others = p.required ? required - (p.minBytes + 1) : required;
            best = Math.min(best, p.minBytes - f.keyPos + others + 1);
          }
          return best;
        }
        case 'colon': {
          const p = props[f.candidates[0]!]!;
          const others = p.required ? required - (p.minBytes + 1) : required;
          return 1 + p.value.minBytes + others + 1;
        }
      }
      break;
    }
    case 'array': {
      const { minItems, items } = f.node;
      const left = Math.max(0, minItems - f.count);
      if (f.phase === 'comma') {
        const due = Math.max(1, left);
        return due * items.minBytes + (due - 1) + 1;
      }
      if (f.phase === 'open') return left === 0 ? 1 : left * items.minBytes + (left - 1) + 1;
      return left * (items.minBytes + 1) + 1;
    }
    case 'string':
      return stringMinBytes(f.node, f.count, f.mode);
    case 'pattern':
      return patternCompletionChars(f.node, f.state, f.count) + 1;
    case 'number':
      return numberCompletionBytes(f.node, f);
    case 'literal': {
      let best = Infinity;
      for (const c of f.candidates) best = Math.min(best, f.node.options[c]!.length - f.pos);
      return best;
    }
  }
}

function frameKey(f: Frame, lengthSlack: number): string {
  switch (f.kind) {
    case 'value':
      return `v${f.node.id}${f.space ? 's' : ''}`;
    case 'object':
      return `o${f.node.id}${f.phase}${f.space ? 's' : ''}${f.used.map((u) => (u ? 1 : 0)).join('')}:${f.candidates.join(',')}@${f.keyPos}${f.spent.length === 0 ? '' : `~${JSON.stringify(f.spent)}`}`;
    case 'array':
      return `a${f.node.id}${f.phase}${f.count}`;
    case 'string': {
      const room = Math.min(f.node.maxLength - f.count, lengthSlack);
      const short = Math.min(f.count, f.node.minLength);
      return `s${f.node.id}:${room}:${short}:${f.mode}`;
    }
    case 'pattern':
      return `p${f.node.id}:${f.state}:${f.count}`;
    case 'number':
      return `n${f.node.id}${f.negative ? '-' : ''}${f.integerDigits}.${f.fractionDigits ?? ''}${f.fractionDigits === null ? 'i' : 'f'}`;
    case 'literal':
      return `l${f.node.id}:${f.candidates.join(',')}@${f.pos}`;
  }
}
