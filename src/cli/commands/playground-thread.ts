/**
 * The worker thread of the playground that `toolken dashboard --model` and `toolken serve --playground` show: it sets
 * up the agent from the command's flags (the model, its catalog, the executor) and answers the page's requests, so
 * the model's kernels run off the server's event loop. Started by startAgentPlayground (agent-inputs.ts).
 */
import { Playground } from '../../serve/dashboard/playground.js';
import { hostPlayground } from '../../serve/dashboard/playground-worker.js';
import { loopOptions, setUpAgent, type AgentFlags } from './agent-inputs.js';

hostPlayground(async (data) => {
  const flags = data as AgentFlags;
  const setup = await setUpAgent(flags);
  return { playground: new Playground({ ...setup, loop: loopOptions(flags) }), warnings: setup.warnings, close: () => setup.close() };
});
