/**
 * The prompt of a chat request: the conversation (tool calls and tool results included) and the offered tools,
 * rendered with the model's chat template. A template that ignores tools (plain ChatML, as scratch models ship) is
 * replaced by a Hermes-style one (Qwen 2.5 / Qwen 3 write tool calls the same way): tools listed in the system turn
 * inside `<tools>`, each call a `<tool_call>` block holding `{"name": ..., "arguments": ...}`, each result a
 * `<tool_response>` block in a user turn.
 */
import { applyChatTemplate, type ChatMessage, type ChatToolSpec } from '../tokenizer/chat-template.js';
import type { Tokenizer } from '../tokenizer/types.js';

/** What opens and closes one tool call in the model's output. */
export const TOOL_CALL_OPEN = '<tool_call>';
export const TOOL_CALL_CLOSE = '</tool_call>';

export const HERMES_TOOL_TEMPLATE =
  "{%- if tools %}{{- '<|im_start|>system\\n' }}{%- if messages[0].role == 'system' %}{{- messages[0].content + '\\n\\n' }}{%- endif %}" +
  "{{- '# Tools\\n\\nYou may call one or more functions. Function signatures are within <tools></tools>:\\n<tools>' }}" +
  "{%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}" +
  "{{- '\\n</tools>\\n\\nFor each call return a JSON object with the function name and arguments within <tool_call></tool_call> tags.<|im_end|>\\n' }}" +
  "{%- elif messages[0].role == 'system' %}{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}{%- endif %}" +
  "{%- for message in messages %}" +
  "{%- if message.role == 'user' %}{{- '<|im_start|>user\\n' + message.content + '<|im_end|>\\n' }}" +
  "{%- elif message.role == 'assistant' %}{{- '<|im_start|>assistant\\n' + message.content }}" +
  "{%- if message.tool_calls %}{%- for call in message.tool_calls %}{%- if loop.first and not message.content %}{{- '<tool_call>\\n' }}{%- else %}{{- '\\n<tool_call>\\n' }}{%- endif %}" +
  "{{- '{\"name\": \"' + call.function.name + '\", \"arguments\": ' + (call.function.arguments | tojson) + '}\\n</tool_call>' }}{%- endfor %}{%- endif %}" +
  "{{- '<|im_end|>\\n' }}" +
  "{%- elif message.role == 'tool' %}{%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}" +
  "{{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}" +
  "{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\\n' }}{%- endif %}{%- endif %}" +
  "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

/** The model's template when it renders tools and tool calls, else the Hermes template. */
export function toolAwareTemplate(template: string | undefined): string {
  return template !== undefined && template.includes('tool_call') ? template : HERMES_TOOL_TEMPLATE;
}

/** The prompt ids: the rendered conversation ending with an open assistant turn. */
export function renderPrompt(tokenizer: Tokenizer, messages: readonly ChatMessage[], tools: readonly ChatToolSpec[]): number[] {
  const special = (id: number | undefined): string => (id === undefined ? '' : (tokenizer.idToToken(id) ?? ''));
  const text = applyChatTemplate(toolAwareTemplate(tokenizer.chatTemplate), messages, {
    addGenerationPrompt: true,
    tools,
    bosToken: special(tokenizer.bosId),
    eosToken: special(tokenizer.eosId),
  });
  return tokenizer.encode(text);
}
