import { basename, resolve } from 'node:path';
import { CliError, helpText, parseFlags, wantsHelp, type CliCommand } from '../args.js';
import { checkRunFolders } from './run-folders.js';
import { untilStopped } from './until-stopped.js';
import { readCatalogFlag, readModelSpecFlag, readSavedIndex } from './toolgen-inputs.js';
import { agentFlags, startAgentPlayground } from './agent-inputs.js';
import type { PlaygroundWorker } from '../../serve/dashboard/playground-worker.js';
import { ModelWorkerError, startModelWorker } from '../../serve/worker-runner.js';
import type { ToolIndex } from '../../indexing/tool-index.js';
import { FINISH_FUNCTION } from '../../methods/toolgen/examples.js';
import { TOOL_INDEX_FILE } from '../../methods/toolgen/model.js';
import type { Tool } from '../../tools/types.js';
import { DEFAULT_REQUEST_LIMITS } from '../../serve/request.js';
import { serveCatalog, type ServeCatalogOptions } from '../../serve/served-catalog.js';
import { createToolkenServer } from '../../serve/server.js';
import { serveModel, ServeSetupError, type ServedModel } from '../../serve/served-model.js';
import { QUANTIZE_TYPES, type QuantizeType } from '../../tensor/quant.js';

const summary = 'Serve a model over the OpenAI chat-completions API (POST /v1/chat/completions, GET /v1/models, GET /health) with constrained tool calls.';

const flags = {
  model: { kind: 'string', help: 'model directory or checkpoint file', required: true },
  catalog: { kind: 'string', help: "a ToolGen model's catalog (e.g. its catalog.json): requests without tools call its tools, chosen by trie-constrained search" },
  name: { kind: 'string', help: "the model's name in the API (default: the model path's last part)" },
  port: { kind: 'int', help: 'TCP port (0 picks a free one)', default: 8080, min: 0, max: 65535 },
  host: { kind: 'string', help: 'address to bind; anything but loopback exposes the model to the network', default: '127.0.0.1' },
  apiKey: { kind: 'string', help: 'require "Authorization: Bearer <key>" on /v1 requests' },
  slots: { kind: 'int', help: 'requests decoded together in one batch', default: 8 },
  maxQueue: { kind: 'int', help: 'requests waiting for a slot before new ones get 429', default: 64 },
  maxTokens: { kind: 'int', help: 'most completion tokens per request (and the default)', default: 1024 },
  timeout: { kind: 'number', help: 'seconds one request may take, queueing included', default: 120 },
  runs: { kind: 'string', repeat: true, help: 'a run directory (or a folder of them) for the dashboard at /; repeatable' },
  copy: { kind: 'boolean', default: true, help: "with --catalog (and in the playground): a call's free string and number arguments take values the request holds when one fits the schema (--no-copy: free values)" },
  lexicalPrior: {
    kind: 'number', min: 0, max: 1,
    help: "with --catalog: once the model calls a tool, BM25 over the catalog's documents is mixed into which one with this weight (for tools added with tools add that no training query named; about 0.99 when most are)",
  },
  playground: { kind: 'boolean', help: "a playground on the dashboard at /: a ToolGen model trained through the agent stage shows the top-k tools and its agent's steps on a typed request (its own copy of the model, on its own thread)" },
  executor: agentFlags.executor,
  recordings: agentFlags.recordings,
  mcp: agentFlags.mcp,
  timeoutMs: { ...agentFlags.timeoutMs, help: "the playground's tool calls: one that takes longer becomes a timeout observation" },
  maxSteps: { ...agentFlags.maxSteps, default: 4, help: 'most agent steps per playground request' },
  quantize: {
    kind: 'string', choices: QUANTIZE_TYPES,
    help: "store the model's matrices on load as Q8_0 / Q4_0 blocks (int8 dot products), bf16 (half the bytes of fp32; bf16 dot products) or NF4 (QLoRA's 4-bit NormalFloat); a GGUF's own Q8_0 / Q4_0 / Q4_K / BF16 matrices are always kept as they are",
  },
} as const;

/** The served model with the catalog's tools that its tool index knows; warns about the ones it does not. */
function withCatalog(served: ServedModel, index: ToolIndex, tools: readonly Tool[], catalogPath: string, options: ServeCatalogOptions): ServedModel {
  const catalog = serveCatalog(served, index, tools, DEFAULT_REQUEST_LIMITS, options);
  if (catalog.skipped.length > 0) {
    const [first] = catalog.skipped;
    process.stderr.write(`warning: ${catalog.skipped.length} tools of ${catalogPath} cannot be called (first: '${first!.id}': ${first!.reason})\n`);
  }
  return { ...served, catalog };
}

