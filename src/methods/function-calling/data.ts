/**
 * Function-calling training examples in the shape the ecosystem fine-tunes on (OpenAI fine-tuning, TRL):
 * `{"messages": [...], "tools": [...]}`, the gold answer an assistant message with `tool_calls`. Built from BFCL
 * (question + functions, the gold call from the first acceptable value of each parameter), Seal-Tools and the
 * demo catalog (queries with gold calls), and a user's JSON-lines file in the same shape (README.md).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RetrievalDataset } from '../../data/types.js';
import { DataFileError, isObject } from '../../data/loaders/files.js';
import { checkKindOf, languageOf, loadCategory, type BfclCategory, type BfclEntry, type ParamSchema } from '../../eval/bfcl/dataset.js';
import type { ChatMessage, ChatToolCall, ChatToolSpec } from '../../tokenizer/chat-template.js';
import { PyTuple, isPyDict, isPyList, type PyValue } from '../../tools/calls/values.js';
import type { JsonSchema, JsonValue, Tool } from '../../tools/types.js';
import { parseJsonLines } from '../../util/json-lines.js';

/** One training example: a conversation whose assistant turns call the offered tools. */
export interface FcExample {
  /** Stable id: `<source>/<id in the source>` (BFCL: the question id, e.g. `bfcl/simple_python_3`). */
  readonly id: string;
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly ChatToolSpec[];
  /** Where it came from, `file:line`, for reports. */
  readonly source: string;
  /**
   * BFCL examples: the question's category and function docs as parsed (ints apart from floats, keys in file
   * order), so that training renders the tools byte for byte as the BFCL runner shows them (train-render.ts).
   */
  readonly bfcl?: { readonly category: BfclCategory; readonly functionSource: readonly PyValue[] };
}

/** The BFCL categories training data is drawn from: single-turn, Python call syntax, with possible answers. */
export const BFCL_TRAINING_CATEGORIES = ['simple_python', 'multiple', 'parallel', 'parallel_multiple', 'live_simple', 'live_multiple', 'live_parallel', 'live_parallel_multiple'] as const satisfies readonly BfclCategory[];

/** Largest user file read (bytes): training files are read whole. */
const MAX_FILE_BYTES = 512 * 1024 * 1024;

// ---------------------------------------------------------------- values

/** A Python value of the checker as JSON: ints and floats become numbers, tuples arrays, dicts objects. */
export function pyToJson(value: PyValue): JsonValue {
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value !== 'object') return value;
  if (isPyList(value)) return value.map(pyToJson);
  if (value instanceof PyTuple) return value.items.map(pyToJson);
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of value) out[String(k)] = pyToJson(v);
  return out;
}

// ---------------------------------------------------------------- schemas

/** BFCL's type names in JSON Schema, as the leaderboard converts them for function-calling APIs. */
const BFCL_TO_JSON: Readonly<Record<string, string>> = { dict: 'object', float: 'number', tuple: 'array', any: 'string' };

function bfclParamToJson(p: ParamSchema): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = { type: BFCL_TO_JSON[p.type] ?? p.type };
  if (p.description !== undefined) out['description'] = p.description;
  if (p.enum !== undefined) out['enum'] = p.enum as JsonValue[];
  if (p.items !== undefined) out['items'] = bfclParamToJson(p.items);
  if (p.properties !== undefined) out['properties'] = Object.fromEntries(Object.entries(p.properties).map(([k, v]) => [k, bfclParamToJson(v)]));
  return out;
}

/** A BFCL function doc as a chat-template tool. */
export function bfclToolSpec(doc: BfclEntry['functions'][number]): ChatToolSpec {
  const properties = Object.fromEntries(Object.entries(doc.parameters.properties).map(([k, v]) => [k, bfclParamToJson(v)]));
  return { type: 'function', function: { name: doc.name, description: doc.description, parameters: { type: 'object', properties, required: [...doc.parameters.required] } } };
}

/** A catalog tool as a chat-template tool. */
export function toolSpec(tool: Tool): ChatToolSpec {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters as unknown as { [key: string]: JsonValue } } };
}

/** The JSON Schema of a tool's parameter, or undefined when the tool does not declare it. */
export function paramSchema(spec: ChatToolSpec, param: string): JsonSchema | undefined {
  const properties = spec.function.parameters?.['properties'];
  if (!isObject(properties)) return undefined;
  const schema = properties[param];
  return isObject(schema) ? (schema as JsonSchema) : undefined;
}

// ---------------------------------------------------------------- sources

