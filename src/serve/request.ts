/**
 * The body of `POST /v1/chat/completions`, parsed at the edge into typed values: every field is checked for type,
 * range and size, and a problem becomes a 400 naming the field (`messages[2].tool_call_id`, `tools[0].function.parameters`).
 * Tool parameter schemas and `response_format` schemas are compiled here too, so a schema constrained decoding
 * cannot follow is refused before any decoding starts.
 */
import type { ChatMessage, ChatToolCall, ChatToolSpec } from '../tokenizer/chat-template.js';
import type { JsonSchema, JsonValue } from '../tools/types.js';
import { normalizeParameters, normalizeSchema } from '../tools/schema.js';
import { JsonAutomaton } from '../generate/constraints/json-automaton.js';
import { ToolkenError } from '../util/errors.js';
import { ApiError } from './api-error.js';

export type ToolChoice = { readonly kind: 'none' } | { readonly kind: 'auto' } | { readonly kind: 'required' } | { readonly kind: 'named'; readonly name: string };

export type ResponseFormat = { readonly kind: 'text' } | { readonly kind: 'json_schema'; readonly name: string; readonly automaton: JsonAutomaton };

/** A tool the request offers, with its parameters compiled for constrained decoding. */
export interface RequestTool {
  readonly spec: ChatToolSpec;
  readonly name: string;
  readonly automaton: JsonAutomaton;
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly RequestTool[];
  readonly toolChoice: ToolChoice;
  readonly parallelToolCalls: boolean;
  readonly responseFormat: ResponseFormat;
  readonly temperature: number;
  readonly topP: number;
  readonly maxTokens: number | undefined;
  readonly stop: readonly string[];
  readonly seed: number | undefined;
  readonly stream: boolean;
  readonly includeUsage: boolean;
}

export interface RequestLimits {
  readonly maxMessages: number;
  readonly maxTools: number;
  /** Longest string or array a constrained value may hold when its schema sets no bound. */
  readonly maxStringLength: number;
  readonly maxArrayItems: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxMessages: 256, maxTools: 128, maxStringLength: 256, maxArrayItems: 16 };

/** The API's rule for function names. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_STOP_STRINGS = 4;

type Fields = { [key: string]: unknown };
const isRecord = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

function record(value: unknown, param: string): Fields {
  if (!isRecord(value)) throw ApiError.invalid(param, `expected an object, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : typeof value;
}

function optionalNumber(body: Fields, key: string, min: number, max: number): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw ApiError.invalid(key, `expected a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

function optionalInteger(body: Fields, key: string, min: number, max: number): number | undefined {
  const value = optionalNumber(body, key, min, max);
  if (value !== undefined && !Number.isInteger(value)) throw ApiError.invalid(key, `expected an integer, got ${value}`);
  return value;
}

function optionalBoolean(body: Fields, key: string, fallback: boolean): boolean {
  const value = body[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw ApiError.invalid(key, `expected a boolean, got ${describe(value)}`);
  return value;
}

/** Message content: a string, or an array of `{ type: 'text', text }` parts (joined). */
function content(value: unknown, param: string, nullable: boolean): string {
  if (value === undefined || value === null) {
    if (nullable) return '';
    throw ApiError.invalid(param, 'content is required for this role');
  }
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    return value
      .map((part, i) => {
        const p = record(part, `${param}[${i}]`);
        if (p['type'] !== 'text' || typeof p['text'] !== 'string') throw ApiError.invalid(`${param}[${i}]`, 'only text content parts are supported');
        return p['text'];
      })
      .join('');
  }
  throw ApiError.invalid(param, `expected a string or an array of text parts, got ${describe(value)}`);
}

