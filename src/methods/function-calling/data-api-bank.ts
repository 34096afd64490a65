/**
 * API-Bank level-1 and level-2 dialogues (`lv1-lv2-samples/level-*` JSON lines of User / AI / API turns) as
 * function-calling examples: the user's turns, the assistant's replies (context, not trained), and each API turn
 * as an assistant tool call followed by its result as a tool message. The tools are the APIs the dialogue calls,
 * documented by what level 2's ToolSearcher returns for them (the docs of the API implementations the dialogues
 * were recorded with), else by `data/all_apis.csv` (`api_info`: a description and Python-literal
 * `input_parameters`), which for several APIs names other parameters than the dialogues use (Calculator: `formula`
 * in the dialogues, `infix_expression` in the CSV); such dialogues fail the checker and are reported. ToolSearcher
 * itself takes one `keywords` string.
 * API-Bank documents no required parameters, so none is marked required.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../../data/csv.js';
import { DataFileError, isObject } from '../../data/loaders/files.js';
import type { ChatMessage, ChatToolSpec } from '../../tokenizer/chat-template.js';
import { DecodeError, parsePythonValue } from '../../tools/calls/python-syntax.js';
import { isPyDict } from '../../tools/calls/values.js';
import type { JsonValue } from '../../tools/types.js';
import { parseJsonLines } from '../../util/json-lines.js';
import { pyToJson, type FcExample } from './data.js';

export const API_BANK_LEVELS = ['level-1-given-desc', 'level-2-toolsearcher'] as const;

/** API-Bank's type names (Python's, and a few of its own) in JSON Schema; others stay untyped. */
const TYPES: Readonly<Record<string, string>> = { str: 'string', int: 'integer', float: 'number', bool: 'boolean', list: 'array', tuple: 'array', dict: 'object', object: 'object', json: 'object', datetime: 'string', date: 'string', time: 'string' };

const TOOL_SEARCHER: ChatToolSpec = {
  type: 'function',
  function: { name: 'ToolSearcher', description: 'Searches for relevant tools in the library by keywords.', parameters: { type: 'object', properties: { keywords: { type: 'string', description: 'The keyword to search for.' } }, required: [] } },
};

/** `{name: {type, description}}` parameters as a chat-template tool. */
function spec(name: string, description: string, params: JsonValue, where: string): ChatToolSpec {
  if (!isObject(params)) throw new DataFileError(`${where}: input_parameters of ${name} must be a dict`);
  const properties: { [key: string]: JsonValue } = {};
  for (const [param, raw] of Object.entries(params)) {
    const p = isObject(raw) ? raw : {};
    const type = typeof p['type'] === 'string' ? TYPES[p['type']] : undefined;
    properties[param] = { ...(type !== undefined ? { type } : {}), ...(typeof p['description'] === 'string' ? { description: p['description'] } : {}) };
  }
  return { type: 'function', function: { name, description, parameters: { type: 'object', properties, required: [] } } };
}

/** The API docs of `all_apis.csv`, by class name; an API without `input_parameters` as a Python dict literal is left out. */
export function readApiBankDocs(csvPath: string): Map<string, ChatToolSpec> {
  if (!existsSync(csvPath)) throw new DataFileError(`${csvPath}: file not found (API-Bank's data/all_apis.csv)`);
  const [header, ...rows] = parseCsv(readFileSync(csvPath, 'utf8'), csvPath);
  const nameAt = header?.fields.indexOf('类名') ?? -1;
  const infoAt = header?.fields.indexOf('api_info') ?? -1;
  if (nameAt < 0 || infoAt < 0) throw new DataFileError(`${csvPath}:1: expected the columns 类名 (class name) and api_info`);
  const out = new Map<string, ChatToolSpec>();
  for (const row of rows) {
    const where = `${csvPath}:${row.line}`;
    const name = row.fields[nameAt] ?? '';
    const info = row.fields[infoAt] ?? '';
    const description = /description\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(info)?.[1] ?? '';
    const params = /input_parameters\s*=\s*(\{[\s\S]*?\n\})/.exec(info)?.[1];
    if (name === '') throw new DataFileError(`${where}: no class name`);
    // ImageCaption has no api_info at all: undocumented, like the unparseable ones below.
    if (params === undefined) continue;
    let value;
    try {
      value = parsePythonValue(params);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      // One API (GetToday) writes `{None}` for "no parameters": it stays undocumented, and a dialogue calling it
      // fails the checker (undocumented function) and is reported like any other bad example.
      continue;
    }
    if (!isPyDict(value)) continue;
    out.set(name, spec(name, description, pyToJson(value), where));
  }
  return out;
}

