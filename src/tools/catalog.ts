/**
 * The catalog file (`catalog.json`): reading it back with validation, writing it atomically, merging duplicates, and
 * the canonical text rendering of a tool that retrieval and memorization train on.
 */
import { readInputFile } from './import/entries.js';
import { writeJsonAtomic } from '../util/fs.js';
import { jsonValue, MAX_SCHEMA_NESTING, normalizeParameters, normalizeSchema, SchemaError, setEntry } from './schema.js';
import type { CatalogFormat, HttpEndpoint, JsonSchema, Tool, ToolCatalog, ToolOrigin } from './types.js';
import { errorWithCode } from '../util/errors.js';

/** A catalog file that cannot be used; the message names the file and the entry. */
export class CatalogError extends errorWithCode('CATALOG_INVALID') {}

const FORMATS: readonly CatalogFormat[] = ['toolbench', 'openai', 'bfcl', 'seal-tools', 'metatool', 'beir', 'mcp', 'openapi', 'toolalpaca', 'toolken'];
const METHODS: readonly HttpEndpoint['method'][] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const LOCATIONS = ['path', 'query', 'header', 'body'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Reads and validates a catalog file. */
export function loadCatalog(path: string): ToolCatalog {
  const text = readInputFile(path, 'catalog', (message) => new CatalogError(message));
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CatalogError(`catalog ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseCatalog(raw, path);
}

/** Validates an already-parsed catalog; `source` names it in errors. Ids must be unique. */
export function parseCatalog(raw: unknown, source: string): ToolCatalog {
  if (!isRecord(raw)) throw new CatalogError(`catalog ${source}: expected an object with "version" and "tools"`);
  if (raw.version !== 1) throw new CatalogError(`catalog ${source}: unsupported version ${JSON.stringify(raw.version)} (expected 1)`);
  if (!Array.isArray(raw.tools)) throw new CatalogError(`catalog ${source}: "tools" must be an array`);
  const seen = new Map<string, number>();
  const tools = raw.tools.map((entry, i) => {
    const tool = parseTool(entry, `${source} /tools/${i}`);
    const previous = seen.get(tool.id);
    if (previous !== undefined) throw new CatalogError(`catalog ${source} /tools/${i}: duplicate id '${tool.id}' (first at /tools/${previous})`);
    seen.set(tool.id, i);
    return tool;
  });
  return { version: 1, tools };
}

function requireString(entry: Record<string, unknown>, key: string, where: string, allowEmpty = false): string {
  const value = entry[key];
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw new CatalogError(`${where}: "${key}" must be a ${allowEmpty ? '' : 'non-empty '}string, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** `value` if it is one of `choices`; `what` names it in the error (`"method"`, `location of 'city'`). */
function requireOneOf<T extends string>(value: unknown, choices: readonly T[], what: string, where: string): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new CatalogError(`${where}: ${what} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Validates one tool object as stored in a catalog; `where` is `file /tools/i`. */
export function parseTool(entry: unknown, where: string): Tool {
  if (!isRecord(entry)) throw new CatalogError(`${where}: expected a tool object`);
  if (entry.parameters === undefined) throw new CatalogError(`${where}: "parameters" is missing`);
  const tool: Tool = {
    id: requireString(entry, 'id', where),
    name: requireString(entry, 'name', where),
    description: requireString(entry, 'description', where, true),
    parameters: schemaAt(() => normalizeParameters(entry.parameters, '/parameters'), where),
  };
  if (entry.returns !== undefined) tool.returns = schemaAt(() => normalizeSchema(entry.returns, '/returns'), where);
  if (entry.category !== undefined) tool.category = requireString(entry, 'category', where);
  if (entry.group !== undefined) {
    const group = entry.group;
    if (!isRecord(group)) throw new CatalogError(`${where}: "group" must be an object`);
    tool.group = { name: requireString(group, 'name', `${where} /group`) };
    if (group.description !== undefined) tool.group.description = requireString(group, 'description', `${where} /group`, true);
  }
  if (entry.endpoint !== undefined) tool.endpoint = parseEndpoint(entry.endpoint, `${where} /endpoint`);
  if (entry.origin !== undefined) tool.origin = parseOrigin(entry.origin, `${where} /origin`);
  if (entry.sourceParameters !== undefined) {
    const source = schemaAt(() => ({ value: jsonValue(entry.sourceParameters, '/sourceParameters', MAX_SCHEMA_NESTING) }), where).value;
    if (source === null || typeof source !== 'object' || Array.isArray(source)) throw new CatalogError(`${where}: "sourceParameters" must be a schema object`);
    tool.sourceParameters = source;
  }
  return tool;
}

function schemaAt<T>(read: () => T, where: string): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof SchemaError) throw new CatalogError(`${where} ${err.message}`);
    throw err;
  }
}

function parseEndpoint(raw: unknown, where: string): HttpEndpoint {
  if (!isRecord(raw)) throw new CatalogError(`${where}: expected an object`);
  const endpoint: HttpEndpoint = { method: requireOneOf(raw.method, METHODS, '"method"', where), url: requireString(raw, 'url', where) };
  if (raw.parameterLocations !== undefined) {
    if (!isRecord(raw.parameterLocations)) throw new CatalogError(`${where}: "parameterLocations" must be an object`);
    endpoint.parameterLocations = {};
    for (const [name, location] of Object.entries(raw.parameterLocations)) {
      setEntry(endpoint.parameterLocations, name, requireOneOf(location, LOCATIONS, `location of '${name}'`, where));
    }
  }
  if (raw.headers !== undefined) {
    if (!isRecord(raw.headers) || !Object.values(raw.headers).every((v) => typeof v === 'string')) {
      throw new CatalogError(`${where}: "headers" must map names to strings`);
    }
    endpoint.headers = raw.headers as Record<string, string>;
  }
  if (raw.allowPrivateNetwork !== undefined) {
    if (typeof raw.allowPrivateNetwork !== 'boolean') throw new CatalogError(`${where}: "allowPrivateNetwork" must be true or false`);
    endpoint.allowPrivateNetwork = raw.allowPrivateNetwork;
  }
  return endpoint;
}

function parseOrigin(raw: unknown, where: string): ToolOrigin {
  if (!isRecord(raw)) throw new CatalogError(`${where}: expected an object`);
  return { format: requireOneOf(raw.format, FORMATS, '"format"', where), file: requireString(raw, 'file', where), location: requireString(raw, 'location', where) };
}

/** Writes a catalog atomically (readers see the old or the new file, never half of one). */
export function saveCatalog(path: string, catalog: ToolCatalog): void {
  writeJsonAtomic(path, catalog);
}

/**
 * The canonical text of a tool, one field per line, in the order ToolGen's tool documents use: the group (tool) name
 * and description when the tool is an API of a larger tool, then the API name, its description, and its parameters
 * (`name (type, required): description [default: x] [one of: a, b]`). Stable across runs, so indexes built on it
 * can be cached.
 */
export function toolDocument(tool: Tool): string {
  const lines: string[] = [];
  if (tool.group !== undefined) {
    lines.push(`Tool name: ${tool.group.name}`);
    if (tool.group.description) lines.push(`Tool description: ${oneLine(tool.group.description)}`);
    lines.push(`API name: ${tool.name}`);
    if (tool.description) lines.push(`API description: ${oneLine(tool.description)}`);
  } else {
    lines.push(`Tool name: ${tool.name}`);
    if (tool.description) lines.push(`Tool description: ${oneLine(tool.description)}`);
  }
  if (tool.category !== undefined) lines.push(`Category: ${tool.category}`);
  const entries = Object.entries(tool.parameters.properties);
  if (entries.length > 0) {
    lines.push('Parameters:');
    for (const [name, schema] of entries) lines.push(`- ${parameterLine(name, schema, tool.parameters.required.includes(name))}`);
  }
  return lines.join('\n');
}

function parameterLine(name: string, schema: JsonSchema, required: boolean): string {
  const type = schema.type === undefined ? 'any' : Array.isArray(schema.type) ? schema.type.join('|') : schema.type;
  let line = `${name} (${type}, ${required ? 'required' : 'optional'})`;
  if (schema.description) line += `: ${oneLine(schema.description)}`;
  if (schema.enum !== undefined) line += ` [one of: ${schema.enum.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}]`;
  if (schema.default !== undefined) line += ` [default: ${typeof schema.default === 'string' ? schema.default : JSON.stringify(schema.default)}]`;
  return line;
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Per-catalog counts for `toolken tools stats`. */
export interface CatalogStats {
  tools: number;
  groups: number;
  categories: number;
  byFormat: Record<string, number>;
  byCategory: Record<string, number>;
  parameters: { total: number; required: number; maxPerTool: number; withoutParameters: number };
  withEndpoint: number;
  withReturns: number;
  descriptionChars: { mean: number; empty: number };
}

export function catalogStats(catalog: ToolCatalog): CatalogStats {
  const byFormat: Record<string, number> = {};
  const byCategory: Record<string, number> = {};
  const groups = new Set<string>();
  let total = 0;
  let required = 0;
  let maxPerTool = 0;
  let withoutParameters = 0;
  let descriptionChars = 0;
  let emptyDescriptions = 0;
  for (const tool of catalog.tools) {
    const format = tool.origin?.format ?? 'unknown';
    byFormat[format] = (byFormat[format] ?? 0) + 1;
    if (tool.category !== undefined) byCategory[tool.category] = (byCategory[tool.category] ?? 0) + 1;
    if (tool.group !== undefined) groups.add(tool.group.name);
    const count = Object.keys(tool.parameters.properties).length;
    total += count;
    required += tool.parameters.required.length;
    maxPerTool = Math.max(maxPerTool, count);
    if (count === 0) withoutParameters++;
    descriptionChars += tool.description.length;
    if (tool.description.trim() === '') emptyDescriptions++;
  }
  const n = catalog.tools.length;
  return {
    tools: n,
    groups: groups.size,
    categories: Object.keys(byCategory).length,
    byFormat,
    byCategory,
    parameters: { total, required, maxPerTool, withoutParameters },
    withEndpoint: catalog.tools.filter((t) => t.endpoint !== undefined).length,
    withReturns: catalog.tools.filter((t) => t.returns !== undefined).length,
    descriptionChars: { mean: n === 0 ? 0 : Math.round((descriptionChars / n) * 10) / 10, empty: emptyDescriptions },
  };
}
