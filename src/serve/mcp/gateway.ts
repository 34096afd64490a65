/**
 * The MCP gateway's three tools, independent of the transport: `find_tools` (the catalog's best tools for a task,
 * by ToolGen search with BM25 for unseen tools), `describe_tool` (one tool's documentation and parameter schema)
 * and `call_tool` (runs one through the catalog's executors). A client that can hold three tools in its prompt
 * reaches the whole catalog.
 *
 * Arguments come from a stranger: each is checked against the tool's input schema (bounded strings and numbers)
 * before anything runs, and every problem, like every failed call, comes back as an MCP tool error (`isError`)
 * whose text names the tool, the field and what to do — never as an exception out of `call`.
 */
import type { JsonValue, ObjectSchema, Tool, ToolExecutor } from '../../tools/types.js';
import { formatIssues, validateJson } from '../../tools/validate.js';
import type { FoundTool, ToolFinder } from './tool-finder.js';

export interface GatewayTool {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: ObjectSchema;
}

/** An MCP `tools/call` result. */
export interface GatewayResult {
  readonly content: { type: 'text'; text: string }[];
  readonly structuredContent?: { [key: string]: JsonValue };
  readonly isError?: boolean;
}

export interface GatewayLimits {
  /** Longest task `find_tools` accepts, in characters. */
  readonly maxTaskChars: number;
  /** Most tools one `find_tools` lists. */
  readonly maxResults: number;
  /** Largest `arguments` of `call_tool`, as JSON, in bytes. */
  readonly maxArgumentBytes: number;
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = { maxTaskChars: 2000, maxResults: 20, maxArgumentBytes: 64 * 1024 };

/** Longest tool id the gateway looks up. */
const MAX_TOOL_ID_CHARS = 512;

export interface GatewayParts {
  readonly finder: ToolFinder;
  /** The catalog, upstream servers' tools included. */
  readonly tools: readonly Tool[];
  readonly executor: ToolExecutor;
  /** Which executor runs a tool ('http', 'replay', 'mcp:<server>'), or undefined when none can. */
  readonly executorOf: (toolId: string) => string | undefined;
  readonly limits?: GatewayLimits;
}

const text = (value: string): { type: 'text'; text: string } => ({ type: 'text', text: value });
const failure = (message: string): GatewayResult => ({ content: [text(message)], isError: true });
const unknownTool = (caller: string, id: string): GatewayResult => failure(`${caller}: unknown tool '${id.slice(0, 100)}'; find_tools lists the catalog's tools by id`);

export class McpGateway {
  readonly tools: readonly GatewayTool[];
  private readonly byId: ReadonlyMap<string, Tool>;
  private readonly limits: GatewayLimits;

  constructor(private readonly parts: GatewayParts) {
    this.limits = parts.limits ?? DEFAULT_GATEWAY_LIMITS;
    this.byId = new Map(parts.tools.map((t) => [t.id, t]));
    const { maxTaskChars, maxResults } = this.limits;
    const toolId = { type: 'string', minLength: 1, maxLength: MAX_TOOL_ID_CHARS, description: 'a tool id as find_tools lists it' } as const;
    this.tools = [
      {
        name: 'find_tools',
        description: `Find the tools of a catalog of ${parts.tools.length} that fit a task, best first. Describe one with describe_tool, then run it with call_tool.`,
        inputSchema: {
          type: 'object',
          properties: {
            task: { type: 'string', minLength: 1, maxLength: maxTaskChars, description: 'what the tool should do, in plain words' },
            k: { type: 'integer', minimum: 1, maximum: maxResults, description: `how many tools to list (default 5, at most ${maxResults})` },
          },
          required: ['task'],
          additionalProperties: false,
        },
      },
      {
        name: 'describe_tool',
        description: "A catalog tool's documentation: its description and the JSON Schema of its arguments.",
        inputSchema: { type: 'object', properties: { tool: toolId }, required: ['tool'], additionalProperties: false },
      },
      {
        name: 'call_tool',
        description: 'Run a catalog tool with arguments that follow its schema (see describe_tool); returns what the tool returned.',
        inputSchema: {
          type: 'object',
          properties: { tool: toolId, arguments: { type: 'object', description: 'the named arguments of the tool' } },
          required: ['tool'],
          additionalProperties: false,
        },
      },
    ];
  }

