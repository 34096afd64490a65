import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateJson } from '../../tools/validate.js';
import { demoCatalog, demoImplementations } from './catalog.js';
import { demoTask, generateDemoTasks } from './tasks.js';

test('multi-step tasks chain two or three distinct tools, each later step taking the previous result', () => {
  const tools = new Map(demoCatalog().map((t) => [t.id, t]));
  const run = demoImplementations();
  const tasks = generateDemoTasks({ seed: 3, count: 40 });
  assert.equal(new Set(tasks.map((t) => t.task)).size, 40);
  for (const t of tasks) {
    assert.ok(t.plan.length === 2 || t.plan.length === 3, t.task);
    assert.equal(new Set(t.plan.map((c) => c.tool)).size, t.plan.length);
    assert.match(t.task, /the result/);
    let previous: unknown;
    for (const [i, call] of t.plan.entries()) {
      assert.deepEqual(validateJson(tools.get(call.tool)!.parameters, call.arguments), [], t.task);
      if (i > 0) assert.ok(Object.values(call.arguments as object).some((v) => JSON.stringify(v) === JSON.stringify(previous)), `${t.task}: step ${i + 1} uses the result`);
      previous = run.get(call.tool)!(call.arguments);
    }
    assert.equal(t.answer, typeof previous === 'string' ? previous : JSON.stringify(previous), 'the answer is what the gold plan computes');
  }
  assert.deepEqual(generateDemoTasks({ seed: 3, count: 5 }), tasks.slice(0, 5), 'the same seed gives the same tasks');
});

test('a hand-written task gets its answer by running its plan', () => {
  const t = demoTask('t', 'Convert 37 degrees Celsius to Fahrenheit. Then round the result to 0 decimal places.', [
    { tool: 'convert_temperature', arguments: { value: 37, from_scale: 'C', to_scale: 'F' } },
    { tool: 'round_number', arguments: { value: 98.6, decimals: 0 } },
  ]);
  assert.equal(t.answer, '99');
});
