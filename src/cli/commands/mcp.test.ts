/**
 * `toolken mcp` as an MCP client meets it: the SDK's own client starts the CLI as a child process (stdio) or
 * connects to it over Streamable HTTP on 127.0.0.1. The model is a tiny ToolGen model trained through the retrieval
 * stage on four demo tools, so find_tools must put the tool a query needs first; calls are answered from
 * recordings and from an upstream MCP server that the gateway starts itself.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { trainedToolGen } from '../../methods/toolgen/testing/trained-toolgen.js';
import { saveRecordings } from '../../tools/executors/replay.js';
import { runCommand } from '../testing/capture.js';
import { command } from './mcp.js';
import { SOURCE_CLI, startServingCli } from '../testing/source-cli.js';

const FIXTURE = fileURLToPath(new URL('../../tools/executors/fixtures/mcp-stdio-server.ts', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'toolken-mcp-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const trained = await trainedToolGen(dir);
const recordings = join(dir, 'recordings.jsonl');
saveRecordings(recordings, [{ tool: 'circle_area', args: { radius: 2 }, observation: { ok: true, content: '12.566', value: 12.566 } }]);
const upstream = join(dir, 'upstream.json');
writeFileSync(upstream, JSON.stringify({ mcpServers: { fixture: { command: process.execPath, args: ['--import', 'tsx', FIXTURE] } } }));
const gatewayArgs = ['mcp', '--model', trained.modelDir, '--recordings', recordings, '--upstream', upstream, '--timeout-ms', '400'];

const call = async (client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> => (await client.callTool({ name, arguments: args })) as CallToolResult;
const textOf = (r: CallToolResult): string => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

/** The checks both transports must pass. */
async function exercise(client: Client): Promise<void> {
  assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['find_tools', 'describe_tool', 'call_tool']);
  let first = 0;
  for (const q of trained.queries) {
    const found = (await call(client, 'find_tools', { task: q.query, k: 3 })).structuredContent as { tools: { tool: string; source: string }[] };
    if (found.tools[0]!.tool === q.relevant[0] && found.tools[0]!.source === 'toolgen') first++;
  }
  assert.ok(first >= trained.queries.length - 2, `the gold tool first for ${first} of ${trained.queries.length} queries`);
  // A tool the model has never seen (from the upstream server) is found by BM25.
  const unseen = (await call(client, 'find_tools', { task: 'sleep for a delay in ms' })).structuredContent as { tools: { tool: string; source: string }[] };
  assert.ok(unseen.tools.some((t) => t.tool === 'sleep' && t.source === 'bm25'));
  assert.equal(textOf(await call(client, 'call_tool', { tool: 'circle_area', arguments: { radius: 2 } })), '12.566');
  assert.equal(textOf(await call(client, 'call_tool', { tool: 'add', arguments: { a: 20, b: 22 } })), '42');
  const slow = await call(client, 'call_tool', { tool: 'sleep', arguments: { ms: 3000 } });
  assert.equal(slow.isError, true);
  assert.match(textOf(slow), /sleep did not answer within 400 ms/);
  const bad = await call(client, 'find_tools', { task: 42 });
  assert.equal(bad.isError, true);
  assert.match(textOf(bad), /\/task: expected string/);
}

test('mcp --help names the flags; usage errors exit 2 before any model loads', async () => {
  const help = await runCommand(command, ['--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--model', '--catalog', '--http', '--host', '--upstream', '--recordings', '--timeout-ms']) assert.ok(help.stdout.includes(flag), flag);
  await assert.rejects(command.run(['--model', trained.modelDir, '--http', '70000']), /--http/);
  await assert.rejects(command.run(['--model', join(dir, 'nowhere')]), /--model .*nowhere: no such directory/);
  writeFileSync(join(dir, 'bad-upstream.json'), JSON.stringify({ mcpServers: { a: { url: 'ftp://x' } } }));
  await assert.rejects(command.run(['--model', trained.modelDir, '--upstream', join(dir, 'bad-upstream.json')]), /bad-upstream\.json: \/mcpServers\/a\/url: expected an http\(s\) URL/);
  // Missing files and folders are named in words, not as ENOENT / EISDIR.
  await assert.rejects(command.run(['--model', trained.modelDir, '--upstream', join(dir, 'none.json')]), /none\.json: cannot read the MCP servers config: the file does not exist$/);
  await assert.rejects(command.run(['--model', trained.modelDir, '--upstream', dir]), /cannot read the MCP servers config: it is a folder; pass the config file inside it$/);
  await assert.rejects(command.run(['--model', trained.modelDir, '--recordings', join(dir, 'none.jsonl')]), /--recordings .*: recordings file .*none\.jsonl does not exist$/);
});

