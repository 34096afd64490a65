import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { demoCatalog, demoExecutor } from '../../data/demo/catalog.js';
import { demoTask } from '../../data/demo/tasks.js';
import { RunDirectory } from '../../train/run-dir.js';
import { runAgent } from './agent-loop.js';
import { FINISH_TOOL } from './examples.js';
import { trainInContextAgent } from './in-context.js';
import { goldConversation } from './plan-policy.js';
import { reactConversation, reactMessages, ReactPolicy, reactSystemPrompt } from './react-policy.js';
import { tinyToolGen } from './testing/tiny-toolgen.js';

const tools = demoCatalog();
const offered = tools.filter((t) => ['greatest_common_divisor', 'multiply_numbers', 'add_numbers'].includes(t.id));
const task = demoTask('t', 'What is the GCD of 84 and 126? Then multiply the result by 3.', [
  { tool: 'greatest_common_divisor', arguments: { a: 84, b: 126 } },
  { tool: 'multiply_numbers', arguments: { a: 42, b: 3 } },
]);
const gold = () =>
  goldConversation({ task: task.task, plan: task.plan, tools: offered, executor: demoExecutor(tools), toolText: (id) => offered.find((t) => t.id === id)?.name ?? id, options: { systemPrompt: reactSystemPrompt(offered) } });

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('the system prompt lists a signature per offered tool, then Finish', () => {
  const lines = reactSystemPrompt(offered).split('\n');
  assert.ok(lines.includes('greatest_common_divisor(a: integer, b: integer): Finds the greatest common divisor of two integers.'), lines.join('\n'));
  assert.ok(lines.includes(`Finish(return_type: "give_answer"|"give_up_and_restart", final_answer?: string): ${FINISH_TOOL.description}`));
  assert.equal(lines.filter((l) => /^\w+\(/.test(l)).length, offered.length + 1);
});

test('a gold run becomes one ReAct assistant turn per step, observations between them', async () => {
  const { messages } = await gold();
  const react = reactConversation(messages);
  assert.deepEqual(react.map((m) => m.role), ['system', 'user', 'assistant', 'tool', 'assistant', 'tool', 'assistant']);
  assert.equal(react[0]!.content, reactSystemPrompt(offered));
  assert.equal(react[1]!.content, task.task);
  assert.equal(react[2]!.content, 'Thought: What is the GCD of 84 and 126?\nAction: greatest_common_divisor\nAction Input: {"a":84,"b":126}');
  assert.equal(react[3]!.content, '{"error":"","response":"42"}');
  assert.equal(react[6]!.content, `Thought: I have the answer.\nAction: Finish\nAction Input: {"return_type":"give_answer","final_answer":"${task.answer}"}`);
});

test('a conversation cut inside a step hands back the fields written so far', async () => {
  const { messages } = await gold();
  // Cut after the second step's action and its arguments prompt: thought and action are written, the input is not.
  const cut = messages.slice(0, messages.findIndex((m, i) => i > 8 && m.content.startsWith('Please give the input.')) + 1);
  const { messages: turns, open } = reactMessages(cut);
  assert.equal(turns.length, 4);
  assert.deepEqual(open, { thought: 'Then multiply the result by 3.', action: 'multiply_numbers' });
  assert.equal(reactMessages(messages.slice(0, 2)).open, undefined);
});

test('a model trained on a ReAct run plays it back through the agent loop: same tokens in training and at inference', async () => {
  const { messages } = await gold();
  const conversation = reactConversation(messages);
  const tg = await tinyToolGen(offered, { texts: conversation.map((m) => m.content), vocabSize: 500, maxPositions: 1024 });
  const dir = mkdtempSync(join(tmpdir(), 'toolken-react-'));
  dirs.push(dir);
  trainInContextAgent({
    model: tg.model, tokenizer: tg.tokenizer, conversations: [{ messages: conversation }], run: RunDirectory.open(dir, { resume: false }),
    sft: { epochs: 150, batchSize: 1, lr: 1e-2, warmup: 0, maxLength: 1024, seed: 0 }, showProgress: false,
  });
  const policy = new ReactPolicy(tg, offered);
  const run = await runAgent({ task: task.task, policy, tools: offered, executor: demoExecutor(tools), options: { systemPrompt: reactSystemPrompt(offered), retryTemperatures: [0], maxSteps: 4 } });
  assert.deepEqual(run.steps.map((s) => [s.action.toolId, s.arguments]), [
    ['greatest_common_divisor', { a: 84, b: 126 }],
    ['multiply_numbers', { a: 42, b: 3 }],
    ['Finish', { return_type: 'give_answer', final_answer: task.answer }],
  ]);
  assert.equal(run.finishType, 'give_answer');
  assert.equal(run.answer, task.answer);
});

test('an untrained model names no offered tool: each action is a hallucinated one and the run stops at the step limit', async () => {
  const tg = await tinyToolGen(offered);
  const run = await runAgent({ task: task.task, policy: new ReactPolicy(tg, offered, { maxThoughtTokens: 4, maxNameTokens: 4 }), tools: offered, executor: demoExecutor(tools), options: { systemPrompt: reactSystemPrompt(offered), retryTemperatures: [0], maxSteps: 2 } });
  assert.equal(run.finishType, 'step_limit');
  assert.deepEqual(run.steps.map((s) => s.kind), ['unknown-action', 'unknown-action']);
});
