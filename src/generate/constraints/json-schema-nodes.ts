import type { JsonSchema, JsonSchemaType, JsonValue } from '../../tools/types.js';
import { validateJson } from '../../tools/validate.js';
import { compilePattern, PatternError, suffixLengths, type PatternDfa } from '../../tools/regex-dfa.js';
import { ToolkenError } from '../../util/errors.js';

/**
 * A tool's JSON Schema compiled into the shapes the byte automaton walks. Every node knows `minBytes`, the length
 * of its shortest valid JSON text, which is what lets decoding finish within a token budget.
 */
export type SchemaNode = ObjectNode | ArrayNode | StringNode | PatternNode | NumberNode | LiteralNode | UnionNode;

interface NodeBase {
  /** Unique within one compiled schema; part of the automaton's cache keys. */
  readonly id: number;
  readonly minBytes: number;
  /** Bytes a value of this node can start with. */
  readonly firstBytes: ReadonlySet<number>;
}

export interface PropertyNode {
  readonly name: string;
  /** The key exactly as written: JSON-encoded, quotes included. */
  readonly keyBytes: Uint8Array;
  readonly value: SchemaNode;
  readonly required: boolean;
  /** keyBytes + ':' + the value's shortest text. */
  readonly minBytes: number;
}

export interface ObjectNode extends NodeBase {
  readonly kind: 'object';
  readonly properties: readonly PropertyNode[];
}

export interface ArrayNode extends NodeBase {
  readonly kind: 'array';
  readonly items: SchemaNode;
  readonly minItems: number;
  /** The schema's maxItems, or the decoding cap when it has none. */
  readonly maxItems: number;
}

export interface StringNode extends NodeBase {
  readonly kind: 'string';
  /** In code points, as JSON Schema counts them. */
  readonly minLength: number;
  /** The schema's maxLength, or the decoding cap when it has none. */
  readonly maxLength: number;
}

/** A string whose characters follow a pattern's automaton (see regex-dfa.ts), minLength..maxLength of them. */
export interface PatternNode extends NodeBase {
  readonly kind: 'pattern';
  readonly dfa: PatternDfa;
  readonly minLength: number;
  readonly maxLength: number;
  /** (dfa.states, maxLength + 1): the suffix lengths that lead from each state to a match (suffixLengths). */
  readonly reach: Uint8Array;
}

/**
 * The fewest characters that complete a pattern string from DFA `state` after `count` characters, keeping the
 * total within minLength..maxLength (Infinity when none does).
 */
export function patternCompletionChars(node: PatternNode, state: number, count: number): number {
  const width = node.maxLength + 1;
  for (let length = Math.max(0, node.minLength - count); count + length <= node.maxLength; length++) {
    if (node.reach[state * width + length] === 1) return length;
  }
  return Infinity;
}

export interface NumberNode extends NodeBase {
  readonly kind: 'number';
  readonly integer: boolean;
  readonly minimum: number;
  readonly maximum: number;
  readonly maxIntegerDigits: number;
  readonly maxFractionDigits: number;
}

/** A fixed set of JSON texts: enum, const, boolean, null. */
export interface LiteralNode extends NodeBase {
  readonly kind: 'literal';
  readonly options: readonly Uint8Array[];
}

/** Alternatives told apart by their first byte (a type list, anyOf, oneOf). */
export interface UnionNode extends NodeBase {
  readonly kind: 'union';
  readonly options: readonly SchemaNode[];
}

/** Bounds that keep every generated document finite. */
export interface JsonLimits {
  /** Longest string when the schema sets no maxLength (code points). Default 256. */
  readonly maxStringLength?: number;
  /** Most array items when the schema sets no maxItems. Default 16. */
  readonly maxArrayItems?: number;
  /** Digits before the decimal point (15 keeps integers exact in float64). Default 15. */
  readonly maxIntegerDigits?: number;
  /** Digits after the decimal point. Default 6. */
  readonly maxFractionDigits?: number;
  /**
   * A `pattern` the decoder cannot follow (outside regex-dfa.ts's subset, or matching no string within the length
   * bounds): 'reject' refuses the schema (UnsupportedSchemaError), 'ignore' decodes the string without it, leaving
   * the pattern to whoever validates the result. Default 'reject'.
   */
  readonly unfollowablePatterns?: 'reject' | 'ignore';
}

const encoder = new TextEncoder();
const byteSet = (chars: string): Set<number> => new Set([...chars].map((c) => c.charCodeAt(0)));
const NUMBER_START = byteSet('-0123456789');

/** The schema's shape is outside what constrained decoding can guarantee; names the schema path. */
export class UnsupportedSchemaError extends ToolkenError {
  constructor(path: string, problem: string) {
    super('SCHEMA_UNSUPPORTED', `schema ${path === '' ? '(root)' : path}: ${problem}`);
  }
}

