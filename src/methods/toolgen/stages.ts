/**
 * One ToolGen training stage as a resumable run: the model learns its catalog's tools as tokens (memorization),
 * to answer queries with them (retrieval) or to act with them (agent tuning); the run directory keeps the config,
 * metrics, checkpoints and, in `final/`, a loadable model directory with its `tool-index.json`.
 *
 * The retrieval stage validates on held-out queries by top-1 accuracy of the constrained generative retriever,
 * the quantity the stage exists for; the best validated weights are restored before `final/` is written.
 */
import { seededRandom, shuffled } from '../../util/random.js';
import { splitQueries } from '../../data/split.js';
import { agentTuningExample, FINISH_FUNCTION, FINISH_TOOL, type ToolBenchTrajectory } from './examples.js';

export { FINISH_TOOL };
import type { ChatExample, RetrievalQuery } from '../../data/types.js';
import { toolBenchFunctionName } from '../../data/loaders/toolbench-names.js';
import { GenerativeRetriever } from '../../retrieval/generative.js';
import { reciprocalRank } from '../../eval/retrieval/metrics.js';
import { ToolIndex } from '../../indexing/tool-index.js';
import type { IndexScheme } from '../../indexing/schemes.js';
import type { DecoderModel } from '../../models/decoder.js';
import { mergeLora } from '../../models/lora.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import type { Tool } from '../../tools/types.js';
import type { RunDirectory } from '../../train/run-dir.js';
import { toolTokenRange, withTeacherLabels, type ToolDistributions } from './distill.js';
import { SftObjective, type SftConfig } from '../../train/objectives/sft.js';
import { restoreBest, Trainer, type Evaluation, type TrainResult } from '../../train/trainer.js';
import {
  attachToolIndex,
  selectTrainable,
  stageConversations,
  saveToolGenModel,
  TOOL_INDEX_FILE,
  tokenizeConversations,
  type ToolGenModel,
  type ToolGenStage,
} from './model.js';

/**
 * The model with its catalog as tool tokens: a model directory's saved index when it has one (the catalog must
 * be covered by it), else a new index under `scheme` (atomic: the vocabulary grows by one token per tool).
 */
export async function prepareToolGenModel(
  model: DecoderModel,
  tokenizer: Tokenizer,
  tools: readonly Tool[],
  scheme: IndexScheme,
  saved: ToolIndex | undefined,
): Promise<ToolGenModel> {
  if (saved === undefined) return attachToolIndex(model, tokenizer, tools, scheme);
  if (saved.scheme !== scheme) throw new Error(`the model's ${TOOL_INDEX_FILE} uses the ${saved.scheme} scheme, not ${scheme}`);
  const indexed = new Set(saved.toolIds());
  const missing = tools.filter((t) => !indexed.has(t.id));
  if (missing.length > 0) {
    throw new Error(`the model's ${TOOL_INDEX_FILE} lacks ${missing.length} catalog tools (first: '${missing[0]!.id}'); train from the base model with this catalog`);
  }
  // The atomic tool tokens are already in the tokenizer; their rows are where the index says.
  const ids = saved.newTokens().map(({ token }) => tokenizer.tokenToId(token));
  if (ids.some((id) => id === undefined)) throw new Error(`the model's tokenizer lacks tokens of its ${TOOL_INDEX_FILE}`);
  const rows = ids as number[];
  const newRows = rows.length > 0 ? { start: Math.min(...rows), end: Math.max(...rows) + 1 } : null;
  return { model, tokenizer, index: saved, newRows };
}

