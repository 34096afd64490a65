/**
 * What `toolken agent` and `toolken eval agent` share: the flags of the loop and the policy, the model and its
 * catalog checked against each other, and the executor the tools run on.
 */
import { resolve } from 'node:path';
import { demoExecutor } from '../../data/demo/catalog.js';
import { LexicalPrior } from '../../retrieval/lexical-prior.js';
import { DEFAULT_RETRY_TEMPERATURES, type AgentLoopOptions } from '../../methods/toolgen/agent-loop.js';
import { FINISH_FUNCTION } from '../../methods/toolgen/examples.js';
import { ToolGenPolicy } from '../../methods/toolgen/policy.js';
import { CATALOG_FILE } from '../../methods/toolgen/model.js';
import { createHttpExecutor } from '../../tools/executors/http.js';
import { connectMcp, type McpConnection } from '../../tools/executors/mcp.js';
import { createReplayExecutor, loadRecordings } from '../../tools/executors/replay.js';
import type { GenerativeModel } from '../../retrieval/generative.js';
import type { Tool, ToolExecutor } from '../../tools/types.js';
import { PlaygroundWorkerError, startPlaygroundWorker, type PlaygroundWorker } from '../../serve/dashboard/playground-worker.js';
import { CliError, type FlagSpecs, type ParsedFlags } from '../args.js';
import { modelCatalogPath, readCatalogFlag, readToolGenModelFlag, userInput } from './toolgen-inputs.js';

export const agentFlags = {
  model: { kind: 'string', required: true, help: 'a ToolGen model directory trained through the agent stage' },
  catalog: { kind: 'string', help: `the tools on offer (default: the model directory's ${CATALOG_FILE})` },
  executor: { kind: 'string', choices: ['demo', 'replay', 'http', 'mcp'], default: 'demo', help: 'how tools run: the demo implementations, recorded responses, HTTP endpoints or an MCP server' },
  recordings: { kind: 'string', help: 'recorded responses for --executor replay (JSON lines of {tool, args, observation})' },
  mcp: { kind: 'string', help: 'MCP server for --executor mcp: a command line (stdio) or an http(s) URL' },
  timeoutMs: { kind: 'int', default: 10_000, help: 'a tool call that takes longer becomes a timeout observation' },
  maxSteps: { kind: 'int', default: 16, min: 1, help: 'most steps before the run stops' },
  maxObservationChars: { kind: 'int', default: 1024, min: 16, help: 'observations are cut to this many characters' },
  retry: { kind: 'boolean', default: true, help: `regenerate a step that gives up or apologises at temperatures ${DEFAULT_RETRY_TEMPERATURES.join(', ')} (--no-retry: off)` },
  retryOnRepeat: { kind: 'boolean', help: 'also retry a step that repeats an earlier (action, arguments) pair' },
  constrain: { kind: 'boolean', default: true, help: 'restrict the action to catalog tools (--no-constrain: free generation, unknown actions possible)' },
  copy: { kind: 'boolean', default: true, help: 'offer values from the task and observations as argument candidates (--no-copy: free values)' },
  lexicalPrior: {
    kind: 'number', min: 0, max: 1,
    help: "mix BM25 over the catalog's documents into the action with this weight, read against each step's thought: for tools no training query named (about 0.99 for a catalog of new tools)",
  },
  seed: { kind: 'int', default: 0, help: 'seed of sampled retries' },
} as const satisfies FlagSpecs;

export type AgentFlags = ParsedFlags<typeof agentFlags>;

export function loopOptions(f: AgentFlags): Partial<AgentLoopOptions> {
  return {
    maxSteps: f.maxSteps,
    maxObservationChars: f.maxObservationChars,
    retryTemperatures: f.retry ? DEFAULT_RETRY_TEMPERATURES : [0],
    retryOnRepeat: f.retryOnRepeat,
    seed: f.seed,
  };
}

export interface AgentSetup {
  /** The ToolGen model the policy runs on. */
  readonly model: GenerativeModel;
  readonly policy: ToolGenPolicy;
  /** The catalog tools the model can name (in the catalog and in its index). */
  readonly tools: Tool[];
  readonly executor: ToolExecutor;
  /** Problems worth a warning (tools one side lacks). */
  readonly warnings: string[];
  close(): Promise<void>;
}

