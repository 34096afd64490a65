/**
 * The dashboard over HTTP: the page at `/`, its script, a JSON API the page polls, and the files of the runs shown
 * (their reports). `toolken dashboard` serves it alone; `toolken serve` mounts it beside the API, with the
 * server's own numbers added.
 *
 *   GET /                            the page
 *   GET /dashboard/app.js            its script
 *   GET /dashboard/api/runs          the runs found (id, name, status, version) and what is wrong with the folders
 *   GET /dashboard/api/runs/ID       one run's panel (HTML drawn here) and its version
 *   GET /dashboard/api/compare?runs=ID,ID,...   runs on shared axes and their configuration differences
 *   GET /dashboard/api/server        the serving side's panel (mounted in toolken serve only)
 *   GET /dashboard/files/ID/PATH     a file of run ID (a report), never one outside its folder
 *   POST /dashboard/api/playground   {"request", "k"}: what a ToolGen model does with it (when given one)
 *
 * A run is named by its id, never by a path, and a file path is checked segment by segment and again after
 * symbolic links are resolved, so no request reaches a file outside the run folders given. Requests whose Host is
 * not this machine's loopback name or the address they arrived on are refused, so a web page elsewhere cannot read
 * the dashboard through DNS rebinding. The playground's POST must be JSON from the page's own origin, which a form
 * on another site cannot send. Nothing here writes a file.
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, sep } from 'node:path';
import { ApiError } from '../api-error.js';
import type { ApiKey } from '../auth.js';
import { closeServer, listenOn, readBody } from '../http.js';
import type { ServerStatsSnapshot } from '../stats.js';
import type { MetricsLimits } from './metrics-follower.js';
import { DASHBOARD_HTML, DASHBOARD_SCRIPT, PAGE_CSP } from './page.js';
import { PlaygroundBusyError, PlaygroundInputError, type PlaygroundEngine } from './playground.js';
import { comparePanel, playgroundPanel, runPanel, serverPanel } from './render.js';
import { RunCatalog, type RunState } from './run-catalog.js';

export interface DashboardOptions {
  /** Run directories, or folders holding them (searched two levels down). */
  readonly runs: readonly string[];
  /** The serving side's numbers, when the dashboard is mounted in toolken serve. */
  readonly server?: () => ServerStatsSnapshot;
  readonly limits?: MetricsLimits;
  /** A ToolGen model's playground (top-k tools, the agent's steps) for requests typed in the page. */
  readonly playground?: PlaygroundEngine;
  /** When set, the page and its API need the key: opened once as `/?key=KEY`, then by cookie (see auth.ts). */
  readonly apiKey?: ApiKey;
}

export interface Dashboard {
  /** Answers the request when it is the dashboard's (`/` and `/dashboard/...`); false leaves it to the caller. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

/** Run files served at most this large (reports are kilobytes; a checkpoint is not a report). */
const MAX_FILE_BYTES = 64 << 20;
const MAX_COMPARED = 8;
const MAX_PLAYGROUND_BODY = 16 << 10;
/** A playground request that takes longer stops before its next agent turn. */
const PLAYGROUND_TIMEOUT_MS = 60_000;
/** Files of a run are shown as documents that can run no script and fetch nothing, whoever wrote them. */
const FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/** The host name of a Host header (`[::1]:8080` -> `::1`). */
function hostName(header: string): string {
  const bracketed = /^\[([^\]]*)\]/.exec(header);
  if (bracketed !== null) return bracketed[1]!.toLowerCase();
  return header.replace(/:\d*$/, '').toLowerCase();
}

/** True when the Host header names loopback or the address the request came in on (not a name an attacker owns). */
function trustedHost(req: IncomingMessage): boolean {
  const header = req.headers.host;
  if (header === undefined) return false;
  const name = hostName(header);
  const local = (req.socket.localAddress ?? '').replace(/^::ffff:/, '').toLowerCase();
  return LOOPBACK_NAMES.has(name) || name === local;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const sendJson = (res: ServerResponse, status: number, body: unknown): void => send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));

const sendError = (res: ServerResponse, err: ApiError): void => sendJson(res, err.status, err.body());

const notFound = (what: string): ApiError => new ApiError(404, 'not_found_error', what);

/** An error as the page reads it: the API's error object, never a stack trace. */
function fail(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof ApiError) sendError(res, err);
  else {
    process.stderr.write(`dashboard: ${(err as Error).stack ?? String(err)}\n`);
    sendError(res, new ApiError(500, 'server_error', 'internal error; the dashboard log has the details'));
  }
}