/** Arguments arrive as a JSON string; templates want the object. */
function parseArguments(value: unknown, param: string): { [key: string]: JsonValue } {
  if (typeof value !== 'string') throw ApiError.invalid(param, `expected a JSON string, got ${describe(value)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw ApiError.invalid(param, 'is not valid JSON');
  }
  if (!isRecord(parsed)) throw ApiError.invalid(param, 'must encode a JSON object');
  return parsed as { [key: string]: JsonValue };
}

function toolCalls(value: unknown, param: string): ChatToolCall[] {
  if (!Array.isArray(value)) throw ApiError.invalid(param, `expected an array, got ${describe(value)}`);
  return value.map((raw, i) => {
    const call = record(raw, `${param}[${i}]`);
    const fn = record(call['function'], `${param}[${i}].function`);
    const name = fn['name'];
    if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) throw ApiError.invalid(`${param}[${i}].function.name`, 'expected a function name');
    const id = call['id'];
    if (typeof id !== 'string') throw ApiError.invalid(`${param}[${i}].id`, 'expected a string');
    return { type: 'function', id, function: { name, arguments: parseArguments(fn['arguments'], `${param}[${i}].function.arguments`) } };
  });
}

function messages(value: unknown, limits: RequestLimits): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw ApiError.invalid('messages', 'expected a non-empty array of messages');
  if (value.length > limits.maxMessages) throw ApiError.invalid('messages', `${value.length} messages exceed the limit of ${limits.maxMessages}`);
  return value.map((raw, i): ChatMessage => {
    const param = `messages[${i}]`;
    const m = record(raw, param);
    const role = m['role'] === 'developer' ? 'system' : m['role'];
    switch (role) {
      case 'system':
      case 'user':
        return { role, content: content(m['content'], `${param}.content`, false) };
      case 'assistant': {
        const message: ChatMessage = { role, content: content(m['content'], `${param}.content`, true) };
        if (m['tool_calls'] !== undefined && m['tool_calls'] !== null) message.tool_calls = toolCalls(m['tool_calls'], `${param}.tool_calls`);
        return message;
      }
      case 'tool': {
        const id = m['tool_call_id'];
        if (typeof id !== 'string') throw ApiError.invalid(`${param}.tool_call_id`, 'a tool message needs the id of the call it answers');
        return { role, content: content(m['content'], `${param}.content`, false), tool_call_id: id };
      }
      default:
        throw ApiError.invalid(`${param}.role`, `expected system, developer, user, assistant or tool, got ${JSON.stringify(m['role'])}`);
    }
  });
}

/** Compiles a schema for decoding; a schema outside the supported subset is the caller's 400. */
function automaton(schema: JsonSchema, param: string, limits: RequestLimits): JsonAutomaton {
  try {
    return new JsonAutomaton(schema, { maxStringLength: limits.maxStringLength, maxArrayItems: limits.maxArrayItems });
  } catch (err) {
    if (err instanceof ToolkenError) throw ApiError.invalid(param, err.message, 'invalid_schema');
    throw err;
  }
}

function readSchema(read: () => JsonSchema, param: string): JsonSchema {
  try {
    return read();
  } catch (err) {
    if (err instanceof ToolkenError) throw ApiError.invalid(param, err.message, 'invalid_schema');
    throw err;
  }
}

function tools(value: unknown, limits: RequestLimits): RequestTool[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw ApiError.invalid('tools', `expected an array, got ${describe(value)}`);
  if (value.length > limits.maxTools) throw ApiError.invalid('tools', `${value.length} tools exceed the limit of ${limits.maxTools}`, 'too_many_tools');
  const seen = new Set<string>();
  return value.map((raw, i) => {
    const t = record(raw, `tools[${i}]`);
    if (t['type'] !== 'function') throw ApiError.invalid(`tools[${i}].type`, `only "function" tools are supported, got ${JSON.stringify(t['type'])}`);
    const fn = record(t['function'], `tools[${i}].function`);
    const name = fn['name'];
    if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) {
      throw ApiError.invalid(`tools[${i}].function.name`, 'expected 1-64 characters of a-z, A-Z, 0-9, _ or -');
    }
    if (seen.has(name)) throw ApiError.invalid(`tools[${i}].function.name`, `tool '${name}' is listed twice`);
    seen.add(name);
    const description = fn['description'];
    if (description !== undefined && typeof description !== 'string') throw ApiError.invalid(`tools[${i}].function.description`, 'expected a string');
    const param = `tools[${i}].function.parameters`;
    const parameters = readSchema(() => normalizeParameters(fn['parameters'], ''), param);
    const spec: ChatToolSpec = {
      type: 'function',
      function: { name, ...(description === undefined ? {} : { description }), parameters: parameters as { [key: string]: JsonValue } },
    };
    return { spec, name, automaton: automaton(parameters, param, limits) };
  });
}

/**
 * tool_choice against the tools on offer: the request's `tools`, or, when it lists none, the served catalog's API
 * names (`catalog`), which make auto the default and may be named.
 */
function toolChoice(value: unknown, offered: readonly RequestTool[], catalog: ReadonlySet<string> | undefined): ToolChoice {
  const fromCatalog = offered.length === 0 && catalog !== undefined;
  const available = fromCatalog ? catalog.size : offered.length;
  if (value === undefined || value === null) return available > 0 ? { kind: 'auto' } : { kind: 'none' };
  if (value === 'none' || value === 'auto' || value === 'required') {
    if (value !== 'none' && available === 0) throw ApiError.invalid('tool_choice', `"${value}" needs at least one tool in tools`);
    return { kind: value };
  }
  const choice = record(value, 'tool_choice');
  const name = isRecord(choice['function']) ? choice['function']['name'] : undefined;
  if (choice['type'] !== 'function' || typeof name !== 'string') {
    throw ApiError.invalid('tool_choice', 'expected "none", "auto", "required" or { type: "function", function: { name } }');
  }
  if (fromCatalog ? !catalog.has(name) : !offered.some((t) => t.name === name)) {
    throw ApiError.invalid('tool_choice', `names tool '${name}', which is not in ${fromCatalog ? 'the served catalog' : 'tools'}`);
  }
  return { kind: 'named', name };
}

function responseFormat(value: unknown, limits: RequestLimits): ResponseFormat {
  if (value === undefined || value === null) return { kind: 'text' };
  const format = record(value, 'response_format');
  if (format['type'] === 'text') return { kind: 'text' };
  if (format['type'] !== 'json_schema') throw ApiError.invalid('response_format.type', `expected "text" or "json_schema", got ${JSON.stringify(format['type'])}`);
  const spec = record(format['json_schema'], 'response_format.json_schema');
  const name = spec['name'];
  if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) throw ApiError.invalid('response_format.json_schema.name', 'expected 1-64 characters of a-z, A-Z, 0-9, _ or -');
  const param = 'response_format.json_schema.schema';
  const schema = readSchema(() => normalizeSchema(record(spec['schema'], param)), param);
  return { kind: 'json_schema', name, automaton: automaton(schema, param, limits) };
}

function stop(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length > MAX_STOP_STRINGS || !list.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 256)) {
    throw ApiError.invalid('stop', `expected a string or up to ${MAX_STOP_STRINGS} non-empty strings`);
  }
  return list as string[];
}

/**
 * Reads a parsed JSON body; throws ApiError (400) naming the first field at fault. `catalog`: the API names of a
 * served catalog, on offer when the request lists no tools.
 */
export function parseChatRequest(body: unknown, limits: RequestLimits = DEFAULT_REQUEST_LIMITS, catalog?: ReadonlySet<string>): ChatRequest {
  const b = record(body, 'body');
  if (typeof b['model'] !== 'string') throw ApiError.invalid('model', 'expected the model name as a string');
  optionalInteger(b, 'n', 1, 1); // one choice per request is served
  const offered = tools(b['tools'], limits);
  const choice = toolChoice(b['tool_choice'], offered, catalog);
  const format = responseFormat(b['response_format'], limits);
  if (format.kind === 'json_schema' && (choice.kind === 'required' || choice.kind === 'named')) {
    throw ApiError.invalid('response_format', 'a JSON schema response cannot be combined with a required or named tool_choice');
  }
  const maxTokens = optionalInteger(b, 'max_completion_tokens', 1, 1 << 20) ?? optionalInteger(b, 'max_tokens', 1, 1 << 20);
  const streamOptions = b['stream_options'];
  const includeUsage = isRecord(streamOptions) && streamOptions['include_usage'] === true;
  return {
    model: b['model'],
    messages: messages(b['messages'], limits),
    tools: offered,
    toolChoice: choice,
    parallelToolCalls: optionalBoolean(b, 'parallel_tool_calls', true),
    responseFormat: format,
    temperature: optionalNumber(b, 'temperature', 0, 2) ?? 1,
    topP: optionalNumber(b, 'top_p', Number.MIN_VALUE, 1) ?? 1,
    maxTokens,
    stop: stop(b['stop']),
    seed: optionalInteger(b, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    stream: optionalBoolean(b, 'stream', false),
    includeUsage,
  };
}
