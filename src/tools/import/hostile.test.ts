/** Catalog files written by an attacker: each is refused or imported within bounds, never a crash or a hang. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImportError, importToolFiles } from './index.js';
import { importOpenAI } from './functions.js';
import { importOpenApi } from './openapi.js';
import { parseCatalog } from '../catalog.js';

function withFile<T>(name: string, text: string, run: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-hostile-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, text);
    return run(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a schema nested thousands of levels deep is an invalid entry, not a stack overflow', () => {
  let schema: unknown = { type: 'string' };
  for (let i = 0; i < 5000; i++) schema = { type: 'object', properties: { x: schema } };
  const result = importOpenAI({ kind: 'json', value: [{ name: 'deep', parameters: schema }] }, 'deep.json');
  assert.equal(result.tools.length, 0);
  assert.match(result.issues[0]!.reason, /schema nested more than 64 levels deep/);
  let value: unknown = 1;
  for (let i = 0; i < 100_000; i++) value = [value];
  const enumDeep = importOpenAI({ kind: 'json', value: [{ name: 'deep', parameters: { type: 'object', properties: { a: { enum: [value] } } } }] }, 'x');
  assert.match(enumDeep.issues[0]!.reason, /nested more than \d+ levels deep/);
});

test('more tools than a spread can take import, and so do their invalid entries', () => {
  const tools = Array.from({ length: 150_000 }, (_, i) => ({ name: `t${i}`, parameters: { type: 'object' } }));
  const report = withFile('many.json', JSON.stringify(tools), (path) => importToolFiles([path]));
  assert.equal(report.catalog.tools.length, 150_000);
});

test('$ref fan-out stops at the node budget instead of expanding to hundreds of megabytes', () => {
  const components: Record<string, unknown> = { l0: { type: 'string' } };
  for (let i = 1; i <= 30; i++) components[`l${i}`] = { type: 'object', properties: { a: { $ref: `#/components/schemas/l${i - 1}` }, b: { $ref: `#/components/schemas/l${i - 1}` } } };
  const doc = {
    openapi: '3.0.0',
    paths: { '/x': { post: { operationId: 'bomb', requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/l30' } } } } } } },
    components: { schemas: components },
  };
  assert.ok(JSON.stringify(doc).length < 4000);
  const start = performance.now();
  const result = importOpenApi({ kind: 'json', value: doc }, 'bomb.json');
  assert.ok(performance.now() - start < 1000);
  assert.equal(result.tools.length, 0);
  assert.match(result.issues[0]!.reason, /more than 100000 schema nodes|nested more than 64 levels/);
});

test('a property named __proto__ is kept as a name, and the catalog it is written to loads again', () => {
  const text = '[{"name": "f", "parameters": {"type": "object", "properties": {"__proto__": {"type": "string"}, "constructor": {"type": "integer"}}, "required": ["__proto__"]}}]';
  const report = withFile('proto.json', text, (path) => importToolFiles([path]));
  const tool = report.catalog.tools[0]!;
  assert.deepEqual(Object.keys(tool.parameters.properties), ['__proto__', 'constructor']);
  assert.equal(Object.getPrototypeOf(tool.parameters.properties), Object.prototype);
  const reloaded = parseCatalog(JSON.parse(JSON.stringify(report.catalog)), 'catalog.json');
  assert.deepEqual(Object.keys(reloaded.tools[0]!.parameters.properties), ['__proto__', 'constructor']);
  assert.equal(({} as Record<string, unknown>).type, undefined);
});

test('a CRLF header name and an endpoint on a link-local address import with warnings', () => {
  const doc = {
    openapi: '3.0.0',
    servers: [{ url: 'http://169.254.169.254/latest' }],
    paths: { '/x': { get: { operationId: 'x', parameters: [{ name: 'X-A\r\nX-Injected', in: 'header', schema: { type: 'string' } }] } } },
  };
  const result = importOpenApi({ kind: 'json', value: doc }, 'api.json');
  assert.equal(result.tools.length, 1);
  assert.deepEqual(
    result.warnings?.map((w) => `${w.location}: ${w.reason}`),
    [
      "/servers/0/url: 'http://169.254.169.254/latest' points to a loopback, link-local or private address; calls are refused unless allowed",
      '/paths/~1x/get/parameters/0/name: header name "X-A\\r\\nX-Injected" is not a valid HTTP header name; calls that set it will fail',
    ],
  );
});

test('an import that yields no tools fails and says why', () => {
  withFile('bad.json', '[{"name": "f", "parameters": {"type": "strin"}}]', (path) => {
    assert.throws(() => importToolFiles([path]), (err: Error) => err instanceof ImportError && /no tools imported from .*bad\.json \(openai\): all 1 entries are invalid, for example:\n.*\/0\/parameters\/type: unknown type name 'strin'/.test(err.message));
  });
  withFile('empty.json', '{"tools": []}', (path) => {
    assert.throws(() => importToolFiles([path]), /no tools imported from .*empty\.json \(openai\): the files hold no tool entries/);
  });
  withFile('wrong.json', '[{"name": "f", "parameters": {"type": "object"}}]', (path) => {
    assert.throws(() => importToolFiles([path], { format: 'seal-tools' }), /all 1 entries are invalid \(is --format seal-tools right for these files\?\)/);
  });
});
