/**
 * LoRA (Hu et al., 2021) as a projection wrapper: y = W x + (alpha / r) * B A dropout(x), with A (r, in) and
 * B (out, r). Applying it is a parameter-selection decision (MLX spirit): the base model is frozen, chosen
 * projections are wrapped, and only A and B train. The decoder itself knows nothing about LoRA.
 *
 * Adapters are saved and loaded in the PEFT layout: `adapter_config.json` and `adapter_model.safetensors` holding
 * `base_model.model.<module>.lora_A.weight` / `lora_B.weight`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../tensor/random.js';
import { uniform, zeros, type Tensor } from '../tensor/tensor.js';
import { add, scale } from '../tensor/ops/elementwise.js';
import { dropout } from '../tensor/ops/dropout.js';
import { matmul } from '../tensor/ops/matmul.js';
import { Module } from '../nn/module.js';
import { Parameter } from '../nn/parameter.js';
import { writeJsonAtomic } from '../util/fs.js';
import { openSafetensors, writeSafetensors } from '../formats/safetensors.js';
import type { DecoderModel, Projection } from './decoder.js';
import { QuantizedDense } from './decoder.js';
import { Linear } from '../nn/linear.js';
import { dequantize } from '../tensor/quant.js';

export interface LoraConfig {
  /** Rank r of the update. */
  readonly rank: number;
  /** The update is scaled by alpha / rank. */
  readonly alpha: number;
  /** Dropout on the adapter's input while training (0 = none). */
  readonly dropout?: number;
  /**
   * Which projections to wrap, PEFT-style: a list of names matched against the end of the module name
   * (`q_proj` matches `model.layers.3.self_attn.q_proj`), or one regular expression matching the whole name.
   */
  readonly targetModules: readonly string[] | string;
  /** Seed for A's initialisation and for dropout. */
  readonly seed?: number;
}

/**
 * A projection with a trainable low-rank update beside its frozen base: an fp32 Linear, or a QuantizedDense whose
 * Q8_0 / Q4_0 blocks stay quantized (QLoRA: the gradient reaches the input through the quantized weight).
 */
export class LoraProjection extends Module implements Projection {
  readonly loraA: Parameter; // (rank, in)
  readonly loraB: Parameter; // (out, rank)
  readonly scaling: number;
  private readonly dropoutRate: number;
  private readonly rng: Rng;

  constructor(
    readonly base: Linear | QuantizedDense,
    readonly rank: number,
    alpha: number,
    dropoutRate: number,
    rng: Rng,
  ) {
    super();
    // PEFT's default: A ~ kaiming-uniform (bound 1/sqrt(in)), B = 0, so the wrapped model starts equal to the base.
    const bound = 1 / Math.sqrt(base.inFeatures);
    this.loraA = Parameter.from(uniform([rank, base.inFeatures], rng, -bound, bound));
    this.loraB = Parameter.from(zeros([base.outFeatures, rank]));
    this.scaling = alpha / rank;
    this.dropoutRate = dropoutRate;
    this.rng = rng;
  }

  get inFeatures(): number {
    return this.base.inFeatures;
  }

  get outFeatures(): number {
    return this.base.outFeatures;
  }

  forward(x: Tensor): Tensor {
    const dropped = dropout(x, { p: this.dropoutRate, rng: this.rng, training: this.training });
    const update = matmul(matmul(dropped, this.loraA, { transB: true }), this.loraB, { transB: true }); // (rows, out)
    return add(this.base.forward(x), scale(update, this.scaling));
  }

  /** W + scaling * B A, the base weight (dequantized when quantized) with the update folded in. */
  mergedWeight(): Float32Array {
    const w = this.base instanceof Linear ? this.base.weight.toArray() : dequantize(this.base.weight);
    const a = this.loraA.toArray();
    const bMat = this.loraB.toArray();
    const { inFeatures, outFeatures, rank } = this;
    for (let o = 0; o < outFeatures; o++) {
      for (let r = 0; r < rank; r++) {
        const coefficient = this.scaling * bMat[o * rank + r]!;
        if (coefficient === 0) continue;
        for (let i = 0; i < inFeatures; i++) w[o * inFeatures + i]! += coefficient * a[r * inFeatures + i]!;
      }
    }
    return w;
  }
}

function targets(config: LoraConfig, moduleName: string): boolean {
  const { targetModules } = config;
  if (typeof targetModules === 'string') return new RegExp(`^(?:${targetModules})$`).test(moduleName);
  return targetModules.some((key) => moduleName === key || moduleName.endsWith('.' + key));
}