/** The first conversation of a BFCL question (single-turn categories have one). */
function bfclQuestions(dataDir: string, category: BfclCategory): Map<string, { messages: ChatMessage[]; line: number; file: string }> {
  const file = join(dataDir, `BFCL_v4_${category}.json`);
  const out = new Map<string, { messages: ChatMessage[]; line: number; file: string }>();
  if (!existsSync(file)) throw new DataFileError(`${file}: file not found (BFCL v4 question file of ${category})`);
  for (const row of parseJsonLines(readFileSync(file, 'utf8'))) {
    const where = `${file}:${row.line}`;
    if (row.error !== undefined) throw new DataFileError(`${where}: not valid JSON (${row.error})`);
    const value = row.value as JsonValue;
    if (!isObject(value) || typeof value['id'] !== 'string' || !Array.isArray(value['question'])) throw new DataFileError(`${where}: expected {"id": ..., "question": [[turns]]}`);
    const turns = value['question'][0];
    if (!Array.isArray(turns)) throw new DataFileError(`${where}: "question" must be a list of conversations`);
    out.set(value['id'], { messages: turns.map((t, i) => chatMessage(t, `${where} question[0][${i}]`)), line: row.line, file });
  }
  return out;
}

/** The gold calls of a BFCL entry: each parameter's first acceptable value; `""` first means "omit it". */
function bfclGoldCalls(entry: BfclEntry): ChatToolCall[] {
  return (entry.groundTruth ?? []).map((truth) => {
    const args: { [key: string]: JsonValue } = {};
    for (const [param, options] of truth.params) {
      const first = options[0];
      if (first === undefined || first === '') continue;
      args[param] = pyToJson(firstOption(first));
    }
    return { type: 'function', function: { name: truth.name, arguments: args } };
  });
}

/** Dict-valued possible answers hold, per key, a list of options too: take the first of each. */
function firstOption(option: PyValue): PyValue {
  if (!isPyDict(option)) return isPyList(option) ? option.map((item) => (isPyDict(item) ? firstOption(item) : item)) : option;
  const out = new Map<string | number | bigint | boolean | null, PyValue>();
  for (const [key, keyOptions] of option) {
    const first = isPyList(keyOptions) ? keyOptions[0] : keyOptions;
    if (first === undefined || first === '') continue;
    out.set(key, firstOption(first));
  }
  return out;
}

/** BFCL questions with possible answers as examples (Python categories only: their calls are in Python syntax). */
export function bfclExamples(dataDir: string, categories: readonly BfclCategory[] = BFCL_TRAINING_CATEGORIES): FcExample[] {
  const out: FcExample[] = [];
  for (const category of categories) {
    const kind = checkKindOf(category);
    if (languageOf(category) !== 'python' || kind === 'irrelevance' || kind === 'relevance') {
      throw new DataFileError(`BFCL category ${category} cannot be training data: only Python categories with possible answers (${BFCL_TRAINING_CATEGORIES.join(', ')})`);
    }
    const questions = bfclQuestions(dataDir, category);
    for (const entry of loadCategory(dataDir, category)) {
      const q = questions.get(entry.id);
      if (q === undefined) throw new DataFileError(`${dataDir}: no question for BFCL id ${entry.id}`);
      out.push({
        id: `bfcl/${entry.id}`,
        messages: [...q.messages, { role: 'assistant', content: '', tool_calls: bfclGoldCalls(entry) }],
        // The docs as in the file, BFCL types kept: what the BFCL runner offers the model in both modes.
        tools: entry.functionSource?.map((fn) => ({ type: 'function', function: pyToJson(fn) as ChatToolSpec['function'] })) ?? entry.functions.map(bfclToolSpec),
        source: `${q.file}:${q.line}`,
        ...(entry.functionSource !== undefined ? { bfcl: { category, functionSource: entry.functionSource } } : {}),
      });
    }
  }
  return out;
}

/**
 * Queries with gold calls (Seal-Tools, the demo catalog, any RetrievalDataset) as examples: the query as the user
 * turn, its calls as the assistant's, and as tools the called ones plus `distractors` others of the catalog
 * (drawn by the query's position, so the same data gives the same examples).
 */
export function datasetExamples(dataset: RetrievalDataset, options: { readonly distractors?: number } = {}): FcExample[] {
  const byId = new Map(dataset.tools.map((t) => [t.id, t]));
  const distractors = options.distractors ?? 2;
  return dataset.queries
    .filter((q) => (q.calls?.length ?? 0) > 0)
    .map((q, i) => {
      const called = [...new Set(q.calls!.map((c) => c.tool))];
      const offered = called.map((id) => byId.get(id)).filter((t): t is Tool => t !== undefined);
      for (let k = 1; offered.length < called.length + distractors && k <= dataset.tools.length; k++) {
        const other = dataset.tools[(i * 7919 + k * 104729) % dataset.tools.length]!;
        if (!offered.includes(other)) offered.push(other);
      }
      const calls: ChatToolCall[] = q.calls!.map((c) => ({
        type: 'function',
        function: { name: byId.get(c.tool)?.name ?? c.tool, arguments: isObject(c.arguments) ? c.arguments : {} },
      }));
      return {
        id: `${dataset.name}/${q.id}`,
        messages: [{ role: 'user', content: q.query }, { role: 'assistant', content: '', tool_calls: calls }],
        tools: offered.map(toolSpec),
        source: `${dataset.name} query ${q.id}`,
      };
    });
}

