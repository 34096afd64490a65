/**
 * The gateway as an MCP protocol server (the SDK's `Server`): tools/list and tools/call answered by the gateway.
 * Kept apart from transport.ts, whose signatures the public API re-exports, because this one names an SDK type and
 * the SDK is an optional dependency.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { sdkModule } from '../../tools/executors/mcp.js';
import type { McpGateway } from './gateway.js';

export const GATEWAY_INFO = { name: 'toolken-mcp-gateway', version: '0.1.0' };

/** A protocol server answering tools/list and tools/call from the gateway. */
export async function gatewayServer(gateway: McpGateway): Promise<Server> {
  const [{ Server }, { CallToolRequestSchema, ListToolsRequestSchema }] = await Promise.all([
    sdkModule(() => import('@modelcontextprotocol/sdk/server/index.js')),
    sdkModule(() => import('@modelcontextprotocol/sdk/types.js')),
  ]);
  const server = new Server(GATEWAY_INFO, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: gateway.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })) }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => ({ ...(await gateway.call(request.params.name, request.params.arguments, extra.signal)) }));
  return server;
}

