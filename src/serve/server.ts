/**
 * The OpenAI-compatible HTTP server (node:http): `POST /v1/chat/completions` (streaming and not), `GET /v1/models`,
 * `GET /health`, and the dashboard at `/` (dashboard/dashboard.ts). Bodies are read with a size limit and parsed at
 * the edge (request.ts); every failure is the API's error object with a status, never a stack trace, and no request
 * can stop the server serving the next one.
 *
 * Where the API leaves room: `content` is null on a turn that only calls tools (as the API returns it); text the
 * model writes before a call under tool_choice auto is kept as content (llama.cpp's server does the same for Hermes
 * models; vLLM too). Unknown models answer 404 `model_not_found` as the API does. A `response_format` JSON schema
 * constrains the whole reply, so under tool_choice auto such a turn makes no tool call (the API lets the model
 * choose); `n` must be 1; `stream_options.include_usage` adds the usage chunk before `[DONE]`.
 *
 * A ToolGen model served with a catalog (served-catalog.ts) answers requests that list no tools from the catalog
 * (catalog-decoder.ts): tool_choice defaults to auto, and `required` or a catalog tool's name may be asked for.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { CatalogDecoder } from './catalog-decoder.js';
import { ChatDecoder, type DecodeEvents, type FinishReason, type TurnDecoder } from './chat-decoder.js';
import { ApiError } from './api-error.js';
import { parseChatRequest, DEFAULT_REQUEST_LIMITS, type ChatRequest, type RequestLimits } from './request.js';
import { renderPrompt } from './prompt.js';
import { QueueFullError, Scheduler } from './scheduler.js';
import { ServeSetupError, type ServedModel } from './served-model.js';
import { inProcessRunner, type ModelRunner } from './model-runner.js';
import { closeServer, listenOn, readBody } from './http.js';
import { ServerStats } from './stats.js';
import { createDashboard } from './dashboard/dashboard.js';
import type { PlaygroundEngine } from './dashboard/playground.js';
import { ApiKey } from './auth.js';

export interface ServerOptions {
  readonly apiKey?: string;
  readonly maxBodyBytes?: number;
  readonly limits?: RequestLimits;
  /** Sequences decoded together. */
  readonly slots?: number;
  /** Requests waiting for a slot before new ones get 429. */
  readonly maxQueue?: number;
  /** Wall-clock budget of one request, queueing included. */
  readonly requestTimeoutMs?: number;
  /** max_tokens when the request sets none (and the most it may set). */
  readonly maxTokens?: number;
  /** Run directories (or folders of them) the dashboard at `/` shows beside the server's own numbers. */
  readonly runs?: readonly string[];
  /** The dashboard's playground (a ToolGen agent on the request typed in the page), e.g. startPlaygroundWorker's. */
  readonly playground?: PlaygroundEngine;
  /**
   * Runs the model's forward passes, with `slots` slots of the model's context length; closed with the server.
   * Default: the served model's own object on this thread (`toolken serve` starts a worker, worker-runner.ts).
   */
  readonly runner?: ModelRunner;
}

