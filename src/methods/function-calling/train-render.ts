/**
 * Examples as training tokens, in one of the two styles BFCL evaluates:
 * - `fc`: the tools go through the chat template's `tools` in the form the BFCL runner passes them (fcStyleTools)
 *   and the gold calls are the assistant's `tool_calls` (Qwen's Hermes-style `<tool_call>` blocks, Llama-3's JSON,
 *   whatever the model's template writes);
 * - `prompting`: the tools are described in a system prompt and the assistant's text is the calls in Python
 *   syntax, `[f(a=1), g(b='x')]`.
 * The loss falls on the assistant turns that call tools only — the calls and the end-of-turn marker that stops
 * generation; the system prompt, the tools, the user's question, tool results and the assistant's plain replies
 * are context (buildChatTrainingExample masks them).
 */
import { buildChatTrainingExample } from '../../models/chat-example.js';
import { IGNORE_INDEX } from '../../models/decoder.js';
import type { BfclEntry } from '../../eval/bfcl/dataset.js';
import { bfclSystemPrompt, fcTools, languageHintedFunctions } from '../../eval/bfcl/prompts.js';
import { parseJson } from '../../tools/calls/json.js';
import type { TokenizedExample } from '../../train/batches.js';
import type { ChatMessage, ChatTool, ChatToolSpec } from '../../tokenizer/chat-template.js';
import type { JsonValue } from '../../tools/types.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import type { FcExample } from './data.js';
import { pythonCallText } from './data-check.js';

export const FC_STYLES = ['prompting', 'fc'] as const;
export type FcStyle = (typeof FC_STYLES)[number];

export interface FcRenderOptions {
  readonly style: FcStyle;
  /**
   * Prompting style: the system prompt that offers the tools. It must be the prompt the model is evaluated with;
   * the default is `defaultPromptingSystemPrompt`.
   */
  readonly systemPrompt?: (tools: readonly ChatToolSpec[]) => string;
  /** Longer examples are cut to this many tokens (plus the one the last target needs). */
  readonly maxLength?: number;
}

/**
 * The prompting-style instruction: the BFCL leaderboard's system prompt (the one the BFCL runner evaluates with),
 * the functions with its Python-syntax note on each description.
 */
export function defaultPromptingSystemPrompt(tools: readonly ChatToolSpec[]): string {
  return bfclSystemPrompt(tools.map((t) => parseJson(JSON.stringify({ ...t.function, description: `${t.function.description ?? ''}${PYTHON_HINT}` }))));
}

/** The leaderboard's note on each Python function's description. */
const PYTHON_HINT = ' Note that the provided function is in Python 3 syntax.';

/** A BFCL example's docs as the BFCL runner's question entry carries them. */
function bfclEntry(example: FcExample, bfcl: NonNullable<FcExample['bfcl']>): BfclEntry {
  return { id: example.id, category: bfcl.category, functions: [], functionSource: bfcl.functionSource };
}

/**
 * The tools as the chat template receives them in the fc style: what the BFCL runner passes (the leaderboard's
 * local function-calling handlers' form), bare function docs `{name, description, parameters}` with the language
 * note on each description. A BFCL example's docs are the runner's own (fcTools); any other example's tools are
 * written the same way, so a model sees one format in training and in evaluation.
 */
export function fcStyleTools(example: FcExample): ChatTool[] {
  if (example.bfcl !== undefined) return fcTools(bfclEntry(example, example.bfcl));
  return example.tools.map((t) => ({ ...t.function, description: `${t.function.description ?? ''}${PYTHON_HINT}` }) as { [key: string]: JsonValue });
}

/** The prompting style's system prompt of an example: the BFCL runner's for BFCL examples (their docs as parsed). */
function promptingSystemPrompt(example: FcExample, options: FcRenderOptions): string {
  if (options.systemPrompt !== undefined) return options.systemPrompt(example.tools);
  if (example.bfcl !== undefined) return bfclSystemPrompt(languageHintedFunctions(bfclEntry(example, example.bfcl)));
  return defaultPromptingSystemPrompt(example.tools);
}

/** The conversation and tools the chat template renders for an example in a style. */
export function styledConversation(example: FcExample, options: FcRenderOptions): { messages: ChatMessage[]; tools?: readonly ChatTool[] } {
  if (options.style === 'fc') return { messages: [...example.messages], tools: fcStyleTools(example) };
  const prompt = promptingSystemPrompt(example, options);
  const messages: ChatMessage[] = example.messages.map((m) => {
    if (m.role !== 'assistant' || (m.tool_calls?.length ?? 0) === 0) return m;
    return { role: 'assistant', content: pythonCallText(m.tool_calls!, example.tools) };
  });
  // The leaderboard joins its prompt with the question's own system message rather than adding a second one.
  const first = messages[0];
  if (first?.role === 'system') messages[0] = { ...first, content: `${prompt}\n\n${first.content}` };
  else messages.unshift({ role: 'system', content: prompt });
  return { messages };
}

/**
 * A chat template without tool support (plain ChatML, most base models) renders an assistant turn's `tool_calls`
 * as nothing, which would teach the model to answer with an empty turn: every called name must be in the labels.
 */
function checkCallsRendered(tokenizer: Tokenizer, example: FcExample, labels: readonly number[]): void {
  const labelled = tokenizer.decode(labels.filter((l) => l !== IGNORE_INDEX));
  const names = example.messages.flatMap((m) => (m.role === 'assistant' ? (m.tool_calls ?? []).map((c) => c.function.name) : []));
  const missing = names.find((name) => !labelled.includes(name));
  if (missing !== undefined) {
    throw new Error(`the model's chat template does not write the assistant's tool_calls (example ${example.id}: no '${missing}' in the rendered answer); train with the prompting style, or give the tokenizer a chat template with tool support`);
  }
}

/** One example as input ids and labels (IGNORE_INDEX outside the assistant's turns). */
export function tokenizeFcExample(tokenizer: Tokenizer, example: FcExample, options: FcRenderOptions): TokenizedExample {
  const { messages, tools } = styledConversation(example, options);
  // The loss is on the calls: assistant text turns of a dialogue (API-Bank's replies) are context. Prompting style
  // adds a system message first, which shifts the indices by one.
  const shift = messages.length - example.messages.length;
  const trained = (i: number): boolean => (example.messages[i - shift]?.tool_calls?.length ?? 0) > 0;
  const ex = buildChatTrainingExample(tokenizer, messages, { trained, ...(tools ? { tools } : {}) });
  if (options.style === 'fc') checkCallsRendered(tokenizer, example, ex.labels);
  const keep = options.maxLength === undefined ? ex.inputIds.length : options.maxLength + 1;
  return { inputIds: ex.inputIds.slice(0, keep), labels: ex.labels.slice(0, keep) };
}
