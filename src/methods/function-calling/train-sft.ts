/**
 * Supervised fine-tuning for function calling as a resumable run: the generic Trainer with the SFT objective on
 * checked examples rendered in one style, the loss on the assistant's calls only. With LoRA the run ends with a
 * PEFT adapter directory in `final/` (adapter_config.json + adapter_model.safetensors, loadable by PEFT and by
 * `loadLoraAdapter`); with full fine-tuning, a model directory with its tokenizer.
 */
import { IGNORE_INDEX, type DecoderModel } from '../../models/decoder.js';
import { applyLora, saveLoraAdapter, type LoraConfig } from '../../models/lora.js';
import { saveModel } from '../../models/save.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import type { TokenizedExample } from '../../train/batches.js';
import { SftObjective, type SftConfig } from '../../train/objectives/sft.js';
import type { RunDirectory } from '../../train/run-dir.js';
import { restoreBest, Trainer, type TrainOptions, type TrainResult } from '../../train/trainer.js';
import type { FcExample } from './data.js';
import { tokenizeFcExample, type FcRenderOptions } from './train-render.js';

/** What trains: low-rank adapters on the named projections, or every weight. */
export type FcAdapter = { readonly kind: 'lora'; readonly lora: LoraConfig } | { readonly kind: 'full' };

/** The projections LoRA wraps by default: attention and MLP, as the study and most PEFT recipes do. */
export const DEFAULT_LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

/** What every function-calling training run takes: the model, its data and how it is rendered, what trains, where. */
export interface FcRunInputs {
  readonly model: DecoderModel;
  readonly tokenizer: Tokenizer;
  readonly train: readonly FcExample[];
  readonly validation?: readonly FcExample[];
  readonly render: FcRenderOptions;
  readonly adapter: FcAdapter;
  readonly run: RunDirectory;
  /** Recorded in the adapter's config as `base_model_name_or_path`. */
  readonly baseModel?: string;
  readonly showProgress?: boolean;
  /** Aborting stops training at the next step boundary with a checkpoint of that step (`--resume` continues it). */
  readonly signal?: AbortSignal;
}

export interface FcSftOptions extends FcRunInputs {
  readonly sft: SftConfig;
}

export interface FcSftResult {
  readonly sft: TrainResult;
  readonly trainExamples: number;
  /** Training examples left out because their answer lay beyond maxLength. */
  readonly truncatedExamples: number;
  readonly validationExamples: number;
  /** `final/`: the PEFT adapter directory (LoRA) or the model directory (full). */
  readonly finalDir: string;
}

/** What the Trainer takes of a function-calling run's inputs: its directory, progress and cancellation. */
export function trainerRunOptions(o: Pick<FcRunInputs, 'run' | 'showProgress' | 'signal'>): TrainOptions & { readonly signal?: AbortSignal } {
  return { run: o.run, ...(o.showProgress !== undefined ? { showProgress: o.showProgress } : {}), ...(o.signal !== undefined ? { signal: o.signal } : {}) };
}

export async function trainFunctionCallingSft(o: FcSftOptions): Promise<FcSftResult> {
  const render = { ...o.render, maxLength: o.sft.maxLength };
  const tokenized = o.train.map((e) => tokenizeFcExample(o.tokenizer, e, render));
  // An example whose prompt fills maxLength has lost its answer: it would train on nothing.
  const hasAnswer = (e: TokenizedExample): boolean => e.labels.some((l) => l !== IGNORE_INDEX);
  const train = tokenized.filter(hasAnswer);
  if (train.length === 0) throw new Error(`every training example's answer lies beyond maxLength ${o.sft.maxLength} tokens; raise it`);
  const validation = (o.validation ?? []).map((e) => tokenizeFcExample(o.tokenizer, e, render)).filter(hasAnswer);
  if (o.adapter.kind === 'lora') applyLora(o.model, o.adapter.lora);
  else o.model.unfreeze();
  const objective = new SftObjective({ model: o.model, train, validation, settings: o.sft });
  const result = await new Trainer({ model: o.model, objective, config: o.sft }).trainAsync(trainerRunOptions(o));
  restoreBest(o.run, o.model);
  const finalDir = o.run.file('final');
  if (o.adapter.kind === 'lora') saveLoraAdapter(o.model, o.adapter.lora, finalDir, o.baseModel ?? '');
  else saveModel(o.model, o.tokenizer, finalDir);
  return { sft: result, trainExamples: train.length, truncatedExamples: tokenized.length - train.length, validationExamples: validation.length, finalDir };
}
