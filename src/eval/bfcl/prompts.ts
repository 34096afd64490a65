/**
 * What the leaderboard shows a model, rebuilt from its rules (bfcl_eval/constants/default_prompts.py,
 * model_handler/utils.py, utils.py): the language hints added to the function docs, the default system prompt of
 * prompting mode (`ret_fmt=python&tool_call_tag=False&func_doc_fmt=json&prompt_fmt=plaintext&style=classic`) with the
 * docs as Python's `json.dumps(indent=4)`, and the OpenAPI-typed tools of function-calling mode.
 */
import type { BfclCategory, BfclEntry, BfclMessage } from './dataset.js';
import { BfclDataError, languageOf } from './dataset.js';
import type { ChatMessage } from '../../tokenizer/chat-template.js';
import type { JsonValue } from '../../tools/types.js';
import { PyDict, PyScalar, PyTuple, PyValue, isPyDict, isPyList, pyRepr } from '../../tools/calls/values.js';

// ---------------------------------------------------------------- Python's json.dumps

function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    // ensure_ascii: every other control or non-ASCII code unit as \uXXXX (astral characters as surrogate pairs).
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** Python's `json.dumps(value, indent=indent)` with its defaults (ensure_ascii, `, `/`: ` separators without indent). */
export function pythonJsonDumps(value: PyValue, indent?: number, level = 0): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? pyRepr(value) : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  if (typeof value === 'string') return jsonString(value);
  const items: [string | undefined, PyValue][] = isPyList(value) ? value.map((v) => [undefined, v]) : value instanceof PyTuple ? value.items.map((v) => [undefined, v]) : [...(value as PyDict)].map(([k, v]) => [String(k), v]);
  const [open, close] = isPyDict(value) ? ['{', '}'] : ['[', ']'];
  if (items.length === 0) return open + close;
  const render = ([key, v]: [string | undefined, PyValue]): string => (key === undefined ? '' : jsonString(key) + ': ') + pythonJsonDumps(v, indent, level + 1);
  if (indent === undefined) return open + items.map(render).join(', ') + close;
  const pad = ' '.repeat(indent * (level + 1));
  return `${open}\n${items.map((item) => pad + render(item)).join(',\n')}\n${' '.repeat(indent * level)}${close}`;
}

// ---------------------------------------------------------------- function docs

/** A deep copy of a parsed JSON value (dicts stay Maps, in order). */
function clone(value: PyValue): PyValue {
  if (isPyList(value)) return value.map(clone);
  if (isPyDict(value)) return new Map<PyScalar, PyValue>([...value].map(([k, v]) => [k, clone(v)]));
  return value;
}

/** A dict of a cloned doc: a Map this module owns and may change. */
type Dict = Map<PyScalar, PyValue>;
const dict = (v: PyValue | undefined): Dict | undefined => (v !== undefined && isPyDict(v) ? (v as Dict) : undefined);
const text = (v: PyValue | undefined): string => (typeof v === 'string' ? v : '');
const typeOf = (schema: PyDict): string => text(schema.get('type'));

function languageHint(category: BfclCategory): string {
  const language = languageOf(category);
  if (language === 'java') return ' Note that the provided function is in Java 8 SDK syntax.';
  if (language === 'javascript') return ' Note that the provided function is in JavaScript syntax.';
  return ' Note that the provided function is in Python 3 syntax.';
}

/**
 * The function docs as the leaderboard shows them (`_func_doc_language_specific_pre_processing`): a language note
 * on every description; for Java and JavaScript every parameter becomes a `string` whose description names its
 * real type (array element types and dict entry schemas folded into the description).
 */
export function languageHintedFunctions(entry: BfclEntry): Dict[] {
  if (entry.functionSource === undefined) throw new BfclDataError(`${entry.id}: the entry was built without its function docs' source`);
  const language = languageOf(entry.category);
  const lang = language === 'java' ? 'Java' : 'JavaScript';
  return entry.functionSource.map((raw) => {
    const fn = clone(raw) as Dict;
    fn.set('description', text(fn.get('description')) + languageHint(entry.category));
    const properties = dict(dict(fn.get('parameters'))?.get('properties'));
    if (language === 'python' || properties === undefined) return fn;
    for (const raw of properties.values()) {
      const value = dict(raw);
      if (value === undefined) continue;
      const type = typeOf(value);
      let description = text(value.get('description'));
      description += type === 'any' ? ` This parameter can be of any type of ${lang} object in string representation.` : ` This is ${lang} ${type} type parameter in string representation.`;
      const items = dict(value.get('items'));
      const listType = language === 'java' ? type === 'ArrayList' || type === 'Array' : type === 'array';
      if (listType) {
        description += ` The list elements are of type ${items !== undefined ? typeOf(items) : ''}; they are not in string representation.`;
        value.delete('items');
      }
      const nested = value.get('properties');
      if (language === 'javascript' && type === 'dict' && nested !== undefined) {
        description += ` The dictionary entries have the following schema; they are not in string representation. ${pythonJsonDumps(nested)}`;
        value.delete('properties');
      }
      value.set('description', description);
      value.set('type', 'string');
    }
    return fn;
  });
}

// ---------------------------------------------------------------- prompting mode

const PERSONA = 'You are an expert in composing functions.';
const TASK =
  'You are given a question and a set of possible functions. Based on the question, you will need to make one or more function/tool calls to achieve the purpose. If none of the functions can be used, point it out. If the given question lacks the parameters required by the function, also point it out.';
