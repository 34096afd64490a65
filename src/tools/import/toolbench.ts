/**
 * ToolBench / StableToolBench tool documents. Three shapes carry the same API entries:
 * - query files (`G1_query.json`, StableToolBench `solvable_queries`): an array of queries, each with an `api_list`
 *   whose entries name their tool (`tool_name`, `api_name`, `category_name`);
 * - a single query object with an `api_list`;
 * - a tool file from the tool environment (`toolenv/tools/<category>/<tool>.json`): `tool_name`, `tool_description`,
 *   and an `api_list` whose entries use `name`, `description` and `url`.
 * Each API becomes one tool with id `${tool_name}&&${api_name}` (ToolGen's atomic token is `<<id>>`).
 */
import { MAX_SCHEMA_DEPTH, resolveTypeName, setEntry } from '../schema.js';
import type { HttpEndpoint, JsonSchema, ObjectSchema, Tool } from '../types.js';
import { isJsonValue } from '../validate.js';
import { suspiciousEndpoint } from '../executors/network-policy.js';
import { buildEach, documentEntries, EntryError, isRecord, origin, stringField, type ImportIssue, type ImportResult, type ParsedDocument } from './entries.js';

export const toolbenchId = (toolName: string, apiName: string): string => `${toolName}&&${apiName}`;

const METHODS: readonly HttpEndpoint['method'][] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export function importToolbench(doc: ParsedDocument, file: string): ImportResult {
  const apis: { location: string; value: { api: unknown; tool: Record<string, unknown> } }[] = [];
  for (const { location, value } of documentEntries(doc)) {
    if (!isRecord(value) || !Array.isArray(value.api_list)) {
      apis.push({ location, value: { api: undefined, tool: {} } });
      continue;
    }
    // A tool file carries the tool-level fields; a query's api_list entries carry them per API.
    const toolFields = typeof value.tool_name === 'string' ? value : {};
    const base = location === '/' ? '' : location;
    value.api_list.forEach((api, i) => {
      const at = base.startsWith('line') ? `${base} /api_list/${i}` : `${base}/api_list/${i}`;
      apis.push({ location: at, value: { api, tool: toolFields } });
    });
  }
  const result = buildEach(file, apis, ({ api, tool }, location) => {
    if (api === undefined) throw new EntryError('', 'expected an object with an "api_list" array');
    return [toolbenchApi(api, tool, file, location)];
  });
  const warnings: ImportIssue[] = [];
  for (const tool of result.tools) {
    const problem = tool.endpoint === undefined ? undefined : suspiciousEndpoint(tool.endpoint.url);
    if (problem !== undefined) warnings.push({ file, location: `${tool.origin?.location ?? ''} /url`, reason: problem });
  }
  return { ...result, warnings: [...warnings, ...(result.warnings ?? [])] };
}

