/** Serving: the OpenAI-compatible chat-completions server with constrained tool calls. */
export { createToolkenServer, type ServerOptions, type ToolkenServer } from './server.js';
export { serveModel, ServeSetupError, type ServableModel, type ServedModel } from './served-model.js';
export { inProcessRunner, type ModelRunner } from './model-runner.js';
export { ModelWorkerError, startModelWorker } from './worker-runner.js';
export type { WorkerSetup } from './worker-protocol.js';
export { parseChatRequest, DEFAULT_REQUEST_LIMITS, type ChatRequest, type RequestLimits, type ToolChoice } from './request.js';
export { ApiError } from './api-error.js';
export { HERMES_TOOL_TEMPLATE } from './prompt.js';
export { createDashboard, createDashboardServer, type Dashboard, type DashboardOptions, type DashboardServer } from './dashboard/dashboard.js';
export { Playground, PlaygroundBusyError, PlaygroundInputError, type PlaygroundAnswer, type PlaygroundEngine, type PlaygroundSetup } from './dashboard/playground.js';
export { hostPlayground, startPlaygroundWorker, PlaygroundWorkerError, type HostedPlayground, type PlaygroundWorker } from './dashboard/playground-worker.js';
export type { ServerStatsSnapshot } from './stats.js';
export { apiNames, serveCatalog, type CatalogEntry, type ServedCatalog } from './served-catalog.js';
export { McpGateway, DEFAULT_GATEWAY_LIMITS, type GatewayLimits, type GatewayResult, type GatewayTool } from './mcp/gateway.js';
export { openGateway, type GatewayOptions, type OpenGateway } from './mcp/open-gateway.js';
export { ToolFinder, type FoundTool } from './mcp/tool-finder.js';
export { serveHttp as serveGatewayHttp, serveStdio as serveGatewayStdio, type HttpGateway } from './mcp/transport.js';
export { loadUpstreamConfig, parseUpstreamConfig, type UpstreamServer } from './mcp/upstream.js';
