/**
 * Function-schema formats, which all describe a tool as a name, a description and a parameter schema:
 * - OpenAI: `{"tools": [{"type": "function", "function": {...}}]}`, a bare array of those, `{"functions": [...]}`
 *   (the legacy field), or bare function objects;
 * - BFCL: JSON lines whose `function` array holds function docs with `type: "dict"` and Python / Java type names,
 *   or (multi-turn function docs) one function per line with a `response` schema;
 * - MCP: a `tools/list` result `{"tools": [{name, description, inputSchema, outputSchema}]}`, or the JSON-RPC
 *   response that wraps it.
 * In all three the tool id is the function name.
 */
import { droppedKeywordWarning, normalizeParameters, normalizeSchema } from '../schema.js';
import type { CatalogFormat, JsonValue, Tool } from '../types.js';
import { isJsonValue } from '../validate.js';
import { buildEach, documentEntries, EntryError, isRecord, origin, stringField, within, type EntryWarning, type ImportResult, type ParsedDocument } from './entries.js';
import { refResolver } from './refs.js';

export interface FunctionFields {
  parametersKey: 'parameters' | 'inputSchema';
  returnsKey?: 'response' | 'outputSchema';
}

/**
 * One function-schema tool. `$ref`s inside the parameter schema are resolved against it (`#/$defs/...`); keywords
 * outside the subset are reported to `warn` with their pointer, and the resolved source schema is then kept as
 * `sourceParameters`, which every call is also checked against.
 */
export function functionTool(raw: unknown, fields: FunctionFields, format: CatalogFormat, file: string, location: string, warn?: EntryWarning): Tool {
  if (!isRecord(raw)) throw new EntryError('', 'expected a function object');
  const name = stringField(raw, 'name', '', true);
  const description = (stringField(raw, 'description', '', false) ?? '').trim();
  const at = `/${fields.parametersKey}`;
  const source = raw[fields.parametersKey];
  const resolved = isRecord(source) ? withoutDefinitions(refResolver(source)(source, at)) : source;
  const dropped: string[] = [];
  const parameters = normalizeParameters(resolved, at, (pointer, keyword, checkedAtCall) => {
    if (checkedAtCall) dropped.push(keyword);
    warn?.(pointer, droppedKeywordWarning(keyword, checkedAtCall));
  });
  const tool: Tool = { id: name, name, description, parameters };
  if (dropped.length > 0 && isRecord(resolved) && isJsonValue(resolved)) tool.sourceParameters = resolved as { [key: string]: JsonValue };
  if (fields.returnsKey !== undefined && raw[fields.returnsKey] !== undefined) {
    const returns = raw[fields.returnsKey];
    tool.returns = normalizeSchema(isRecord(returns) ? withoutDefinitions(refResolver(returns)(returns, `/${fields.returnsKey}`)) : returns, `/${fields.returnsKey}`);
  }
  tool.origin = origin(format, file, location);
  return tool;
}

/** A resolved schema without its `$defs` / `definitions`: once references are replaced, the definitions are noise. */
function withoutDefinitions(schema: unknown): unknown {
  if (!isRecord(schema)) return schema;
  const { $defs: _defs, definitions: _definitions, ...rest } = schema;
  return rest;
}

/** An MCP tool as `tools/list` returns it; `location` names the server. */
export const mcpTool = (raw: unknown, file: string, location: string, warn?: EntryWarning): Tool =>
  functionTool(raw, { parametersKey: 'inputSchema', returnsKey: 'outputSchema' }, 'mcp', file, location, warn);

/** OpenAI tool lists: unwraps `{type: "function", function: {...}}` where present. */
export function importOpenAI(doc: ParsedDocument, file: string): ImportResult {
  let entries = documentEntries(doc);
  if (doc.kind === 'json' && isRecord(doc.value)) {
    const key = Array.isArray(doc.value.tools) ? 'tools' : Array.isArray(doc.value.functions) ? 'functions' : undefined;
    if (key !== undefined) entries = documentEntries({ kind: 'json', value: doc.value[key] }, `/${key}`);
  }
  return buildEach(file, entries, (value, location, warn) => {
    if (isRecord(value) && value.type === 'function') {
      if (!isRecord(value.function)) throw new EntryError('/function', 'a "function" tool needs a "function" object');
      const fn = value.function;
      const warnInside: EntryWarning = (pointer, reason) => warn(`/function${pointer}`, reason);
      return [within('/function', () => functionTool(fn, { parametersKey: 'parameters' }, 'openai', file, `${location}/function`, warnInside))];
    }
    return [functionTool(value, { parametersKey: 'parameters' }, 'openai', file, location, warn)];
  });
}

/** BFCL question files (`function` arrays per line) and multi-turn function docs (one function per line). */
export function importBfcl(doc: ParsedDocument, file: string): ImportResult {
  const entries: { location: string; value: unknown }[] = [];
  for (const { location, value } of documentEntries(doc)) {
    if (isRecord(value) && Array.isArray(value.function)) {
      const sep = location.startsWith('line') ? ' ' : '';
      value.function.forEach((fn, i) => entries.push({ location: `${location}${sep}/function/${i}`, value: fn }));
    } else entries.push({ location, value });
  }
  return buildEach(file, entries, (value, location, warn) => [
    functionTool(value, { parametersKey: 'parameters', returnsKey: 'response' }, 'bfcl', file, location, warn),
  ]);
}

/** MCP `tools/list` results, bare or inside a JSON-RPC response. */
export function importMcp(doc: ParsedDocument, file: string): ImportResult {
  if (doc.kind !== 'json') return { tools: [], issues: [{ file, location: '/', reason: 'an MCP tools/list result is one JSON document, not JSON lines' }] };
  let value = doc.value;
  let pointer = '';
  if (isRecord(value) && isRecord(value.result)) {
    value = value.result;
    pointer = '/result';
  }
  if (!isRecord(value) || !Array.isArray(value.tools)) {
    return { tools: [], issues: [{ file, location: pointer || '/', reason: 'expected a tools/list result with a "tools" array' }] };
  }
  const entries = documentEntries({ kind: 'json', value: value.tools }, `${pointer}/tools`);
  return buildEach(file, entries, (entry, location, warn) => [mcpTool(entry, file, location, warn)]);
}
