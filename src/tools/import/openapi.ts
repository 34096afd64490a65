/**
 * OpenAPI 3 documents (JSON): one tool per operation. Path, query and header parameters and the properties of a JSON
 * request body become the tool's parameters; where each goes is kept in the endpoint so the HTTP executor can build
 * the request. Local `$ref`s (`#/components/...`) are resolved; id = `operationId`, or `${METHOD} ${path}`.
 */
import { escapePointer } from '../pointer.js';
import { MAX_SCHEMA_DEPTH, normalizeSchema, SchemaError, setEntry } from '../schema.js';
import type { HttpEndpoint, JsonSchema, ObjectSchema, Tool } from '../types.js';
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
  for (const [path, item] of Object.entries(root.paths)) {
    if (!isRecord(item)) continue;
    for (const method of METHODS) {
      if (item[method] !== undefined) {
        operations.push({ location: `/paths/${escapePointer(path)}/${method}`, value: { path, method, op: item[method], shared: item.parameters } });
      }
    }
  }
  const result = buildEach(file, operations, ({ path, method, op, shared }, operationPointer) => {
    if (!isRecord(op)) throw new EntryError('', 'expected an operation object');
    // One budget per operation: `$ref` fan-out ("billion laughs") stops at MAX_EXPANDED_NODES, not at memory's end.
    const budget = { nodes: MAX_EXPANDED_NODES };
    const resolve = (value: unknown, pointer: string): unknown => resolveRefs(root, value, pointer, 0, 0, budget);
    const operationId = typeof op.operationId === 'string' && op.operationId.trim() !== '' ? op.operationId.trim() : undefined;
    const id = operationId ?? `${method.toUpperCase()} ${path}`;
    const summary = typeof op.summary === 'string' ? op.summary.trim() : '';
    const details = typeof op.description === 'string' ? op.description.trim() : '';
    const description = [summary, details].filter((s, i, all) => s !== '' && all.indexOf(s) === i).join('\n');

    const properties: Record<string, JsonSchema> = {};
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
      const schema = param.schema === undefined ? {} : normalizeSchema(resolve(param.schema, `${at}/schema`), `${at}/schema`);
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
      const schema = normalizeSchema(resolve(json.schema, '/requestBody/content/application~1json/schema'), '/requestBody/content/application~1json/schema');
      if (schema.type !== 'object' && schema.properties === undefined) {
        throw new EntryError('/requestBody', 'the JSON request body must be an object schema so its fields can be parameters');
      }
      for (const [name, child] of Object.entries(schema.properties ?? {})) {
        if (locations[name] !== undefined) throw new EntryError('/requestBody', `body field '${name}' clashes with a ${locations[name]} parameter of the same name`);
        setEntry(properties, name, child);
        setEntry(locations, name, 'body');
      }
      const bodyRequired = isRecord(body) && body.required === true;
      // An optional body makes its required fields required only when the body is sent; keep them optional.
      if (bodyRequired) for (const name of schema.required ?? []) if (!required.includes(name)) required.push(name);
    }

    const parameters: ObjectSchema = { type: 'object', properties, required };
    const tool: Tool = { id, name: operationId ?? id, description, parameters };
    const tags = Array.isArray(op.tags) ? op.tags.filter((t): t is string => typeof t === 'string') : [];
    if (tags[0] !== undefined) tool.category = tags[0];
    if (title !== undefined) tool.group = typeof info.description === 'string' && info.description.trim() !== '' ? { name: title, description: info.description.trim() } : { name: title };
    if (server !== '' && /^https?:\/\//.test(server)) {
      tool.endpoint = { method: method.toUpperCase() as HttpEndpoint['method'], url: server + path, parameterLocations: locations };
    }
    tool.origin = origin('openapi', file, `/paths/${escapePointer(path)}/${method}`);
    return [tool];
  });
  return { ...result, warnings };
}

/** RFC 9110 token characters: what a header name may consist of (no spaces, no CR/LF, no colon). */
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Most nodes one operation's schemas may expand to once `$ref`s are replaced by their targets. */
export const MAX_EXPANDED_NODES = 100_000;
/** Deepest nesting of a resolved schema document (a schema level is two JSON levels: `properties`, then the name). */
const MAX_RESOLVED_NESTING = 2 * MAX_SCHEMA_DEPTH + 8;

/**
 * Replaces `{"$ref": "#/..."}` nodes by their targets. Cycles deeper than 32 levels, nesting past the schema depth
 * limit and expansions past the node budget are reported, not followed until the stack or memory runs out.
 */
function resolveRefs(root: Record<string, unknown>, value: unknown, pointer: string, refDepth: number, nesting: number, budget: { nodes: number }): unknown {
  if (refDepth > 32) throw new SchemaError(pointer, '$ref nesting deeper than 32 levels (a cycle?)');
  if (nesting > MAX_RESOLVED_NESTING) throw new SchemaError(pointer, `schema nested more than ${MAX_SCHEMA_DEPTH} levels deep`);
  if (--budget.nodes < 0) throw new SchemaError(pointer, `$refs expand to more than ${MAX_EXPANDED_NODES} schema nodes`);
  if (Array.isArray(value)) return value.map((v, i) => resolveRefs(root, v, `${pointer}/${i}`, refDepth, nesting + 1, budget));
  if (!isRecord(value)) return value;
  if (typeof value.$ref === 'string') {
    const ref = value.$ref;
    if (!ref.startsWith('#/')) throw new SchemaError(pointer, `only local $refs are supported, got '${ref}'`);
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      target = isRecord(target) && Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
    }
    if (target === undefined) throw new SchemaError(pointer, `$ref '${ref}' points to nothing`);
    return resolveRefs(root, target, pointer, refDepth + 1, nesting, budget);
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) setEntry(out, key, resolveRefs(root, child, `${pointer}/${escapePointer(key)}`, refDepth, nesting + 1, budget));
  return out;
}
