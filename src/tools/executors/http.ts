/**
 * HTTP tools described by OpenAPI operations or ToolBench APIs: each call becomes one request built from the tool's
 * endpoint. Path parameters fill `{name}` segments of the URL template; each other parameter goes where the endpoint
 * says, or by default to the query string (GET, DELETE, HEAD, OPTIONS) or the JSON body (POST, PUT, PATCH). The
 * response body is read only up to the size limit, so a huge answer cannot exhaust memory.
 */
import type { HttpEndpoint, JsonValue, Tool } from '../types.js';
import { FunctionExecutor, ToolCallError, type CallLimits } from './registry.js';

export interface HttpExecutorOptions {
  limits?: Partial<CallLimits>;
  /** Headers added to every request (e.g. an API key), after the endpoint's own headers. */
  headers?: Record<string, string>;
}

/** The request a call turns into; exposed so callers can log or test it without a server. */
export interface HttpRequestPlan {
  method: HttpEndpoint['method'];
  url: string;
  headers: Record<string, string>;
  body?: string;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

const asText = (value: JsonValue): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** Builds the request for one call; throws ToolCallError when a path parameter is missing. */
export function planHttpRequest(tool: Tool, endpoint: HttpEndpoint, args: { [key: string]: JsonValue }, extraHeaders: Record<string, string> = {}): HttpRequestPlan {
  const locations = endpoint.parameterLocations ?? {};
  const inTemplate = new Set([...endpoint.url.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!));
  const headers: Record<string, string> = { ...endpoint.headers };
  const query = new URLSearchParams();
  const body: { [key: string]: JsonValue } = {};
  let url = endpoint.url;

  for (const name of inTemplate) {
    const value = args[name];
    if (value === undefined) throw new ToolCallError('invalid-arguments', `${tool.id}: path parameter '${name}' is required`);
    url = url.split(`{${name}}`).join(encodeURIComponent(asText(value)));
  }
  for (const [name, value] of Object.entries(args)) {
    if (inTemplate.has(name)) continue;
    const location = locations[name] ?? (BODY_METHODS.has(endpoint.method) ? 'body' : 'query');
    if (location === 'header') headers[name] = asText(value);
    else if (location === 'body') body[name] = value;
    else if (location === 'query') {
      if (Array.isArray(value)) for (const item of value) query.append(name, asText(item));
      else query.append(name, asText(value));
    }
  }
  const search = query.toString();
  if (search !== '') url += (url.includes('?') ? '&' : '?') + search;
  Object.assign(headers, extraHeaders);
  const plan: HttpRequestPlan = { method: endpoint.method, url, headers };
  if (Object.keys(body).length > 0) {
    plan.body = JSON.stringify(body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  return plan;
}

/** Reads a response body, stopping with a `too-large` error as soon as it passes `maxChars` characters. */
async function readLimited(tool: Tool, response: Response, maxChars: number): Promise<string> {
  if (response.body === null) return '';
  const decoder = new TextDecoder();
  let text = '';
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (text.length > maxChars) {
      await reader.cancel();
      throw new ToolCallError('too-large', `${tool.id}: response is larger than the limit of ${maxChars} characters`);
    }
  }
  return text + decoder.decode();
}

/** Registers every tool that has an endpoint; tools without one are listed in `skipped`. */
export function createHttpExecutor(tools: readonly Tool[], options: HttpExecutorOptions = {}): { executor: FunctionExecutor; skipped: string[] } {
  const executor = new FunctionExecutor(options.limits);
  const skipped: string[] = [];
  for (const tool of tools) {
    const endpoint = tool.endpoint;
    if (endpoint === undefined) {
      skipped.push(tool.id);
      continue;
    }
    executor.register(tool, async (args, signal) => {
      const plan = planHttpRequest(tool, endpoint, args, options.headers);
      let response: Response;
      try {
        response = await fetch(plan.url, { method: plan.method, headers: plan.headers, body: plan.body, signal, redirect: 'follow' });
      } catch (err) {
        if (signal.aborted) throw err;
        // fetch reports "fetch failed"; the reason (refused, reset, DNS) is in its cause.
        const cause = (err as { cause?: { message?: string } }).cause;
        throw new ToolCallError('failed', `${tool.id}: request to ${plan.url} failed: ${cause?.message ?? (err as Error).message}`);
      }
      const text = await readLimited(tool, response, executor.limits.maxResponseChars);
      if (!response.ok) {
        const excerpt = text.length > 500 ? text.slice(0, 500) + '...' : text;
        throw new ToolCallError('failed', `${tool.id}: HTTP ${response.status} ${response.statusText}${excerpt ? `: ${excerpt}` : ''}`);
      }
      const type = response.headers.get('content-type') ?? '';
      if (type.includes('json') && text.trim() !== '') {
        try {
          return { content: text, value: JSON.parse(text) as JsonValue };
        } catch {
          // A server that mislabels its body still answered; the text is the observation.
        }
      }
      return { content: text };
    });
  }
  return { executor, skipped };
}