/** Loads the model, checks its index against the catalog, and connects the executor. */
export async function setUpAgent(f: AgentFlags): Promise<AgentSetup> {
  const catalogPath = modelCatalogPath(f.model, f.catalog);
  const catalog = readCatalogFlag(catalogPath).filter((t) => t.id !== FINISH_FUNCTION);
  const model = await readToolGenModelFlag(f.model);
  const indexed = new Set(model.index.toolIds());
  if (!indexed.has(FINISH_FUNCTION)) throw new CliError(`--model ${f.model}: its tool index has no ${FINISH_FUNCTION} action; train it through the agent stage`);
  const warnings: string[] = [];
  const unknown = catalog.filter((t) => !indexed.has(t.id));
  if (unknown.length > 0) warnings.push(`${unknown.length} tools of ${catalogPath} are not in the model's index and cannot be chosen (first: '${unknown[0]!.id}'); add them with \`toolken tools add\``);
  const inCatalog = new Set(catalog.map((t) => t.id));
  const missing = model.index.toolIds().filter((id) => id !== FINISH_FUNCTION && !inCatalog.has(id));
  if (missing.length > 0) warnings.push(`the model's index names ${missing.length} tools that ${catalogPath} lacks (first: '${missing[0]}'); the agent cannot choose them`);
  const tools = catalog.filter((t) => indexed.has(t.id));
  if (tools.length === 0) throw new CliError(`none of the tools of ${catalogPath} is in the model's index: the catalog and the model do not belong together`);
  const lexicalPrior = f.lexicalPrior === undefined ? undefined : LexicalPrior.fromTools(tools, { weight: f.lexicalPrior });
  const policy = new ToolGenPolicy(model, { constrainActions: f.constrain, copyValues: f.copy, ...(lexicalPrior ? { lexicalPrior } : {}) });
  const { executor, close } = await connectExecutor(f, tools);
  return { model, policy, tools, executor, warnings, close };
}

async function connectExecutor(f: AgentFlags, tools: readonly Tool[]): Promise<{ executor: ToolExecutor; close(): Promise<void> }> {
  const limits = { timeoutMs: f.timeoutMs };
  const none = async (): Promise<void> => {};
  if (f.executor === 'demo') {
    const executor = demoExecutor(tools, limits);
    if (executor.tools().length === 0) throw new CliError('--executor demo: none of the catalog tools is a demo tool; choose --executor replay, http or mcp');
    return { executor, close: none };
  }
  if (f.executor === 'replay') {
    if (f.recordings === undefined) throw new CliError('--executor replay needs --recordings FILE');
    const path = resolve(f.recordings);
    const recordings = userInput(`--recordings ${f.recordings}`, () => loadRecordings(path));
    return { executor: createReplayExecutor(tools, recordings, limits), close: none };
  }
  if (f.executor === 'http') {
    const { executor, skipped } = createHttpExecutor(tools, { limits });
    if (skipped.length === tools.length) throw new CliError('--executor http: no catalog tool has an HTTP endpoint');
    return { executor, close: none };
  }
  if (f.mcp === undefined) throw new CliError('--executor mcp needs --mcp "COMMAND ARGS" or --mcp URL');
  const address = /^https?:\/\//.test(f.mcp)
    ? { transport: 'http' as const, url: f.mcp }
    : { transport: 'stdio' as const, command: f.mcp.split(/\s+/)[0]!, args: f.mcp.split(/\s+/).slice(1) };
  let connection: McpConnection;
  try {
    connection = await connectMcp(address, limits);
  } catch (err) {
    throw new CliError(`--mcp ${f.mcp}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { executor: connection.executor, close: () => connection.close() };
}

/** The agent's playground on its own worker thread (playground-thread.ts), its warnings printed; setup errors as CliError. */
export async function startAgentPlayground(f: AgentFlags): Promise<PlaygroundWorker> {
  try {
    const playground = await startPlaygroundWorker(new URL('./playground-thread.js', import.meta.url), f);
    for (const w of playground.warnings) process.stderr.write(`warning: ${w}\n`);
    return playground;
  } catch (err) {
    if (err instanceof PlaygroundWorkerError) throw new CliError(`playground: ${err.message}`);
    throw err;
  }
}
