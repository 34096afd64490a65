import { resolve } from 'node:path';
import { CliError, helpText, parseFlags, wantsHelp, type CliCommand } from '../args.js';
import { createDashboardServer } from '../../serve/dashboard/dashboard.js';
import { Playground } from '../../serve/dashboard/playground.js';
import { agentFlags, loopOptions, setUpAgent, type AgentSetup } from './agent-inputs.js';
import { checkRunFolders } from './run-folders.js';
import { untilStopped } from './until-stopped.js';

const summary = 'A live dashboard of training runs in the browser: loss, learning-rate and throughput curves as metrics.jsonl grows, configurations, results and reports, runs compared; with --model, a playground for a ToolGen model.';

const flags = {
  ...agentFlags,
  model: { kind: 'string', help: "a ToolGen model for the page's playground (top-k tools of the constrained search, then the agent's steps on a typed request)" },
  maxSteps: { ...agentFlags.maxSteps, default: 4, help: 'most agent steps per playground request' },
  port: { kind: 'int', help: 'TCP port (0 picks a free one)', default: 8090, min: 0, max: 65535 },
  host: { kind: 'string', help: 'address to bind; anything but loopback shows your runs to the network', default: '127.0.0.1' },
} as const;

export const command: CliCommand = {
  summary,
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(
        helpText('dashboard', summary, flags, '[RUN_DIR...]') +
          '\n\nEach RUN_DIR is a run directory (metrics.jsonl, config.json, checkpoints/) or a folder holding them up to two levels down\n' +
          '(a demo output folder, a folder of experiments); runs started later in it appear by themselves. Default: the current folder.\n',
      );
      return 0;
    }
    const f = parseFlags(argv, flags);
    const runs = f._.length > 0 ? f._ : ['.'];
    checkRunFolders(runs, 'RUN_DIR');
    let setup: AgentSetup | undefined;
    let playground: Playground | undefined;
    if (f.model !== undefined) {
      const agent = { ...f, model: f.model };
      setup = await setUpAgent(agent);
      for (const w of setup.warnings) process.stderr.write(`warning: ${w}\n`);
      playground = new Playground({ ...setup, loop: loopOptions(agent) });
    }
    const server = createDashboardServer({ runs, ...(playground === undefined ? {} : { playground }) });
    let address;
    try {
      address = await server.listen(f.port, f.host);
    } catch (err) {
      throw new CliError(`cannot listen on ${f.host}:${f.port}: ${(err as Error).message}`);
    }
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    process.stderr.write(`dashboard of ${runs.map((r) => resolve(r)).join(', ')} on http://${host}:${address.port}/\n`);
    await untilStopped(async () => {
      await server.close();
      await setup?.close();
    });
    return 0;
  },
};
