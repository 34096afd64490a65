import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoCatalog, demoExecutor } from '../../data/demo/catalog.js';
import { runAgent } from './agent-loop.js';
import { ToolGenPolicy } from './policy.js';
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
