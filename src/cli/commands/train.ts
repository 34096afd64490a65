import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readToolBenchAnswer, type ToolBenchTrajectory } from '../../methods/toolgen/examples.js';
import type { RetrievalQuery } from '../../data/types.js';
import type { MatmulPrecision } from '../../tensor/backend.js';
import { INDEX_SCHEMES, type IndexScheme } from '../../indexing/schemes.js';
import type { GenerativeModel } from '../../retrieval/generative.js';
import { teacherDistributions, type ToolDistributions } from '../../methods/toolgen/distill.js';
import { TOOLGEN_STAGES, type ToolGenModel, type ToolGenStage } from '../../methods/toolgen/model.js';
import { FINISH_TOOL, prepareToolGenModel, trainToolGenStage } from '../../methods/toolgen/stages.js';
import { CliCommand, CliError, helpText, parseFlags, subcommand, wantsHelp, type ParsedFlags } from '../args.js';
import { checkFraction, checkPositive, openRunDirectory, sftConfigFromFlags, trainInRun, TRAINER_FLAGS } from './train-flags.js';
import { RECIPE_FINAL_DIR, RETRIEVAL_RECIPES, trainRecipe, type RetrievalRecipe, type RetrievalRecipeName } from '../../methods/toolgen/recipe.js';
import { readCatalogFlag, readModelFlag, readQueriesFlag, readSavedIndex, userInput, userInputAsync } from './toolgen-inputs.js';
import { interruptible } from '../interrupt.js';

const flags = {
  stage: { kind: 'string', choices: TOOLGEN_STAGES, help: 'ToolGen stage: tool documents, queries or agent trajectories -> tool tokens (required without --recipe)' },
  recipe: { kind: 'string', choices: Object.keys(RETRIEVAL_RECIPES), help: 'instead of one stage: the whole retrieval recipe from scratch on --catalog and --data (distilled: three teachers and a distilled student, as measured on MetaTool; single: one model); the recipe sets its own model size and hyper-parameters' },
  minutes: { kind: 'number', help: 'with --recipe: the overall time budget (default: the recipe\'s, 30 min distilled, 20 single)' },
  model: { kind: 'string', help: 'model directory or Hugging Face id (a previous stage\'s final/ keeps its tool index); required without --recipe' },
  catalog: { kind: 'string', required: true, help: 'catalog.json (docs/data-format.md)' },
  data: { kind: 'string', help: 'retrieval and --recipe: queries file (JSON lines); agent: ToolBench answer file or folder; memorization: not used' },
  out: { kind: 'string', required: true, help: 'run directory (config, metrics.jsonl, checkpoints, final/)' },
  index: { kind: 'string', choices: INDEX_SCHEMES, default: 'atomic', help: 'indexing scheme when the model has no tool-index.json yet' },
  loraRank: { kind: 'int', help: 'train LoRA adapters of this rank (plus the tool-token rows), merged into final/; default: full fine-tuning' },
  ...TRAINER_FLAGS,
  valFraction: { kind: 'number', help: 'share held out for validation and best-checkpoint choice (default: 0 for memorization, 0.05 otherwise)' },
  withMemorization: { kind: 'boolean', help: 'retrieval stage: replay the memorization examples too (keeps tools no query names)' },
  teacher: { kind: 'string', repeat: true, help: 'retrieval stage: distil from this trained ToolGen model (repeat for an ensemble)' },
  // Defaults: the best of those measured on MetaTool (src/methods/toolgen/recipe.ts, DISTILLATION).
  distillWeight: { kind: 'number', default: 0.9, help: 'with --teacher: weight of the teachers\' distribution (the gold tool gets the rest), in (0, 1)' },
  distillTemperature: { kind: 'number', default: 3, help: 'with --teacher: temperature of the teachers\' softmax over the tools (> 1 softens)' },
} as const;

const summary = 'Train a ToolGen stage (memorization, retrieval or agent tuning) into a run directory';

/** The ToolBench answer files under a path: the file itself, or every .json below a folder. */
function answerFiles(path: string): string[] {
  if (!existsSync(path)) throw new CliError(`--data ${path}: no such file or folder`);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(path, name));
}

/** The --teacher models' averaged distributions over the student's tools for every training query. */
async function teachersOf(paths: readonly string[], student: ToolGenModel, queries: readonly RetrievalQuery[], temperature: number): Promise<ToolDistributions> {
  const teachers: GenerativeModel[] = [];
  for (const path of paths) {
    const index = readSavedIndex(path, '--teacher');
    if (index === undefined) throw new CliError(`--teacher ${path}: no tool-index.json; a teacher is a trained ToolGen model (a retrieval stage's final/)`);
    const loaded = await readModelFlag(path, '--teacher');
    teachers.push({ model: loaded.model, tokenizer: loaded.tokenizer, index });
  }
  process.stderr.write(`distillation: ${teachers.length} teacher(s) read ${queries.length} queries\n`);
  try {
    return teacherDistributions(teachers, student, queries.map((q) => q.query), { temperature });
  } catch (err) {
    throw new CliError(`--teacher: ${(err as Error).message}`);
  }
}

