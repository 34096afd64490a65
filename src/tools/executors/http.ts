/**
 * HTTP tools described by OpenAPI operations or ToolBench APIs: each call becomes one request built from the tool's
 * endpoint. Path parameters fill `{name}` segments of the URL template; each other parameter goes where the endpoint
 * says, or by default to the query string (GET, DELETE, HEAD, OPTIONS) or the JSON body (POST, PUT, PATCH). The
 * response body is read only up to the size limit, so a huge answer cannot exhaust memory.
 *
 * The arguments come from a model and the endpoint from a catalog, so every request follows a policy: `.` and `..`
 * are refused as path values (they would rewrite the path), arguments the schema does not declare are dropped (or
 * refused), loopback / link-local / private hosts are refused unless allowed (network-policy.ts), and redirects are
 * followed by hand, each target checked again, with the endpoint's headers and the executor's headers (API keys)
 * sent only to the tool's own origin.
 */
import type { HttpEndpoint, JsonValue, Tool } from '../types.js';
import { setEntry } from '../schema.js';
import { checkPublicUrl } from './network-policy.js';
import { FunctionExecutor, ToolCallError, type CallLimits } from './registry.js';

export interface HttpExecutorOptions {
  limits?: Partial<CallLimits>;
  /** Headers added to every request to the tool's own origin (e.g. an API key), after the endpoint's own headers. */
  headers?: Record<string, string>;
  /** Arguments the tool's schema does not declare: `drop` (default) leaves them out of the request, `reject` fails the call. */
  undeclaredArguments?: 'drop' | 'reject';
  /** Allows loopback, link-local and private hosts for every tool (a catalog endpoint can allow them for itself). */
  allowPrivateNetwork?: boolean;
  /** Redirects followed per call (default 5). */
  maxRedirects?: number;
  /** Name lookup used by the address check; replaceable in tests. */
  resolveHost?: (host: string) => Promise<readonly string[]>;
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

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Builds the request for one call; throws ToolCallError when a path parameter is missing or is a dot segment, or
 * (with `undeclared: 'reject'`) when an argument is not in the schema.
 */
export function planHttpRequest(
  tool: Tool,
  endpoint: HttpEndpoint,
  args: { [key: string]: JsonValue },
  extraHeaders: Record<string, string> = {},
  undeclared: 'drop' | 'reject' = 'drop',
): HttpRequestPlan {
  const locations = endpoint.parameterLocations ?? {};
  const inTemplate = new Set([...endpoint.url.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!));
  const headers: Record<string, string> = { ...endpoint.headers };
  const query = new URLSearchParams();
  const body: { [key: string]: JsonValue } = {};
  let url = endpoint.url;
  const declared = (name: string): boolean => Object.prototype.hasOwnProperty.call(tool.parameters.properties, name) || inTemplate.has(name);

  for (const name of inTemplate) {
    const value = args[name];
    if (value === undefined) throw new ToolCallError('invalid-arguments', `${tool.id}: path parameter '${name}' is required`);
    const text = asText(value);
    // encodeURIComponent leaves '.' alone, and URL parsing then resolves `.` and `..` segments.
    if (text === '.' || text === '..') throw new ToolCallError('invalid-arguments', `${tool.id}: path parameter '${name}' cannot be '${text}'`);
    url = url.split(`{${name}}`).join(encodeURIComponent(text));
  }
  for (const [name, value] of Object.entries(args)) {
    if (inTemplate.has(name)) continue;
    if (!declared(name)) {
      if (undeclared === 'reject') throw new ToolCallError('invalid-arguments', `${tool.id}: argument '${name}' is not a parameter of this tool`);
      continue;
    }
    const location = locations[name] ?? (BODY_METHODS.has(endpoint.method) ? 'body' : 'query');
    if (location === 'header') headers[name] = asText(value);
    else if (location === 'body') setEntry(body, name, value);
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

interface SendPolicy {
  allowPrivate: boolean;
  maxRedirects: number;
  resolveHost: HttpExecutorOptions['resolveHost'];
}

/** Sends a planned request, following redirects by hand so that each target passes the address check. */
async function send(tool: Tool, plan: HttpRequestPlan, signal: AbortSignal, policy: SendPolicy): Promise<Response> {
  let url = parseUrl(tool, plan.url);
  const origin = url.origin;
  let init: { method: string; headers: Record<string, string>; body?: string } = { method: plan.method, headers: plan.headers, body: plan.body };
  for (let redirects = 0; ; redirects++) {
    if (!policy.allowPrivate) {
      try {
        await checkPublicUrl(url, policy.resolveHost);
      } catch (err) {
        if (signal.aborted) throw err;
        throw new ToolCallError('failed', `${tool.id}: ${(err as Error).message}`);
      }
    }
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal, redirect: 'manual' });
    } catch (err) {
      if (signal.aborted) throw err;
      // fetch reports "fetch failed"; the reason (refused, reset, DNS) is in its cause.
      const cause = (err as { cause?: { message?: string } }).cause;
      throw new ToolCallError('failed', `${tool.id}: request to ${url.href} failed: ${cause?.message ?? (err as Error).message}`);
    }
    const location = response.headers.get('location');
    if (!REDIRECTS.has(response.status) || location === null) return response;
    await response.body?.cancel();
    if (redirects >= policy.maxRedirects) throw new ToolCallError('failed', `${tool.id}: more than ${policy.maxRedirects} redirects from ${plan.url}`);
    url = parseUrl(tool, location, url);
    // 303, and 301/302 after a POST, turn the request into a GET without a body, as browsers and fetch do.
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && init.method === 'POST')) init = { method: 'GET', headers: init.headers };
    // Headers may carry credentials (the endpoint's, the executor's API key, header arguments): never to another origin.
    if (url.origin !== origin) init = { ...init, headers: {} };
  }
}

function parseUrl(tool: Tool, text: string, base?: URL): URL {
  try {
    return new URL(text, base);
  } catch {
    throw new ToolCallError('failed', `${tool.id}: '${text}' is not a valid URL`);
  }
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
    const allowPrivate = options.allowPrivateNetwork === true || endpoint.allowPrivateNetwork === true;
    executor.register(tool, async (args, signal) => {
      const plan = planHttpRequest(tool, endpoint, args, options.headers, options.undeclaredArguments);
      const response = await send(tool, plan, signal, { allowPrivate, maxRedirects: options.maxRedirects ?? 5, resolveHost: options.resolveHost });
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