// ---------------------------------------------------------------- the user format

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

function chatToolCall(raw: JsonValue, where: string): ChatToolCall {
  if (!isObject(raw) || !isObject(raw['function'])) throw new DataFileError(`${where}: a tool call must be {"type": "function", "function": {"name", "arguments"}}`);
  const fn = raw['function'];
  if (typeof fn['name'] !== 'string' || fn['name'] === '') throw new DataFileError(`${where}: function.name must be a non-empty string`);
  let args: JsonValue = fn['arguments'] ?? {};
  // OpenAI's format writes arguments as a JSON string; TRL's as an object. Both are read into an object.
  if (typeof args === 'string') {
    try {
      args = JSON.parse(args) as JsonValue;
    } catch (err) {
      throw new DataFileError(`${where}: function.arguments is a string but not JSON (${(err as Error).message})`);
    }
  }
  if (!isObject(args)) throw new DataFileError(`${where}: function.arguments must be an object (or a JSON string of one)`);
  return { type: 'function', function: { name: fn['name'], arguments: args }, ...(typeof raw['id'] === 'string' ? { id: raw['id'] } : {}) };
}

function chatMessage(raw: JsonValue, where: string): ChatMessage {
  if (!isObject(raw) || typeof raw['role'] !== 'string' || !ROLES.has(raw['role'])) throw new DataFileError(`${where}: a message needs "role" (system, user, assistant or tool)`);
  const content = raw['content'] ?? '';
  if (typeof content !== 'string') throw new DataFileError(`${where}: "content" must be a string`);
  const message: ChatMessage = { role: raw['role'] as ChatMessage['role'], content };
  if (raw['tool_calls'] !== undefined) {
    if (raw['role'] !== 'assistant' || !Array.isArray(raw['tool_calls'])) throw new DataFileError(`${where}: "tool_calls" must be a list, on an assistant message`);
    message.tool_calls = raw['tool_calls'].map((c, i) => chatToolCall(c, `${where} tool_calls[${i}]`));
  }
  if (typeof raw['tool_call_id'] === 'string') message.tool_call_id = raw['tool_call_id'];
  if (typeof raw['name'] === 'string') message.name = raw['name'];
  return message;
}

function chatToolSpec(raw: JsonValue, where: string): ChatToolSpec {
  if (!isObject(raw) || !isObject(raw['function']) || typeof raw['function']['name'] !== 'string') throw new DataFileError(`${where}: a tool must be {"type": "function", "function": {"name", "description", "parameters"}}`);
  const fn = raw['function'];
  const parameters = fn['parameters'] ?? { type: 'object', properties: {} };
  if (!isObject(parameters)) throw new DataFileError(`${where}: function.parameters must be a JSON Schema object`);
  return { type: 'function', function: { name: fn['name'] as string, ...(typeof fn['description'] === 'string' ? { description: fn['description'] } : {}), parameters } };
}

/** One line of the user format, parsed; `where` is `file:line`. */
export function parseFcExample(value: JsonValue, where: string, id: string): FcExample {
  if (!isObject(value) || !Array.isArray(value['messages'])) throw new DataFileError(`${where}: expected {"messages": [...], "tools": [...]}`);
  const messages = value['messages'].map((m, i) => chatMessage(m, `${where} messages[${i}]`));
  if (!messages.some((m) => m.role === 'assistant' && (m.tool_calls?.length ?? 0) > 0)) throw new DataFileError(`${where}: no assistant message with tool_calls (nothing to learn)`);
  const rawTools = value['tools'] ?? [];
  if (!Array.isArray(rawTools)) throw new DataFileError(`${where}: "tools" must be a list`);
  return { id, messages, tools: rawTools.map((t, i) => chatToolSpec(t, `${where} tools[${i}]`)), source: where };
}

/** Reads a user JSON-lines file of `{"messages", "tools"}` examples; a malformed line is an error naming it. */
export function readFcExamples(path: string): FcExample[] {
  if (!existsSync(path)) throw new DataFileError(`${path}: file not found`);
  if (statSync(path).size > MAX_FILE_BYTES) throw new DataFileError(`${path}: larger than ${MAX_FILE_BYTES} bytes; split it into several --data files`);
  return parseJsonLines(readFileSync(path, 'utf8')).map((row) => {
    const where = `${path}:${row.line}`;
    if (row.error !== undefined) throw new DataFileError(`${where}: not valid JSON (${row.error})`);
    const value = row.value as JsonValue;
    const id = isObject(value) && typeof value['id'] === 'string' ? value['id'] : `line-${row.line}`;
    return parseFcExample(value, where, `${path}/${id}`);
  });
}
