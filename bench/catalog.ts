/**
 * `npm run bench:catalog -- --model DIR [--queries N]`: latency of retrieval-free tool use with a ToolGen model
 * (such as the demo's, `toolken-demo/model`) and its catalog, in one run on loopback:
 *
 * - `catalog-call`: `toolken serve --catalog` asked with no tools (the model picks among the whole catalog by
 *   trie-constrained decoding): time to first token (the tool-call delta naming the tool) and to the full call;
 * - `listed-call`: the same requests listing two tools (the query's tool and one other) in `tools` with
 *   tool_choice required, the way a client holding tools in its prompt asks;
 * - `find-tools`: the MCP gateway's find_tools (k = 5), called in-process.
 *
 * One client at a time, temperature 0, queries from DIR/test-queries.jsonl. Also reports how often the catalog call
 * names the query's tool, and how often its arguments equal the query's gold call, with the values copied from the
 * request (the default) and, on a second server, with `--no-copy` (`catalog-call-no-copy`). Records go to
 * bench/results/catalog.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import OpenAI from 'openai';
import { readToolGenModelFlag } from '../src/cli/commands/toolgen-inputs.js';
import { loadCatalog } from '../src/tools/catalog.js';
import { openGateway } from '../src/serve/mcp/open-gateway.js';
import { DEFAULT_REQUEST_LIMITS } from '../src/serve/request.js';
import { serveCatalog } from '../src/serve/served-catalog.js';
import { serveModel } from '../src/serve/served-model.js';
import { createToolkenServer } from '../src/serve/server.js';
import { parseJsonLines } from '../src/util/json-lines.js';
import type { JsonValue } from '../src/tools/types.js';
import { isDeepStrictEqual } from 'node:util';
import { formatTable, median, writeResults, type BenchRecord } from './lib.js';

const argv = process.argv.slice(2);
const at = argv.indexOf('--model');
if (at === -1) throw new Error('usage: npm run bench:catalog -- --model DIR [--queries N] (a ToolGen model directory with catalog.json and test-queries.jsonl)');
const dir = argv[at + 1]!;
const count = argv.includes('--queries') ? Number(argv[argv.indexOf('--queries') + 1]) : 40;

const loaded = await readToolGenModelFlag(dir);
const tools = loadCatalog(join(dir, 'catalog.json')).tools;
const base = serveModel('bench', loaded);
const catalog = serveCatalog(base, loaded.index, tools, DEFAULT_REQUEST_LIMITS);
const server = createToolkenServer({ ...base, catalog }, { slots: 1, maxTokens: 128 });
const { port } = await server.listen(0, '127.0.0.1');
const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0 });
const freeServer = createToolkenServer({ ...base, catalog: serveCatalog(base, loaded.index, tools, DEFAULT_REQUEST_LIMITS, { copyValues: false }) }, { slots: 1, maxTokens: 128 });
const freeClient = new OpenAI({ baseURL: `http://127.0.0.1:${(await freeServer.listen(0, '127.0.0.1')).port}/v1`, apiKey: 'unused', maxRetries: 0 });
const gateway = (await openGateway({ model: loaded, catalog: tools })).gateway;

const queries = parseJsonLines(readFileSync(join(dir, 'test-queries.jsonl'), 'utf8'))
  .map((l) => l.value as { query: string; relevant: string[]; calls?: { tool: string; arguments: JsonValue }[] })
  .filter((q) => q.relevant.length === 1 && catalog.byId.has(q.relevant[0]!))
  .slice(0, count);

interface Timed {
  readonly ttft: number;
  readonly total: number;
  readonly name: string;
  readonly args: string;
}

async function streamed(body: Omit<OpenAI.ChatCompletionCreateParamsStreaming, 'model' | 'stream'>, via = client): Promise<Timed> {
  const started = performance.now();
  let first = -1;
  let name = '';
  let args = '';
  const stream = await via.chat.completions.create({ ...body, model: 'bench', stream: true, temperature: 0, max_tokens: 96 });
  for await (const chunk of stream) {
    const call = chunk.choices[0]?.delta.tool_calls?.[0];
    if (call !== undefined && first < 0) first = performance.now();
    if (call?.function?.name) name = call.function.name;
    args += call?.function?.arguments ?? '';
  }
  const end = performance.now();
  return { ttft: (first < 0 ? end : first) - started, total: end - started, name, args };
}

/** The call names the query's tool with exactly its gold arguments (numbers compared as numbers). */
function exactCall(timed: Timed, q: (typeof queries)[number]): boolean {
  const gold = q.calls?.[0];
  if (gold === undefined || timed.name !== catalog.byId.get(gold.tool)?.apiName) return false;
  try {
    return isDeepStrictEqual(JSON.parse(timed.args), gold.arguments);
  } catch {
    return false;
  }
}