/** One dialogue file as an example (undefined when it makes no call); `docs` documents the APIs it calls. */
export function apiBankDialogue(file: string, docs: ReadonlyMap<string, ChatToolSpec>): FcExample | undefined {
  const messages: ChatMessage[] = [];
  const tools = new Map<string, ChatToolSpec>();
  for (const row of parseJsonLines(readFileSync(file, 'utf8'))) {
    const where = `${file}:${row.line}`;
    if (row.error !== undefined) throw new DataFileError(`${where}: not valid JSON (${row.error})`);
    const turn = row.value as JsonValue;
    if (!isObject(turn) || typeof turn['role'] !== 'string') throw new DataFileError(`${where}: expected {"role": "User" | "AI" | "API", ...}`);
    if (turn['role'] === 'User' || turn['role'] === 'AI') {
      if (typeof turn['text'] !== 'string') throw new DataFileError(`${where}: a ${turn['role']} turn needs "text"`);
      messages.push({ role: turn['role'] === 'User' ? 'user' : 'assistant', content: turn['text'] });
      continue;
    }
    const name = turn['api_name'];
    const args = turn['param_dict'] ?? {};
    if (turn['role'] !== 'API' || typeof name !== 'string' || !isObject(args)) throw new DataFileError(`${where}: an API turn needs "api_name" and "param_dict"`);
    const doc = name === 'ToolSearcher' ? TOOL_SEARCHER : docs.get(name);
    if (doc !== undefined) tools.set(name, doc);
    messages.push({ role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name, arguments: args } }] });
    const result = isObject(turn['result']) ? turn['result'] : {};
    const output = result['output'] ?? null;
    messages.push({ role: 'tool', content: JSON.stringify(output), name });
  }
  if (!messages.some((m) => (m.tool_calls?.length ?? 0) > 0)) return undefined;
  const id = file.split('/').slice(-2).join('/').replace(/\.jsonl$/, '');
  return { id: `api-bank/${id}`, messages, tools: [...tools.values()], source: `${file}:1` };
}

/** The docs level-2 dialogues' ToolSearcher calls return, by API name, into `docs`. */
function collectSearcherDocs(file: string, docs: Map<string, ChatToolSpec>): void {
  for (const row of parseJsonLines(readFileSync(file, 'utf8'))) {
    const turn = row.value as JsonValue;
    if (!isObject(turn) || turn['api_name'] !== 'ToolSearcher' || !isObject(turn['result'])) continue;
    const output = turn['result']['output'];
    for (const found of Array.isArray(output) ? output : [output ?? null]) {
      if (isObject(found) && typeof found['name'] === 'string' && isObject(found['input_parameters'] ?? null)) {
        docs.set(found['name'], spec(found['name'], typeof found['description'] === 'string' ? found['description'] : '', found['input_parameters']!, `${file}:${row.line}`));
      }
    }
  }
}

/** Every level-1 and level-2 dialogue that makes a call, under `dir` (API-Bank's folder: data/ and lv1-lv2-samples/). */
export function apiBankExamples(dir: string): FcExample[] {
  const docs = readApiBankDocs(join(dir, 'data', 'all_apis.csv'));
  const files = API_BANK_LEVELS.map((level) => {
    const folder = join(dir, 'lv1-lv2-samples', level);
    if (!existsSync(folder)) throw new DataFileError(`${folder}: folder not found (API-Bank's level-1/2 dialogues)`);
    return readdirSync(folder).filter((f) => f.endsWith('.jsonl')).sort().map((f) => join(folder, f));
  });
  for (const file of files[1]!) collectSearcherDocs(file, docs);
  return files.flat().flatMap((file) => apiBankDialogue(file, docs) ?? []);
}
