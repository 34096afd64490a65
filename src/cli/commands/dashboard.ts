import { resolve } from 'node:path';
import { CliError, helpText, parseFlags, wantsHelp, type CliCommand } from '../args.js';
import { ApiKey } from '../../serve/auth.js';
import { createDashboardServer } from '../../serve/dashboard/dashboard.js';
import { agentFlags, startAgentPlayground } from './agent-inputs.js';
import type { PlaygroundWorker } from '../../serve/dashboard/playground-worker.js';
import { checkRunFolders } from './run-folders.js';
import { untilStopped } from './until-stopped.js';

const summary = 'A live dashboard of training runs in the browser: loss, learning-rate and throughput curves as metrics.jsonl grows, configurations, results and reports, runs compared; with --model, a playground for a ToolGen model.';

const flags = {
  ...agentFlags,
  model: { kind: 'string', help: "a ToolGen model for the page's playground (top-k tools of the constrained search, then the agent's steps on a typed request)" },
  maxSteps: { ...agentFlags.maxSteps, default: 4, help: 'most agent steps per playground request' },
  port: { kind: 'int', help: 'TCP port (0 picks a free one)', default: 8090, min: 0, max: 65535 },
  host: { kind: 'string', help: 'address to bind; anything but loopback shows your runs to the network', default: '127.0.0.1' },
  apiKey: { kind: 'string', help: 'require the key: open the page once as /?key=KEY (a cookie keeps the browser in); API calls may send "Authorization: Bearer KEY"' },
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
    // The playground's model runs on its own thread, so the page keeps being served while it answers.
    const playground: PlaygroundWorker | undefined = f.model === undefined ? undefined : await startAgentPlayground({ ...f, model: f.model });
    const server = createDashboardServer({
      runs,
      ...(playground === undefined ? {} : { playground }),
      ...(f.apiKey === undefined ? {} : { apiKey: new ApiKey(f.apiKey) }),
    });
    let address;
    try {
      address = await server.listen(f.port, f.host);
    } catch (err) {
      await playground?.close();
      throw new CliError(`cannot listen on ${f.host}:${f.port}: ${(err as Error).message}`);
    }
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const entry = f.apiKey === undefined ? '' : '?key=<your --api-key>';
    process.stderr.write(`dashboard of ${runs.map((r) => resolve(r)).join(', ')} on http://${host}:${address.port}/${entry}\n`);
    await untilStopped(async () => {
      await server.close();
      await playground?.close();
    });
    return 0;
  },
};
