/**
 * Repair of a model's answer before it is checked: the "JSON repair" scaffolding baseline of "What Actually Improves
 * LLM Tool Calling?". Bounded and code-free: the text is rewritten character by character and never evaluated. The
 * rules, in order:
 * 1. Markdown fences: an opening ```lang line and a closing ``` around the answer are removed, also when the closing
 *    fence is missing (an answer cut at the token limit).
 * 2. JSON bodies (fc mode: each `<tool_call>` block, or the whole answer when it starts with `{` or `[`): single-quoted
 *    strings become double-quoted (inner double quotes escaped, `\'` unescaped), and the Python literals True, False
 *    and None outside strings become true, false and null. Prompting mode writes Python call syntax, where single
 *    quotes and those literals are right, so this step is fc only.
 * 3. Brackets and quotes, both modes: a string left open is closed; a comma right before a closing bracket (or at
 *    the end) is dropped; a closing bracket that closes nothing open is dropped; brackets left open are closed,
 *    innermost first.
 * An answer longer than MAX_REPAIR_CHARS, or nesting deeper than MAX_REPAIR_DEPTH, is returned unchanged: the decoder
 * judges it as it is.
 */
import type { CallMode } from '../../tools/calls/decode.js';

export const MAX_REPAIR_CHARS = 64 * 1024;
export const MAX_REPAIR_DEPTH = 64;

const CLOSING: Readonly<Record<string, string>> = { '[': ']', '(': ')', '{': '}' };
const CLOSERS = new Set(Object.values(CLOSING));
const TOOL_CALL = /<tool_call>([\s\S]*?)(<\/tool_call>|$)/g;

/** Rule 1: the answer without a fence around it. */
function unfence(text: string): string {
  const trimmed = text.trim();
  const open = /^```[\w+-]*[ \t]*\n?/.exec(trimmed);
  if (open === null) return trimmed;
  const body = trimmed.slice(open[0].length);
  return (body.endsWith('```') ? body.slice(0, -3) : body).trim();
}

/** Drops a comma (and the spaces after it) at the end of `out`. */
function dropTrailingComma(out: string[]): void {
  let i = out.length - 1;
  while (i >= 0 && /\s/.test(out[i]!)) i--;
  if (i >= 0 && out[i] === ',') out.length = i;
}

/** Rule 3 with `quotes` as the string delimiters; undefined when nesting runs past the bound. */
function balance(text: string, quotes: string): string | undefined {
  const out: string[] = [];
  const open: string[] = [];
  let quote: string | null = null;
  let escaped = false;
  for (const ch of text) {
    if (quote !== null) {
      out.push(ch);
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === quote) quote = null;
      continue;
    }
    if (quotes.includes(ch)) {
      quote = ch;
      out.push(ch);
    } else if (CLOSING[ch] !== undefined) {
      if (open.length >= MAX_REPAIR_DEPTH) return undefined;
      open.push(CLOSING[ch]!);
      out.push(ch);
    } else if (CLOSERS.has(ch)) {
      if (open.at(-1) !== ch) continue;
      dropTrailingComma(out);
      open.pop();
      out.push(ch);
    } else out.push(ch);
  }
  if (quote !== null) {
    // A dangling backslash would escape the closing quote.
    if (escaped) out.pop();
    out.push(quote);
  }
  if (open.length > 0) dropTrailingComma(out);
  while (open.length > 0) {
    dropTrailingComma(out);
    out.push(open.pop()!);
  }
  return out.join('');
}

/** Rule 2: single-quoted strings double-quoted and Python's literals as JSON's, outside strings. */
function jsonQuotes(text: string): string {
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === null) {
      if (ch === '"' || ch === "'") {
        quote = ch;
        out += '"';
        continue;
      }
      const word = /^(True|False|None)\b/.exec(text.slice(i, i + 6));
      if (word !== null && !/\w/.test(text[i - 1] ?? '')) {
        out += word[1] === 'True' ? 'true' : word[1] === 'False' ? 'false' : 'null';
        i += word[1]!.length - 1;
        continue;
      }
      out += ch;
      continue;
    }
    if (ch === '\\') {
      const next = text[i + 1];
      // Inside a single-quoted string \' is just an apostrophe; other escapes are kept.
      if (quote === "'" && next === "'") out += "'";
      else out += ch + (next ?? '');
      i++;
    } else if (ch === quote) {
      quote = null;
      out += '"';
    } else out += quote === "'" && ch === '"' ? '\\"' : ch;
  }
  return out;
}

function repairJson(body: string): string {
  return balance(jsonQuotes(body), '"') ?? body;
}

/** The answer repaired by the rules above, for the decoder of `mode`. */
export function repairCallText(text: string, mode: CallMode): string {
  if (text.length > MAX_REPAIR_CHARS) return text;
  const body = unfence(text);
  if (mode === 'prompting') return balance(body, '\'"') ?? body;
  if (body.includes('<tool_call>')) return body.replace(TOOL_CALL, (_, inner: string, close: string) => `<tool_call>\n${repairJson(inner.trim())}\n${close === '' ? '</tool_call>' : close}`);
  return body.startsWith('{') || body.startsWith('[') ? repairJson(body) : body;
}