function validate(config: LoraConfig): void {
  if (!Number.isInteger(config.rank) || config.rank < 1) throw new RangeError(`LoRA rank must be a positive integer, got ${config.rank}`);
  if (!(config.alpha > 0)) throw new RangeError(`LoRA alpha must be positive, got ${config.alpha}`);
  const p = config.dropout ?? 0;
  if (!(p >= 0 && p < 1)) throw new RangeError(`LoRA dropout must be in [0, 1), got ${p}`);
}

/**
 * Freezes every parameter of `model` and wraps the target projections with fresh LoRA adapters (the model's output
 * is unchanged until B moves away from zero). Returns the wrapped module names.
 */
export function applyLora(model: DecoderModel, config: LoraConfig): string[] {
  validate(config);
  const rng = new Rng(config.seed ?? 0);
  model.dropoutRng = rng;
  model.freeze();
  const wrapped: string[] = [];
  model.mapProjections((name, projection) => {
    if (!targets(config, name)) return projection;
    if (!(projection instanceof Linear) && !(projection instanceof QuantizedDense)) throw new Error(`${name} is already wrapped (LoRA applies to plain projections)`);
    wrapped.push(name);
    return new LoraProjection(projection, config.rank, config.alpha, config.dropout ?? 0, rng);
  });
  if (wrapped.length === 0) throw new Error(`LoRA target modules ${JSON.stringify(config.targetModules)} match no projection of the model`);
  return wrapped;
}

/**
 * Folds every LoRA update into its base weight and unwraps it; returns how many were merged. A quantized base
 * cannot take the update in place (its blocks would lose it to rounding): save the adapter, or load the base in
 * fp32 to merge.
 */
export function mergeLora(model: DecoderModel): number {
  return model.mapProjections((name, projection) => {
    if (!(projection instanceof LoraProjection)) return projection;
    const { base } = projection;
    if (!(base instanceof Linear)) throw new Error(`${name}: a LoRA over a ${base.weight.type} base cannot be merged into it; save the adapter, or load the base in fp32 to merge`);
    const merged = projection.mergedWeight();
    const { backend } = base.weight;
    backend.copy(backend.upload(merged), 0, base.weight.storage, 0, merged.length);
    return base;
  });
}

const peftName = (module: string, part: 'lora_A' | 'lora_B'): string => `base_model.model.${module}.${part}.weight`;

/** One module's low-rank update: (scaling) B A with A (rank, in) and B (out, rank), as plain arrays. */
export interface LoraUpdate {
  readonly rank: number;
  readonly scaling: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly a: Float32Array;
  readonly b: Float32Array;
}

/** A copy of a model's LoRA updates by module name (empty when it has none). */
export function loraUpdates(model: DecoderModel): Map<string, LoraUpdate> {
  const out = new Map<string, LoraUpdate>();
  model.mapProjections((name, projection) => {
    if (projection instanceof LoraProjection) {
      const { rank, scaling, inFeatures, outFeatures } = projection;
      out.set(name, { rank, scaling, inFeatures, outFeatures, a: projection.loraA.toArray(), b: projection.loraB.toArray() });
    }
    return projection;
  });
  return out;
}

/**
 * Two adapters applied one after the other as one adapter of rank r1 + r2: A = [A1; A2], B = [s1 B1, s2 B2] with
 * scaling 1, so B A = s1 B1 A1 + s2 B2 A2 exactly. A module only one of them adapts gets zero blocks for the other
 * (PEFT wants one rank for every module). This is how a LoRA trained on a model whose SFT adapter was merged is
 * saved relative to the original base: base + stacked = base + SFT + the new update.
 */
export function stackLoraUpdates(under: ReadonlyMap<string, LoraUpdate>, over: ReadonlyMap<string, LoraUpdate>): Map<string, LoraUpdate> {
  const rankOf = (updates: ReadonlyMap<string, LoraUpdate>): number => Math.max(0, ...[...updates.values()].map((u) => u.rank));
  const r1 = rankOf(under);
  const rank = r1 + rankOf(over);
  const out = new Map<string, LoraUpdate>();
  for (const name of new Set([...under.keys(), ...over.keys()])) {
    const first = (under.get(name) ?? over.get(name))!;
    const { inFeatures, outFeatures } = first;
    const a = new Float32Array(rank * inFeatures);
    const b = new Float32Array(outFeatures * rank);
    for (const [update, offset] of [[under.get(name), 0], [over.get(name), r1]] as const) {
      if (update === undefined) continue;
      if (update.inFeatures !== inFeatures || update.outFeatures !== outFeatures) throw new Error(`LoRA stacking: ${name} has different shapes in the two adapters`);
      a.set(update.a, offset * inFeatures);
      for (let o = 0; o < outFeatures; o++) {
        for (let r = 0; r < update.rank; r++) b[o * rank + offset + r] = update.scaling * update.b[o * update.rank + r]!;
      }
    }
    out.set(name, { rank, scaling: 1, inFeatures, outFeatures, a, b });
  }
  return out;
}

