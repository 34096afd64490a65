/**
 * Puts a gateway together: connects the upstream MCP servers and imports their tools (a catalog tool an upstream
 * server also lists is run by that server; the others join the catalog, where BM25 finds them), then routes every
 * tool to one executor — its upstream server, else the recordings when given (offline replay), else its HTTP
 * endpoint. Every executor runs calls under the same limits (timeout, response size), and arguments are checked
 * against the tool's schema before any executor sees them.
 */
import type { GenerativeModel } from '../../retrieval/generative.js';
import { connectMcp, type McpConnection } from '../../tools/executors/mcp.js';
import { createHttpExecutor } from '../../tools/executors/http.js';
import { RoutingExecutor, type CallLimits, type FunctionExecutor } from '../../tools/executors/registry.js';
import { createReplayExecutor, type Recording } from '../../tools/executors/replay.js';
import type { Tool } from '../../tools/types.js';
import { ServeSetupError } from '../served-model.js';
import { McpGateway, type GatewayLimits } from './gateway.js';
import { ToolFinder } from './tool-finder.js';
import type { UpstreamServer } from './upstream.js';

export interface GatewayOptions {
  /** The ToolGen model that searches the catalog. */
  readonly model: GenerativeModel;
  readonly catalog: readonly Tool[];
  readonly upstream?: readonly UpstreamServer[];
  readonly recordings?: readonly Recording[];
  /** Limits of every tool call (timeout, response size). */
  readonly callLimits?: Partial<CallLimits>;
  /** How long an upstream server may take to answer the handshake and list its tools. */
  readonly connectTimeoutMs?: number;
  readonly limits?: GatewayLimits;
  /** Weight of BM25 over the documents in the model's search (ToolFinder); off when absent. */
  readonly lexicalPrior?: number;
}

export interface OpenGateway {
  readonly gateway: McpGateway;
  readonly finder: ToolFinder;
  /** Every tool on offer: the catalog and the upstream servers' tools. */
  readonly tools: readonly Tool[];
  /** Problems worth a warning (upstream tools with unreadable schemas, tools nothing can run). */
  readonly warnings: readonly string[];
  /** Stops the upstream servers. */
  close(): Promise<void>;
}

export async function openGateway(o: GatewayOptions): Promise<OpenGateway> {
  const connections: { server: UpstreamServer; connection: McpConnection }[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(connections.map(({ connection }) => connection.close().catch(() => undefined)));
  };
  try {
    for (const server of o.upstream ?? []) {
      try {
        connections.push({ server, connection: await connectMcp(server.address, o.callLimits, o.connectTimeoutMs) });
      } catch (err) {
        throw new ServeSetupError(`upstream MCP server '${server.name}': ${(err as Error).message}`);
      }
    }
    return assemble(o, connections, close);
  } catch (err) {
    await close();
    throw err;
  }
}

function assemble(o: GatewayOptions, connections: readonly { server: UpstreamServer; connection: McpConnection }[], close: () => Promise<void>): OpenGateway {
  const warnings: string[] = [];
  const tools = new Map(o.catalog.map((t) => [t.id, t]));
  const label = new Map<string, string>();
  const executors: FunctionExecutor[] = [];
  for (const { server, connection } of connections) {
    for (const bad of connection.invalid) warnings.push(`upstream '${server.name}': tool '${bad.name}' left out: ${bad.reason}`);
    for (const tool of connection.tools) {
      const owner = label.get(tool.id);
      if (owner !== undefined) throw new ServeSetupError(`upstream servers '${owner.slice('mcp:'.length)}' and '${server.name}' both list a tool '${tool.id}'; keep one of them in the config`);
      label.set(tool.id, `mcp:${server.name}`);
      if (!tools.has(tool.id)) tools.set(tool.id, tool);
    }
    executors.push(connection.executor);
  }
  const rest = [...tools.values()].filter((t) => !label.has(t.id));
  if (o.recordings !== undefined) {
    executors.push(createReplayExecutor(rest, o.recordings, o.callLimits));
    for (const t of rest) label.set(t.id, 'replay');
  } else {
    const { executor } = createHttpExecutor(rest, o.callLimits === undefined ? {} : { limits: o.callLimits });
    executors.push(executor);
    for (const t of rest) if (executor.has(t.id)) label.set(t.id, 'http');
  }
  const idle = tools.size - label.size;
  if (idle > 0) warnings.push(`${idle} of ${tools.size} tools have no executor (no upstream server lists them, no HTTP endpoint, no recordings): call_tool refuses them`);
  const all = [...tools.values()];
  const finder = new ToolFinder(o.model, all, o.lexicalPrior === undefined ? {} : { lexicalPrior: o.lexicalPrior });
  const gateway = new McpGateway({
    finder,
    tools: all,
    executor: new RoutingExecutor(executors),
    executorOf: (id) => label.get(id),
    ...(o.limits === undefined ? {} : { limits: o.limits }),
  });
  return { gateway, finder, tools: all, warnings, close };
}