export interface ToolGenStageOptions {
  readonly stage: ToolGenStage;
  readonly tg: ToolGenModel;
  readonly tools: readonly Tool[];
  /** Retrieval stage: the training queries. */
  readonly queries?: readonly RetrievalQuery[];
  /** Agent stage: ToolBench answer trajectories. */
  readonly trajectories?: readonly ToolBenchTrajectory[];
  /** Retrieval stage: also replay the memorization examples, so tools no query names are not forgotten. */
  readonly withMemorization?: boolean;
  /** LoRA rank (the adapters and the new tool-token rows train; merged before saving); full fine-tuning without. */
  readonly loraRank?: number;
  /** Share of the data held out for validation and best-checkpoint selection. */
  readonly valFraction: number;
  readonly sft: SftConfig;
  /**
   * Retrieval stage: learn the teachers' distributions over the tools (see distill.ts) with this weight, the gold
   * tool with 1 - weight. It takes the place of label smoothing (sft.labelSmoothing must be 0).
   */
  readonly distillation?: { readonly distributions: ToolDistributions; readonly weight: number };
  readonly run: RunDirectory;
  readonly showProgress?: boolean;
  /** Cancels training between steps; a checkpoint at the step reached is saved, so the run resumes there. */
  readonly signal?: AbortSignal;
  /** Called with each line worth telling the user (examples, skipped trajectories). */
  readonly log?: (line: string) => void;
}

export interface ToolGenStageResult {
  readonly sft: TrainResult;
  readonly trainExamples: number;
  readonly validationExamples: number;
  /** The loadable model directory written at the end. */
  readonly finalDir: string;
}

/** ToolGen-style LoRA covers every projection of attention and MLP. */
const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

/**
 * Most validation queries ranked at each validation (a beam search each). Best-checkpoint choice needs several
 * hundred: on MetaTool, top-1 on 200 queries moved by 0.03 between checkpoints whose NDCG@1 on 4,208 test queries
 * differed by 0.006.
 */
const MAX_VALIDATION_QUERIES = 1000;
/** Ranks searched per validation query (the mean reciprocal rank counts the first relevant tool among them). */
const VALIDATION_DEPTH = 5;

/** The conversations of a stage, split into train and validation. */
function stageData(o: ToolGenStageOptions): { train: ChatExample[]; validation: ChatExample[]; validationQueries: RetrievalQuery[] } {
  const { stage, tg, tools, sft } = o;
  const memorization = stageConversations('memorization', tg, tools, []);
  if (stage === 'memorization') {
    // Every tool must be memorized, so validation (if asked for) draws from the same documents.
    const held = shuffled(memorization, seededRandom(sft.seed)).slice(0, Math.round(memorization.length * o.valFraction));
    return { train: memorization, validation: held, validationQueries: [] };
  }
  if (stage === 'retrieval') {
    const queries = o.queries ?? [];
    if (queries.length === 0) throw new Error('the retrieval stage needs training queries');
    const split = splitQueries(queries, { seed: sft.seed, validation: o.valFraction, test: 0 });
    const train = stageConversations('retrieval', tg, tools, split.train);
    return {
      train: o.withMemorization ? [...train, ...memorization] : train,
      validation: stageConversations('retrieval', tg, tools, split.validation),
      validationQueries: split.validation.slice(0, MAX_VALIDATION_QUERIES),
    };
  }
  const conversations = agentConversations(o);
  const order = shuffled(conversations, seededRandom(sft.seed));
  const held = Math.round(order.length * o.valFraction);
  return { train: order.slice(held), validation: order.slice(0, held), validationQueries: [] };
}

/** ToolBench trajectories rewritten with tool tokens; those that cannot be used are logged and left out. */
function agentConversations(o: ToolGenStageOptions): ChatExample[] {
  const { index } = o.tg;
  if (!index.toolIds().includes(FINISH_FUNCTION)) {
    throw new Error(`the agent stage needs a '${FINISH_FUNCTION}' tool in the index; index the catalog with it (train the first stage with --stage agent, or add it to the catalog)`);
  }
  const byFunctionName = new Map<string, string>();
  for (const tool of o.tools) {
    const [toolName, apiName] = tool.id.split('&&');
    if (toolName !== undefined && apiName !== undefined) byFunctionName.set(toolBenchFunctionName(toolName, apiName), tool.id);
    byFunctionName.set(tool.name, tool.id);
  }
  const out: ChatExample[] = [];
  let skipped = 0;
  for (const trajectory of o.trajectories ?? []) {
    const converted = agentTuningExample(trajectory, {
      toolText: (id) => index.toolToText(id),
      toolIdOf: (name) => byFunctionName.get(name),
      finishText: index.toolToText(FINISH_FUNCTION),
    });
    if (converted.ok) out.push(converted.example);
    else {
      skipped++;
      if (skipped <= 5) o.log?.(`skipped ${converted.reason}`);
    }
  }
  if (skipped > 5) o.log?.(`skipped ${skipped} trajectories in all`);
  if (out.length === 0) throw new Error('the agent stage has no usable trajectory');
  return out;
}

