/**
 * The gateway through the MCP SDK's own client (linked in memory to the gateway's protocol server): a ToolGen model
 * over four demo tools (answered from recordings) and an upstream MCP server started as a child process, whose
 * four tools the model has never seen. Every bad input comes back as a tool error naming the problem, and the
 * gateway keeps answering after it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { demoCatalog } from '../../data/demo/catalog.js';
import { tinyToolGen } from '../../methods/toolgen/testing/tiny-toolgen.js';
import { ServeSetupError } from '../served-model.js';
import { openGateway } from './open-gateway.js';
import { gatewayServer } from './protocol-server.js';
import { parseUpstreamConfig } from './upstream.js';

const FIXTURE = fileURLToPath(new URL('../../tools/executors/fixtures/mcp-stdio-server.ts', import.meta.url));
const fixture = { name: 'fixture', address: { transport: 'stdio' as const, command: process.execPath, args: ['--import', 'tsx', FIXTURE] } };

const known = demoCatalog().filter((t) => ['add_numbers', 'circle_area', 'reverse_text', 'convert_temperature'].includes(t.id));
const tg = await tinyToolGen(known, { seed: 3 });
const opened = await openGateway({
  model: tg,
  catalog: known,
  upstream: [fixture],
  recordings: [{ tool: 'circle_area', args: { radius: 2 }, observation: { ok: true, content: '12.566', value: 12.566 } }],
  callLimits: { timeoutMs: 300 },
});
const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
const server = await gatewayServer(opened.gateway);
await server.connect(serverSide);
const client = new Client({ name: 'gateway-test', version: '1.0.0' });
await client.connect(clientSide);
after(async () => {
  await client.close();
  await server.close();
  await opened.close();
});

const call = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> => (await client.callTool({ name, arguments: args })) as CallToolResult;
const textOf = (r: CallToolResult): string => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

test('the gateway lists three tools, and the catalog grows by the upstream tools the model has never seen', async () => {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name), ['find_tools', 'describe_tool', 'call_tool']);
  assert.deepEqual(tools[0]!.inputSchema.required, ['task']);
  assert.deepEqual(opened.tools.map((t) => t.id), ['add_numbers', 'convert_temperature', 'reverse_text', 'circle_area', 'add', 'echo', 'fail', 'sleep']);
  assert.deepEqual(opened.finder.coverage, { toolgen: 4, bm25: 4 });
});

test('find_tools ranks the known tools by the constrained search and the unseen ones by BM25, interleaved by rank', async () => {
  const result = await call('find_tools', { task: 'Repeat text thrice', k: 4 });
  assert.equal(result.isError, undefined);
  const found = (result.structuredContent as { tools: { tool: string; source: string; probability?: number }[] }).tools;
  assert.equal(found.length, 4);
  // BM25 matches only 'echo' ("Repeat a text."), so the model's three best fill the rest, its best first.
  assert.deepEqual(found.map((f) => f.source), ['toolgen', 'bm25', 'toolgen', 'toolgen']);
  assert.equal(found[1]!.tool, 'echo');
  for (const f of found.filter((x) => x.source === 'toolgen')) assert.ok(f.probability! > 0 && f.probability! <= 1 && known.some((t) => t.id === f.tool));
  const probabilities = found.filter((x) => x.source === 'toolgen').map((f) => f.probability!);
  assert.deepEqual(probabilities, [...probabilities].sort((a, b) => b - a));
  assert.match(textOf(result), /^1\. \S+: .*\[toolgen, p=0\.\d{3}\]\n2\. echo: Repeat a text\. \[bm25\]/);
});

test('describe_tool gives the schema and the executor; call_tool runs upstream and recorded tools', async () => {
  const described = (await call('describe_tool', { tool: 'add' })).structuredContent as { parameters: unknown; executor: string };
  assert.equal(described.executor, 'mcp:fixture');
  assert.deepEqual(described.parameters, { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] });
  assert.equal(((await call('describe_tool', { tool: 'circle_area' })).structuredContent as { executor: string }).executor, 'replay');

  const sum = await call('call_tool', { tool: 'add', arguments: { a: 2, b: 3.5 } });
  assert.equal(textOf(sum), '5.5');
  assert.deepEqual(sum.structuredContent, { result: { sum: 5.5 } });
  assert.equal(textOf(await call('call_tool', { tool: 'circle_area', arguments: { radius: 2 } })), '12.566');
});

test('every failure is a tool error naming the problem, and the gateway keeps answering', async () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['find_tools', {}, /find_tools: invalid arguments:\n\/task: missing required property 'task'/],
    ['find_tools', { task: 'x'.repeat(2001) }, /\/task: .*2000/],
    ['find_tools', { task: 'add', k: 0 }, /\/k: expected a number >= 1, got 0/],
    ['find_tools', { task: 'add', k: 21 }, /\/k: expected a number <= 20, got 21/],
    ['find_tools', { task: '   ' }, /task is blank/],
    ['find_tools', { task: 'add', extra: 1 }, /extra/],
    ['describe_tool', { tool: 'launch_rockets' }, /describe_tool: unknown tool 'launch_rockets'; find_tools lists/],
    ['call_tool', { tool: 'add', arguments: [1, 2] }, /\/arguments: expected object/],
    ['call_tool', { tool: 'add', arguments: { a: 'two', b: 3 } }, /call_tool: add failed \(invalid-arguments\): invalid arguments for add:\n\/a: expected number, got string "two"/],
    ['call_tool', { tool: 'add', arguments: { a: 1, b: 2, pad: 'x'.repeat(70_000) } }, /arguments of \d+ bytes exceed the limit of 65536/],
    ['call_tool', { tool: 'sleep', arguments: { ms: 2000 } }, /call_tool: sleep failed \(timeout\): sleep did not answer within 300 ms/],
    ['call_tool', { tool: 'fail', arguments: {} }, /call_tool: fail failed \(failed\): fail reported an error: the fixture always fails/],
    ['call_tool', { tool: 'circle_area', arguments: { radius: 3 } }, /call_tool: circle_area failed \(failed\)/],
    ['rm_rf', {}, /unknown tool 'rm_rf': this gateway offers find_tools, describe_tool, call_tool/],
  ];
  for (const [name, args, expected] of cases) {
    const result = await call(name, args);
    assert.equal(result.isError, true, `${name} ${JSON.stringify(args).slice(0, 80)}`);
    assert.match(textOf(result), expected);
  }
  assert.equal(textOf(await call('call_tool', { tool: 'add', arguments: { a: 1, b: 1 } })), '2');
  const cancelled = await opened.gateway.call('find_tools', { task: 'add two numbers' }, AbortSignal.abort());
  assert.deepEqual(cancelled, { content: [{ type: 'text', text: 'find_tools: cancelled by the client' }], isError: true });
});

test('the upstream config is parsed at the edge; an upstream that cannot start names itself', async () => {
  assert.deepEqual(parseUpstreamConfig({ mcpServers: { web: { type: 'http', url: 'http://127.0.0.1:9/mcp' }, fs: { command: 'node', args: ['s.js'] } } }, 'c.json'), [
    { name: 'web', address: { transport: 'http', url: 'http://127.0.0.1:9/mcp' } },
    { name: 'fs', address: { transport: 'stdio', command: 'node', args: ['s.js'] } },
  ]);
  const refused: [unknown, RegExp][] = [
    [{ servers: {} }, /c\.json: expected an object with "mcpServers"/],
    [{ mcpServers: {} }, /lists no servers/],
    [{ mcpServers: { a: { url: 'ftp://x' } } }, /\/mcpServers\/a\/url: expected an http\(s\) URL/],
    [{ mcpServers: { a: { command: 'x', args: 'y' } } }, /\/mcpServers\/a\/args: expected an array/],
    [{ mcpServers: { a: { command: 'x', shell: true } } }, /\/mcpServers\/a\/shell: unknown field/],
    [{ mcpServers: { 'a b': { command: 'x' } } }, /server name/],
  ];
  for (const [value, expected] of refused) assert.throws(() => parseUpstreamConfig(value, 'c.json'), (err: unknown) => err instanceof ServeSetupError && expected.test(err.message));
  await assert.rejects(
    openGateway({ model: tg, catalog: known, upstream: [{ name: 'ghost', address: { transport: 'stdio', command: '/nonexistent/mcp-server' } }], connectTimeoutMs: 5000 }),
    (err: unknown) => err instanceof ServeSetupError && /upstream MCP server 'ghost': cannot connect/.test(err.message),
  );
});