type ToolGenFlags = ParsedFlags<typeof flags>;

/** `--recipe`: tokenizer, model, memorization and retrieval (teachers first when distilled), all from scratch. */
async function trainWithRecipe(f: ToolGenFlags): Promise<number> {
  const recipeName = f.recipe as RetrievalRecipeName;
  const recipe: RetrievalRecipe = RETRIEVAL_RECIPES[recipeName];
  for (const given of ['model', 'stage', 'teacher', 'loraRank'] as const) {
    const value = f[given];
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) {
      throw new CliError(`--recipe trains from scratch and sets its own stages: drop --${given.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`);
    }
  }
  if (f.resume) throw new CliError('--recipe runs cannot be resumed (each of its stages starts fresh); start again with a new --out');
  if (f.data === undefined) throw new CliError('--recipe needs --data (the training queries, JSON lines)');
  if (f.minutes !== undefined) checkPositive('minutes', f.minutes);
  const tools = readCatalogFlag(f.catalog);
  const train = readQueriesFlag('--data', f.data, tools);
  const minutes = f.minutes ?? recipe.minutes;
  const precision = f.precision as MatmulPrecision;
  const run = openRunDirectory(f.out, false, { recipe: recipeName, settings: recipe, minutes, precision, catalog: resolve(f.catalog), data: resolve(f.data) });
  const log = (line: string): void => void process.stderr.write(`[${recipeName}] ${line}\n`);
  log(`${tools.length} tools, ${train.length} training queries; ${recipe.distillation ? `${recipe.distillation.teachers} teachers, then the student` : 'one model'}; budget ${minutes} min`);
  const result = await trainInRun(run, () => trainRecipe({ recipe, tools, train, dir: f.out, minutes, precision, log }));
  const final = join(f.out, RECIPE_FINAL_DIR);
  process.stderr.write(
    `${recipeName}: ${result.summary.memorizationSteps} memorization + ${result.summary.retrievalSteps} retrieval steps` +
      `${result.summary.teachers > 0 ? `, distilled from ${result.summary.teachers} teachers` : ''}, ${(result.summary.trainSeconds / 60).toFixed(1)} min\n` +
      `next: toolken eval retrieval --model ${final} --data <test queries> --baselines bm25,dense\n`,
  );
  process.stdout.write(final + '\n');
  return 0;
}