/** The training config of a distilled retrieval stage: smoothing among the tool tokens, weighted as asked. */
function distillationConfig(o: ToolGenStageOptions): SftConfig {
  const { weight } = o.distillation!;
  if (o.stage !== 'retrieval') throw new Error(`distillation applies to the retrieval stage, not ${o.stage}`);
  if (!(weight > 0 && weight < 1)) throw new Error(`distillation weight must be in (0, 1), got ${weight}`);
  if ((o.sft.labelSmoothing ?? 0) > 0) throw new Error('distillation replaces label smoothing: give one of them');
  return { ...o.sft, labelSmoothing: weight, smoothingClasses: toolTokenRange(o.tg) };
}

/** Trains one stage and writes `final/` (model, tokenizer, tool index). Resumes when the run has checkpoints. */
export async function trainToolGenStage(o: ToolGenStageOptions): Promise<ToolGenStageResult> {
  const { tg, run } = o;
  const data = stageData(o);
  const sft = o.distillation === undefined ? o.sft : distillationConfig(o);
  const maxLength = sft.maxLength;
  const tokenized = tokenizeConversations(tg.tokenizer, data.train, maxLength);
  // distillationConfig set the smoothing classes to the tool tokens.
  const train = o.distillation === undefined ? tokenized : withTeacherLabels(tokenized, data.train, o.distillation.distributions, sft.smoothingClasses!);
  const validation = tokenizeConversations(tg.tokenizer, data.validation, maxLength);
  o.log?.(`${o.stage}: ${train.length} training and ${validation.length} validation examples`);

  if (o.loraRank === undefined) selectTrainable(tg, { kind: 'full' });
  else selectTrainable(tg, { kind: 'lora', lora: { rank: o.loraRank, alpha: 2 * o.loraRank, targetModules: LORA_TARGETS, seed: sft.seed } });

  let evaluate: (() => Evaluation) | undefined;
  if (data.validationQueries.length > 0) {
    const retriever = new GenerativeRetriever(tg);
    evaluate = () => {
      let hits = 0;
      let reciprocalRanks = 0;
      for (const q of data.validationQueries) {
        const ranked = retriever.rank(q.query, VALIDATION_DEPTH).map((r) => r.toolId);
        const relevant = new Set(q.relevant);
        if (relevant.has(ranked[0] ?? '')) hits++;
        reciprocalRanks += reciprocalRank(ranked, relevant);
      }
      const n = data.validationQueries.length;
      // The objective logs the validation loss beside these; the checkpoint is chosen by what the stage is for, ranking,
      // and by the reciprocal rank rather than top-1 because it also counts the places below the first.
      return { metrics: { val_top1: hits / n, val_mrr: reciprocalRanks / n }, score: reciprocalRanks / n };
    };
  }

  const objective = new SftObjective({ model: tg.model, train, validation, settings: sft });
  const result = await new Trainer({ model: tg.model, objective, config: sft }).trainAsync({
    run,
    ...(evaluate ? { evaluate } : {}),
    ...(o.showProgress !== undefined ? { showProgress: o.showProgress } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  restoreBest(run, tg.model);
  if (o.loraRank !== undefined) mergeLora(tg.model);
  const finalDir = run.file('final');
  saveToolGenModel(tg, finalDir, o.tools);
  return { sft: result, trainExamples: train.length, validationExamples: validation.length, finalDir };
}
