import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoCatalog, demoImplementations } from '../../data/demo/catalog.js';
import { FunctionExecutor } from '../../tools/executors/registry.js';
import { validateJson } from '../../tools/validate.js';
import type { JsonValue } from '../../tools/types.js';
import { tinyToolGen } from './testing/tiny-toolgen.js';
import { ToolGenAgent } from './agent.js';

test('an untrained ToolGen agent still only calls catalog tools, with arguments that satisfy the schema', async () => {
  const tools = demoCatalog().slice(0, 24);
  const tg = await tinyToolGen(tools, { seed: 5 });
  const run = demoImplementations();
  const executor = new FunctionExecutor();
  for (const tool of tools) executor.register(tool, (args) => JSON.stringify(run.get(tool.id)!(args as JsonValue)));
  const agent = new ToolGenAgent(tg, tools, executor, { beams: 3, maxArgumentTokens: 40 });
  const ids = new Set(tools.map((t) => t.id));
  for (const query of ['add 2 and 3', 'what is the area of a circle of radius 2?']) {
    const answer = await agent.answer(query);
    assert.equal(answer.candidates.length, 3);
    for (const c of answer.candidates) assert.ok(ids.has(c.toolId), `${c.toolId} is a catalog tool`);
    assert.deepEqual(validateJson(answer.tool.parameters, answer.arguments), []);
    assert.equal(JSON.stringify(JSON.parse(answer.argumentsText)), JSON.stringify(answer.arguments));
    if (!answer.observation.ok) assert.notEqual(answer.observation.kind, 'unknown-tool');
  }
  const domain = new Set(tools.filter((t) => t.category === tools[0]!.category).map((t) => t.id));
  for (const c of agent.selectTools('anything at all', domain)) assert.ok(domain.has(c.toolId));
});
