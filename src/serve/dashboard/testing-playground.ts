/**
 * For tests: a playground on an untrained ToolGen model indexing six demo tools and Finish, with the demo tools' real
 * implementations as the executor. Random weights answer nonsense, but the constrained search can only name indexed
 * tools and the arguments always fit the tool's schema, which is what the tests check.
 */
import { demoCatalog, demoExecutor } from '../../data/demo/catalog.js';
import { FINISH_TOOL } from '../../methods/toolgen/examples.js';
import { ToolGenPolicy } from '../../methods/toolgen/policy.js';
import { tinyToolGen } from '../../methods/toolgen/testing/tiny-toolgen.js';
import { Playground } from './playground.js';

export const PLAYGROUND_TOOLS = demoCatalog().slice(0, 6);

export async function tinyPlayground(): Promise<Playground> {
  const model = await tinyToolGen([...PLAYGROUND_TOOLS, FINISH_TOOL], { documented: PLAYGROUND_TOOLS, vocabSize: 320, maxPositions: 1024 });
  const policy = new ToolGenPolicy(model, {});
  return new Playground({ model, policy, tools: PLAYGROUND_TOOLS, executor: demoExecutor(PLAYGROUND_TOOLS, { timeoutMs: 5000 }), loop: { maxSteps: 2, retryTemperatures: [0] } });
}
