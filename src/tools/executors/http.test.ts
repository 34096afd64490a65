import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpExecutor, planHttpRequest } from './http.js';
import { importOpenApi } from '../import/openapi.js';
import type { Tool } from '../types.js';

/** The test servers listen on 127.0.0.1, which the executor refuses unless told otherwise. */
const LOCAL = { allowPrivateNetwork: true } as const;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local API on 127.0.0.1 that records each request and answers by path. */
async function startApi(): Promise<{ server: Server; base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/pets/42')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":42,"name":"Rex"}');
      } else if (req.url?.startsWith('/pets') && req.method === 'POST') {
        res.writeHead(201, { 'content-type': 'application/json' }).end(body);
      } else if (req.url?.startsWith('/huge')) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('y'.repeat(100_000));
      } else if (req.url?.startsWith('/hop')) {
        const target = new URL(req.url, 'http://x').searchParams.get('to') ?? '/pets/42';
        res.writeHead(302, { location: target }).end();
      } else if (req.url?.startsWith('/slow')) {
        setTimeout(() => res.writeHead(200).end('late'), 500);
      } else res.writeHead(404, { 'content-type': 'text/plain' }).end('no such pet');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function petstore(base: string): Tool[] {
  const doc = {
    openapi: '3.0.3',
    info: { title: 'Pets' },
    servers: [{ url: base }],
    paths: {
      '/pets/{petId}': {
        get: {
          operationId: 'getPet',
          parameters: [
            { name: 'petId', in: 'path', required: true, schema: { type: 'integer' } },
            { name: 'fields', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
            { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
          ],
        },
      },
      '/pets': {
        post: {
          operationId: 'addPet',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } } } },
        },
      },
      '/huge': { get: { operationId: 'huge' } },
      '/hop': { get: { operationId: 'hop', parameters: [{ name: 'to', in: 'query', schema: { type: 'string' } }] } },
      '/files/{name}': { get: { operationId: 'file', parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }] } },
      '/slow': { get: { operationId: 'slow' } },
      '/missing': { get: { operationId: 'missing' } },
    },
  };
  const result = importOpenApi({ kind: 'json', value: doc }, 'pets.json');
  assert.deepEqual(result.issues, []);
  return result.tools;
}

test('an OpenAPI GET maps path, query and header parameters and parses a JSON answer', async () => {
  const api = await startApi();
  try {
    const { executor, skipped } = createHttpExecutor(petstore(api.base), LOCAL);
    assert.deepEqual(skipped, []);
    const observation = await executor.call('getPet', { petId: 42, fields: ['name', 'age'], 'X-Trace': 't1' });
    assert.deepEqual(observation, { ok: true, content: '{"id":42,"name":"Rex"}', value: { id: 42, name: 'Rex' } });
    assert.equal(api.seen[0]!.method, 'GET');
    assert.equal(api.seen[0]!.url, '/pets/42?fields=name&fields=age');
    assert.equal(api.seen[0]!.headers['x-trace'], 't1');
  } finally {
    await stop(api.server);
  }
});

test('an OpenAPI POST sends the body fields as JSON', async () => {
  const api = await startApi();
  try {
    const { executor } = createHttpExecutor(petstore(api.base), { ...LOCAL, headers: { authorization: 'Bearer k' } });
    assert.deepEqual(await executor.call('addPet', { name: 'Tom' }), { ok: true, content: '{"name":"Tom"}', value: { name: 'Tom' } });
    assert.equal(api.seen[0]!.headers['content-type'], 'application/json');
    assert.equal(api.seen[0]!.headers.authorization, 'Bearer k');
  } finally {
    await stop(api.server);
  }
});

test('HTTP errors, oversized bodies and slow servers become observations', async () => {
  const api = await startApi();
  const tools = petstore(api.base);
  try {
    const { executor } = createHttpExecutor(tools, { ...LOCAL, limits: { timeoutMs: 200, maxResponseChars: 1000 } });
    assert.deepEqual(await executor.call('missing', {}), { ok: false, kind: 'failed', error: 'missing: HTTP 404 Not Found: no such pet' });
    assert.deepEqual(await executor.call('huge', {}), { ok: false, kind: 'too-large', error: 'huge: response is larger than the limit of 1000 characters' });
    assert.deepEqual(await executor.call('slow', {}), { ok: false, kind: 'timeout', error: 'slow did not answer within 200 ms' });
    assert.equal((await executor.call('addPet', {})).ok, false);
  } finally {
    await stop(api.server);
  }
});

