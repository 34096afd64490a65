import type { JsonSchema, JsonValue } from '../../../tools/types.js';

/** Object keys for random schemas: prefixes of each other, non-ASCII and an escaped quote on purpose. */
const KEYS = ['a', 'ab', 'abc', 'city', 'naïve', 'quote"key', 'n', 'days', '中文', 'x_y'];

/**
 * A random tool-parameter schema for property tests: nested objects and arrays, enums (numeric ones that are
 * prefixes of each other included), required and optional keys, bounded numbers and strings, type unions.
 */
export function randomSchema(random: () => number, depth = 0): JsonSchema {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const object = (): JsonSchema => {
    const names = KEYS.filter(() => random() < 0.35).slice(0, 4);
    return {
      type: 'object',
      properties: Object.fromEntries(names.map((n) => [n, randomSchema(random, depth + 1)])),
      required: names.filter(() => random() < 0.5),
    };
  };
  if (depth === 0) return object();
  const kinds = depth >= 3 ? ['string', 'integer', 'number', 'boolean', 'null', 'enum', 'union'] : ['string', 'integer', 'number', 'boolean', 'null', 'enum', 'union', 'array', 'object', 'object'];
  switch (pick(kinds)) {
    case 'string': {
      if (random() < 0.3) return pick(PATTERN_STRINGS);
      const minLength = random() < 0.3 ? Math.floor(random() * 3) : undefined;
      const maxLength = random() < 0.4 ? (minLength ?? 0) + Math.floor(random() * 5) : undefined;
      return { type: 'string', ...(minLength === undefined ? {} : { minLength }), ...(maxLength === undefined ? {} : { maxLength }) };
    }
    case 'integer': {
      const minimum = random() < 0.5 ? Math.floor(random() * 200) - 100 : undefined;
      const maximum = random() < 0.5 ? (minimum ?? -50) + Math.floor(random() * 300) : undefined;
      return { type: 'integer', ...(minimum === undefined ? {} : { minimum }), ...(maximum === undefined ? {} : { maximum }) };
    }
    case 'number':
      return random() < 0.5 ? { type: 'number' } : { type: 'number', minimum: -1.5, maximum: random() * 10 };
    case 'boolean':
      return { type: 'boolean' };
    case 'null':
      return { type: 'null' };
    case 'enum':
      return { enum: pick<JsonValue[]>([['metric', 'imperial'], [1, 12, 123, -4.5], ['a"b', 'é', true, null], ['x']]) };
    case 'union':
      return { type: ['string', 'null', random() < 0.5 ? 'integer' : 'boolean'] };
    case 'array': {
      const minItems = Math.floor(random() * 2);
      return { type: 'array', items: randomSchema(random, depth + 1), minItems, ...(random() < 0.5 ? { maxItems: minItems + Math.floor(random() * 3) } : {}) };
    }
    default:
      return object();
  }
}

/** Multi-byte pieces for a toy vocabulary: JSON punctuation runs, literals, digits, escapes, whole and partial UTF-8. */
/** Strings with patterns (anchored or not, with and without length bounds), all satisfiable. */
const PATTERN_STRINGS: readonly JsonSchema[] = [
  { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
  { type: 'string', pattern: '^[a-c]+$', maxLength: 3 },
  { type: 'string', pattern: 'ab', minLength: 3 },
  { type: 'string', pattern: '^(metric|imperial)$' },
  { type: 'string', pattern: '^[A-Z]{2}\\d?$' },
  { type: 'string', pattern: '^(?:x_y|a)*$', minLength: 2, maxLength: 6 },
];

export const JSON_PIECES: readonly (string | Uint8Array)[] = [
  '{"', '":', '": "', '", "', '","', '"}', '},', '}}', '"]', '["', '[]', '{}', ', ', '":{"', 'true', 'false', 'null',
  '12', '3.', '-1', '0.', '.5', '\\u', '\\n', '\\"', 'é', '中', '😀', Uint8Array.of(0xe4), Uint8Array.of(0xe4, 0xb8),
  Uint8Array.of(0xb8, 0xad), Uint8Array.of(0xf0, 0x9f), 'a', 'ab', 'abc', ' a', 'city', 'naïve', 'quote\\"key', 'days',
  'metric', '"metric"', 'imperial', '中文', 'x_y"',
];