const PYTHON_OUTPUT_FORMAT = '[func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)]';
const TOOL_CALL_FORMAT = `You should only return the function calls in your response.\n\nIf you decide to invoke any of the function(s), you MUST put it in the format of ${PYTHON_OUTPUT_FORMAT}.  You SHOULD NOT include any other text in the response.`;
const MULTI_TURN_BEHAVIOR =
  "At each turn, you should try your best to complete the tasks requested by the user within the current turn. Continue to output functions to call until you have fulfilled the user's request to the best of your ability. Once you have no more functions to call, the system will consider the current turn complete and proceed to the next turn or task.";

/**
 * The leaderboard's default system prompt for prompting mode, with the docs as `json.dumps(functions, indent=4)`.
 * The template joins persona and task without a space; so does this.
 */
export function bfclSystemPrompt(functions: readonly PyValue[]): string {
  const available = `Here is a list of functions in json format that you can invoke.\n${pythonJsonDumps([...functions], 4)}\n`;
  return `${PERSONA}${TASK}\n\n${TOOL_CALL_FORMAT}\n\n${MULTI_TURN_BEHAVIOR}\n\n${available}`;
}

function firstTurn(entry: BfclEntry): readonly BfclMessage[] {
  const turn = entry.turns?.[0];
  if (turn === undefined || turn.length === 0) throw new BfclDataError(`${entry.id}: the entry has no question`);
  return turn;
}

const chatRole = (role: string): ChatMessage['role'] => (role === 'system' || role === 'assistant' || role === 'tool' ? role : 'user');

/** The first turn with the system prompt in front (prepended to the question's own system message, if any). */
export function promptingMessages(entry: BfclEntry): ChatMessage[] {
  const system = bfclSystemPrompt(languageHintedFunctions(entry));
  const messages = firstTurn(entry).map((m): ChatMessage => ({ role: chatRole(m.role), content: m.content }));
  if (messages[0]!.role === 'system') messages[0] = { role: 'system', content: `${system}\n\n${messages[0]!.content}` };
  else messages.unshift({ role: 'system', content: system });
  return messages;
}

// ---------------------------------------------------------------- function-calling mode

/** The leaderboard's GORILLA_TO_OPENAPI type map. */
const OPENAPI_TYPES: Readonly<Record<string, string>> = {
  integer: 'integer', number: 'number', float: 'number', string: 'string', boolean: 'boolean', bool: 'boolean', array: 'array', list: 'array',
  dict: 'object', object: 'object', tuple: 'array', any: 'string', byte: 'integer', short: 'integer', long: 'integer', double: 'number', char: 'string',
  ArrayList: 'array', Array: 'array', HashMap: 'object', Hashtable: 'object', Queue: 'array', Stack: 'array', Any: 'string', String: 'string', Bigint: 'integer',
};

const openApiType = (type: string): string => OPENAPI_TYPES[type] ?? 'string';

/** `_cast_to_openai_type`: schema types to OpenAPI ones, floats marked, nested properties and items followed. */
function castProperties(properties: Dict): void {
  for (const raw of properties.values()) {
    const value = dict(raw);
    if (value === undefined) continue;
    const type = value.get('type');
    if (typeof type !== 'string') value.set('type', 'string');
    else {
      if (type === 'float') {
        value.set('format', 'float');
        value.set('description', text(value.get('description')) + ' This is a float type value.');
      }
      value.set('type', openApiType(type));
    }
    if (value.get('type') !== 'array' && value.get('type') !== 'object') continue;
    const nested = dict(value.get('properties'));
    const items = dict(value.get('items'));
    if (nested !== undefined) castProperties(nested);
    else if (items !== undefined) {
      items.set('type', openApiType(typeOf(items)));
      const inner = dict(items.get('items'));
      const innerProperties = dict(items.get('properties'));
      if (items.get('type') === 'array' && inner !== undefined) inner.set('type', openApiType(typeOf(inner)));
      else if (items.get('type') === 'object' && innerProperties !== undefined) castProperties(innerProperties);
    }
  }
}

function toJson(value: PyValue): JsonValue {
  if (typeof value === 'bigint') return Number(value);
  if (isPyList(value)) return value.map(toJson);
  if (value instanceof PyTuple) return value.items.map(toJson);
  if (isPyDict(value)) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJson(v)]));
  return value;
}

/**
 * The functions as the leaderboard's local function-calling handlers (Qwen, Llama 3.1) hand them to the chat
 * template's `tools`: the language-hinted docs themselves, names and BFCL types unchanged.
 */
export function fcTools(entry: BfclEntry): { [key: string]: JsonValue }[] {
  return languageHintedFunctions(entry).map((fn) => toJson(fn) as { [key: string]: JsonValue });
}

/**
 * A function's parameters as JSON Schema with OpenAPI types (`convert_to_tool`'s `_cast_to_openai_type`), the form
 * the JSON-Schema token mask follows in constrained decoding.
 */
export function argumentSchema(fn: PyValue): { [key: string]: JsonValue } {
  const parameters = dict(dict(clone(fn))?.get('parameters')) ?? new Map<PyScalar, PyValue>();
  parameters.set('type', 'object');
  const properties = dict(parameters.get('properties'));
  if (properties !== undefined) castProperties(properties);
  return toJson(parameters) as { [key: string]: JsonValue };
}

/** The first turn as chat messages, for function-calling mode (the tools carry the docs; no system prompt added). */
export function fcMessages(entry: BfclEntry): ChatMessage[] {
  return firstTurn(entry).map((m): ChatMessage => ({ role: chatRole(m.role), content: m.content }));
}
