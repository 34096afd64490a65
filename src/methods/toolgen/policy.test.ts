import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoCatalog, demoExecutor } from '../../data/demo/catalog.js';
import { runAgent } from './agent-loop.js';
import { ToolGenPolicy } from './policy.js';
import { ACTION_PROMPT, FINISH_FUNCTION } from './examples.js';
import { Bm25Index } from '../../retrieval/bm25.js';
import { LexicalPrior } from '../../retrieval/lexical-prior.js';
import { FINISH_THOUGHT, nextThoughts } from './quoted-thoughts.js';
import { tinyToolGen } from './testing/tiny-toolgen.js';

test('even an untrained ToolGen policy only thinks quotes of the task in reading order and the finish thought only after the last sentence', async () => {
  const tools = demoCatalog().slice(0, 24);
  const tg = await tinyToolGen(tools, { seed: 3 });
  const task = 'What is 12 plus 30? Then multiply the result by 3. After that, round the result.';
  for (const seed of [0, 1, 2]) {
    const run = await runAgent({ task, policy: new ToolGenPolicy(tg), tools, executor: demoExecutor(tools), options: { maxSteps: 5, retryTemperatures: [1], seed } });
    const thoughts = run.steps.map((s) => s.thought);
    thoughts.forEach((thought, i) => assert.ok(nextThoughts(task, thoughts.slice(0, i)).includes(thought), `step ${i + 1}: ${JSON.stringify(thought)}`));
    // The finish thought comes only after the last sentence is quoted.
    const last = thoughts.findIndex((t) => t !== FINISH_THOUGHT && task.endsWith(t));
    thoughts.forEach((t, i) => assert.equal(t === FINISH_THOUGHT, last !== -1 && i > last, `step ${i + 1}: ${JSON.stringify(t)}`));
  }
});

test('with coverage an untrained policy fills two integer parameters with two different numbers said once each, and never reuses what an earlier call copied', async () => {
  const tools = demoCatalog();
  const gcd = tools.find((t) => t.id === 'greatest_common_divisor')!;
  const tg = await tinyToolGen(tools.slice(0, 24), { seed: 3 });
  const messages = [{ role: 'user' as const, content: 'What is the GCD of 62520 and 48425?' }];
  const texts = [messages[0]!.content];
  for (const seed of [0, 1, 2, 3]) {
    const sampling = { temperature: 1, seed };
    const covered = new ToolGenPolicy(tg).arguments(messages, gcd, { texts, usedArguments: [] }, sampling).value as Record<string, number>;
    assert.deepEqual([covered.a, covered.b].sort(), [48425, 62520], JSON.stringify(covered));
    // An earlier call that took 62520 leaves only 48425 for this one (the coverage budget then lets it fill both).
    const after = new ToolGenPolicy(tg).arguments(messages, gcd, { texts, usedArguments: [{ value: 62520 }] }, sampling).value as Record<string, number>;
    assert.deepEqual([after.a, after.b], [48425, 48425], JSON.stringify(after));
  }
});

test('a tool whose shortest valid arguments exceed the argument budget gets the tokens it needs; one that cannot fit the context comes back as no arguments instead of a crash', async () => {
  const tools = demoCatalog().slice(0, 24);
  const properties = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`digit_number_${i}`, { type: 'integer' as const, minimum: 0, maximum: 9 }]));
  const wide = { id: 'wide_tool', name: 'wide_tool', description: 'Takes twelve digits.', parameters: { type: 'object' as const, properties, required: Object.keys(properties) } };
  const messages = [{ role: 'user' as const, content: 'Fill in every digit.' }];
  const context = { texts: [messages[0]!.content], usedArguments: [] };
  const fits = new ToolGenPolicy(await tinyToolGen(tools, { seed: 3 }), { maxArgumentTokens: 96 });
  const value = fits.arguments(messages, wide, context, { temperature: 1, seed: 0 }).value as Record<string, number>;
  assert.deepEqual(Object.keys(value).sort(), Object.keys(properties).sort(), 'every required parameter was written');
  const cramped = new ToolGenPolicy(await tinyToolGen(tools, { seed: 3, maxPositions: 128 }), { maxArgumentTokens: 32 });
  assert.deepEqual(cramped.arguments(messages, wide, context, { temperature: 0, seed: 0 }), { text: '', value: undefined });
  // Through the loop: the step is an invalid-arguments observation and the run goes on to its step limit.
  const run = await runAgent({ task: 'Fill in every digit.', policy: cramped, tools: [...tools, wide], executor: demoExecutor(tools), options: { maxSteps: 3, retryTemperatures: [0] } });
  assert.equal(run.steps.length > 0, true);
});

test("with a lexical prior of weight 1 the action is BM25's best tool for the step's thought, and Finish stays the model's own decision", async () => {
  const tools = demoCatalog().slice(0, 24);
  const tg = await tinyToolGen(tools, { seed: 3 });
  const bm25 = Bm25Index.fromTools(tools);
  const lexical = new ToolGenPolicy(tg, { lexicalPrior: new LexicalPrior(bm25, { weight: 1 }) });
  const plain = new ToolGenPolicy(tg);
  const allowed = [...tools.map((t) => t.id), FINISH_FUNCTION];
  let finishes = 0;
  for (const tool of tools.slice(0, 8)) {
    const thought = tool.description;
    const messages = [
      { role: 'user' as const, content: thought },
      { role: 'assistant' as const, content: thought },
      { role: 'user' as const, content: ACTION_PROMPT },
    ];
    const own = plain.action(messages, allowed, { temperature: 0, seed: 0 }).toolId;
    const chosen = lexical.action(messages, allowed, { temperature: 0, seed: 0 }).toolId;
    if (own === FINISH_FUNCTION) {
      finishes++;
      assert.equal(chosen, FINISH_FUNCTION, 'the prior does not overrule a Finish');
    } else assert.equal(chosen, bm25.rank(thought, 1)[0]!.id, thought);
  }
  assert.ok(finishes < 8, 'some steps call a tool');
});