export interface ToolkenServer {
  readonly server: Server;
  readonly scheduler: Scheduler;
  /** Starts listening; resolves with the bound address. */
  listen(port: number, host: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

interface ToolCallOut {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

const unixTime = (): number => Math.floor(Date.now() / 1000);

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.status, err.body());
}

export function createToolkenServer(model: ServedModel, options: ServerOptions = {}): ToolkenServer {
  const maxBodyBytes = options.maxBodyBytes ?? 4 << 20;
  const limits = options.limits ?? DEFAULT_REQUEST_LIMITS;
  const timeoutMs = options.requestTimeoutMs ?? 120_000;
  const maxTokensCap = options.maxTokens ?? 1024;
  const slots = options.slots ?? 8;
  const runner = options.runner ?? inProcessRunner(inProcessModel(model), slots, model.contextLength);
  const scheduler = new Scheduler(runner, { slots, maxQueue: options.maxQueue ?? 64 });
  const created = unixTime();
  const stats = new ServerStats(model, slots);
  const apiKey = options.apiKey === undefined ? undefined : new ApiKey(options.apiKey);
  const dashboard = createDashboard({
    runs: options.runs ?? [],
    server: () => stats.snapshot(scheduler),
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(options.playground === undefined ? {} : { playground: options.playground }),
  });
  const catalogNames = model.catalog === undefined ? undefined : new Set(model.catalog.byApiName.keys());

  const authorized = (req: IncomingMessage): boolean => apiKey === undefined || apiKey.bearer(req);

  async function chatCompletions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req, maxBodyBytes);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new ApiError(400, 'invalid_request_error', `body: malformed JSON (${(err as Error).message})`, 'body', 'invalid_json');
    }
    const request = parseChatRequest(body, limits, catalogNames);
    if (request.model !== model.name) {
      throw new ApiError(404, 'invalid_request_error', `model: '${request.model}' is not served here; GET /v1/models lists '${model.name}'`, 'model', 'model_not_found');
    }
    let prompt: number[];
    try {
      prompt = renderPrompt(model.tokenizer, request.messages, request.tools.map((t) => t.spec));
    } catch (err) {
      throw ApiError.invalid('messages', (err as Error).message);
    }
    const room = model.contextLength - prompt.length;
    if (request.maxTokens !== undefined && request.maxTokens > maxTokensCap) {
      throw ApiError.invalid('max_tokens', `at most ${maxTokensCap} tokens are served per request, got ${request.maxTokens}`);
    }
    if (room < 1 || (request.maxTokens !== undefined && request.maxTokens > room)) {
      throw ApiError.invalid(
        'messages',
        `the prompt takes ${prompt.length} tokens and the completion ${request.maxTokens ?? 1}, over the context length of ${model.contextLength}`,
        'context_length_exceeded',
      );
    }
    const maxTokens = request.maxTokens ?? Math.min(room, maxTokensCap);
    await serveCompletion(res, request, prompt, maxTokens);
  }

  function serveCompletion(res: ServerResponse, request: ChatRequest, prompt: number[], maxTokens: number): Promise<void> {
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const head = { id, created: unixTime(), model: model.name };
    let content = '';
    const calls: ToolCallOut[] = [];
    const chunk = (delta: object, finish: FinishReason | null = null): void => {
      res.write(`data: ${JSON.stringify({ ...head, object: 'chat.completion.chunk', system_fingerprint: null, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`);
    };
    const events: DecodeEvents = request.stream
      ? {
          content: (text) => chunk({ content: text }),
          toolCallStart: (index, callId, name) => {
            calls.push({ id: callId, type: 'function', function: { name, arguments: '' } });
            chunk({ tool_calls: [{ index, id: callId, type: 'function', function: { name, arguments: '' } }] });
          },
          toolCallArguments: (index, fragment) => chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }),
        }
      : {
          content: (text) => (content += text),
          toolCallStart: (_index, callId, name) => calls.push({ id: callId, type: 'function', function: { name, arguments: '' } }),
          toolCallArguments: (index, fragment) => (calls[index]!.function.arguments += fragment),
        };
    const fromCatalog = model.catalog !== undefined && request.tools.length === 0 && request.toolChoice.kind !== 'none' && request.responseFormat.kind === 'text';
    const decoder: TurnDecoder = fromCatalog ? new CatalogDecoder(model, model.catalog!, request, prompt, maxTokens, events) : new ChatDecoder(model, request, prompt, maxTokens, events);
    const minimum = decoder.minimumTokens();
    if (maxTokens < minimum) {
      return Promise.reject(ApiError.invalid('max_tokens', `${maxTokens} tokens cannot hold the shortest valid ${request.responseFormat.kind === 'json_schema' ? 'JSON response' : 'tool call'}; it needs ${minimum}`));
    }
    return new Promise((resolve) => {
      const usage = (): object => ({ prompt_tokens: prompt.length, completion_tokens: decoder.used, total_tokens: prompt.length + decoder.used });
      let finished = false;
      const job = {
        decoder,
        deadline: Date.now() + timeoutMs,
        onDone: () => {
          finished = true;
          stats.completed(decoder.used);
          const finish = decoder.finish ?? 'stop';
          if (request.stream) {
            chunk({}, finish);
            if (request.includeUsage) res.write(`data: ${JSON.stringify({ ...head, object: 'chat.completion.chunk', choices: [], usage: usage() })}\n\n`);
            res.end('data: [DONE]\n\n');
          } else {
            const message = { role: 'assistant', content: calls.length > 0 && content === '' ? null : content, refusal: null, ...(calls.length > 0 ? { tool_calls: calls } : {}) };
            sendJson(res, 200, { ...head, object: 'chat.completion', system_fingerprint: null, choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage: usage() });
          }
          resolve();
        },
        onError: (err: unknown) => {
          finished = true;
          stats.failed();
          process.stderr.write(`serve: decoding failed: ${(err as Error).stack ?? String(err)}\n`);
          if (request.stream) res.end(`data: ${JSON.stringify(new ApiError(500, 'server_error', 'decoding failed').body())}\n\n`);
          else sendError(res, new ApiError(500, 'server_error', 'decoding failed; the server log has the details'));
          resolve();
        },
      };
      try {
        scheduler.submit(job);
      } catch (err) {
        if (err instanceof QueueFullError) {
          stats.failed();
          sendError(res, new ApiError(429, 'rate_limit_error', `server busy: ${err.message}; retry later`, null, 'queue_full'));
          resolve();
          return;
        }
        throw err;
      }
      res.on('close', () => {
        if (!finished) {
          scheduler.cancel(job);
          resolve();
        }
      });
      if (request.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        chunk({ role: 'assistant', content: '' });
      }
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (dashboard.handle(req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health' && req.method === 'GET') {
      sendJson(res, 200, { status: 'ok', model: model.name, active: scheduler.active, queued: scheduler.queued });
      return;
    }
    if (!authorized(req)) throw new ApiError(401, 'authentication_error', 'Authorization: expected "Bearer <api key>" with the key the server was started with', null, 'invalid_api_key');
    if (path === '/v1/models' && req.method === 'GET') {
      sendJson(res, 200, { object: 'list', data: [{ id: model.name, object: 'model', created, owned_by: 'toolken' }] });
      return;
    }
    if (path === '/v1/chat/completions' && req.method === 'POST') return chatCompletions(req, res);
    throw new ApiError(404, 'not_found_error', `${req.method} ${path}: no such endpoint (POST /v1/chat/completions, GET /v1/models, GET /health)`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      stats.failed();
      if (err instanceof ApiError) sendError(res, err);
      else {
        process.stderr.write(`serve: ${(err as Error).stack ?? String(err)}\n`);
        sendError(res, new ApiError(500, 'server_error', 'internal error; the server log has the details'));
      }
      if (err instanceof ApiError && err.status === 413) res.on('finish', () => req.destroy());
    });
  });

  return {
    server,
    scheduler,
    listen: (port, host) => listenOn(server, port, host),
    close: async () => {
      await closeServer(server);
      await runner.close();
    },
  };
}

function inProcessModel(model: ServedModel): NonNullable<ServedModel['source']['model']> {
  const own = model.source.model;
  if (own === undefined) throw new ServeSetupError(`${model.name}: served without its model object, so the server needs a runner (startModelWorker)`);
  return own;
}
