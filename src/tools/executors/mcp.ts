/**
 * Tools served by a Model Context Protocol server, over stdio (a child process) or Streamable HTTP. Connecting lists
 * the server's tools (following pagination) as catalog tools; calls go through the same guard as every other
 * executor, so arguments are validated locally before the server sees them, and an `isError` result or a broken
 * connection becomes an observation.
 *
 * The SDK (and the hundred packages under it) is an optional peer dependency, loaded only when a server is
 * connected. A server is a stranger too: listing stops after MAX_LIST_PAGES pages (a server repeating its cursor
 * would loop forever), and every failure after the connection opened closes it, so no child process outlives it.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { EntryError } from '../import/entries.js';
import { mcpTool } from '../import/functions.js';
import { SchemaError } from '../schema.js';
import type { JsonValue, Tool } from '../types.js';
import { isJsonValue } from '../validate.js';
import { FunctionExecutor, ToolCallError, type CallLimits } from './registry.js';
import { errorWithCode } from '../../util/errors.js';

export type McpServerAddress =
  | { transport: 'stdio'; command: string; args?: string[]; env?: Record<string, string>; cwd?: string }
  | { transport: 'http'; url: string; headers?: Record<string, string> };

export interface McpConnection {
  /** The server's tools as catalog tools (id = the MCP tool name). */
  tools: Tool[];
  /** Tools the server listed with a schema we could not read: reported here, not silently dropped. */
  invalid: { name: string; reason: string }[];
  executor: FunctionExecutor;
  close(): Promise<void>;
}

function describe(address: McpServerAddress): string {
  return address.transport === 'stdio' ? `stdio:${[address.command, ...(address.args ?? [])].join(' ')}` : address.url;
}

/** Most `tools/list` pages read from one server. */
export const MAX_LIST_PAGES = 100;

const SDK = '@modelcontextprotocol/sdk';

/** An optional package a feature needs is not installed; the message says how to install it. */
export class OptionalDependencyError extends errorWithCode('OPTIONAL_DEPENDENCY_MISSING') {}

/** Imports a module of the SDK, or explains how to install it. */
export async function sdkModule<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new OptionalDependencyError(`MCP needs the optional package ${SDK}, which is not installed: run \`npm install ${SDK}\``);
    }
    throw err;
  }
}

async function openTransport(address: McpServerAddress): Promise<Transport> {
  if (address.transport === 'stdio') {
    const { StdioClientTransport } = await sdkModule(() => import('@modelcontextprotocol/sdk/client/stdio.js'));
    const params: ConstructorParameters<typeof StdioClientTransport>[0] = { command: address.command, args: address.args ?? [], stderr: 'pipe' };
    if (address.env !== undefined) params.env = address.env;
    if (address.cwd !== undefined) params.cwd = address.cwd;
    return new StdioClientTransport(params);
  }
  const { StreamableHTTPClientTransport } = await sdkModule(() => import('@modelcontextprotocol/sdk/client/streamableHttp.js'));
  const url = new URL(address.url);
  return new StreamableHTTPClientTransport(url, address.headers === undefined ? {} : { requestInit: { headers: address.headers } });
}

/** Renders an MCP call result's content blocks as text the model can read. */
function contentText(content: readonly { type: string; [key: string]: unknown }[]): string {
  return content
    .map((block) => {
      if (block.type === 'text' && typeof block.text === 'string') return block.text;
      if (block.type === 'resource' && typeof block.resource === 'object' && block.resource !== null) {
        const resource = block.resource as { uri?: unknown; text?: unknown };
        return typeof resource.text === 'string' ? resource.text : `[resource ${String(resource.uri)}]`;
      }
      if (block.type === 'resource_link') return `[resource ${String(block.uri)}]`;
      return `[${block.type}${typeof block.mimeType === 'string' ? ` ${block.mimeType}` : ''}]`;
    })
    .join('\n');
}

/**
 * Connects, lists the server's tools and returns an executor for them. Throws when the server cannot be reached or
 * does not answer the handshake and listing within `connectTimeoutMs`.
 */
export async function connectMcp(address: McpServerAddress, limits: Partial<CallLimits> = {}, connectTimeoutMs = 30_000): Promise<McpConnection> {
  const { Client } = await sdkModule(() => import('@modelcontextprotocol/sdk/client/index.js'));
  const client = new Client({ name: 'toolken', version: '0.1.0' });
  const where = describe(address);
  try {
    await client.connect(await openTransport(address), { timeout: connectTimeoutMs });
  } catch (err) {
    // Stops a child process that started but never answered; the connect error is the one worth reporting.
    await client.close().catch(() => undefined);
    throw new Error(`cannot connect to MCP server ${where}: ${(err as Error).message}`);
  }
  try {
    return await listAndRegister(client, where, limits, connectTimeoutMs);
  } catch (err) {
    // Whatever went wrong after the connection opened (a broken listing, a duplicate name), the server is stopped.
    await client.close().catch(() => undefined);
    throw err;
  }
}

async function listAndRegister(client: Client, where: string, limits: Partial<CallLimits>, timeoutMs: number): Promise<McpConnection> {
  const tools: Tool[] = [];
  const invalid: { name: string; reason: string }[] = [];
  try {
    let cursor: string | undefined;
    let pages = 0;
    do {
      if (++pages > MAX_LIST_PAGES) throw new Error(`more than ${MAX_LIST_PAGES} pages of tools (is the server repeating its cursor?)`);
      const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: timeoutMs });
      for (const listed of page.tools) {
        try {
          tools.push(mcpTool(listed, where, `tools/${listed.name}`));
        } catch (err) {
          if (!(err instanceof SchemaError || err instanceof EntryError)) throw err;
          invalid.push({ name: listed.name, reason: err.message });
        }
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  } catch (err) {
    throw new Error(`cannot list the tools of MCP server ${where}: ${(err as Error).message}`);
  }

  const executor = new FunctionExecutor(limits);
  for (const tool of tools) {
    if (executor.has(tool.id)) throw new Error(`MCP server ${where} lists the tool '${tool.id}' twice`);
    executor.register(tool, async (args, signal) => {
      let result;
      try {
        // The guard enforces our timeout through `signal`; the SDK's own timeout is set just above it.
        result = await client.callTool({ name: tool.name, arguments: args }, undefined, { signal, timeout: executor.limits.timeoutMs + 1000 });
      } catch (err) {
        if (signal.aborted) throw err;
        throw new ToolCallError('failed', `${tool.id}: MCP call failed: ${(err as Error).message}`);
      }
      const blocks = Array.isArray(result.content) ? (result.content as { type: string; [key: string]: unknown }[]) : [];
      const text = contentText(blocks);
      if (result.isError === true) throw new ToolCallError('failed', `${tool.id} reported an error: ${text}`);
      const structured = result.structuredContent;
      return structured !== undefined && isJsonValue(structured) ? { content: text, value: structured as JsonValue } : { content: text };
    });
  }
  return { tools, invalid, executor, close: () => client.close() };
}