export const command: CliCommand = {
  summary,
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(helpText('serve', summary, flags) + '\n');
      return 0;
    }
    const f = parseFlags(argv, flags);
    if (f._.length > 0) throw new CliError(`unexpected argument '${f._[0]}' (serve takes only options)`);
    for (const [flag, value] of [['--slots', f.slots], ['--max-tokens', f.maxTokens]] as const) {
      if (value < 1) throw new CliError(`${flag} must be at least 1, got ${value}`);
    }
    if (f.maxQueue < 0) throw new CliError(`--max-queue must be >= 0, got ${f.maxQueue}`);
    if (!(f.timeout > 0)) throw new CliError(`--timeout must be > 0 seconds, got ${f.timeout}`);
    checkRunFolders(f.runs, '--runs');
    // The catalog and the index are read before the model loads, so a bad file fails at once.
    let catalogInputs: { index: ToolIndex; tools: Tool[] } | undefined;
    if (f.catalog !== undefined) {
      const index = readSavedIndex(f.model);
      if (index === undefined) throw new CliError(`--catalog needs a ToolGen model: --model ${f.model} has no ${TOOL_INDEX_FILE}`);
      // ToolGen's Finish action ends an agent run; it is no tool a client could call.
      catalogInputs = { index, tools: readCatalogFlag(f.catalog).filter((t) => t.id !== FINISH_FUNCTION) };
    }
    // The weights are loaded once, by the model worker; this thread reads the config and the tokenizer.
    const spec = await readModelSpecFlag(f.model);
    let served;
    try {
      served = serveModel(f.name ?? basename(resolve(f.model)), spec);
      if (catalogInputs !== undefined) served = withCatalog(served, catalogInputs.index, catalogInputs.tools, f.catalog!, { copyValues: f.copy, ...(f.lexicalPrior === undefined ? {} : { lexicalPrior: f.lexicalPrior }) });
    } catch (err) {
      if (err instanceof ServeSetupError) throw new CliError(`--model ${f.model}: ${err.message}`);
      throw err;
    }
    process.stderr.write(`loading ${spec.path} in the model worker...\n`);
    let runner;
    try {
      const quantize = f.quantize as QuantizeType | undefined;
      runner = await startModelWorker({ path: spec.path, slots: f.slots, capacity: served.contextLength, ...(quantize === undefined ? {} : { quantize }) });
    } catch (err) {
      if (err instanceof ModelWorkerError) throw new CliError(`--model ${f.model}: ${err.message}`);
      throw err;
    }
    let playground: PlaygroundWorker | undefined;
    if (f.playground) {
      try {
        // The agent's settings the page does not offer keep `toolken agent`'s defaults.
        playground = await startAgentPlayground({
          _: [],
          model: f.model,
          catalog: f.catalog,
          executor: f.executor,
          recordings: f.recordings,
          mcp: f.mcp,
          timeoutMs: f.timeoutMs,
          maxSteps: f.maxSteps,
          maxObservationChars: agentFlags.maxObservationChars.default,
          retry: agentFlags.retry.default,
          retryOnRepeat: false,
          constrain: agentFlags.constrain.default,
          copy: f.copy,
          lexicalPrior: undefined,
          seed: agentFlags.seed.default,
        });
      } catch (err) {
        await runner.close();
        throw err;
      }
    }
    const server = createToolkenServer(served, {
      runner,
      ...(playground === undefined ? {} : { playground }),
      ...(f.apiKey === undefined ? {} : { apiKey: f.apiKey }),
      slots: f.slots,
      maxQueue: f.maxQueue,
      maxTokens: f.maxTokens,
      requestTimeoutMs: f.timeout * 1000,
      runs: f.runs,
    });
    let address;
    try {
      address = await server.listen(f.port, f.host);
    } catch (err) {
      await runner.close();
      await playground?.close();
      throw new CliError(`cannot listen on ${f.host}:${f.port}: ${(err as Error).message}`);
    }
    const tools = served.catalog === undefined ? '' : `, ${served.catalog.entries.length} catalog tools`;
    process.stderr.write(`serving '${served.name}' (${spec.config.family}, context ${served.contextLength}${tools}) on http://${address.address}:${address.port}/v1\n`);
    const entry = f.apiKey === undefined ? '' : '?key=<your --api-key>';
    const tried = playground === undefined ? '' : ' (with the playground)';
    process.stderr.write(`dashboard${tried} at http://${address.address}:${address.port}/${entry}\n`);
    await untilStopped(async () => {
      await server.close();
      await playground?.close();
    });
    return 0;
  },
};