const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;

export function createDashboard(options: DashboardOptions): Dashboard {
  const catalog = new RunCatalog(options.runs, options.limits);

  /** A run by id, searching the folders again for one not seen yet. */
  const runById = (text: string): RunState => {
    const id = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
    const run = Number.isInteger(id) ? (catalog.run(id) ?? (catalog.list(), catalog.run(id))) : undefined;
    if (run === undefined) throw notFound(`run ${JSON.stringify(text)}: no such run; GET /dashboard/api/runs lists them`);
    return run;
  };

  const drawn = (what: string, draw: () => string): string => {
    try {
      return draw();
    } catch (err) {
      throw new ApiError(500, 'server_error', `${what} could not be drawn: ${(err as Error).message}`);
    }
  };

  function serveFile(res: ServerResponse, run: RunState, segments: readonly string[]): void {
    const missing = (): ApiError => notFound(`${segments.join('/')}: not a file of run ${run.summary.id}`);
    let parts: string[];
    try {
      parts = segments.map((s) => decodeURIComponent(s));
    } catch {
      throw new ApiError(400, 'invalid_request_error', 'file path: malformed percent-encoding');
    }
    if (parts.length === 0 || parts.some((p) => p === '' || p === '.' || p === '..' || /[/\\\0]/.test(p))) throw missing();
    let real: string;
    let root: string;
    try {
      real = realpathSync(join(run.summary.path, ...parts));
      root = realpathSync(run.summary.path);
    } catch {
      throw missing();
    }
    // A symbolic link inside the run may point anywhere: the file must still be inside the run once links are resolved.
    if (!real.startsWith(root + sep)) throw missing();
    const stat = statSync(real);
    if (!stat.isFile()) throw missing();
    if (stat.size > MAX_FILE_BYTES) throw new ApiError(413, 'invalid_request_error', `${parts.join('/')}: ${stat.size} bytes, over the ${MAX_FILE_BYTES}-byte limit for a file shown by the dashboard`);
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(real).toLowerCase()] ?? 'text/plain; charset=utf-8',
      'content-length': stat.size,
      'content-security-policy': FILE_CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    if (res.req.method === 'HEAD') res.end();
    else createReadStream(real).on('error', () => res.destroy()).pipe(res);
  }

  async function playground(req: IncomingMessage, res: ServerResponse, engine: PlaygroundEngine): Promise<void> {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) {
      throw new ApiError(403, 'invalid_request_error', `Origin ${JSON.stringify(origin)}: the playground answers only the dashboard's own page`, null, 'origin_not_allowed');
    }
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new ApiError(415, 'invalid_request_error', 'body: send JSON (content-type: application/json)', 'body');
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, MAX_PLAYGROUND_BODY)).toString('utf8'));
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError(400, 'invalid_request_error', `body: malformed JSON (${(err as Error).message})`, 'body', 'invalid_json');
    }
    const request = field(body, 'request');
    const k = field(body, 'k') ?? 5;
    if (typeof request !== 'string') throw ApiError.invalid('request', 'must be a string: the request to answer');
    if (typeof k !== 'number') throw ApiError.invalid('k', 'must be a number of tools to show');
    try {
      const answer = await engine.answer(request, k, AbortSignal.timeout(PLAYGROUND_TIMEOUT_MS));
      sendJson(res, 200, { html: drawn('the playground answer', () => playgroundPanel(answer)), answer });
    } catch (err) {
      if (err instanceof PlaygroundInputError) throw new ApiError(400, 'invalid_request_error', err.message);
      if (err instanceof PlaygroundBusyError) throw new ApiError(429, 'rate_limit_error', err.message, null, 'busy');
      if (err instanceof DOMException && err.name === 'TimeoutError') throw new ApiError(504, 'server_error', `the request took over ${PLAYGROUND_TIMEOUT_MS / 1000} s and was stopped`);
      throw err;
    }
  }

  function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): void | Promise<void> {
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML, { 'content-security-policy': PAGE_CSP });
    if (path === '/dashboard/app.js') return send(res, 200, 'text/javascript; charset=utf-8', DASHBOARD_SCRIPT);
    if (path === '/dashboard/api/runs') return sendJson(res, 200, { ...catalog.list(), server: options.server !== undefined, playground: options.playground !== undefined });
    if (path === '/dashboard/api/playground') {
      if (options.playground === undefined) throw notFound('/dashboard/api/playground: no model was given (toolken dashboard --model M gives the playground one)');
      if (req.method !== 'POST') throw new ApiError(405, 'invalid_request_error', `${req.method} ${path}: send the request with POST`);
      return playground(req, res, options.playground);
    }
    if (path === '/dashboard/api/server') {
      if (options.server === undefined) throw notFound('/dashboard/api/server: this dashboard runs without a server (toolken serve mounts one with its numbers)');
      const stats = options.server();
      return sendJson(res, 200, { html: drawn('the server panel', () => serverPanel(stats)), stats });
    }
    if (path === '/dashboard/api/compare') {
      const ids = (query.get('runs') ?? '').split(',').filter((s) => s !== '');
      if (ids.length < 2 || ids.length > MAX_COMPARED) throw new ApiError(400, 'invalid_request_error', `runs: give 2 to ${MAX_COMPARED} run ids separated by commas, got ${ids.length}`, 'runs');
      const runs = ids.map(runById);
      return sendJson(res, 200, { html: drawn('the comparison', () => comparePanel(runs)), version: runs.map((r) => r.summary.version).join(',') });
    }
    const segments = path.split('/').slice(1);
    if (segments[0] === 'dashboard' && segments[1] === 'api' && segments[2] === 'runs' && segments.length === 4) {
      const run = runById(segments[3]!);
      return sendJson(res, 200, { html: drawn(`run ${run.summary.id}`, () => runPanel(run)), version: run.summary.version });
    }
    if (segments[0] === 'dashboard' && segments[1] === 'files' && segments.length >= 4) return serveFile(res, runById(segments[2]!), segments.slice(3));
    throw notFound(`${req.method} ${path}: no such page of the dashboard`);
  }

  return {
    handle(req, res) {
      const url = req.url ?? '/';
      const at = url.indexOf('?');
      const path = at === -1 ? url : url.slice(0, at);
      if (path !== '/' && path !== '/index.html' && !path.startsWith('/dashboard/')) return false;
      try {
        if (!trustedHost(req)) throw new ApiError(403, 'invalid_request_error', `Host ${JSON.stringify(req.headers.host ?? '')}: the dashboard answers only requests addressed to this machine (localhost or its address)`, null, 'host_not_allowed');
        const query = new URLSearchParams(at === -1 ? '' : url.slice(at + 1));
        if (options.apiKey !== undefined && !admitted(req, res, path, query, options.apiKey)) return true;
        const writes = path === '/dashboard/api/playground' && req.method === 'POST';
        if (req.method !== 'GET' && req.method !== 'HEAD' && !writes) throw new ApiError(405, 'invalid_request_error', `${req.method} ${path}: the dashboard only reads (GET)`);
        const done = route(req, res, path, query);
        if (done !== undefined) done.catch((err: unknown) => fail(res, err));
      } catch (err) {
        fail(res, err);
      }
      return true;
    },
  };
}

