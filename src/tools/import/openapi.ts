/**
 * OpenAPI 3 documents (JSON): one tool per operation. Path, query and header parameters and the properties of a JSON
 * request body become the tool's parameters; where each goes is kept in the endpoint so the HTTP executor can build
 * the request. Local `$ref`s (`#/components/...`) are resolved; id = `operationId`, or `${METHOD} ${path}`.
 */
import { escapePointer } from '../pointer.js';
import { droppedKeywordWarning, normalizeSchema, setEntry } from '../schema.js';
import { refResolver } from './refs.js';
import type { HttpEndpoint, JsonSchema, JsonValue, ObjectSchema, Tool } from '../types.js';
import { isJsonValue } from '../validate.js';
import { suspiciousEndpoint } from '../executors/network-policy.js';
import { buildEach, EntryError, isRecord, origin, type ImportIssue, type ImportResult, type ParsedDocument } from './entries.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;
type ParameterLocation = NonNullable<HttpEndpoint['parameterLocations']>[string];

export function importOpenApi(doc: ParsedDocument, file: string): ImportResult {
  const root = doc.kind === 'json' ? doc.value : undefined;
  if (!isRecord(root) || typeof root.openapi !== 'string' || !root.openapi.startsWith('3.')) {
    return { tools: [], issues: [{ file, location: '/openapi', reason: 'expected an OpenAPI 3.x JSON document ("openapi": "3.x")' }] };
  }
  if (!isRecord(root.paths)) return { tools: [], issues: [{ file, location: '/paths', reason: '"paths" must be an object' }] };
  const info = isRecord(root.info) ? root.info : {};
  const title = typeof info.title === 'string' && info.title.trim() !== '' ? info.title.trim() : undefined;
  const servers = Array.isArray(root.servers) ? root.servers : [];
  const server = isRecord(servers[0]) && typeof servers[0].url === 'string' ? servers[0].url.replace(/\/+$/, '') : '';
  const warnings: ImportIssue[] = [];
  const serverProblem = server === '' ? undefined : suspiciousEndpoint(server);
  if (serverProblem !== undefined) warnings.push({ file, location: '/servers/0/url', reason: serverProblem });

  const operations: { location: string; value: { path: string; method: (typeof METHODS)[number]; op: unknown; shared: unknown } }[] = [];
  const misplaced: ImportIssue[] = [];
  for (const [path, item] of Object.entries(root.paths)) {
    if (!isRecord(item)) continue;
    // Some generated documents (ToolAlpaca's) nest paths inside a path item; they are reported, not lost.
    for (const key of Object.keys(item)) {
      if (key.startsWith('/')) misplaced.push({ file, location: `/paths/${escapePointer(path)}/${escapePointer(key)}`, reason: `path '${key}' is nested inside the path item '${path}'; paths must be keys of "paths"` });
    }
    for (const method of METHODS) {
      if (item[method] !== undefined) {
        operations.push({ location: `/paths/${escapePointer(path)}/${method}`, value: { path, method, op: item[method], shared: item.parameters } });
      }
    }
  }
  const result = buildEach(file, operations, ({ path, method, op, shared }, operationPointer, warn) => {
    if (!isRecord(op)) throw new EntryError('', 'expected an operation object');
    const resolve = refResolver(root);
    const operationId = typeof op.operationId === 'string' && op.operationId.trim() !== '' ? op.operationId.trim() : undefined;
    const id = operationId ?? `${method.toUpperCase()} ${path}`;
    const summary = typeof op.summary === 'string' ? op.summary.trim() : '';
    const details = typeof op.description === 'string' ? op.description.trim() : '';
    const description = [summary, details].filter((s, i, all) => s !== '' && all.indexOf(s) === i).join('\n');

    const properties: Record<string, JsonSchema> = {};
    // The resolved source schemas of the parameters, kept (as sourceParameters) when one uses keywords outside the subset.
    const sources: Record<string, JsonValue> = {};
    let droppedAny = false;
    const normalizeKept = (raw: unknown, pointer: string): JsonSchema =>
      normalizeSchema(raw, pointer, (at, keyword, checkedAtCall) => {
        if (checkedAtCall) droppedAny = true;
        warn(at, droppedKeywordWarning(keyword, checkedAtCall));
      });
    const required: string[] = [];
    const locations: Record<string, ParameterLocation> = {};
    // Operation-level parameters override path-level ones with the same name and location.
    const declared = [
      ...(Array.isArray(shared) ? shared.map((p, i) => ({ p, at: ` (path item) /parameters/${i}` })) : []),
      ...(Array.isArray(op.parameters) ? op.parameters.map((p, i) => ({ p, at: `/parameters/${i}` })) : []),
    ];
    for (const { p, at } of declared) {
      const param = resolve(p, at);
      if (!isRecord(param)) throw new EntryError(at, 'expected a parameter object');
      const name = param.name;
      const where = param.in;
      if (typeof name !== 'string' || name === '') throw new EntryError(`${at}/name`, 'parameter needs a "name"');
      if (where === 'cookie') continue;
      if (where !== 'path' && where !== 'query' && where !== 'header') throw new EntryError(`${at}/in`, `unsupported parameter location ${JSON.stringify(where)}`);
      if (where === 'header' && !HTTP_TOKEN.test(name)) {
        warnings.push({ file, location: `${operationPointer}${at}/name`, reason: `header name ${JSON.stringify(name)} is not a valid HTTP header name; calls that set it will fail` });
      }
      const source = param.schema === undefined ? {} : resolve(param.schema, `${at}/schema`);
      const schema = normalizeKept(source, `${at}/schema`);
      if (isJsonValue(source)) setEntry(sources, name, source);
      if (typeof param.description === 'string' && param.description.trim() !== '' && schema.description === undefined) schema.description = param.description.trim();
      setEntry(properties, name, schema);
      setEntry(locations, name, where);
      const idx = required.indexOf(name);
      if (param.required === true || where === 'path') {
        if (idx === -1) required.push(name);
      } else if (idx !== -1) required.splice(idx, 1);
    }

    if (op.requestBody !== undefined) {
      const body = resolve(op.requestBody, '/requestBody');
      const content = isRecord(body) && isRecord(body.content) ? body.content : {};
      const json = content['application/json'];
      if (!isRecord(json) || json.schema === undefined) {
        throw new EntryError('/requestBody', 'only application/json request bodies are supported');
      }
      const source = resolve(json.schema, '/requestBody/content/application~1json/schema');
      const schema = normalizeKept(source, '/requestBody/content/application~1json/schema');
      const sourceFields = isRecord(source) && isRecord(source.properties) ? source.properties : {};
      if (schema.type !== 'object' && schema.properties === undefined) {
        throw new EntryError('/requestBody', 'the JSON request body must be an object schema so its fields can be parameters');
      }
      for (const [name, child] of Object.entries(schema.properties ?? {})) {
        if (locations[name] !== undefined) throw new EntryError('/requestBody', `body field '${name}' clashes with a ${locations[name]} parameter of the same name`);
        setEntry(properties, name, child);
        setEntry(locations, name, 'body');
        const field = sourceFields[name];
        if (isJsonValue(field)) setEntry(sources, name, field);
      }
      const bodyRequired = isRecord(body) && body.required === true;
      // An optional body makes its required fields required only when the body is sent; keep them optional.
      if (bodyRequired) for (const name of schema.required ?? []) if (!required.includes(name)) required.push(name);
    }

    const parameters: ObjectSchema = { type: 'object', properties, required };
    const tool: Tool = { id, name: operationId ?? id, description, parameters };
    if (droppedAny) tool.sourceParameters = { type: 'object', properties: sources, required: [...required] };
    const tags = Array.isArray(op.tags) ? op.tags.filter((t): t is string => typeof t === 'string') : [];
    if (tags[0] !== undefined) tool.category = tags[0];
    if (title !== undefined) tool.group = typeof info.description === 'string' && info.description.trim() !== '' ? { name: title, description: info.description.trim() } : { name: title };
    if (server !== '' && /^https?:\/\//.test(server)) {
      tool.endpoint = { method: method.toUpperCase() as HttpEndpoint['method'], url: server + path, parameterLocations: locations };
    }
    tool.origin = origin('openapi', file, `/paths/${escapePointer(path)}/${method}`);
    return [tool];
  }, misplaced);
  return { ...result, warnings: [...warnings, ...(result.warnings ?? [])] };
}

/** RFC 9110 token characters: what a header name may consist of (no spaces, no CR/LF, no colon). */
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