test('a refused connection becomes a failed observation naming the URL and the reason', async () => {
  const closed = await startApi();
  await stop(closed.server);
  const { executor } = createHttpExecutor(petstore(closed.base), LOCAL);
  assert.deepEqual(await executor.call('huge', {}), {
    ok: false,
    kind: 'failed',
    error: `huge: request to ${closed.base}/huge failed: connect ECONNREFUSED ${closed.base.slice('http://'.length)}`,
  });
});

test('a ToolBench API without a path template sends GET parameters in the query and tools without endpoints are skipped', () => {
  const tool: Tool = {
    id: 'Weather&&Forecast',
    name: 'Forecast',
    description: '',
    parameters: { type: 'object', properties: { q: { type: 'string' }, days: { type: 'integer' } }, required: ['q'] },
    endpoint: { method: 'GET', url: 'http://127.0.0.1:9/forecast' },
  };
  assert.deepEqual(planHttpRequest(tool, tool.endpoint!, { q: 'Oslo & Bergen', days: 3 }), {
    method: 'GET',
    url: 'http://127.0.0.1:9/forecast?q=Oslo+%26+Bergen&days=3',
    headers: {},
  });
  const { skipped } = createHttpExecutor([{ ...tool, id: 'no-endpoint', endpoint: undefined }]);
  assert.deepEqual(skipped, ['no-endpoint']);
});

test('dot segments as path values are refused, and undeclared arguments are dropped or refused', async () => {
  const api = await startApi();
  try {
    const tools = petstore(api.base);
    const { executor } = createHttpExecutor(tools, LOCAL);
    for (const name of ['.', '..']) {
      assert.deepEqual(await executor.call('file', { name }), { ok: false, kind: 'invalid-arguments', error: `file: path parameter 'name' cannot be '${name}'` });
    }
    await executor.call('getPet', { petId: 42, admin: true, 'X-Trace': 't' });
    assert.equal(api.seen[0]!.url, '/pets/42');
    const strict = createHttpExecutor(tools, { ...LOCAL, undeclaredArguments: 'reject' }).executor;
    assert.deepEqual(await strict.call('getPet', { petId: 42, admin: true }), { ok: false, kind: 'invalid-arguments', error: "getPet: argument 'admin' is not a parameter of this tool" });
  } finally {
    await stop(api.server);
  }
});

test('redirects are followed by hand: credentials stay on the tool origin and every target is checked', async () => {
  const api = await startApi();
  const other = await startApi();
  try {
    const tools = petstore(api.base);
    const { executor } = createHttpExecutor(tools, { ...LOCAL, headers: { 'x-api-key': 'secret' } });
    assert.equal((await executor.call('hop', {})).ok, true);
    assert.equal(api.seen[1]!.url, '/pets/42');
    assert.equal(api.seen[1]!.headers['x-api-key'], 'secret');
    assert.equal((await executor.call('hop', { to: `${other.base}/pets/42` })).ok, true);
    assert.equal(other.seen[0]!.headers['x-api-key'], undefined);

    // Without the allowance, a public-looking name that resolves to the metadata address is refused, redirect or not.
    const publicTools: Tool[] = [{ ...tools.find((t) => t.id === 'hop')!, endpoint: { method: 'GET', url: 'http://api.example/hop' } }];
    const guarded = createHttpExecutor(publicTools, { resolveHost: async () => ['169.254.169.254'] }).executor;
    const refused = await guarded.call('hop', {});
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.error, /http:\/\/api\.example\/hop is a loopback, link-local or private address \(api\.example resolves to 169\.254\.169\.254\)/);
  } finally {
    await stop(api.server);
    await stop(other.server);
  }
});

test('loopback, link-local and private hosts are refused in every spelling unless allowed', async () => {
  const { executor } = createHttpExecutor(
    ['http://127.0.0.1:9/x', 'http://[::1]:9/x', 'http://169.254.169.254/latest', 'http://[::ffff:169.254.169.254]/', 'http://0x7f.1/', 'http://10.1.2.3/', 'http://[fe80::1]/', 'http://[64:ff9b::a9fe:a9fe]/'].map(
      (url, i): Tool => ({ id: `t${i}`, name: `t${i}`, description: '', parameters: { type: 'object', properties: {}, required: [] }, endpoint: { method: 'GET', url } }),
    ),
  );
  for (let i = 0; i < 8; i++) {
    const observation = await executor.call(`t${i}`, {});
    assert.equal(observation.ok, false);
    assert.match(observation.ok ? '' : observation.error, /is a loopback, link-local or private address; refused unless/);
  }
});