const PAGE_PATHS = new Set(['/', '/index.html']);

/**
 * Whether a request may see a dashboard behind an API key. Opening the page as `/?key=KEY` with the right key sets
 * the cookie and redirects to the page without the key in its address; anything else without the cookie (or the
 * bearer token) gets 401 saying how to get in. False means the response has been sent.
 */
function admitted(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, key: ApiKey): boolean {
  const given = query.get('key');
  if (PAGE_PATHS.has(path) && given !== null) {
    if (!key.matches(given)) {
      send(res, 401, 'text/plain; charset=utf-8', 'key: not the API key this server was started with (--api-key); open /?key=<that key>\n');
      return false;
    }
    res.writeHead(303, { location: '/', 'set-cookie': key.setCookie(), 'cache-control': 'no-store', 'content-length': 0 });
    res.end();
    return false;
  }
  if (key.dashboard(req)) return true;
  const how = 'this dashboard needs the API key the server was started with (--api-key): open /?key=<that key> once in this browser';
  if (PAGE_PATHS.has(path)) send(res, 401, 'text/plain; charset=utf-8', `${how}\n`);
  else sendError(res, new ApiError(401, 'authentication_error', how, null, 'invalid_api_key'));
  return false;
}

export interface DashboardServer {
  readonly server: Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** `toolken dashboard`: the dashboard alone on its own HTTP server. */
export function createDashboardServer(options: DashboardOptions): DashboardServer {
  const dashboard = createDashboard(options);
  const server = createServer((req, res) => {
    if (!dashboard.handle(req, res)) sendError(res, notFound(`${req.method} ${req.url}: no such page (the dashboard is at /)`));
  });
  return {
    server,
    listen: (port, host) => listenOn(server, port, host),
    close: () => closeServer(server),
  };
}
