/**
 * Validates a JSON value against the JSON Schema subset in `types.ts`. Every issue names where it happened (a
 * JSON pointer, empty for the root) and what was expected versus what was found, so that a model reading the
 * observation, or a user reading an import report, can fix the call.
 */
import type { JsonSchema, JsonSchemaType, JsonValue } from './types.js';
import { escapePointer } from './pointer.js';
import { compileMatcher, PatternError, type PatternMatcher } from './regex-dfa.js';

export interface ValidationIssue {
  /** JSON pointer to the offending value: empty for the root, `/city`, `/items/2/name`. */
  path: string;
  message: string;
}

/** Returns every issue found; an empty list means the value conforms. */
export function validateJson(schema: JsonSchema, value: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  remainingChecks = MAX_CHECKS;
  branchDepth = 0;
  try {
    check(schema, value, '', issues);
  } catch (err) {
    if (err !== OUT_OF_BUDGET) throw err;
    return [{ path: '', message: `validation stopped after ${MAX_CHECKS} checks inside alternatives: the schema's anyOf / oneOf / allOf branches multiply too much to check this value` }];
  }
  return issues;
}

/**
 * Most (schema, value) pairs one validation visits inside anyOf / oneOf / allOf branches. Outside them a check per
 * value suffices, but nested alternatives multiply (anyOf inside anyOf, 30 deep, would be 2^30 checks), and a catalog
 * is untrusted text that validation must not hang on.
 */
const MAX_CHECKS = 10_000;
const OUT_OF_BUDGET = Symbol('validation budget exhausted');
let remainingChecks = MAX_CHECKS;
/** How many alternatives the check in progress is inside; checks count against the budget only there. */
let branchDepth = 0;

/** Formats issues as one line each, `path: message` (`(root)` for the empty path). */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path === '' ? '(root)' : i.path}: ${i.message}`).join('\n');
}

/** The JSON type of a value, with `integer` for numbers without a fraction; `undefined`/functions are not JSON. */
export function jsonTypeOf(value: unknown): JsonSchemaType | 'non-JSON' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'number':
      if (!Number.isFinite(value)) return 'non-JSON';
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'object':
      return 'object';
    default:
      return 'non-JSON';
  }
}

/** A short, bounded rendering of a value for messages. */
export function preview(value: unknown): string {
  if (value === undefined) return 'undefined';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

function matchesType(expected: JsonSchemaType, actual: JsonSchemaType | 'non-JSON'): boolean {
  // An integer is also a number; the converse does not hold (2.5 is not an integer).
  return expected === actual || (expected === 'number' && actual === 'integer');
}

function check(schema: JsonSchema, value: unknown, path: string, issues: ValidationIssue[]): void {
  if (branchDepth > 0 && --remainingChecks < 0) throw OUT_OF_BUDGET;
  const actual = jsonTypeOf(value);
  if (actual === 'non-JSON') {
    issues.push({ path, message: `expected a JSON value, got ${value === undefined ? 'undefined' : typeof value}` });
    return;
  }

  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!allowed.some((t) => matchesType(t, actual))) {
      const got = actual === 'integer' ? 'number' : actual;
      issues.push({ path, message: `expected ${allowed.join(' or ')}, got ${got} ${preview(value)}` });
      // Keyword checks below assume the right type; reporting them too would only add noise.
      return;
    }
  }

  if (schema.const !== undefined && !jsonEqual(schema.const, value)) {
    issues.push({ path, message: `expected constant ${preview(schema.const)}, got ${preview(value)}` });
  }
  if (schema.enum !== undefined && !schema.enum.some((option) => jsonEqual(option, value))) {
    issues.push({ path, message: `expected one of ${schema.enum.map((e) => preview(e)).join(', ')}, got ${preview(value)}` });
  }

  if (typeof value === 'number') checkNumber(schema, value, path, issues);
  else if (typeof value === 'string') checkString(schema, value, path, issues);
  else if (Array.isArray(value)) checkArray(schema, value, path, issues);
  else if (value !== null && typeof value === 'object') checkObject(schema, value as Record<string, unknown>, path, issues);

  if (schema.anyOf !== undefined) {
    // Stops at the first branch that matches: the others cannot change the verdict.
    const branches: ValidationIssue[][] = [];
    for (const branch of schema.anyOf) {
      const found = validateAt(branch, value, path);
      branches.push(found);
      if (found.length === 0) break;
    }
    if (branches[branches.length - 1]!.length > 0) {
      issues.push({ path, message: `expected a value matching at least one of ${schema.anyOf.length} alternatives (${summarizeBranches(branches)})` });
    }
  }
  if (schema.allOf !== undefined) {
    for (const branch of schema.allOf) for (const issue of validateAt(branch, value, path)) issues.push(issue);
  }
  if (schema.oneOf !== undefined) {
    const branches = schema.oneOf.map((branch) => validateAt(branch, value, path));
    const matching = branches.filter((b) => b.length === 0).length;
    if (matching === 0) {
      issues.push({ path, message: `expected a value matching exactly one of ${schema.oneOf.length} alternatives, matched none (${summarizeBranches(branches)})` });
    } else if (matching > 1) {
      issues.push({ path, message: `expected a value matching exactly one of ${schema.oneOf.length} alternatives, matched ${matching}` });
    }
  }
}

function validateAt(schema: JsonSchema, value: unknown, path: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  branchDepth++;
  try {
    check(schema, value, path, issues);
  } finally {
    branchDepth--;
  }
  return issues;
}

/** Each branch's first issue, cut to 120 characters: nested alternatives would otherwise nest whole messages. */
function summarizeBranches(branches: readonly ValidationIssue[][]): string {
  return branches
    .map((b, i) => {
      const message = b[0]?.message ?? 'ok';
      return `#${i}: ${message.length > 120 ? message.slice(0, 117) + '...' : message}`;
    })
    .join('; ');
}