const asListed = (id: string) => {
  const entry = catalog.byId.get(id)!;
  return { type: 'function' as const, function: { name: entry.apiName, description: entry.tool.description, parameters: entry.tool.parameters as unknown as Record<string, unknown> } };
};

const catalogCalls: Timed[] = [];
const listedCalls: Timed[] = [];
const finds: number[] = [];
let right = 0;
let withGold = 0;
const exact = { copy: 0, free: 0 };
await streamed({ messages: [{ role: 'user', content: 'warm up' }] });
for (const [i, q] of queries.entries()) {
  const messages = [{ role: 'user' as const, content: q.query }];
  const viaCatalog = await streamed({ messages });
  catalogCalls.push(viaCatalog);
  if (viaCatalog.name === catalog.byId.get(q.relevant[0]!)!.apiName) right++;
  if (q.calls?.length === 1) {
    withGold++;
    if (exactCall(viaCatalog, q)) exact.copy++;
    if (exactCall(await streamed({ messages }, freeClient), q)) exact.free++;
  }
  const others = catalog.entries.filter((e) => e.tool.id !== q.relevant[0]).filter((_, j) => j % 37 === i % 37).slice(0, 1);
  listedCalls.push(await streamed({ messages, tools: [asListed(q.relevant[0]!), ...others.map((e) => asListed(e.tool.id))], tool_choice: 'required', parallel_tool_calls: false }));
  const started = performance.now();
  await gateway.call('find_tools', { task: q.query, k: 5 });
  finds.push(performance.now() - started);
}
await server.close();
await freeServer.close();

const quantile = (values: readonly number[], q: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;
const params = { model: dir, tools: catalog.entries.length, queries: queries.length, loadavg: loadavg()[0]!.toFixed(2) };
const records: BenchRecord[] = [];
for (const [name, timed] of [['catalog-call', catalogCalls], ['listed-call', listedCalls]] as const) {
  records.push(
    { name: `catalog/${name}/ttft-p50`, value: median(timed.map((t) => t.ttft)), unit: 'ms', params },
    { name: `catalog/${name}/full-call-p50`, value: median(timed.map((t) => t.total)), unit: 'ms', params },
    { name: `catalog/${name}/full-call-p99`, value: quantile(timed.map((t) => t.total), 0.99), unit: 'ms', params },
  );
}
records.push(
  { name: 'catalog/find-tools-p50', value: median(finds), unit: 'ms', params },
  { name: 'catalog/catalog-over-listed-full-call', value: median(catalogCalls.map((t) => t.total)) / median(listedCalls.map((t) => t.total)), unit: 'x', params },
  { name: 'catalog/catalog-call-names-the-query-tool', value: right / queries.length, unit: 'fraction', params },
  { name: 'catalog/catalog-call/exact-call', value: exact.copy / Math.max(1, withGold), unit: 'fraction', params: { ...params, withGold } },
  { name: 'catalog/catalog-call-no-copy/exact-call', value: exact.free / Math.max(1, withGold), unit: 'fraction', params: { ...params, withGold } },
);
process.stdout.write(formatTable('retrieval-free tool calls (loopback, one client)', records) + '\n');
process.stderr.write(`wrote ${writeResults('catalog', records)}\n`);
