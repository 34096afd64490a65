import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { connectMcp, type McpConnection } from './mcp.js';
import { createFixtureServer } from './fixtures/mcp-server.js';

const STDIO_SERVER = fileURLToPath(new URL('./fixtures/mcp-stdio-server.ts', import.meta.url));

/** The same end-to-end checks for both transports. */
async function exerciseFixture(connection: McpConnection): Promise<void> {
  assert.deepEqual(
    connection.tools.map((t) => t.id),
    ['add', 'echo', 'fail', 'sleep'],
  );
  assert.deepEqual(connection.tools[0]!.parameters, {
    type: 'object',
    properties: { a: { type: 'number' }, b: { type: 'number' } },
    required: ['a', 'b'],
  });
  assert.deepEqual(connection.tools[0]!.returns, { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] });
  assert.deepEqual(connection.invalid, []);

  const { executor } = connection;
  assert.deepEqual(await executor.call('add', { a: 2, b: 3.5 }), { ok: true, content: '5.5', value: { sum: 5.5 } });
  assert.deepEqual(await executor.call('echo', { text: 'ab', times: 2 }), { ok: true, content: 'abab' });
  assert.deepEqual(await executor.call('echo', { text: 'ab', times: 0 }), {
    ok: false,
    kind: 'invalid-arguments',
    error: 'invalid arguments for echo:\n/times: expected a number >= 1, got 0',
  });
  assert.deepEqual(await executor.call('fail', {}), { ok: false, kind: 'failed', error: 'fail reported an error: the fixture always fails' });
  assert.deepEqual(await executor.call('sleep', { ms: 600 }), { ok: false, kind: 'timeout', error: 'sleep did not answer within 300 ms' });
  // The connection survives a timed-out call.
  assert.deepEqual(await executor.call('add', { a: 1, b: 1 }), { ok: true, content: '2', value: { sum: 2 } });
  assert.equal((await executor.call('missing', {})).ok, false);
}

test('an MCP server over stdio (a child process) is listed and called end to end', async () => {
  const connection = await connectMcp({ transport: 'stdio', command: process.execPath, args: ['--import', 'tsx', STDIO_SERVER] }, { timeoutMs: 300 });
  try {
    assert.equal(connection.tools[0]!.origin?.format, 'mcp');
    await exerciseFixture(connection);
  } finally {
    await connection.close();
  }
});

test('an MCP server over Streamable HTTP on 127.0.0.1 is listed and called end to end', async () => {
  // Stateless mode: each request gets a fresh server and transport, as the SDK recommends for stateless servers.
  const http: HttpServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body: unknown = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      const server = createFixtureServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      void server.connect(transport).then(() => transport.handleRequest(req, res, body));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const connection = await connectMcp({ transport: 'http', url: `http://127.0.0.1:${port}/mcp` }, { timeoutMs: 300 });
  try {
    await exerciseFixture(connection);
  } finally {
    await connection.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }
});

test('connecting to a server that is not there fails with the address in the message', async () => {
  await assert.rejects(
    connectMcp({ transport: 'stdio', command: process.execPath, args: ['-e', 'process.exit(3)'] }),
    /cannot (connect to|list the tools of) MCP server stdio:/,
  );
});

test('a server that never answers the handshake times out instead of hanging', async () => {
  const silent = "process.stdin.resume(); process.stdin.on('end', () => process.exit(0))";
  await assert.rejects(
    connectMcp({ transport: 'stdio', command: process.execPath, args: ['-e', silent] }, {}, 200),
    /^Error: cannot connect to MCP server stdio:.*: MCP error -32001: Request timed out/,
  );
});

/** Whether a process id is still running. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a server that repeats its cursor or lists a name twice is refused, and its process is stopped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-mcp-'));
  try {
    for (const [listing, message] of [
      ['repeated-cursor', /cannot list the tools of MCP server stdio:.*: more than 100 pages of tools \(is the server repeating its cursor\?\)/],
      ['duplicate-names', /MCP server stdio:.* lists the tool 'add' twice/],
    ] as const) {
      const pidFile = join(dir, `${listing}.pid`);
      await assert.rejects(connectMcp({ transport: 'stdio', command: process.execPath, args: ['--import', 'tsx', STDIO_SERVER, listing, pidFile] }), message);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      for (let waited = 0; alive(pid) && waited < 2000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(alive(pid), false, `the ${listing} server process is still running`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