/**
 * Compiles a JSON Schema for decoding. Objects produce only their declared properties (every required one, any
 * optional one, in any order); a schema without `type` produces a scalar (string, number, boolean or null), which
 * any untyped schema accepts. A string `pattern` becomes an automaton (regex-dfa.ts); patterns outside its subset and
 * alternatives that start alike (e.g. two object schemas in anyOf) are rejected with UnsupportedSchemaError, because
 * no byte automaton here can promise them.
 */
export function compileSchema(schema: JsonSchema, limits: JsonLimits = {}): SchemaNode {
  const maxStringLength = limits.maxStringLength ?? 256;
  const maxArrayItems = limits.maxArrayItems ?? 16;
  const maxIntegerDigits = limits.maxIntegerDigits ?? 15;
  const maxFractionDigits = limits.maxFractionDigits ?? 6;
  let nextId = 0;

  const literal = (values: readonly JsonValue[]): LiteralNode => {
    const options = values.map((v) => encoder.encode(JSON.stringify(v)));
    return {
      kind: 'literal',
      id: nextId++,
      options,
      minBytes: Math.min(...options.map((o) => o.length)),
      firstBytes: new Set(options.map((o) => o[0]!)),
    };
  };

  const union = (options: SchemaNode[], path: string): SchemaNode => {
    if (options.length === 1) return options[0]!;
    const seen = new Set<number>();
    for (const option of options) {
      for (const b of option.firstBytes) {
        if (seen.has(b)) {
          throw new UnsupportedSchemaError(path, `alternatives that can start with the same character '${String.fromCharCode(b)}' are not supported`);
        }
        seen.add(b);
      }
    }
    return { kind: 'union', id: nextId++, options, minBytes: Math.min(...options.map((o) => o.minBytes)), firstBytes: seen };
  };

  /** The pattern's node, or undefined when it cannot be followed and such patterns are ignored. */
  const patternNode = (pattern: string, minLength: number, maxLength: number, path: string): PatternNode | undefined => {
    const unfollowable = (problem: string): undefined => {
      if (limits.unfollowablePatterns === 'ignore') return undefined;
      throw new UnsupportedSchemaError(path, problem);
    };
    let dfa: PatternDfa;
    try {
      dfa = compilePattern(pattern);
    } catch (err) {
      if (err instanceof PatternError) return unfollowable(`pattern: ${err.message}`);
      throw err;
    }
    const node: PatternNode = { kind: 'pattern', id: nextId++, dfa, minLength, maxLength, reach: suffixLengths(dfa, maxLength), minBytes: 0, firstBytes: byteSet('"') };
    const shortest = patternCompletionChars(node, 0, 0);
    if (shortest === Infinity) return unfollowable(`no string of ${minLength}..${maxLength} generable characters matches /${pattern}/`);
    return { ...node, minBytes: 2 + shortest };
  };

  const ofType = (type: JsonSchemaType, s: JsonSchema, path: string): SchemaNode => {
    switch (type) {
      case 'null':
        return literal([null]);
      case 'boolean':
        return literal([true, false]);
      case 'string': {
        const minLength = s.minLength ?? 0;
        const maxLength = Math.max(minLength, s.maxLength ?? maxStringLength);
        if (s.maxLength !== undefined && s.maxLength < minLength) throw new UnsupportedSchemaError(path, `minLength ${minLength} > maxLength ${s.maxLength}`);
        const patterned = s.pattern === undefined ? undefined : patternNode(s.pattern, minLength, maxLength, path);
        if (patterned !== undefined) return patterned;
        return { kind: 'string', id: nextId++, minLength, maxLength, minBytes: 2 + minLength, firstBytes: byteSet('"') };
      }
      case 'number':
      case 'integer': {
        const node: NumberNode = {
          kind: 'number',
          id: nextId++,
          integer: type === 'integer',
          minimum: s.minimum ?? -Infinity,
          maximum: s.maximum ?? Infinity,
          maxIntegerDigits,
          maxFractionDigits,
          minBytes: 0,
          firstBytes: NUMBER_START,
        };
        const minBytes = Math.min(
          numberCompletionBytes(node, { negative: false, integerDigits: '', fractionDigits: null }),
          1 + numberCompletionBytes(node, { negative: true, integerDigits: '', fractionDigits: null }),
        );
        if (minBytes === Infinity) {
          throw new UnsupportedSchemaError(
            path,
            `no ${type} with at most ${maxIntegerDigits} integer and ${maxFractionDigits} fraction digits lies in [${s.minimum}, ${s.maximum}]`,
          );
        }
        return { ...node, minBytes };
      }
      case 'array': {
        const items = compile(s.items ?? {}, `${path}/items`);
        const minItems = s.minItems ?? 0;
        const maxItems = Math.max(minItems, s.maxItems ?? maxArrayItems);
        if (s.maxItems !== undefined && s.maxItems < minItems) throw new UnsupportedSchemaError(path, `minItems ${minItems} > maxItems ${s.maxItems}`);
        return {
          kind: 'array',
          id: nextId++,
          items,
          minItems,
          maxItems,
          minBytes: 2 + minItems * items.minBytes + Math.max(0, minItems - 1),
          firstBytes: byteSet('['),
        };
      }
      case 'object': {
        const declared = s.properties ?? {};
        const required = new Set(s.required ?? []);
        const names = [...new Set([...Object.keys(declared), ...required])];
        const properties = names.map((name): PropertyNode => {
          const value = compile(declared[name] ?? {}, `${path}/properties/${name}`);
          const keyBytes = encoder.encode(JSON.stringify(name));
          return { name, keyBytes, value, required: required.has(name), minBytes: keyBytes.length + 1 + value.minBytes };
        });
        const needed = properties.filter((p) => p.required);
        const minBytes = 2 + needed.reduce((sum, p) => sum + p.minBytes, 0) + Math.max(0, needed.length - 1);
        return { kind: 'object', id: nextId++, properties, minBytes, firstBytes: byteSet('{') };
      }
      default:
        throw new UnsupportedSchemaError(path, `unknown type ${JSON.stringify(type)}`);
    }
  };

  const compile = (s: JsonSchema, path: string): SchemaNode => {
    if (typeof s !== 'object' || s === null) throw new UnsupportedSchemaError(path, `expected a schema object, got ${JSON.stringify(s)}`);
    if (s.const !== undefined || s.enum !== undefined) {
      const candidates = s.const !== undefined ? [s.const] : s.enum!;
      const { enum: _e, const: _c, ...rest } = s;
      const valid = candidates.filter((v) => validateJson(rest, v).length === 0);
      if (valid.length === 0) throw new UnsupportedSchemaError(path, `no enum/const value satisfies the rest of the schema`);
      return union([literal(valid)], path);
    }
    const alternatives = s.anyOf ?? s.oneOf;
    if (alternatives !== undefined) {
      const { anyOf: _a, oneOf: _o, ...rest } = s;
      return union(
        alternatives.map((alt, i) => compile({ ...rest, ...alt }, `${path}/${s.anyOf ? 'anyOf' : 'oneOf'}/${i}`)),
        path,
      );
    }
    let types: JsonSchemaType[];
    if (s.type === undefined) {
      if (s.properties !== undefined || s.required !== undefined) types = ['object'];
      else if (s.items !== undefined) types = ['array'];
      else types = ['string', 'number', 'boolean', 'null'];
    } else types = Array.isArray(s.type) ? [...s.type] : [s.type];
    // 'number' already accepts every integer, and both start with a digit.
    if (types.includes('number')) types = types.filter((t) => t !== 'integer');
    if (types.length === 0) throw new UnsupportedSchemaError(path, `empty type list`);
    return union(
      types.map((t) => ofType(t, s, path)),
      path,
    );
  };

  return compile(schema, '');
}