  /** Runs a gateway tool; every failure is an `isError` result. */
  async call(name: string, args: unknown, signal?: AbortSignal): Promise<GatewayResult> {
    const spec = this.tools.find((t) => t.name === name);
    if (spec === undefined) return failure(`unknown tool '${name.slice(0, 100)}': this gateway offers ${this.tools.map((t) => t.name).join(', ')}`);
    const input = args ?? {};
    const issues = validateJson(spec.inputSchema, input);
    if (issues.length > 0) return failure(`${name}: invalid arguments:\n${formatIssues(issues)}`);
    const fields = input as { [key: string]: JsonValue };
    try {
      if (name === 'find_tools') return await this.find(fields['task'] as string, (fields['k'] as number | undefined) ?? Math.min(5, this.limits.maxResults), signal);
      if (name === 'describe_tool') return this.describe(fields['tool'] as string);
      return await this.run(fields['tool'] as string, (fields['arguments'] ?? {}) as { [key: string]: JsonValue }, signal);
    } catch (err) {
      if (signal?.aborted) return failure(`${name}: cancelled by the client`);
      process.stderr.write(`mcp: ${name} failed: ${(err as Error).stack ?? String(err)}\n`);
      return failure(`${name}: internal error (${(err as Error).message}); the gateway's log has the details`);
    }
  }

  private async find(task: string, k: number, signal?: AbortSignal): Promise<GatewayResult> {
    if (task.trim() === '') return failure('find_tools: task is blank; say what the tool should do');
    const found = await this.parts.finder.find(task, k, signal);
    const listed = found.map((f) => this.summary(f));
    const lines = found.map((f, i) => `${i + 1}. ${f.tool.id}: ${oneLine(f.tool.description)} [${f.source}${f.probability === undefined ? '' : `, p=${f.probability.toFixed(3)}`}]`);
    return { content: [text(lines.length > 0 ? lines.join('\n') : 'no tool matches this task')], structuredContent: { tools: listed } };
  }

  private summary(f: FoundTool): { [key: string]: JsonValue } {
    return {
      tool: f.tool.id,
      name: f.tool.name,
      description: f.tool.description,
      source: f.source,
      score: f.score,
      ...(f.probability === undefined ? {} : { probability: f.probability }),
    };
  }


  private describe(id: string): GatewayResult {
    const tool = this.byId.get(id);
    if (tool === undefined) return unknownTool('describe_tool', id);
    const executor = this.parts.executorOf(tool.id);
    const described: { [key: string]: JsonValue } = {
      tool: tool.id,
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters as unknown as JsonValue,
      ...(tool.returns === undefined ? {} : { returns: tool.returns as unknown as JsonValue }),
      ...(tool.category === undefined ? {} : { category: tool.category }),
      executor: executor ?? null,
    };
    return { content: [text(JSON.stringify(described, null, 2))], structuredContent: described };
  }

  private async run(id: string, args: { [key: string]: JsonValue }, signal?: AbortSignal): Promise<GatewayResult> {
    const tool = this.byId.get(id);
    if (tool === undefined) return unknownTool('call_tool', id);
    const size = Buffer.byteLength(JSON.stringify(args));
    if (size > this.limits.maxArgumentBytes) return failure(`call_tool: arguments of ${size} bytes exceed the limit of ${this.limits.maxArgumentBytes}`);
    if (this.parts.executorOf(tool.id) === undefined) {
      return failure(`call_tool: no executor runs '${tool.id}' (it has no HTTP endpoint, no upstream MCP server lists it, and no recordings were given)`);
    }
    const observation = await this.parts.executor.call(tool.id, args, signal === undefined ? {} : { signal });
    if (!observation.ok) return failure(`call_tool: ${tool.id} failed (${observation.kind}): ${observation.error}`);
    return {
      content: [text(observation.content)],
      ...(observation.value === undefined ? {} : { structuredContent: { result: observation.value } }),
    };
  }
}

const oneLine = (s: string): string => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
};