function checkNumber(schema: JsonSchema, value: number, path: string, issues: ValidationIssue[]): void {
  if (schema.minimum !== undefined && value < schema.minimum) {
    issues.push({ path, message: `expected a number >= ${schema.minimum}, got ${value}` });
  }
  if (schema.maximum !== undefined && value > schema.maximum) {
    issues.push({ path, message: `expected a number <= ${schema.maximum}, got ${value}` });
  }
  if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
    issues.push({ path, message: `expected a number > ${schema.exclusiveMinimum}, got ${value}` });
  }
  if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) {
    issues.push({ path, message: `expected a number < ${schema.exclusiveMaximum}, got ${value}` });
  }
  if (schema.multipleOf !== undefined && !isMultiple(value, schema.multipleOf)) {
    issues.push({ path, message: `expected a multiple of ${schema.multipleOf}, got ${value}` });
  }
}

function checkString(schema: JsonSchema, value: string, path: string, issues: ValidationIssue[]): void {
  // Lengths count code points, as JSON Schema specifies, not UTF-16 units.
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) {
    issues.push({ path, message: `expected a string of at least ${schema.minLength} characters, got ${length}` });
  }
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    issues.push({ path, message: `expected a string of at most ${schema.maxLength} characters, got ${length}` });
  }
  if (schema.pattern !== undefined) {
    const matcher = patternMatcher(schema.pattern);
    if (matcher instanceof PatternError) {
      issues.push({ path, message: `schema pattern ${preview(schema.pattern)} cannot be checked safely: ${matcher.message}` });
    } else if (!matcher.test(value)) {
      issues.push({ path, message: `expected a string matching /${schema.pattern}/, got ${preview(value)}` });
    }
  }
}

/** Compiled schema patterns (catalog text), reused across calls; bounded so that many distinct patterns cannot grow it. */
const matchers = new Map<string, PatternMatcher | PatternError>();
const MAX_CACHED_PATTERNS = 1000;

/**
 * A linear-time matcher for a schema pattern, or why there is none. Schema patterns are never run by JavaScript's
 * backtracking engine: `^(a+)+$` on 29 characters would block the process for seconds.
 */
function patternMatcher(pattern: string): PatternMatcher | PatternError {
  let matcher = matchers.get(pattern);
  if (matcher === undefined) {
    try {
      matcher = compileMatcher(pattern);
    } catch (err) {
      if (!(err instanceof PatternError)) throw err;
      matcher = err;
    }
    if (matchers.size >= MAX_CACHED_PATTERNS) matchers.clear();
    matchers.set(pattern, matcher);
  }
  return matcher;
}

function checkArray(schema: JsonSchema, value: readonly unknown[], path: string, issues: ValidationIssue[]): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    issues.push({ path, message: `expected at least ${schema.minItems} items, got ${value.length}` });
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    issues.push({ path, message: `expected at most ${schema.maxItems} items, got ${value.length}` });
  }
  if (schema.items !== undefined) {
    value.forEach((item, i) => check(schema.items!, item, `${path}/${i}`, issues));
  }
  if (schema.uniqueItems === true) {
    // Canonical text makes equal values (in any key order) equal strings: one pass, not a comparison of every pair.
    const seen = new Map<string, number>();
    value.forEach((item, i) => {
      const key = canonicalJson(item as JsonValue);
      const first = seen.get(key);
      if (first !== undefined) issues.push({ path: `${path}/${i}`, message: `expected unique items, but item ${i} equals item ${first}` });
      else seen.set(key, i);
    });
  }
}

/** `value` is an integer multiple of `step`, allowing for binary rounding (0.3 is a multiple of 0.1). */
function isMultiple(value: number, step: number): boolean {
  const quotient = value / step;
  return Math.abs(quotient - Math.round(quotient)) <= 1e-9 * Math.max(1, Math.abs(quotient));
}

/** Canonical JSON (object keys sorted), so `{a, b}` and `{b, a}` find the same recording. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function checkObject(schema: JsonSchema, value: Record<string, unknown>, path: string, issues: ValidationIssue[]): void {
  const properties = schema.properties ?? {};
  for (const name of schema.required ?? []) {
    if (!Object.prototype.hasOwnProperty.call(value, name) || value[name] === undefined) {
      issues.push({ path: `${path}/${escapePointer(name)}`, message: `missing required property '${name}'` });
    }
  }
  for (const [name, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const childPath = `${path}/${escapePointer(name)}`;
    const propertySchema = Object.prototype.hasOwnProperty.call(properties, name) ? properties[name] : undefined;
    if (propertySchema !== undefined) check(propertySchema, item, childPath, issues);
    else if (schema.additionalProperties === false) {
      const known = Object.keys(properties);
      issues.push({
        path: childPath,
        message: `unexpected property '${name}' (allowed: ${known.length > 0 ? known.join(', ') : 'none'})`,
      });
    } else if (typeof schema.additionalProperties === 'object') check(schema.additionalProperties, item, childPath, issues);
  }
}

/** Structural equality of JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return (
    ka.length === kb.length &&
    ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

/** Narrows `unknown` to a JSON value (finite numbers, plain arrays and objects all the way down). */
export function isJsonValue(value: unknown): value is JsonValue {
  const t = jsonTypeOf(value);
  if (t === 'non-JSON') return false;
  if (Array.isArray(value)) return value.every(isJsonValue);
  if (t === 'object') return Object.values(value as object).every(isJsonValue);
  return true;
}
