/**
 * The gateway on the wire, through the MCP SDK: over stdio (the client starts `toolken mcp` as a child process) or
 * Streamable HTTP. The HTTP side is stateless, as the SDK recommends for a server without per-client state: each
 * POST gets a fresh protocol server bound to the one gateway, so no client can hold memory between requests.
 * Bodies are read with a size limit; on loopback the Host header must name a loopback address and the port (so a web
 * page cannot reach the gateway through DNS rebinding); GET and DELETE, which only sessions need, answer 405.
 *
 * The SDK is an optional dependency loaded on first use, as for the MCP executor (tools/executors/mcp.ts), and no
 * type of it appears in these signatures, so the package's types hold without it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sdkModule } from '../../tools/executors/mcp.js';
import { closeServer, listenOn, readBodyWithin } from '../http.js';
import type { McpGateway } from './gateway.js';
import { gatewayServer } from './protocol-server.js';

/** Largest JSON-RPC message accepted, over either transport. */
export const MAX_MESSAGE_BYTES = 4 << 20;

/** Serves the gateway on this process's stdin and stdout until the session ends; resolves then. */
export async function serveStdio(gateway: McpGateway): Promise<void> {
  const { StdioServerTransport } = await sdkModule(() => import('@modelcontextprotocol/sdk/server/stdio.js'));
  const server = await gatewayServer(gateway);
  const transport = new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize: MAX_MESSAGE_BYTES });
  transport.onerror = (err) => process.stderr.write(`mcp: ${err.message}\n`);
  await server.connect(transport);
  // The session ends when the client closes stdin, or when the transport gives up on a message past the limit.
  await new Promise<void>((resolve) => {
    server.onclose = resolve;
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
  });
  await server.close();
}

export interface HttpGateway {
  readonly address: AddressInfo;
  /** The MCP endpoint, e.g. http://127.0.0.1:8765/mcp. */
  readonly url: string;
  close(): Promise<void>;
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Serves the gateway over Streamable HTTP at `/mcp` on host:port (0: a free port). */
export async function serveHttp(gateway: McpGateway, port: number, host: string): Promise<HttpGateway> {
  const { StreamableHTTPServerTransport } = await sdkModule(() => import('@modelcontextprotocol/sdk/server/streamableHttp.js'));
  const loopback = ['127.0.0.1', '::1', 'localhost'].includes(host);
  let allowedHosts: string[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/mcp') return jsonRpcError(res, 404, -32000, `${path}: no such endpoint; the MCP endpoint is /mcp`);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return jsonRpcError(res, 405, -32000, `${req.method} /mcp: this gateway is stateless and answers POST only`);
    }
    const raw = await readBodyWithin(req, MAX_MESSAGE_BYTES);
    if (raw === undefined) {
      res.on('finish', () => req.destroy());
      return jsonRpcError(res, 413, -32600, `body over the limit of ${MAX_MESSAGE_BYTES} bytes`);
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      return jsonRpcError(res, 400, -32700, `parse error: ${(err as Error).message}`);
    }
    const server = await gatewayServer(gateway);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, enableDnsRebindingProtection: loopback, allowedHosts });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      process.stderr.write(`mcp: ${(err as Error).stack ?? String(err)}\n`);
      jsonRpcError(res, 500, -32603, 'internal error; the gateway log has the details');
    });
  });
  const address = await listenOn(http, port, host);
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  allowedHosts = [`${shown}:${address.port}`, `localhost:${address.port}`, `127.0.0.1:${address.port}`, `[::1]:${address.port}`];
  return {
    address,
    url: `http://${shown}:${address.port}/mcp`,
    close: () => closeServer(http),
  };
}
