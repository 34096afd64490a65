import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BFCL_CATEGORIES, BFCL_CATEGORY_GROUPS, BfclEvaluation, evaluateBfcl, formatReport } from '../../eval/bfcl/index.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { CliCommand, CliError, helpText, parseFlags, subcommand, wantsHelp } from '../args.js';

/** The BFCL data beside the toolken checkout (../shared/datasets/bfcl), wherever the command is run from. */
const DEFAULT_BFCL_DATA = join(fileURLToPath(new URL('../../../', import.meta.url)), '..', 'shared', 'datasets', 'bfcl');

const bfclFlags = {
  predictions: { kind: 'string', help: 'JSON lines of {"id": ..., "result": <model text or tool_calls>}' },
  data: { kind: 'string', help: 'BFCL data folder (question files and possible_answer/)', default: DEFAULT_BFCL_DATA },
  category: { kind: 'list', help: `comma-separated categories or groups (${Object.keys(BFCL_CATEGORY_GROUPS).join(', ')}); default: those the predictions cover` },
  groundTruthAsPredictions: { kind: 'boolean', help: 'score the possible answers themselves, rendered as model output (self-check)' },
  json: { kind: 'string', help: 'write {categories, aggregates, verdicts} here (default: <predictions>.bfcl.json)' },
  underscoreToDot: { kind: 'boolean', help: "accept a_b for a documented function a.b (for APIs that forbid '.' in tool names)" },
  mode: { kind: 'string', help: "the leaderboard decoder for the answers: prompting (calls as code) or fc (<tool_call> blocks / JSON tool calls)", default: 'prompting' },
  lenient: { kind: 'boolean', help: "toolken's lenient reading instead of the leaderboard's verdicts (unwraps fences and <tool_call>, reads JSON in prompting mode, ...; src/eval/bfcl/README.md)" },
} as const;

const bfclSummary = 'Score predictions with the Berkeley Function Calling Leaderboard AST checker';

const bfcl: CliCommand = {
  summary: bfclSummary,
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(helpText('eval bfcl', `${bfclSummary}.\ncategories: ${BFCL_CATEGORIES.join(', ')}`, bfclFlags) + '\n');
      return 0;
    }
    const flags = parseFlags(argv, bfclFlags);
    if (flags._.length > 0) throw new CliError(`unexpected argument '${flags._[0]}'`);
    if (flags.predictions === undefined && !flags.groundTruthAsPredictions) throw new CliError('give --predictions <file.jsonl> or --ground-truth-as-predictions');
    if (flags.predictions !== undefined && flags.groundTruthAsPredictions) throw new CliError('--predictions and --ground-truth-as-predictions exclude each other');
    if (flags.mode !== 'prompting' && flags.mode !== 'fc') throw new CliError(`--mode must be prompting or fc, got '${flags.mode}'`);
    const started = performance.now();
    let evaluation: BfclEvaluation;
    try {
      evaluation = evaluateBfcl({
        dataDir: resolve(flags.data),
        predictions: flags.predictions !== undefined ? resolve(flags.predictions) : 'ground-truth',
        categories: flags.category,
        underscoreToDot: flags.underscoreToDot,
        reading: flags.lenient ? 'lenient' : 'official',
        mode: flags.mode,
      });
    } catch (err) {
      if (err instanceof Error && err.name === 'BfclDataError') throw new CliError(`${err.message}; pass --data <the BFCL data folder: BFCL_v*_*.json question files and possible_answer/>`);
      if (err instanceof Error && err.name === 'PredictionsError') throw new CliError(err.message);
      throw err;
    }
    const { report, unmatchedIds } = evaluation;
    process.stdout.write(formatReport(report) + '\n');
    if (unmatchedIds.length > 0) process.stderr.write(`${unmatchedIds.length} prediction ids match no scored entry (first: ${unmatchedIds[0]})\n`);
    const byRule = new Map<string, number>();
    for (const v of report.verdicts) if (v.rule !== undefined) byRule.set(v.rule, (byRule.get(v.rule) ?? 0) + 1);
    if (byRule.size > 0) {
      process.stdout.write('\nfailures by rule:\n');
      for (const [rule, n] of [...byRule].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${String(n).padStart(6)}  ${rule}\n`);
    }
    if (flags.groundTruthAsPredictions) {
      const failures = report.verdicts.filter((v) => !v.valid);
      process.stdout.write(`\n${failures.length} ground-truth entries fail their own check:\n`);
      for (const v of failures) process.stdout.write(`  ${v.id}: ${v.reason}\n`);
    }
    const jsonPath = flags.json ?? (flags.predictions !== undefined ? resolve(flags.predictions) + '.bfcl.json' : undefined);
    if (jsonPath !== undefined) {
      writeJsonAtomic(resolve(jsonPath), report);
      process.stderr.write(`verdicts written to ${resolve(jsonPath)}\n`);
    }
    process.stderr.write(`scored ${report.verdicts.length} entries in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
    return 0;
  },
};

/** Sub-commands of `toolken eval`, by name; a new benchmark adds one line here. */
const evaluations: Readonly<Record<string, CliCommand>> = {
  bfcl,
  retrieval: (await import('./eval-retrieval.js')).command,
  agent: (await import('./eval-agent.js')).command,
  ...(await import('./toolkengpt.js')).evalCommands,
};

export const command: CliCommand = {
  summary: `Evaluate predictions on a benchmark (${Object.keys(evaluations).join(', ')})`,
  async run(argv) {
    const [name, ...rest] = argv;
    const usage = ['usage: toolken eval <benchmark> [options]', '', 'benchmarks:', ...Object.entries(evaluations).map(([n, c]) => `  ${n.padEnd(12)} ${c.summary}`)].join('\n');
    if (name === undefined || name === '--help' || name === '-h') {
      process.stdout.write(usage + '\n');
      return name === undefined ? 2 : 0;
    }
    return subcommand(evaluations, name, 'benchmark').run(rest);
  },
};
