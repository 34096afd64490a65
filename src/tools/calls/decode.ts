/**
 * Turns a model's answer into calls. Text answers are read in the category's call syntax (Python, Java or
 * JavaScript) or as JSON tool calls; structured answers are OpenAI `tool_calls`, `{"name", "arguments"}` lists or
 * the leaderboard's own `{function: {args}}` form. Wrappers models commonly emit are removed on purpose: Markdown
 * code fences (```python, ```json, ...), `<tool_call>...</tool_call>` blocks and the leaderboard's `<TOOLCALL>` tag.
 * Anything unreadable is a decode error value, never an exception.
 */
import { CLikeLanguage, decodeCLikeCalls } from './c-like-syntax.js';
import { parseJson } from './json.js';
import { CallReading, DecodeError, DecodedCall, decodePythonCalls } from './python-syntax.js';
import { PyValue, isPyDict, isPyList, pyRepr } from './values.js';

/**
 * How the answer was asked for: `prompting` (the leaderboard's system prompt, calls written as code) or `fc`
 * (functions offered through the chat template's tools, calls emitted as `<tool_call>` blocks or JSON).
 */
export type CallMode = 'prompting' | 'fc';

export interface DecodeOptions {
  /** Default `lenient`. */
  readonly reading?: CallReading;
  /** Default `prompting`; only the official reading tells the two apart. */
  readonly mode?: CallMode;
}

/** The call syntaxes model text is written in: Python, Java or JavaScript calls. */
export type CallLanguage = 'python' | 'java' | 'javascript';

export type DecodeFormat = CallLanguage | 'json' | 'tool_calls';

export type DecodeOutcome =
  | { readonly ok: true; readonly calls: readonly DecodedCall[]; readonly format: DecodeFormat }
  | { readonly ok: false; readonly error: string };

const TOOL_CALL_BLOCK = /<tool_call>([\s\S]*?)(?:<\/tool_call>|$)/g;
const INFO_CHAR = /[\w+-]/;

/**
 * The body of a Markdown fence that wraps the whole text (```lang ... ```), or undefined. Scans by index rather
 * than with a lazy regular expression, so peeling k nested fences costs time linear in the text, not k passes.
 */
function fenceBody(body: string): string | undefined {
  if (body.length < 6 || !body.startsWith('```') || !body.endsWith('```')) return undefined;
  let start = 3;
  while (INFO_CHAR.test(body[start] ?? '')) start++;
  while (body[start] === ' ' || body[start] === '\t') start++;
  if (body[start] === '\n') start++;
  let end = body.length - 3;
  if (end > start && body[end - 1] === '\n') end--;
  return body.slice(start, end);
}

/** The text between the first `<TOOLCALL>` and the first `</TOOLCALL>` after it, or undefined. */
function bfclTagBody(body: string): string | undefined {
  const open = body.indexOf('<TOOLCALL>');
  if (open === -1) return undefined;
  const close = body.indexOf('</TOOLCALL>', open + '<TOOLCALL>'.length);
  return close === -1 ? undefined : body.slice(open + '<TOOLCALL>'.length, close);
}

/** Removes one wrapper layer at a time until none is left. */
function unwrap(text: string): { body: string; toolCallBlocks?: string[] } {
  let body = text.trim();
  for (;;) {
    const inner = fenceBody(body) ?? bfclTagBody(body);
    if (inner !== undefined) {
      body = inner.trim();
      continue;
    }
    if (body.includes('<tool_call>')) {
      return { body, toolCallBlocks: [...body.matchAll(TOOL_CALL_BLOCK)].map((m) => m[1]!.trim()) };
    }
    return { body };
  }
}

function argumentsOf(raw: PyValue | undefined, where: string): Map<string, PyValue> {
  const value = typeof raw === 'string' ? parseJson(raw.trim() === '' ? '{}' : raw) : (raw ?? new Map());
  if (!isPyDict(value)) throw new DecodeError(`${where}: arguments must be an object, got ${pyRepr(value)}`);
  const args = new Map<string, PyValue>();
  for (const [key, v] of value) {
    if (typeof key !== 'string') throw new DecodeError(`${where}: argument names must be strings`);
    args.set(key, v);
  }
  return args;
}

/** One structured call in any of the accepted shapes. */
function structuredCall(item: PyValue, where: string): DecodedCall {
  if (!isPyDict(item)) throw new DecodeError(`${where}: expected a call object, got ${pyRepr(item)}`);
  const fn = item.get('function');
  if (isPyDict(fn)) return structuredCall(fn, where);
  const name = item.get('name');
  if (typeof name === 'string') {
    const args = item.get('arguments') ?? item.get('parameters') ?? item.get('args');
    return { name, args: argumentsOf(args, `${where} (${name})`) };
  }
  if (item.size === 1) {
    const [key, args] = [...item][0]!;
    if (typeof key === 'string' && (isPyDict(args) || typeof args === 'string')) return { name: key, args: argumentsOf(args, `${where} (${key})`) };
  }
  throw new DecodeError(`${where}: a call needs "name" and "arguments" (or {function: {args}}), got ${pyRepr(item)}`);
}