/**
 * Writes LoRA updates as a PEFT adapter directory. Every update must have one rank and one scaling (PEFT's alpha /
 * r; `alpha` defaults to scaling x rank); `dropout` and the target modules (default: the module names) go into
 * adapter_config.json.
 */
export function saveLoraUpdates(updates: ReadonlyMap<string, LoraUpdate>, dir: string, options: { readonly baseModel?: string; readonly alpha?: number; readonly dropout?: number; readonly targetModules?: readonly string[] | string } = {}): void {
  const all = [...updates.values()];
  if (all.length === 0) throw new Error('the model has no LoRA adapters to save');
  const { rank, scaling } = all[0]!;
  if (all.some((u) => u.rank !== rank || u.scaling !== scaling)) throw new Error('saving a PEFT adapter: every module needs the same rank and scaling');
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  for (const [name, u] of updates) {
    tensors.push({ name: peftName(name, 'lora_A'), shape: [u.rank, u.inFeatures], data: u.a });
    tensors.push({ name: peftName(name, 'lora_B'), shape: [u.outFeatures, u.rank], data: u.b });
  }
  writeSafetensors(join(dir, 'adapter_model.safetensors'), tensors);
  const targetModules = options.targetModules ?? [...updates.keys()];
  writeJsonAtomic(join(dir, 'adapter_config.json'), {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: options.baseModel ?? '',
    r: rank,
    lora_alpha: options.alpha ?? scaling * rank,
    lora_dropout: options.dropout ?? 0,
    target_modules: typeof targetModules === 'string' ? targetModules : [...targetModules],
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    modules_to_save: null,
  });
}

/** Writes the model's LoRA adapters as a PEFT adapter directory. */
export function saveLoraAdapter(model: DecoderModel, config: LoraConfig, dir: string, baseModel = ''): void {
  saveLoraUpdates(loraUpdates(model), dir, { baseModel, alpha: config.alpha, dropout: config.dropout ?? 0, targetModules: config.targetModules });
}

/** Reads a PEFT `adapter_config.json` into a LoraConfig, rejecting options this implementation does not have. */
export function readLoraConfig(dir: string): LoraConfig {
  const path = join(dir, 'adapter_config.json');
  if (!existsSync(path)) throw new Error(`${dir}: no adapter_config.json (not a PEFT adapter directory)`);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  if (json['peft_type'] !== 'LORA') throw new Error(`${path}: peft_type ${JSON.stringify(json['peft_type'])} is not supported (only "LORA")`);
  for (const key of ['use_dora', 'use_rslora', 'fan_in_fan_out']) {
    if (json[key] === true) throw new Error(`${path}: "${key}": true is not supported`);
  }
  if (json['bias'] !== undefined && json['bias'] !== 'none') throw new Error(`${path}: bias ${JSON.stringify(json['bias'])} is not supported (only "none")`);
  const target = json['target_modules'];
  const targetModules = typeof target === 'string' ? target : Array.isArray(target) && target.every((t) => typeof t === 'string') ? (target as string[]) : null;
  if (targetModules === null) throw new Error(`${path}: "target_modules" must be a string or a list of strings`);
  const config: LoraConfig = {
    rank: Number(json['r']),
    alpha: Number(json['lora_alpha']),
    dropout: Number(json['lora_dropout'] ?? 0),
    targetModules,
  };
  try {
    validate(config);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  return config;
}

/** Wraps `model` with the adapters of a PEFT directory and loads their weights. Returns the adapter's config. */
export function loadLoraAdapter(model: DecoderModel, dir: string): LoraConfig {
  const config = readLoraConfig(dir);
  const wrapped = applyLora(model, config);
  const weights = openSafetensors(join(dir, 'adapter_model.safetensors'));
  try {
    const available = new Set(weights.names());
    model.mapProjections((name, projection) => {
      if (!(projection instanceof LoraProjection) || !wrapped.includes(name)) return projection;
      for (const [part, param] of [['lora_A', projection.loraA], ['lora_B', projection.loraB]] as const) {
        const tensorName = peftName(name, part);
        if (!available.has(tensorName)) throw new Error(`${dir}: adapter has no tensor "${tensorName}"`);
        const shape = weights.shape(tensorName);
        if (shape.join(',') !== param.shape.join(',')) {
          throw new Error(`${dir}: "${tensorName}" has shape [${shape.join(', ')}], the model needs [${param.shape.join(', ')}]`);
        }
        const data = weights.read(tensorName);
        param.backend.copy(param.backend.upload(data), 0, param.storage, 0, data.length);
      }
      return projection;
    });
  } finally {
    weights.close();
  }
  return config;
}
