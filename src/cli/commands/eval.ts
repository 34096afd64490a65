import { outputFolder } from '../file-errors.js';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BFCL_CATEGORIES, BFCL_CATEGORY_GROUPS, BFCL_NOT_RUN, BfclEvaluation, BfclReport, bfclRunCategories, evaluateBfcl, formatReport, runBfcl } from '../../eval/bfcl/index.js';
import { CheckpointError } from '../../formats/errors.js';
import { HubError } from '../../formats/hub.js';
import { WeightMismatchError } from '../../models/decoder.js';
import { ModelConfigError } from '../../models/config.js';
import { loadModel, ModelLoadError } from '../../models/load.js';
import { ProgressBar } from '../../report/progress.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { CliCommand, CliError, helpText, parseFlags, subcommand, wantsHelp } from '../args.js';
import { modelLoadProgress } from '../load-progress.js';

/**
 * A BFCL data error as a CLI error; one about the data folder says how to give another (an unknown category does
 * not: its message lists the known ones).
 */
function bfclDataProblem(err: unknown, dataDir: string): unknown {
  if (!(err instanceof Error && err.name === 'BfclDataError')) return err;
  if (!err.message.includes(dataDir)) return new CliError(err.message);
  return new CliError(`${err.message}; pass --data <the BFCL data folder: BFCL_v*_*.json question files and possible_answer/>`);
}

/** The BFCL data beside the toolken checkout (../shared/datasets/bfcl), wherever the command is run from. */
const DEFAULT_BFCL_DATA = join(fileURLToPath(new URL('../../../', import.meta.url)), '..', 'shared', 'datasets', 'bfcl');

const bfclFlags = {
  predictions: { kind: 'string', help: 'JSON lines of {"id": ..., "result": <model text or tool_calls>}' },
  model: { kind: 'string', help: 'generate the answers with this model (Hugging Face directory, GGUF or llama2.c file), then score them' },
  out: { kind: 'string', help: 'with --model: where the result files, verdicts.jsonl, report.json and report.md go', default: './bfcl-run' },
  limit: { kind: 'int', help: 'with --model: at most N questions per category (the first ones)', min: 1 },
  constrained: { kind: 'boolean', help: "with --model (fc mode): decode calls under the offered functions' names and their argument schemas" },
  copy: { kind: 'boolean', help: 'with --constrained: free string and number arguments take values the question states (spans, quoted strings, numbers) when one fits the schema' },
  maxTokens: { kind: 'int', help: 'with --model: most new tokens per answer', default: 256, min: 1 },
  repair: { kind: 'boolean', help: 'with --model: repair each answer before checking (fences, quotes, brackets, trailing commas; src/eval/bfcl/repair.ts)' },
  bestOf: { kind: 'int', help: 'with --model: sample N answers per question and keep the most probable well-formed one (src/eval/bfcl/best-of-n.ts)', default: 1, min: 1 },
  temperature: { kind: 'number', help: 'with --best-of: sampling temperature', default: 0.7, min: 0, minExclusive: true },
  seed: { kind: 'int', help: 'with --best-of: sampling seed', default: 0 },
  data: { kind: 'string', help: 'BFCL data folder (question files and possible_answer/)', default: DEFAULT_BFCL_DATA },
  category: { kind: 'list', help: `comma-separated categories or groups (${Object.keys(BFCL_CATEGORY_GROUPS).join(', ')}); default: with --model every single-turn category in --data, with --predictions those the predictions cover` },
  groundTruthAsPredictions: { kind: 'boolean', help: 'score the possible answers themselves, rendered as model output (self-check)' },
  json: { kind: 'string', help: 'write {categories, aggregates, verdicts} here (default: <predictions>.bfcl.json)' },
  underscoreToDot: { kind: 'boolean', help: "accept a_b for a documented function a.b (for APIs that forbid '.' in tool names)" },
  mode: { kind: 'string', help: "prompting (the leaderboard's system prompt, calls as code) or fc (functions as chat-template tools, <tool_call> blocks / JSON tool calls); also picks the official decoder", default: 'prompting', choices: ['prompting', 'fc'] },
  lenient: { kind: 'boolean', help: "toolken's lenient reading instead of the leaderboard's verdicts (unwraps fences and <tool_call>, reads JSON in prompting mode, ...; src/eval/bfcl/README.md)" },
} as const;

const bfclSummary = 'Run a model on the Berkeley Function Calling Leaderboard, or score predictions, with its AST checker';

/** The failures of a report counted by the rule that rejected them. */
function failuresByRule(report: BfclReport): string {
  const byRule = new Map<string, number>();
  for (const v of report.verdicts) if (v.rule !== undefined) byRule.set(v.rule, (byRule.get(v.rule) ?? 0) + 1);
  if (byRule.size === 0) return '';
  return '\nfailures by rule:\n' + [...byRule].sort((a, b) => b[1] - a[1]).map(([rule, n]) => `  ${String(n).padStart(6)}  ${rule}\n`).join('');
}