/** Structured tool calls: a message with `tool_calls`, a list of calls, or a single call object. */
export function decodeToolCalls(value: PyValue): DecodedCall[] {
  if (isPyDict(value) && value.has('tool_calls')) {
    const calls = value.get('tool_calls');
    if (calls === null || calls === undefined) return [];
    return decodeToolCalls(calls);
  }
  if (isPyList(value)) return value.flatMap((item, i) => (isPyList(item) ? decodeToolCalls(item) : [structuredCall(item, `call ${i}`)]));
  return [structuredCall(value, 'call 0')];
}

const looksLikeJson = (body: string): boolean => body.startsWith('{') || /^\[\s*\{/.test(body);

function decodeText(text: string, language: CallLanguage): { calls: DecodedCall[]; format: DecodeFormat } {
  const { body, toolCallBlocks } = unwrap(text);
  if (toolCallBlocks !== undefined) return { calls: toolCallBlocks.flatMap((block) => decodeToolCalls(parseJson(block))), format: 'json' };
  if (looksLikeJson(body)) return { calls: decodeToolCalls(parseJson(body)), format: 'json' };
  if (language === 'python') return { calls: decodePythonCalls(body), format: 'python' };
  return { calls: decodeCLikeCalls(body, language as CLikeLanguage), format: language };
}

/** The official prompting decoder: the text in the category's call syntax, no wrapper removed, no JSON. */
function decodeOfficialPrompting(text: string, language: CallLanguage): { calls: DecodedCall[]; format: DecodeFormat } {
  if (language === 'python') return { calls: decodePythonCalls(text, 'official'), format: 'python' };
  return { calls: decodeCLikeCalls(text, language, 'official'), format: language };
}

/** The blocks the leaderboard's Qwen (Hermes) handler reads: a newline right after `<tool_call>` and before the end. */
const HERMES_BLOCK = /<tool_call>\n([\s\S]*?)\n<\/tool_call>/g;

/**
 * The official function-calling decoders for local models: Hermes `<tool_call>` blocks (QwenFCHandler: blocks that
 * are not JSON are skipped, each call needs `name` and an object `arguments`), otherwise Llama-3 JSON
 * (LlamaHandler_3_1: `<|python_tag|>` removed, calls separated by `;` or given as one object or a list, each with
 * `name` and `parameters`).
 */
function decodeOfficialFc(text: string): { calls: DecodedCall[]; format: DecodeFormat } {
  const strict = (item: PyValue, argsKey: string, where: string): DecodedCall => {
    if (!isPyDict(item)) throw new DecodeError(`${where}: a call must be an object, got ${pyRepr(item)}`);
    const name = item.get('name');
    const args = item.get(argsKey);
    if (typeof name !== 'string') throw new DecodeError(`${where}: a call needs a string "name"`);
    if (!isPyDict(args)) throw new DecodeError(`${where} (${name}): "${argsKey}" must be an object`);
    return { name, args: argumentsOf(args, `${where} (${name})`) };
  };
  if (text.includes('<tool_call>')) {
    const calls: DecodedCall[] = [];
    for (const [i, m] of [...text.matchAll(HERMES_BLOCK)].entries()) {
      let value: PyValue;
      try {
        value = parseJson(m[1]!);
      } catch {
        continue;
      }
      calls.push(strict(value, 'arguments', `tool call ${i}`));
    }
    return { calls, format: 'json' };
  }
  const body = text.replace(/<\|python_tag\|>/g, '');
  const items = body.includes(';') ? body.split(';').map((part) => parseJson(part.trim())) : [parseJson(body.trim())];
  const calls = items.flatMap((item) => (isPyList(item) ? item : [item])).map((item, i) => strict(item, 'parameters', `call ${i}`));
  return { calls, format: 'json' };
}

/**
 * Decodes one prediction (`result` of a predictions line) for a category of the given language. The lenient reading
 * reads text as described above and lists and objects as structured tool calls; the official reading does what the
 * leaderboard's decoder for the mode does (README.md in src/eval/bfcl).
 */
export function decodeModelOutput(result: PyValue, language: CallLanguage, options: DecodeOptions = {}): DecodeOutcome {
  const official = options.reading === 'official';
  try {
    if (typeof result === 'string' && official) {
      return { ok: true, ...(options.mode === 'fc' ? decodeOfficialFc(result) : decodeOfficialPrompting(result, language)) };
    }
    if (official && options.mode !== 'fc') return { ok: false, error: `the prompting decoder reads model text, got ${pyRepr(result)}` };
    if (typeof result === 'string') return { ok: true, ...decodeText(result, language) };
    if (isPyList(result) || isPyDict(result)) return { ok: true, calls: decodeToolCalls(result), format: 'tool_calls' };
    return { ok: false, error: `expected model text or tool calls, got ${pyRepr(result)}` };
  } catch (err) {
    // SyntaxError and RangeError come from BigInt on malformed number text; all four are facts about the input.
    if (err instanceof Error && ['DecodeError', 'JsonSyntaxError', 'SyntaxError', 'RangeError'].includes(err.name)) return { ok: false, error: err.message };
    throw err;
  }
}