test('over stdio: the SDK client starts toolken mcp as a child process', async () => {
  const transport = new StdioClientTransport({ command: process.execPath, args: [...SOURCE_CLI, ...gatewayArgs], stderr: 'pipe' });
  const client = new Client({ name: 'mcp-cli-test', version: '1.0.0' });
  await client.connect(transport);
  try {
    await exercise(client);
  } finally {
    await client.close();
  }
});

test('over stdio a line that is not JSON-RPC is skipped and the next is answered; a message past 4 MiB ends the session', async (t) => {
  const child = spawn(process.execPath, [...SOURCE_CLI, ...gatewayArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
  child.stdin.write('this is not json\n' + JSON.stringify(initialize) + '\n');
  const deadline = Date.now() + 60_000;
  while (!stdout.includes('"id":1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.match(stdout, /"result":\{.*"serverInfo":\{"name":"toolken-mcp-gateway"/);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // The gateway stops reading once the message passes the limit, so the rest of the write meets a closed pipe.
  child.stdin.on('error', () => undefined);
  child.stdin.write('x'.repeat(5 << 20));
  assert.equal(await exited, 0);
});

test('over Streamable HTTP on 127.0.0.1; malformed bodies and other methods get HTTP errors; SIGTERM stops it', async (t) => {
  const cli = await startServingCli(t, [...gatewayArgs, '--http', '0'], /on (http:\/\/127\.0\.0\.1:\d+\/mcp)/);
  const url = cli.address;
  const client = new Client({ name: 'mcp-cli-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  try {
    await exercise(client);
  } finally {
    await client.close();
  }
  const malformed = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc": ' });
  assert.equal(malformed.status, 400);
  assert.match(((await malformed.json()) as { error: { message: string } }).error.message, /parse error/);
  assert.equal((await fetch(url, { method: 'GET' })).status, 405);
  assert.equal((await fetch(url.replace('/mcp', '/other'), { method: 'POST', body: '{}' })).status, 404);
  assert.equal(await cli.stop(), 0);
});

/** Node arguments that make every import of the MCP SDK fail as it fails where the optional package is not installed. */
const WITHOUT_SDK = (() => {
  const hooks = `export async function resolve(specifier, context, next) {
    if (specifier.startsWith('@modelcontextprotocol/sdk')) throw Object.assign(new Error("Cannot find package '" + specifier + "'"), { code: 'ERR_MODULE_NOT_FOUND' });
    return next(specifier, context);
  }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  return ['--import', `data:text/javascript,${encodeURIComponent(register)}`];
})();

/** Runs the CLI from source in a process where the MCP SDK is not installed. */
function runWithoutSdk(argv: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...WITHOUT_SDK, ...SOURCE_CLI, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('without the optional MCP SDK the CLI runs, and the gateway says how to install it, in one line, before the model loads', async () => {
  const stats = await runWithoutSdk(['tools', 'stats', join(trained.modelDir, 'catalog.json')]);
  assert.equal(stats.code, 0, stats.stderr);
  assert.match(stats.stdout, /^tools: /);
  const install = /MCP needs the optional package @modelcontextprotocol\/sdk, which is not installed: run `npm install @modelcontextprotocol\/sdk`\n$/;
  const gateway = await runWithoutSdk(['mcp', '--model', trained.modelDir]);
  assert.equal(gateway.code, 2, gateway.stderr);
  assert.match(gateway.stderr, install);
  assert.doesNotMatch(gateway.stderr, /\n\s+at |^loaded /m, 'no stack trace, no model loaded');
});
