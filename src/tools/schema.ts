/**
 * Turns the parameter schemas found in the wild into our JSON Schema subset. Sources disagree on type names: BFCL
 * writes Python and Java names (`dict`, `float`, `tuple`, `HashMap`), ToolBench writes `STRING` / `NUMBER` /
 * `DATE (YYYY-MM-DD)`, Seal-Tools writes `str` / `int`. Everything maps onto the seven JSON types here, once, so the
 * rest of toolken only sees standard schemas. Keywords outside the subset (`examples`, `$comment`, ...) are dropped;
 * `title` stays as the source's name of a value, and `enumNames` as the words a request may say instead of an enum's codes.
 */
import type { JsonSchema, JsonSchemaType, JsonValue, ObjectSchema } from './types.js';
import { canonicalJson, isJsonValue } from './validate.js';
import { escapePointer } from './pointer.js';
import { isCheckedFormat } from './source-schema.js';
import { ToolkenError } from '../util/errors.js';

/** Thrown for a schema that cannot be understood; `pointer` locates it inside the document being read. */
export class SchemaError extends ToolkenError {
  constructor(
    readonly pointer: string,
    readonly reason: string,
  ) {
    super('SCHEMA_INVALID', `${pointer || '(root)'}: ${reason}`);
  }
}

const JSON_TYPES: readonly JsonSchemaType[] = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'];

/** Non-standard type names (lower-cased) and the JSON type they mean; `null` marks names that accept anything. */
const TYPE_ALIASES: Readonly<Record<string, JsonSchemaType | null>> = {
  dict: 'object',
  hashmap: 'object',
  map: 'object',
  float: 'number',
  double: 'number',
  long: 'integer',
  int: 'integer',
  str: 'string',
  char: 'string',
  enum: 'string',
  binary: 'string',
  bool: 'boolean',
  list: 'array',
  tuple: 'array',
  arraylist: 'array',
  any: null,
  '': null,
};

/** ToolBench decorates some names with a format hint: `DATE (YYYY-MM-DD)`, `TIME (24-hour HH:MM)`. */
const DECORATED_TYPES: ReadonlyArray<{ prefix: string; type: JsonSchemaType; format: string }> = [
  { prefix: 'date', type: 'string', format: 'date' },
  { prefix: 'time', type: 'string', format: 'time' },
];