/** `toolken train [toolgen] ...`: one ToolGen stage, or with --recipe the whole retrieval recipe. */
const toolgenCommand: CliCommand = {
  summary,
  async run(argv) {
    if (wantsHelp(argv)) {
      const methods = Object.entries(TRAIN_METHODS).map(([name, m]) => `  toolken train ${name}`.padEnd(30) + m.summary);
      process.stdout.write(`${helpText('train [toolgen]', summary + '.', flags)}\n\nmethods (each has --help):\n${methods.join('\n')}\n`);
      return 0;
    }
    const f = parseFlags(argv, flags);
    if (f._.length > 0) throw new CliError(`unexpected argument '${f._[0]}'`);
    // Checked for --recipe too, so a bad value is refused before anything trains.
    const sft = sftConfigFromFlags(f);
    if (f.recipe !== undefined) return trainWithRecipe(f);
    if (f.stage === undefined) throw new CliError('give --stage (memorization, retrieval or agent), or --recipe for the whole retrieval recipe');
    if (f.model === undefined) throw new CliError('--stage needs --model (a model directory or Hugging Face id; `toolken init` makes one from scratch)');
    if (f.minutes !== undefined) throw new CliError('--minutes is a --recipe budget; a stage runs for --epochs or --max-steps');
    const model = f.model;
    const stage = f.stage as ToolGenStage;
    const scheme = f.index as IndexScheme;
    if (f.loraRank !== undefined) checkPositive('lora-rank', f.loraRank);
    const valFraction = f.valFraction ?? (stage === 'memorization' ? 0 : 0.05);
    checkFraction('val-fraction', valFraction);
    if (stage !== 'memorization' && f.data === undefined) throw new CliError(`--stage ${stage} needs --data`);
    const distilling = f.teacher.length > 0;
    if (distilling) {
      if (stage !== 'retrieval') throw new CliError(`--teacher distils the retrieval stage, not --stage ${stage}`);
      if (scheme !== 'atomic') throw new CliError(`--teacher needs atomic tool tokens, not --index ${scheme}`);
      if (!(f.distillWeight > 0 && f.distillWeight < 1)) throw new CliError(`--distill-weight must be in (0, 1), got ${f.distillWeight}`);
      checkPositive('distill-temperature', f.distillTemperature);
      if (f.labelSmoothing > 0) throw new CliError('--teacher replaces --label-smoothing (the teachers\' distribution is the smoothing); give one of them');
    }

    const catalog = readCatalogFlag(f.catalog);
    const tools = stage === 'agent' && !catalog.some((t) => t.id === FINISH_TOOL.id) ? [...catalog, FINISH_TOOL] : catalog;
    let queries: RetrievalQuery[] | undefined;
    let trajectories: ToolBenchTrajectory[] | undefined;
    if (stage === 'retrieval') queries = readQueriesFlag('--data', f.data!, tools);
    if (stage === 'agent') trajectories = answerFiles(f.data!).map((file) => userInput(`--data ${file}`, () => readToolBenchAnswer(file)));

    const config = {
      stage, model, catalog: resolve(f.catalog), data: f.data === undefined ? null : resolve(f.data), index: scheme,
      loraRank: f.loraRank ?? null, withMemorization: f.withMemorization, valFraction, sft,
      ...(distilling ? { distillation: { teachers: f.teacher.map((t) => resolve(t)), weight: f.distillWeight, temperature: f.distillTemperature } } : {}),
    };
    const loaded = await readModelFlag(model);
    const saved = readSavedIndex(model);
    let tg: ToolGenModel;
    try {
      tg = await prepareToolGenModel(loaded.model, loaded.tokenizer, tools, scheme, saved);
    } catch (err) {
      throw new CliError(`--model ${model}: ${(err as Error).message}`);
    }
    const sftPadded = { ...sft, padId: loaded.tokenizer.eosId ?? 0 };
    const distillation = distilling ? { distributions: await teachersOf(f.teacher, tg, queries!, f.distillTemperature), weight: f.distillWeight } : undefined;
    const run = openRunDirectory(f.out, f.resume, config);

    const started = performance.now();
    const resumeHint = `a checkpoint of the last step is in ${f.out}; run the same command with --resume to continue from it`;
    const result = await trainInRun(run, () => interruptible(resumeHint, (signal) =>
      userInputAsync(`--stage ${stage}`, () =>
        trainToolGenStage({
          stage, tg, tools, valFraction, run, sft: sftPadded, signal,
          ...(queries ? { queries } : {}),
          ...(trajectories ? { trajectories } : {}),
          ...(f.loraRank !== undefined ? { loraRank: f.loraRank } : {}),
          withMemorization: f.withMemorization,
          ...(distillation ? { distillation } : {}),
          log: (line) => process.stderr.write(line + '\n'),
        }),
      ),
    ));
    const best = result.sft.best ? `, best step ${result.sft.best.step} (score ${result.sft.best.score.toFixed(4)})` : '';
    process.stderr.write(
      `${stage}: ${result.sft.steps} steps in ${((performance.now() - started) / 1000).toFixed(1)} s, final loss ${result.sft.finalLoss.toFixed(4)}${best}\n`,
    );
    process.stdout.write(result.finalDir + '\n');
    return 0;
  },
};

/** A command whose module is imported only when it runs, so `toolken train` imports no module of a method it does not run. */
function lazyCommand(summary: string, load: () => Promise<CliCommand>): CliCommand {
  return { summary, run: async (argv) => (await load()).run(argv) };
}

/**
 * The methods `toolken train <method>` knows; each is a command of its own with --help. A first argument that is a
 * flag means ToolGen (`toolken train --stage ...`, as before methods had names).
 */
const TRAIN_METHODS: Record<string, CliCommand> = {
  toolgen: toolgenCommand,
  toolkengpt: lazyCommand('a ToolkenGPT head (and the Toolken+ reranker) on a frozen model', async () => (await import('./toolkengpt.js')).trainCommand),
  sft: lazyCommand('function calling: supervised fine-tuning (LoRA or full) on checked {messages, tools} examples', async () => (await import('./train-fc.js')).sftCommand),
  dpo: lazyCommand('function calling after SFT: DPO, the gold call preferred to the SFT model\'s checker-rejected answers', async () => (await import('./train-fc.js')).dpoCommand),
  rl: lazyCommand('function calling after SFT: reward-filtered fine-tuning or GRPO with the BFCL checker as the reward', async () => (await import('./train-fc.js')).rlCommand),
};

export const command: CliCommand = {
  summary: 'Train: ToolGen stages or recipe (default), or `toolken train <method>` (toolgen, toolkengpt, sft, dpo, rl)',
  async run(argv) {
    const first = argv[0];
    if (first !== undefined && !first.startsWith('-')) {
      return subcommand(TRAIN_METHODS, first, 'training method').run(argv.slice(1));
    }
    return toolgenCommand.run(argv);
  },
};
