/**
 * The one place where tool calls are made safe. Every executor in this folder is a registry of handlers, and every
 * call goes through `callGuarded`: arguments are validated against the tool's schema first, the handler runs under a
 * timeout (and the caller's abort signal), its response is size-checked, and any failure (thrown error, rejected
 * promise, bad return value) becomes an observation the model can read. One bad tool never crashes a run.
 */
import type { JsonValue, Tool, ToolCallOptions, ToolExecutor, ToolFailureKind, ToolObservation } from '../types.js';
import { validateSourceSchema } from '../source-schema.js';
import { formatIssues, isJsonValue, validateJson } from '../validate.js';
import { ToolkenError } from '../../util/errors.js';

/** What a handler gives back: the text the model reads, and optionally the structured value behind it. */
export interface ToolResult {
  content: string;
  value?: JsonValue;
}

/**
 * Runs one tool on already-validated arguments; should stop work when `signal` aborts. It gives back text, a
 * ToolResult, or any other JSON value (the model then reads its JSON text, and `value` keeps it).
 */
export type ToolHandler = (args: { [key: string]: JsonValue }, signal: AbortSignal) => Promise<ToolResult | JsonValue> | ToolResult | JsonValue;

export interface CallLimits {
  /** Milliseconds before a call is abandoned with a `timeout` observation. */
  timeoutMs: number;
  /** Largest `content` accepted, in characters; larger responses become `too-large` observations. */
  maxResponseChars: number;
}

/**
 * Thrown by a handler that knows why it failed (e.g. an HTTP body over the size limit); becomes an observation of
 * that kind with this exact message, so the message should name the tool.
 */
export class ToolCallError extends ToolkenError {
  constructor(
    readonly kind: ToolFailureKind,
    message: string,
  ) {
    super('TOOL_CALL_FAILED', message);
  }
}

export const DEFAULT_CALL_LIMITS: Readonly<CallLimits> = { timeoutMs: 10_000, maxResponseChars: 20_000 };

const failure = (kind: ToolFailureKind, error: string): ToolObservation => ({ ok: false, kind, error });

/** Validates, runs under limits, and converts every failure into an observation. Never throws. */
export async function callGuarded(tool: Tool, handler: ToolHandler, args: JsonValue, limits: CallLimits, opts: ToolCallOptions = {}): Promise<ToolObservation> {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    return failure('invalid-arguments', `invalid arguments for ${tool.id}: expected an object of named arguments, got ${args === null ? 'null' : Array.isArray(args) ? 'an array' : typeof args}`);
  }
  let issues = validateJson(tool.parameters, args);
  if (issues.length === 0 && tool.sourceParameters !== undefined) issues = validateSourceSchema(tool.sourceParameters, args);
  if (issues.length > 0) return failure('invalid-arguments', `invalid arguments for ${tool.id}:\n${formatIssues(issues)}`);
  if (opts.signal?.aborted) return failure('failed', `call to ${tool.id} was cancelled before it started`);

  const controller = new AbortController();
  const onAbort = (): void => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<ToolObservation>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error('timeout'));
      resolve(failure('timeout', `${tool.id} did not answer within ${limits.timeoutMs} ms`));
    }, limits.timeoutMs);
  });
  const cancelled = new Promise<ToolObservation>((resolve) => {
    controller.signal.addEventListener('abort', () => {
      if (opts.signal?.aborted) resolve(failure('failed', `call to ${tool.id} was cancelled`));
    });
  });
  const run = (async (): Promise<ToolObservation> => {
    try {
      const result = await handler(args, controller.signal);
      return checkResult(tool, result, limits);
    } catch (err) {
      if (err instanceof ToolCallError) return failure(err.kind, err.message);
      return failure('failed', `${tool.id} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  })();
  try {
    return await Promise.race([run, deadline, cancelled]);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** A handler's answer as a ToolResult: text as is, `{ content: string, value? }` as is, other JSON values as their JSON text. */
function asToolResult(result: unknown): ToolResult | undefined {
  if (typeof result === 'string') return { content: result };
  if (result !== null && typeof result === 'object' && typeof (result as ToolResult).content === 'string') return result as ToolResult;
  if (result !== undefined && isJsonValue(result)) return { content: JSON.stringify(result), value: result };
  return undefined;
}

function checkResult(tool: Tool, result: unknown, limits: CallLimits): ToolObservation {
  const normalized = asToolResult(result);
  if (normalized === undefined) return failure('failed', `${tool.id} returned ${result === undefined ? 'nothing' : 'a value that is not JSON'} (expected text or a JSON value)`);
  if (normalized.content.length > limits.maxResponseChars) {
    return failure('too-large', `${tool.id} returned ${normalized.content.length} characters, more than the limit of ${limits.maxResponseChars}`);
  }
  if (normalized.value !== undefined && !isJsonValue(normalized.value)) return failure('failed', `${tool.id} returned a value that is not JSON`);
  return normalized.value === undefined ? { ok: true, content: normalized.content } : { ok: true, content: normalized.content, value: normalized.value };
}

/**
 * Plain TypeScript functions registered with a schema, and the base of the other executors: each knows its tools and
 * a handler per tool, and answers `unknown-tool` for anything else.
 */
export class FunctionExecutor implements ToolExecutor {
  private readonly entries = new Map<string, { tool: Tool; handler: ToolHandler }>();
  readonly limits: CallLimits;

  constructor(limits: Partial<CallLimits> = {}) {
    this.limits = { ...DEFAULT_CALL_LIMITS, ...limits };
  }

  /** Adds a tool; its id must not be registered yet. */
  register(tool: Tool, handler: ToolHandler): this {
    if (this.entries.has(tool.id)) throw new Error(`tool '${tool.id}' is already registered`);
    this.entries.set(tool.id, { tool, handler });
    return this;
  }

  /** The registered tools, in registration order. */
  tools(): Tool[] {
    return [...this.entries.values()].map((e) => e.tool);
  }

  has(toolId: string): boolean {
    return this.entries.has(toolId);
  }

  async call(toolId: string, args: JsonValue, opts?: ToolCallOptions): Promise<ToolObservation> {
    const entry = this.entries.get(toolId);
    if (entry === undefined) return failure('unknown-tool', `unknown tool '${toolId}'`);
    return callGuarded(entry.tool, entry.handler, args, this.limits, opts);
  }
}

/** Routes each call to the first executor that knows the tool, so built-in, HTTP and MCP tools can serve one run. */
export class RoutingExecutor implements ToolExecutor {
  constructor(private readonly executors: readonly FunctionExecutor[]) {}

  async call(toolId: string, args: JsonValue, opts?: ToolCallOptions): Promise<ToolObservation> {
    const owner = this.executors.find((e) => e.has(toolId));
    if (owner === undefined) return failure('unknown-tool', `unknown tool '${toolId}'`);
    return owner.call(toolId, args, opts);
  }
}