async function runModel(flags: { model: string; out: string; data: string; category: string[]; mode: 'prompting' | 'fc'; limit?: number; constrained?: boolean; copy?: boolean; maxTokens: number; repair: boolean; bestOf: number; temperature: number; seed: number }): Promise<number> {
  if (flags.constrained && flags.mode !== 'fc') throw new CliError('--constrained decodes <tool_call> blocks: use it with --mode fc');
  if (flags.constrained && flags.bestOf > 1) throw new CliError('--constrained decoding is greedy and --best-of samples: give one of them');
  if (flags.copy && !flags.constrained) throw new CliError('--copy narrows the constrained decoder: add --constrained (and --mode fc)');
  const dataDir = resolve(flags.data);
  // The categories and their question files are checked before the model loads, so a typo fails at once.
  let categories;
  try {
    categories = bfclRunCategories(dataDir, flags.category);
  } catch (err) {
    throw bfclDataProblem(err, dataDir);
  }
  const outDir = outputFolder('out', flags.out);
  let loaded;
  try {
    loaded = await loadModel(flags.model, { onProgress: modelLoadProgress() });
  } catch (err) {
    if ([ModelLoadError, ModelConfigError, CheckpointError, HubError, WeightMismatchError].some((kind) => err instanceof kind)) throw new CliError((err as Error).message);
    throw err;
  }
  process.stderr.write(`loaded ${flags.model} (${loaded.config.family}, ${loaded.config.layers} layers); not run: ${BFCL_NOT_RUN.join(', ')}\n`);
  let bar: ProgressBar | undefined;
  let run;
  try {
    run = runBfcl(loaded, {
      dataDir,
      categories,
      ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
      mode: flags.mode,
      constrained: flags.constrained ?? false,
      copyValues: flags.copy ?? false,
      maxTokens: flags.maxTokens,
      repair: flags.repair,
      bestOf: flags.bestOf,
      temperature: flags.temperature,
      seed: flags.seed,
      outDir,
      modelName: basename(resolve(flags.model)),
      onStart: (total) => {
        bar = new ProgressBar({ total, label: 'bfcl answers', unit: 'q' });
      },
      onAnswer: () => bar?.tick(),
    });
  } catch (err) {
    throw bfclDataProblem(err, dataDir);
  }
  bar?.finish();
  process.stdout.write(formatReport(run.report) + '\n' + failuresByRule(run.report));
  process.stderr.write(`result files, verdicts and reports written to ${outDir} (${run.seconds.toFixed(1)} s)\n`);
  return 0;
}

const bfcl: CliCommand = {
  summary: bfclSummary,
  async run(argv) {
    if (wantsHelp(argv)) {
      const usage = [
        `${bfclSummary}.`,
        'toolken eval bfcl --model M [--category ...] [--mode prompting|fc] [--out DIR] [--limit N] [--constrained] [--repair] [--best-of N]',
        'toolken eval bfcl --predictions FILE [--category ...] [--mode prompting|fc] [--lenient]',
        `categories: ${BFCL_CATEGORIES.join(', ')}`,
        `not run (multi-turn and agentic): ${BFCL_NOT_RUN.join(', ')}`,
        "Scoring is the leaderboard's verdict (official reading) unless --lenient.",
      ].join('\n');
      process.stdout.write(helpText('eval bfcl', usage, bfclFlags) + '\n');
      return 0;
    }
    const flags = parseFlags(argv, bfclFlags);
    if (flags._.length > 0) throw new CliError(`unexpected argument '${flags._[0]}'`);
    if (flags.mode !== 'prompting' && flags.mode !== 'fc') throw new CliError(`--mode must be prompting or fc, got '${flags.mode}'`);
    const sources = [flags.model, flags.predictions, flags.groundTruthAsPredictions || undefined].filter((s) => s !== undefined);
    if (sources.length !== 1) throw new CliError('give exactly one of --model <dir>, --predictions <file.jsonl> or --ground-truth-as-predictions');
    if (flags.bestOf === 1 && argv.some((a) => /^--(temperature|seed)(=|$)/.test(a))) throw new CliError('--temperature and --seed set best-of-N sampling: give --best-of N with N > 1');
    if (flags.model === undefined && (flags.repair || flags.bestOf > 1)) throw new CliError('--repair and --best-of change how a model answers: use them with --model');
    if (flags.model !== undefined) {
      if (flags.lenient) throw new CliError("--lenient is for scoring predictions; a model run is scored with the leaderboard's verdicts");
      return runModel({ ...flags, model: flags.model, mode: flags.mode });
    }
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
      if (err instanceof Error && err.name === 'PredictionsError') throw new CliError(err.message);
      throw bfclDataProblem(err, resolve(flags.data));
    }
    const { report, unmatchedIds } = evaluation;
    process.stdout.write(formatReport(report) + '\n');
    if (unmatchedIds.length > 0) process.stderr.write(`${unmatchedIds.length} prediction ids match no scored entry (first: ${unmatchedIds[0]})\n`);
    process.stdout.write(failuresByRule(report));
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
