/** `toolken agent`: ToolGen's agent on one task, each turn printed as it happens. */
import { resolve } from 'node:path';
import { formatAgentEvent, runAgent } from '../../methods/toolgen/agent-loop.js';
import { trajectoryAnswerFile } from '../../methods/toolgen/trajectory.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { CliError, helpText, parseFlags, wantsHelp, type CliCommand } from '../args.js';
import { agentFlags, loopOptions, setUpAgent } from './agent-inputs.js';

const flags = {
  ...agentFlags,
  json: { kind: 'string', help: 'write the run here in the ToolBench answer format (agent tuning reads it back)' },
} as const;

const summary = 'Run ToolGen\'s agent on a task: Thought, action, arguments, observation per step until it answers';

export const command: CliCommand = {
  summary,
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(helpText('agent', summary + '.', flags, '"task"') + '\n');
      return 0;
    }
    const f = parseFlags(argv, flags);
    if (f._.length !== 1) throw new CliError(`agent takes exactly one task (quote it), got ${f._.length} arguments`);
    const task = f._[0]!;
    if (task.trim() === '') throw new CliError('the task is empty');
    const options = loopOptions(f);
    const setup = await setUpAgent(f);
    for (const w of setup.warnings) process.stderr.write(`warning: ${w}\n`);
    try {
      const trajectory = await runAgent({
        task,
        policy: setup.policy,
        tools: setup.tools,
        executor: setup.executor,
        options,
        onEvent: (e) => process.stdout.write(formatAgentEvent(e) + '\n'),
      });
      if (f.json !== undefined) {
        writeJsonAtomic(resolve(f.json), trajectoryAnswerFile(trajectory));
        process.stderr.write(`trajectory written to ${resolve(f.json)}\n`);
      }
      return trajectory.finishType === 'give_answer' ? 0 : 1;
    } finally {
      await setup.close();
    }
  },
};
