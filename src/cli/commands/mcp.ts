/** `toolken mcp`: the MCP gateway over a ToolGen model's catalog, on stdio or Streamable HTTP. */
import { resolve } from 'node:path';
import { FINISH_FUNCTION } from '../../methods/toolgen/examples.js';
import { CATALOG_FILE } from '../../methods/toolgen/model.js';
import { sdkModule } from '../../tools/executors/mcp.js';
import { loadRecordings } from '../../tools/executors/replay.js';
import { openGateway } from '../../serve/mcp/open-gateway.js';
import { serveHttp, serveStdio } from '../../serve/mcp/transport.js';
import { loadUpstreamConfig } from '../../serve/mcp/upstream.js';
import { ServeSetupError } from '../../serve/served-model.js';
import { CliError, commandFlags, type CliCommand } from '../args.js';
import { modelCatalogPath, readCatalogFlag, readToolGenModelFlag, userInput } from './toolgen-inputs.js';

const summary =
  'Serve a catalog as an MCP gateway: find_tools (ToolGen trie-constrained search, BM25 for unseen tools), describe_tool and call_tool (HTTP, replay or upstream MCP servers), over stdio or Streamable HTTP';

const flags = {
  model: { kind: 'string', required: true, help: 'a ToolGen model directory (with tool-index.json)' },
  catalog: { kind: 'string', help: `the tools on offer (default: the model directory's ${CATALOG_FILE})` },
  http: { kind: 'int', min: 0, max: 65535, help: 'serve Streamable HTTP at http://HOST:PORT/mcp instead of stdio (0 picks a free port)' },
  host: { kind: 'string', default: '127.0.0.1', help: 'address to bind with --http; anything but loopback exposes the tools to the network' },
  upstream: { kind: 'string', help: 'MCP servers config ({"mcpServers": {name: {command, args} | {url}}}) whose tools are imported at start and run there' },
  recordings: { kind: 'string', help: 'recorded responses (JSON lines of {tool, args, observation}) that answer the catalog tools no upstream server runs' },
  timeoutMs: { kind: 'int', default: 10_000, min: 1, help: 'a tool call that takes longer fails with a timeout error' },
  connectTimeoutMs: { kind: 'int', default: 20_000, min: 1, help: 'how long an upstream server may take to start and list its tools' },
  lexicalPrior: {
    kind: 'number', min: 0, max: 1,
    help: "find_tools mixes BM25 over the tools' documents into the model's search with this weight: for tools added with `tools add` that no training query named (about 0.99 when most are)",
  },
} as const;

export const command: CliCommand = {
  summary,
  async run(argv) {
    const f = commandFlags(argv, 'mcp', summary + '.', flags);
    if (f === null) return 0;
    // Every input file is read before the model loads, so a bad one fails at once.
    const catalogPath = modelCatalogPath(f.model, f.catalog);
    // ToolGen's Finish action ends an agent run; it is no tool a client could call.
    const catalog = readCatalogFlag(catalogPath).filter((t) => t.id !== FINISH_FUNCTION);
    const upstream = f.upstream === undefined ? undefined : userInput(`--upstream ${f.upstream}`, () => loadUpstreamConfig(resolve(f.upstream!)));
    if (catalog.length === 0 && upstream === undefined) throw new CliError(`${catalogPath} holds only ToolGen's ${FINISH_FUNCTION} action; give a catalog of tools or --upstream servers`);
    const recordings = f.recordings === undefined ? undefined : userInput(`--recordings ${f.recordings}`, () => loadRecordings(resolve(f.recordings!)));
    // The gateway speaks MCP through the optional SDK: a missing one is said before the model loads.
    await sdkModule(() => import('@modelcontextprotocol/sdk/server/index.js'));
    const model = await readToolGenModelFlag(f.model);

    let opened;
    try {
      opened = await openGateway({
        model,
        catalog,
        ...(upstream === undefined ? {} : { upstream }),
        ...(recordings === undefined ? {} : { recordings }),
        callLimits: { timeoutMs: f.timeoutMs },
        connectTimeoutMs: f.connectTimeoutMs,
        ...(f.lexicalPrior === undefined ? {} : { lexicalPrior: f.lexicalPrior }),
      });
    } catch (err) {
      if (err instanceof ServeSetupError) throw new CliError(err.message);
      throw err;
    }
    for (const w of opened.warnings) process.stderr.write(`warning: ${w}\n`);
    const { toolgen, bm25 } = opened.finder.coverage;
    const what = `${opened.tools.length} tools (${toolgen} found by the model, ${bm25} by BM25)`;
    try {
      if (f.http === undefined) {
        // stdout carries the protocol; everything for people goes to stderr.
        process.stderr.write(`mcp gateway: ${what} on stdio\n`);
        // A signal ends the session as the client closing stdin does.
        const hangUp = (): void => void process.stdin.destroy();
        process.once('SIGINT', hangUp);
        process.once('SIGTERM', hangUp);
        await serveStdio(opened.gateway);
        return 0;
      }
      let http;
      try {
        http = await serveHttp(opened.gateway, f.http, f.host);
      } catch (err) {
        throw new CliError(`cannot listen on ${f.host}:${f.http}: ${(err as Error).message}`);
      }
      process.stderr.write(`mcp gateway: ${what} on ${http.url}\n`);
      await new Promise<void>((done) => {
        const stop = (): void => {
          process.stderr.write('shutting down\n');
          void http.close().then(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      return 0;
    } finally {
      await opened.close();
    }
  },
};
