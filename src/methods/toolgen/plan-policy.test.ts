import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoCatalog, demoExecutor } from '../../data/demo/catalog.js';
import { demoTask } from '../../data/demo/tasks.js';
import { goldConversation } from './plan-policy.js';

test('a gold plan played through the loop gives the agent-tuning conversation: each thought quotes the part of the task its call does, and Finish gives the computed answer', async () => {
  const tools = demoCatalog();
  const t = demoTask('t', 'What is the GCD of 84 and 126? Then multiply the result by 3.', [
    { tool: 'greatest_common_divisor', arguments: { a: 84, b: 126 } },
    { tool: 'multiply_numbers', arguments: { a: 42, b: 3 } },
  ]);
  const { messages } = await goldConversation({ task: t.task, plan: t.plan, tools, executor: demoExecutor(tools), toolText: (id) => `<<${id}>>` });
  const assistant = messages.filter((m) => m.role === 'assistant').map((m) => m.content);
  assert.deepEqual(assistant, [
    'What is the GCD of 84 and 126?', '<<greatest_common_divisor>>', '{"a":84,"b":126}',
    'Then multiply the result by 3.', '<<multiply_numbers>>', '{"a":42,"b":3}',
    'I have the answer.', '<<Finish>>', `{"return_type":"give_answer","final_answer":"${t.answer}"}`,
  ]);
  assert.deepEqual(messages.filter((m) => m.role === 'tool').map((m) => m.content), ['{"error":"","response":"42"}', '{"error":"","response":"126"}']);
});

test('a plan whose call fails is refused rather than trained on', async () => {
  const tools = demoCatalog();
  await assert.rejects(
    goldConversation({ task: 'Divide 1 by 0.', plan: [{ tool: 'divide_numbers', arguments: { dividend: 1, divisor: 'zero' } }], tools, executor: demoExecutor(tools), toolText: (id) => id }),
    /divide_numbers failed/,
  );
});
