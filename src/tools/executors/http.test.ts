import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpExecutor, planHttpRequest } from './http.js';
import { importOpenApi } from '../import/openapi.js';
import type { Tool } from '../types.js';

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
    const { executor, skipped } = createHttpExecutor(petstore(api.base));
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
    const { executor } = createHttpExecutor(petstore(api.base), { headers: { authorization: 'Bearer k' } });
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
    const { executor } = createHttpExecutor(tools, { limits: { timeoutMs: 200, maxResponseChars: 1000 } });
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
  const { executor } = createHttpExecutor(petstore(closed.base));
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