function toolbenchApi(api: unknown, toolFields: Record<string, unknown>, file: string, location: string): Tool {
  if (!isRecord(api)) throw new EntryError('', 'expected an API object');
  const toolName = stringField(api, 'tool_name', '', false) ?? stringField(toolFields, 'tool_name', '', false);
  if (toolName === undefined || toolName.trim() === '') throw new EntryError('/tool_name', 'missing "tool_name" (on the API or its tool)');
  const apiName = stringField(api, 'api_name', '', false) ?? stringField(api, 'name', '', false);
  if (apiName === undefined || apiName.trim() === '') throw new EntryError('/api_name', 'missing "api_name" (or "name")');
  const description = (stringField(api, 'api_description', '', false) ?? stringField(api, 'description', '', false) ?? '').trim();
  const category = stringField(api, 'category_name', '', false) ?? stringField(toolFields, 'category_name', '', false) ?? stringField(toolFields, 'category', '', false);
  const toolDescription = stringField(toolFields, 'tool_description', '', false);

  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [key, isRequired] of [
    ['required_parameters', true],
    ['optional_parameters', false],
  ] as const) {
    const list = api[key] ?? [];
    if (!Array.isArray(list)) throw new EntryError(`/${key}`, `"${key}" must be an array`);
    list.forEach((param, i) => {
      const pointer = `/${key}/${i}`;
      if (!isRecord(param)) throw new EntryError(pointer, 'expected a parameter object');
      const name = stringField(param, 'name', pointer, true);
      if (Object.prototype.hasOwnProperty.call(properties, name)) throw new EntryError(pointer, `parameter '${name}' is declared twice`);
      setEntry(properties, name, parameterSchema(param, pointer));
      if (isRequired) required.push(name);
    });
  }
  const parameters: ObjectSchema = { type: 'object', properties, required };
  const tool: Tool = { id: toolbenchId(toolName, apiName), name: apiName, description, parameters };
  if (category !== undefined && category.trim() !== '') tool.category = category;
  tool.group = toolDescription !== undefined && toolDescription.trim() !== '' ? { name: toolName, description: toolDescription.trim() } : { name: toolName };
  if (api.template_response !== undefined) tool.returns = templateSchema(api.template_response);
  const url = stringField(api, 'url', '', false);
  if (url !== undefined && /^https?:\/\//.test(url)) tool.endpoint = { method: httpMethod(api.method), url };
  tool.origin = origin('toolbench', file, location);
  return tool;
}

function parameterSchema(param: Record<string, unknown>, pointer: string): JsonSchema {
  const typeName = param.type === undefined ? 'string' : param.type;
  if (typeof typeName !== 'string') throw new EntryError(`${pointer}/type`, '"type" must be a string');
  const resolved = resolveTypeName(typeName, `${pointer}/type`);
  const schema: JsonSchema = {};
  if (resolved.type !== undefined) schema.type = resolved.type;
  if (resolved.format !== undefined) schema.format = resolved.format;
  const description = typeof param.description === 'string' ? param.description.trim() : '';
  if (description !== '') schema.description = description;
  // ToolBench fills `default` with an example value; an empty string means "no default".
  if (param.default !== undefined && param.default !== null && param.default !== '' && isJsonValue(param.default)) schema.default = param.default;
  return schema;
}

const TEMPLATE_TYPES: Readonly<Record<string, JsonSchema>> = {
  str: { type: 'string' },
  int: { type: 'integer' },
  float: { type: 'number' },
  bool: { type: 'boolean' },
  NoneType: { type: 'null' },
  list: { type: 'array' },
  dict: { type: 'object' },
};

/**
 * StableToolBench's `template_response` sketches a response with Python type names as values (`"str"`,
 * `"list of int with length 3"`, lists of example objects carrying `_list_length`). It becomes a loose schema: no
 * property is required, and sketches it cannot read (e.g. JSON pasted as a string) accept any value.
 */
export function templateSchema(template: unknown, depth = 0): JsonSchema {
  // A sketch nested deeper than any schema may be is read as "any value" rather than walked to the stack's end.
  if (depth > MAX_SCHEMA_DEPTH) return {};
  if (typeof template === 'string') {
    if (template === 'empty list') return { type: 'array' };
    const list = /^list of (\w+) with length \d+$/.exec(template);
    if (list !== null) return { type: 'array', items: TEMPLATE_TYPES[list[1]!] ?? {} };
    return TEMPLATE_TYPES[template] ?? {};
  }
  if (Array.isArray(template)) return template.length === 0 ? { type: 'array' } : { type: 'array', items: templateSchema(template[0], depth + 1) };
  if (isRecord(template)) {
    const properties: Record<string, JsonSchema> = {};
    for (const [key, value] of Object.entries(template)) if (key !== '_list_length') setEntry(properties, key, templateSchema(value, depth + 1));
    return { type: 'object', properties };
  }
  return {};
}

function httpMethod(raw: unknown): HttpEndpoint['method'] {
  const upper = typeof raw === 'string' ? raw.toUpperCase() : 'GET';
  return (METHODS as readonly string[]).includes(upper) ? (upper as HttpEndpoint['method']) : 'GET';
}

