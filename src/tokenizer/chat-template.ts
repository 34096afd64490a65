import type { Tokenizer } from './types.js';
import { Template } from '@huggingface/jinja';
import type { JsonValue } from '../tools/types.js';

/** A function call made by the assistant, in the shape chat templates expect. */
export interface ChatToolCall {
  type: 'function';
  function: { name: string; arguments: { [key: string]: JsonValue } | string };
  id?: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  tool_calls?: ChatToolCall[];
  /** For `tool` messages: the id of the call answered. */
  tool_call_id?: string;
  name?: string;
}

/** A tool offered to the model, as OpenAI-style function specs that chat templates render. */
export interface ChatToolSpec {
  type: 'function';
  function: { name: string; description?: string; parameters?: { [key: string]: JsonValue } };
}

/**
 * A tool as a template receives it: an OpenAI-style spec, or a bare function doc (`{name, description,
 * parameters}`), the form some evaluation harnesses pass (the BFCL handlers for Qwen and Llama 3.1).
 */
export type ChatTool = ChatToolSpec | { readonly [key: string]: JsonValue };

export interface ChatTemplateOptions {
  /** End with the opening of an assistant turn so the model writes the reply. */
  addGenerationPrompt?: boolean;
  tools?: readonly ChatTool[];
  bosToken?: string;
  eosToken?: string;
  /** Extra template variables (e.g. Qwen3's `enable_thinking`). */
  extra?: Record<string, unknown>;
}

/** ChatML, used when a tokenizer ships no template: `<|im_start|>role\ncontent<|im_end|>\n` per message. */
export const CHATML_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

const compiled = new Map<string, Template>();

/** Renders a Hugging Face (Jinja) chat template; a template error names the problem instead of returning text. */
export function applyChatTemplate(template: string | undefined, messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
  const source = template ?? CHATML_TEMPLATE;
  let tpl = compiled.get(source);
  if (!tpl) {
    try {
      tpl = new Template(source);
    } catch (err) {
      throw new Error(`chat template does not parse: ${(err as Error).message}`);
    }
    compiled.set(source, tpl);
  }
  const context: Record<string, unknown> = {
    ...options.extra,
    messages,
    add_generation_prompt: options.addGenerationPrompt ?? false,
    bos_token: options.bosToken ?? '',
    eos_token: options.eosToken ?? '',
  };
  if (options.tools && options.tools.length > 0) context['tools'] = options.tools;
  try {
    return tpl.render(context);
  } catch (err) {
    throw new Error(`chat template failed to render: ${(err as Error).message}`);
  }
}

/**
 * The ids of a conversation rendered with the tokenizer's chat template, ending with an open assistant turn; `tools`
 * go to the template's `tools` variable.
 */
export function chatPromptIds(tokenizer: Tokenizer, messages: readonly ChatMessage[], tools?: readonly ChatTool[]): number[] {
  const special = (id: number | undefined): string => (id === undefined ? '' : (tokenizer.idToToken(id) ?? ''));
  const text = applyChatTemplate(tokenizer.chatTemplate, messages, {
    addGenerationPrompt: true,
    bosToken: special(tokenizer.bosId),
    eosToken: special(tokenizer.eosId),
    ...(tools !== undefined ? { tools } : {}),
  });
  return tokenizer.encode(text);
}