/** Maps one type name to a JSON type (`undefined` when the name means "any value"), plus a format when implied. */
export function resolveTypeName(name: string, pointer: string): { type?: JsonSchemaType; format?: string } {
  const lower = name.trim().toLowerCase();
  if ((JSON_TYPES as readonly string[]).includes(lower)) return { type: lower as JsonSchemaType };
  if (Object.prototype.hasOwnProperty.call(TYPE_ALIASES, lower)) {
    const alias = TYPE_ALIASES[lower];
    return alias === null || alias === undefined ? {} : { type: alias };
  }
  for (const d of DECORATED_TYPES) {
    if (lower === d.prefix || lower.startsWith(d.prefix + ' ')) return { type: d.type, format: d.format };
  }
  throw new SchemaError(pointer, `unknown type name '${name}' (expected a JSON Schema type or a known alias such as dict, float, str)`);
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function nonNegativeInteger(value: unknown, pointer: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new SchemaError(pointer, `expected a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function finiteNumber(value: unknown, pointer: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new SchemaError(pointer, `expected a number, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Deepest nesting read in a schema, and in a value inside one (enum, const, default). Catalogs come from strangers:
 * a schema nested thousands of levels would otherwise overflow the stack of every recursive walk after it.
 */
export const MAX_SCHEMA_DEPTH = 64;
/** The same limit counted in JSON levels of a schema document (a schema level is two: `properties`, then the name). */
export const MAX_SCHEMA_NESTING = 2 * MAX_SCHEMA_DEPTH + 8;

/** Nesting depth of a JSON value (a scalar is 0), measured without recursion. */
function valueDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    if (node !== null && typeof node === 'object') for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Reads a JSON value from a schema document, refusing values nested deeper than MAX_SCHEMA_DEPTH. */
export function jsonValue(value: unknown, pointer: string, maxDepth = MAX_SCHEMA_DEPTH): JsonValue {
  if (valueDepth(value, maxDepth) > maxDepth) throw new SchemaError(pointer, `value nested more than ${maxDepth} levels deep`);
  if (!isJsonValue(value)) throw new SchemaError(pointer, 'expected a JSON value');
  return value;
}

/**
 * Sets `record[key]` as an own property, whatever the key: a property or parameter named `__proto__` is a name like
 * any other and must neither vanish nor change the object's prototype.
 */
export function setEntry<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Called for each keyword that constrains values but is outside the subset: `pointer` locates it. `checkedAtCall`
 * says whether the execution-time check of the source schema (source-schema.ts) enforces it: every keyword but a
 * string `format` that ajv-formats does not define (such a format stays an annotation).
 */
export type DroppedKeyword = (pointer: string, keyword: string, checkedAtCall: boolean) => void;

/** The importers' warning for a keyword reported to DroppedKeyword. */
export function droppedKeywordWarning(keyword: string, checkedAtCall: boolean): string {
  return checkedAtCall
    ? `keyword '${keyword}' is outside what toolken's validator and decoder enforce; calls are checked against the source schema`
    : `keyword '${keyword}' is not enforced by toolken's validator, decoder or call check: the tool gets such values unchecked`;
}

/** Formats that only restate a numeric type's width (OpenAPI's int32, double, ...): nothing a user expects checked. */
const NUMERIC_FORMATS = new Set(['int32', 'int64', 'float', 'double']);

/** Keywords that only describe or annotate (nothing to enforce; BFCL's `optional` restates `required`), dropped without a warning. */
const ANNOTATIONS = new Set(['examples', 'example', '$schema', '$id', '$comment', '$anchor', 'deprecated', 'readOnly', 'writeOnly', 'nullable', 'contentMediaType', 'contentEncoding', '$defs', 'definitions', 'optional']);
/** Keywords the subset reads (see below). */
const KNOWN = new Set(['type', 'title', 'description', 'enum', 'enumNames', 'const', 'default', 'format', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'uniqueItems', 'pattern', 'anyOf', 'oneOf', 'allOf']);

/**
 * Reads a schema node (any dialect) into the JSON Schema subset; throws SchemaError naming the pointer on bad input.
 * Each keyword outside the subset that constrains values (`not`, `if`, `patternProperties`, ...) is reported to
 * `dropped` with its pointer, so an importer can warn and keep the source schema for execution-time checks.
 */
export function normalizeSchema(raw: unknown, pointer = '', dropped?: DroppedKeyword): JsonSchema {
  return normalizeAt(raw, pointer, 0, dropped);
}

function normalizeAt(raw: unknown, pointer: string, depth: number, dropped: DroppedKeyword | undefined): JsonSchema {
  if (depth > MAX_SCHEMA_DEPTH) throw new SchemaError(pointer, `schema nested more than ${MAX_SCHEMA_DEPTH} levels deep`);
  const nested = (child: unknown, at: string): JsonSchema => normalizeAt(child, at, depth + 1, dropped);
  if (dropped !== undefined && isRecord(raw)) {
    for (const key of Object.keys(raw)) if (!KNOWN.has(key) && !ANNOTATIONS.has(key) && !key.startsWith('x-')) dropped(`${pointer}/${escapePointer(key)}`, key, true);
    if (typeof raw.format === 'string' && !NUMERIC_FORMATS.has(raw.format)) dropped(`${pointer}/format`, 'format', isCheckedFormat(raw.format));
    // Tuple-form items become any of their entries below; the source schema checks every position.
    if (Array.isArray(raw.items) && raw.items.length > 1) dropped(`${pointer}/items`, 'items', true);
  }
  if (raw === true || (isRecord(raw) && Object.keys(raw).length === 0)) return {};
  if (!isRecord(raw)) throw new SchemaError(pointer, `expected a schema object, got ${raw === null ? 'null' : Array.isArray(raw) ? 'array' : typeof raw}`);
  const out: JsonSchema = {};

  if (raw.type !== undefined) {
    const names = Array.isArray(raw.type) ? raw.type : [raw.type];
    const types: JsonSchemaType[] = [];
    let anyType = false;
    names.forEach((name, i) => {
      if (typeof name !== 'string') throw new SchemaError(`${pointer}/type${Array.isArray(raw.type) ? '/' + i : ''}`, 'type must be a string');
      const resolved = resolveTypeName(name, `${pointer}/type`);
      if (resolved.type === undefined) anyType = true;
      else if (!types.includes(resolved.type)) types.push(resolved.type);
      if (resolved.format !== undefined && out.format === undefined) out.format = resolved.format;
    });
    if (!anyType && types.length > 0) out.type = types.length === 1 ? types[0]! : types;
  }
  // A title is only a name: one that is not a string is left out rather than failing the tool.
  if (typeof raw.title === 'string') out.title = raw.title;
  if (raw.description !== undefined) {
    if (typeof raw.description !== 'string') throw new SchemaError(`${pointer}/description`, 'description must be a string');
    out.description = raw.description;
  }
  if (raw.enum !== undefined) {
    if (!Array.isArray(raw.enum)) throw new SchemaError(`${pointer}/enum`, 'enum must be an array');
    out.enum = raw.enum.map((v, i) => jsonValue(v, `${pointer}/enum/${i}`));
  }
  if (raw.enumNames !== undefined) {
    const names = raw.enumNames;
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new SchemaError(`${pointer}/enumNames`, 'enumNames must be an array of strings');
    if (out.enum === undefined || names.length !== out.enum.length) {
      throw new SchemaError(`${pointer}/enumNames`, `enumNames names the enum's values one by one: ${names.length} names for ${out.enum?.length ?? 0} enum values`);
    }
    out.enumNames = names as string[];
  }
  if (raw.const !== undefined) out.const = jsonValue(raw.const, `${pointer}/const`);
  if (raw.default !== undefined) out.default = jsonValue(raw.default, `${pointer}/default`);
  if (typeof raw.format === 'string') out.format = raw.format;

  if (raw.properties !== undefined) {
    if (!isRecord(raw.properties)) throw new SchemaError(`${pointer}/properties`, 'properties must be an object');
    out.properties = {};
    for (const [name, child] of Object.entries(raw.properties)) {
      setEntry(out.properties, name, nested(child, `${pointer}/properties/${escapePointer(name)}`));
    }
    // Nested `dict` parameters in BFCL omit the type; properties make them objects.
    if (out.type === undefined && raw.type === undefined) out.type = 'object';
  }
  if (raw.required !== undefined) {
    // Some sources write `required: true` on a property (draft 3 style); only the array form is meaningful here.
    if (Array.isArray(raw.required)) {
      raw.required.forEach((name, i) => {
        if (typeof name !== 'string') throw new SchemaError(`${pointer}/required/${i}`, 'required entries must be strings');
      });
      out.required = [...new Set(raw.required as string[])];
    }
  }
  if (raw.additionalProperties !== undefined) {
    out.additionalProperties =
      typeof raw.additionalProperties === 'boolean' ? raw.additionalProperties : nested(raw.additionalProperties, `${pointer}/additionalProperties`);
  }
  if (raw.items !== undefined) {
    // Tuple-style `items: [a, b]`: every item is one of the entries (the subset has no positions); the source schema,
    // reported above, checks each position at the call.
    if (!Array.isArray(raw.items)) out.items = nested(raw.items, `${pointer}/items`);
    else if (raw.items.length <= 1) out.items = nested(raw.items[0] ?? {}, `${pointer}/items/0`);
    else out.items = tupleItems(raw.items.map((entry, i) => nested(entry, `${pointer}/items/${i}`)));
  }
  for (const key of ['minItems', 'maxItems', 'minLength', 'maxLength'] as const) {
    if (raw[key] !== undefined) out[key] = nonNegativeInteger(raw[key], `${pointer}/${key}`);
  }
  for (const key of ['minimum', 'maximum'] as const) {
    if (raw[key] !== undefined) out[key] = finiteNumber(raw[key], `${pointer}/${key}`);
  }
  for (const [key, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    // Draft 4 wrote `exclusiveMinimum: true` beside `minimum`; later drafts give the bound itself.
    if (typeof value === 'boolean') {
      if (value && out[bound] !== undefined) {
        out[key] = out[bound];
        delete out[bound];
      }
    } else out[key] = finiteNumber(value, `${pointer}/${key}`);
  }
  if (raw.multipleOf !== undefined) {
    const step = finiteNumber(raw.multipleOf, `${pointer}/multipleOf`);
    if (step <= 0) throw new SchemaError(`${pointer}/multipleOf`, `multipleOf must be greater than 0, got ${step}`);
    out.multipleOf = step;
  }
  if (raw.uniqueItems !== undefined) {
    if (typeof raw.uniqueItems !== 'boolean') throw new SchemaError(`${pointer}/uniqueItems`, 'uniqueItems must be true or false');
    if (raw.uniqueItems) out.uniqueItems = true;
  }
  if (raw.pattern !== undefined) {
    if (typeof raw.pattern !== 'string') throw new SchemaError(`${pointer}/pattern`, 'pattern must be a string');
    try {
      new RegExp(raw.pattern, 'u');
    } catch {
      throw new SchemaError(`${pointer}/pattern`, `pattern ${JSON.stringify(raw.pattern)} is not a valid regular expression`);
    }
    out.pattern = raw.pattern;
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = raw[key];
    if (branches === undefined) continue;
    if (!Array.isArray(branches) || branches.length === 0) throw new SchemaError(`${pointer}/${key}`, `${key} must be a non-empty array`);
    out[key] = branches.map((b, i) => nested(b, `${pointer}/${key}/${i}`));
  }
  return out;
}

/**
 * The one schema every item of a tuple satisfies: any of its entries, without repeats and without a plain `integer`
 * beside a plain `number` (which covers it), so a pair of numbers stays `number` rather than two alternatives the
 * decoder cannot tell apart by their first character.
 */
function tupleItems(entries: readonly JsonSchema[]): JsonSchema {
  const seen = new Set<string>();
  let distinct = entries.filter((entry) => {
    const key = canonicalJson(entry as JsonValue);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (seen.has(canonicalJson({ type: 'number' }))) distinct = distinct.filter((entry) => canonicalJson(entry as JsonValue) !== canonicalJson({ type: 'integer' }));
  return distinct.length === 1 ? distinct[0]! : { anyOf: distinct };
}

/**
 * Reads a tool's parameter schema, which must describe an object. A missing schema means "no parameters". Required
 * names must be declared properties, otherwise a model could never satisfy the schema.
 */
export function normalizeParameters(raw: unknown, pointer = '', dropped?: DroppedKeyword): ObjectSchema {
  if (raw === undefined || raw === null) return emptyParameters();
  const schema = normalizeSchema(raw, pointer, dropped);
  if (schema.type !== undefined && schema.type !== 'object') {
    throw new SchemaError(`${pointer}/type`, `parameters must be an object schema, got type ${JSON.stringify(schema.type)}`);
  }
  const properties = schema.properties ?? {};
  const required = schema.required ?? [];
  for (const name of required) {
    if (!Object.prototype.hasOwnProperty.call(properties, name)) {
      throw new SchemaError(`${pointer}/required`, `required parameter '${name}' is not declared in properties`);
    }
  }
  return { ...schema, type: 'object', properties, required };
}

export const emptyParameters = (): ObjectSchema => ({ type: 'object', properties: {}, required: [] });

