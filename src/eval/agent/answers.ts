/**
 * When a final answer equals the ground truth, for the agent's pass rate. Both sides are normalised the same way:
 *
 * - JSON: a text that parses as JSON is compared as its value (so `"0:00:27"` and `0:00:27`, or objects with keys
 *   in another order, are equal); a JSON string is then compared as a string.
 * - numbers: equal when they differ by at most 1e-6 relative to the larger magnitude (at least 1e-6 absolute), so
 *   `98.60` equals `98.6`; a number inside text is not extracted.
 * - strings: trimmed, whitespace runs collapsed to one space, lower-cased, one trailing period removed.
 * - arrays and objects: element by element / key by key under the same rules.
 */
import type { JsonValue } from '../../tools/types.js';

export function answersMatch(predicted: string, truth: string): boolean {
  return valuesMatch(parse(predicted), parse(truth));
}

function parse(text: string): JsonValue {
  const t = text.trim();
  try {
    return JSON.parse(t) as JsonValue;
  } catch {
    return t;
  }
}

const normalizeString = (s: string): string => s.trim().replace(/\s+/g, ' ').toLowerCase().replace(/\.$/, '');

function valuesMatch(a: JsonValue, b: JsonValue): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
  if (typeof a === 'string' && typeof b === 'string') return normalizeString(a) === normalizeString(b);
  if (typeof a === 'number' && typeof b === 'string') return valuesMatch(String(a), b);
  if (typeof a === 'string' && typeof b === 'number') return valuesMatch(a, String(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => valuesMatch(x, b[i]!));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && valuesMatch(a[k]!, b[k]!));
  }
  return a === b;
}