/** A number being written: sign, digits before the point, digits after it (null before the point). */
export interface NumberProgress {
  readonly negative: boolean;
  readonly integerDigits: string;
  readonly fractionDigits: string | null;
}

/**
 * Fewest bytes that turn `p` into a number of `node` (within its digit caps and [minimum, maximum]), or Infinity
 * when none exists. Candidates are enumerated by how many integer digits and fraction digits are added; for each,
 * the reachable magnitudes form an interval on a grid of step 10^-fraction, which either meets the bounds or not.
 */
export function numberCompletionBytes(node: NumberNode, p: NumberProgress): number {
  const { integerDigits: int, fractionDigits: frac } = p;
  if (node.minimum === -Infinity && node.maximum === Infinity) {
    return int === '' || frac === '' ? 1 : 0;
  }
  // Bounds on the magnitude |value|.
  const low = Math.max(0, p.negative ? -node.maximum : node.minimum);
  const high = p.negative ? -node.minimum : node.maximum;
  if (low > high) return Infinity;
  const gridMeets = (from: number, to: number, fraction: number): boolean => {
    const a = Math.max(from, low);
    const b = Math.min(to, high);
    if (a > b) return false;
    const scale = 10 ** fraction;
    return Math.ceil(a * scale) <= Math.floor(b * scale);
  };

  let best = Infinity;
  if (frac !== null) {
    const base = Number(`${int}.${frac}`);
    for (let f = Math.max(frac.length, 1); f <= node.maxFractionDigits; f++) {
      if (gridMeets(base, base + 10 ** -frac.length - 10 ** -f, f)) return f - frac.length;
    }
    return best;
  }
  const maxAdded = int === '0' ? 0 : node.maxIntegerDigits - int.length;
  for (let added = int === '' ? 1 : 0; added <= maxAdded; added++) {
    // Integers reachable by appending `added` digits: [from, to].
    let from: number;
    let to: number;
    if (int === '') {
      from = added === 1 ? 0 : 10 ** (added - 1);
      to = 10 ** added - 1;
    } else {
      from = Number(int) * 10 ** added;
      to = from + 10 ** added - 1;
    }
    if (added < best && gridMeets(from, to, 0)) best = added;
    if (!node.integer) {
      for (let f = 1; f <= node.maxFractionDigits && added + 1 + f < best; f++) {
        if (gridMeets(from, to + 1 - 10 ** -f, f)) best = added + 1 + f;
      }
    }
  }
  return best;
}
