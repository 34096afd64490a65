/**
 * The decoder: one implementation for Llama 2/3, Mistral, Qwen2/2.5, Qwen3 and SmolLM, with the family
 * differences read from `DecoderConfig` switches (q/k/v bias, q/k RMSNorm, rope scaling, tied embeddings,
 * grouped-query attention). Read top to bottom in data-flow order:
 *
 *   weights (names and shapes) -> projection, norm -> attention (RoPE, KV cache) -> MLP -> block -> model -> sessions.
 *
 * Every layer is written once, from the `src/nn` modules and tensor ops: training records its forward for autograd,
 * and generation runs the same forward under noGrad, with the keys and values of past positions in a KV cache
 * (AttentionRows is where the two differ). The model is a Module tree, so freezing, LoRA wrappers
 * and trainable rows are parameter-selection decisions made outside it. Weights use Hugging Face names and the
 * rotate-half RoPE layout, whatever file they came from.
 */
import type { Backend, Storage } from '../tensor/backend.js';
import { getBackend, withBackend } from '../tensor/backends/index.js';
import { Rng } from '../tensor/random.js';
import { empty, ids, tensor, zeros, type Tensor } from '../tensor/tensor.js';
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/scope.js';
import { StoragePool, withStoragePool } from '../tensor/storage-pool.js';
import { attention } from '../tensor/ops/attention.js';
import { add } from '../tensor/ops/elementwise.js';
import { dropout, withoutDropout } from '../tensor/ops/dropout.js';
import { embedding } from '../tensor/ops/embedding.js';
import { concat, permute, reshape } from '../tensor/ops/layout.js';
import { linearCrossEntropy, linearTargetLogProbs, type LabelSmoothingOptions } from '../tensor/ops/linearCrossEntropy.js';
import { matmul } from '../tensor/ops/matmul.js';
import { quantizedMatmul } from '../tensor/ops/quantized-matmul.js';
import { dequantize, quantize, type QuantizedMatrix, type QuantizeType } from '../tensor/quant.js';
import { rope, ropeInvFreq } from '../tensor/ops/rope.js';
import { swiglu } from '../tensor/ops/swiglu.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { RMSNorm } from '../nn/norm.js';
import { Parameter } from '../nn/parameter.js';
import type { ForkableSession, SessionFactory } from './session.js';
import type { WeightReader, WeightTensor } from '../formats/types.js';
import type { DecoderConfig } from './config.js';
import { errorWithCode } from '../util/errors.js';

// ---------------------------------------------------------------------------------------------------------------
// Weights: the Hugging Face tensor names and shapes a config implies, the single source of truth for loading,
// random initialisation and saving.

/** Every tensor the model holds, by Hugging Face name, with its shape (PyTorch order: out features first). */
export function decoderWeightShapes(config: DecoderConfig): Map<string, number[]> {
  const { dim, heads, kvHeads, headDim, hiddenDim, vocabSize } = config;
  const shapes = new Map<string, number[]>();
  shapes.set('model.embed_tokens.weight', [vocabSize, dim]);
  for (let l = 0; l < config.layers; l++) {
    const p = `model.layers.${l}.`;
    shapes.set(p + 'input_layernorm.weight', [dim]);
    shapes.set(p + 'self_attn.q_proj.weight', [heads * headDim, dim]);
    shapes.set(p + 'self_attn.k_proj.weight', [kvHeads * headDim, dim]);
    shapes.set(p + 'self_attn.v_proj.weight', [kvHeads * headDim, dim]);
    if (config.qkvBias) {
      shapes.set(p + 'self_attn.q_proj.bias', [heads * headDim]);
      shapes.set(p + 'self_attn.k_proj.bias', [kvHeads * headDim]);
      shapes.set(p + 'self_attn.v_proj.bias', [kvHeads * headDim]);
    }
    if (config.qkNorm) {
      shapes.set(p + 'self_attn.q_norm.weight', [headDim]);
      shapes.set(p + 'self_attn.k_norm.weight', [headDim]);
    }
    shapes.set(p + 'self_attn.o_proj.weight', [dim, heads * headDim]);
    if (config.outputBias) shapes.set(p + 'self_attn.o_proj.bias', [dim]);
    shapes.set(p + 'post_attention_layernorm.weight', [dim]);
    shapes.set(p + 'mlp.gate_proj.weight', [hiddenDim, dim]);
    shapes.set(p + 'mlp.up_proj.weight', [hiddenDim, dim]);
    shapes.set(p + 'mlp.down_proj.weight', [dim, hiddenDim]);
  }
  shapes.set('model.norm.weight', [dim]);
  if (!config.tieWordEmbeddings) shapes.set('lm_head.weight', [vocabSize, dim]);
  return shapes;
}

/**
 * The matrices a model may keep quantized (Q8_0 / Q4_0): the seven projections of every layer, the LM head, and the
 * token embedding, whose quantized blocks serve as the LM head when tied (lookups read an fp32 copy).
 */
export function isQuantizable(name: string): boolean {
  return /^model\.layers\.\d+\.(self_attn\.[qkvo]_proj|mlp\.(gate|up|down)_proj)\.weight$/.test(name) ||
    name === 'lm_head.weight' || name === 'model.embed_tokens.weight';
}

/** How a model holds checkpoint matrices: fp32 (the default, trainable), or quantized for inference. */
export interface WeightLoading {
  /** Keep the checkpoint's Q8_0 / Q4_0 / Q4_K / BF16 matrices as they are stored instead of converting them to fp32. */
  readonly keepQuantized?: boolean;
  /** Store every quantizable matrix in this format on load (src/tensor/quant.ts: Q8_0, Q4_0, bf16, NF4), one
   * matrix at a time, so the fp32 model never exists whole; matrices stored in another format (F16 included) are
   * converted from their values. */
  readonly quantize?: QuantizeType;
}

/** A checkpoint that does not match its config; the message names the tensor. */
export class WeightMismatchError extends errorWithCode('WEIGHT_MISMATCH') {}

// ---------------------------------------------------------------------------------------------------------------
// Layers, in data-flow order. Each is written once, on tensor ops: training records them for autograd, and
// generation runs the same code under noGrad with a KV cache. The one place the two differ is where attention finds
// its keys and values, which the rows of the pass say (AttentionRows).

/** A linear map y = x W^T (+ b) as the decoder uses it; LoRA wraps one (src/models/lora.ts). */
export interface Projection extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** x (rows, inFeatures) -> (rows, outFeatures). */
  forward(x: Tensor): Tensor;
  /** The projection this one wraps with an adapter (LoRA), absent on a plain projection. */
  readonly base?: Projection;
}

/**
 * A projection whose weight stays in a compact format (Q8_0 / Q4_0 blocks, bf16, NF4; src/tensor/quant.ts): inference
 * only. The weight is no Parameter, so optimizers never see it; gradients still flow through it to the input (adapters over a frozen quantized base).
 */
export class QuantizedDense extends Module implements Projection {
  constructor(
    readonly weight: QuantizedMatrix,
    readonly bias: Parameter | null,
  ) {
    super();
  }

  get outFeatures(): number {
    return this.weight.rows;
  }

  get inFeatures(): number {
    return this.weight.cols;
  }

  forward(x: Tensor): Tensor {
    const y = quantizedMatmul(x, this.weight);
    return this.bias === null ? y : add(y, this.bias);
  }
}

/** RoPE inverse frequencies (headDim / 2) for the config: theta^(-2i/headDim), with Llama-3 scaling when set. */
export function ropeFrequencies(config: Pick<DecoderConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): Float32Array {
  const s = config.ropeScaling;
  const scaling = s === null
    ? undefined
    : { factor: s.factor, lowFreqFactor: s.lowFreqFactor, highFreqFactor: s.highFreqFactor, originalMaxPositions: s.originalMaxPositionEmbeddings };
  return ropeInvFreq(config.headDim, config.ropeTheta, scaling);
}

/**
 * The rows of one forward pass, `batch` sequences of `t` new tokens each, and how their attention reaches keys and
 * values: over the rows themselves (training and scoring: `selfAttentionRows`) or over a KV cache that the new rows
 * join (generation: `CachedRows`).
 */
export interface AttentionRows {
  readonly batch: number;
  readonly t: number;
  /** The absolute position of every row (batch * t) for RoPE; undefined: 0 .. t-1 in every sequence. */
  readonly positions: Int32Array | undefined;
  /** Layer `layer`'s attention: q (batch, heads, t, headDim), k and v (batch, kvHeads, t, headDim), rotated, ->
   * (batch, heads, t, headDim). */
  attend(layer: number, q: Tensor, k: Tensor, v: Tensor): Tensor;
}

/** Every sequence attends causally over itself, recorded for autograd. */
export function selfAttentionRows(batch: number, t: number): AttentionRows {
  return { batch, t, positions: undefined, attend: (_layer, q, k, v) => attention(q, k, v, { causal: true }) };
}

/**
 * Causal self-attention with grouped KV heads, RoPE, and (Qwen3) RMSNorm on each query and key head. The
 * projections are replaceable (LoRA wraps them through DecoderModel.mapProjections).
 */
export class Attention extends Module {
  constructor(
    public qProj: Projection,
    public kProj: Projection,
    public vProj: Projection,
    public oProj: Projection,
    readonly qNorm: RMSNorm | null,
    readonly kNorm: RMSNorm | null,
    private readonly config: DecoderConfig,
    private readonly invFreq: Float32Array,
    /** The layer's index, by which the rows find its keys and values. */
    private readonly layer: number,
  ) {
    super();
  }

  /** x (batch * t, dim) -> (batch * t, dim). */
  forward(x: Tensor, rows: AttentionRows): Tensor {
    const { heads, kvHeads, headDim } = this.config;
    const { batch, t } = rows;
    const n = batch * t;
    let q = this.qProj.forward(x); // (n, heads * headDim)
    let k = this.kProj.forward(x); // (n, kvHeads * headDim)
    const v = this.vProj.forward(x);
    if (this.qNorm && this.kNorm) {
      q = reshape(this.qNorm.forward(reshape(q, [n * heads, headDim])), [n, heads * headDim]);
      k = reshape(this.kNorm.forward(reshape(k, [n * kvHeads, headDim])), [n, kvHeads * headDim]);
    }
    // (batch, t, h, headDim) -> (batch, h, t, headDim)
    const split = (y: Tensor, h: number): Tensor => permute(reshape(y, [batch, t, h, headDim]), [0, 2, 1, 3]);
    // RoPE: queries and keys rotate by their absolute positions; values do not.
    const rotation = rows.positions === undefined ? { invFreq: this.invFreq } : { invFreq: this.invFreq, positions: rows.positions };
    const qh = rope(split(q, heads), rotation);
    const kh = rope(split(k, kvHeads), rotation);
    const attended = rows.attend(this.layer, qh, kh, split(v, kvHeads)); // (batch, heads, t, headDim)
    return this.oProj.forward(reshape(permute(attended, [0, 2, 1, 3]), [n, heads * headDim]));
  }
}

/** SwiGLU feed-forward: down(silu(gate(x)) * up(x)); the projections are replaceable like attention's. */
export class Mlp extends Module {
  constructor(
    public gateProj: Projection,
    public upProj: Projection,
    public downProj: Projection,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return this.downProj.forward(swiglu(this.gateProj.forward(x), this.upProj.forward(x)));
  }
}

/** Residual dropout while training: the rate and the model's mask generator. */
export interface ResidualDropout {
  readonly rate: number;
  readonly rng: Rng;
}

/** A pre-norm residual block: x + attention(norm(x)), then x + mlp(norm(x)). */
export class DecoderLayer extends Module {
  /** Set through DecoderModel.setDropout. */
  residualDropout: ResidualDropout | null = null;

  constructor(
    readonly inputLayernorm: RMSNorm,
    readonly selfAttn: Attention,
    readonly postAttentionLayernorm: RMSNorm,
    readonly mlp: Mlp,
  ) {
    super();
  }

  forward(x: Tensor, rows: AttentionRows): Tensor {
    const h = add(x, this.dropped(this.selfAttn.forward(this.inputLayernorm.forward(x), rows)));
    return add(h, this.dropped(this.mlp.forward(this.postAttentionLayernorm.forward(h))));
  }

  private dropped(y: Tensor): Tensor {
    const d = this.residualDropout;
    return d === null ? y : dropout(y, { p: d.rate, rng: d.rng, training: this.training });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Generation: a KV cache per layer and sequence slot, and the rows of a pass that attend over it.

/** Per layer and sequence slot: keys and values as (kvHeads, capacity, headDim), read in place by attention. */
export class KvCache {
  readonly keys: Storage[][];
  readonly values: Storage[][];
  /** Positions filled so far, per slot. */
  readonly lengths: number[];

  constructor(backend: Backend, config: DecoderConfig, readonly slots: number, readonly capacity: number) {
    const size = config.kvHeads * capacity * config.headDim;
    this.keys = Array.from({ length: config.layers }, () => Array.from({ length: slots }, () => backend.alloc(size)));
    this.values = Array.from({ length: config.layers }, () => Array.from({ length: slots }, () => backend.alloc(size)));
    this.lengths = new Array<number>(slots).fill(0);
  }
}

/**
 * The rows of one generation pass: `batch` sequences of `t` new tokens each (prefill: one sequence, many tokens;
 * decode: many sequences, one token), with each sequence's slot and the position of its first new token.
 */
export interface Batch {
  readonly batch: number;
  readonly t: number;
  readonly slots: readonly number[];
  readonly starts: readonly number[];
  /** Absolute position of every row (batch * t), for RoPE. */
  readonly positions: Int32Array;
}

/** A generation pass's rows: each sequence's new keys and values join its cache slot, and its queries attend over
 * the slot in place (inference only: nothing is recorded). */
class CachedRows implements AttentionRows {
  constructor(
    private readonly rows: Batch,
    private readonly cache: KvCache,
  ) {}

  get batch(): number {
    return this.rows.batch;
  }

  get t(): number {
    return this.rows.t;
  }

  get positions(): Int32Array {
    return this.rows.positions;
  }

  attend(layer: number, q: Tensor, k: Tensor, v: Tensor): Tensor {
    const [batch, heads, t, headDim] = q.shape as [number, number, number, number];
    const kvHeads = k.shape[1]!;
    const keys = this.cache.keys[layer]!;
    const values = this.cache.values[layer]!;
    const capacity = this.cache.capacity;
    const out = empty(q.shape);
    const b = out.backend;
    // Kernels read from offset 0, so with several sequences each one's queries go through a one-sequence buffer.
    const size = heads * t * headDim;
    const one = batch === 1 ? null : { q: empty([size]), out: empty([size]) };
    const lse = empty([heads * t]);
    for (let s = 0; s < batch; s++) {
      const slot = this.rows.slots[s]!;
      const past = this.rows.starts[s]!;
      // Append this sequence's new keys and values at positions past .. past+t of its cache slot.
      for (let h = 0; h < kvHeads; h++) {
        const from = (s * kvHeads + h) * t * headDim;
        b.copy(k.storage, from, keys[slot]!, (h * capacity + past) * headDim, t * headDim);
        b.copy(v.storage, from, values[slot]!, (h * capacity + past) * headDim, t * headDim);
      }
      const params = {
        batch: 1, heads, kvHeads, tq: t, tk: past + t, headDim, pastLength: past, causal: true,
        scale: 1 / Math.sqrt(headDim), kvHeadStride: capacity * headDim,
      };
      if (one === null) {
        b.attention(q.storage, keys[slot]!, values[slot]!, out.storage, lse.storage, params);
      } else {
        b.copy(q.storage, s * size, one.q.storage, 0, size);
        b.attention(one.q.storage, keys[slot]!, values[slot]!, one.out.storage, lse.storage, params);
        b.copy(one.out.storage, 0, out.storage, s * size, size);
      }
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The model: token embedding, the blocks, a final norm and the LM head (the embedding matrix when tied).

/** How far reading a checkpoint's weights has got (after each tensor). */
export interface LoadProgress {
  /** The tensor just read (Hugging Face name). */
  readonly tensor: string;
  readonly tensors: number;
  readonly totalTensors: number;
  /** Weights read so far and in all (parameters, not bytes: the file's dtype may be bf16 or quantized). */
  readonly elements: number;
  readonly totalElements: number;
}

/** Standard deviations of a random initialisation: the token embedding / LM head, and every other matrix. */
export interface RandomInitStd {
  readonly embedding: number;
  readonly projection: number;
}

export class DecoderModel extends Module implements SessionFactory {
  readonly embedTokens: Parameter;
  /** The generator behind every dropout mask of the model (LoRA and residual dropout), so a resumed run can
   * restore its state. */
  dropoutRng: Rng | null = null;
  private residualDropout: ResidualDropout | null = null;
  readonly layers: DecoderLayer[];
  readonly norm: RMSNorm;
  readonly lmHead: Linear | null;
  /** The LM head as quantized blocks (a quantized lm_head, or the quantized embedding when tied), which generation
   * multiplies instead of the fp32 matrix; null when the head is fp32. */
  readonly quantizedHead: QuantizedMatrix | null;
  /** Every parameter by its Hugging Face tensor name (the base weights, whatever wraps the projections). */
  private readonly byHfName = new Map<string, Parameter>();
  /** The matrices kept quantized, by Hugging Face tensor name. */
  private readonly quantizedByHfName = new Map<string, QuantizedMatrix>();
  private readonly invFreq: Float32Array;
  /** Output-only rows (K, dim) whose logits follow the vocabulary's (setExtraOutputRows). */
  extraOutputRows: Parameter | null = null;

  /**
   * Builds the model from tensors in Hugging Face naming; every tensor the config implies must be present. The
   * quantizable matrices (isQuantizable) may come as quantized blocks, which the model keeps: it then runs
   * inference only on them (a quantized embedding is also looked up from an fp32 copy).
   */
  constructor(
    readonly config: DecoderConfig,
    tensors: ReadonlyMap<string, Float32Array | QuantizedMatrix>,
    readonly backend: Backend = getBackend(),
  ) {
    super();
    for (const [name, shape] of decoderWeightShapes(config)) {
      const data = tensors.get(name);
      if (data === undefined) throw new WeightMismatchError(`missing tensor "${name}" (shape [${shape.join(', ')}])`);
      if (!(data instanceof Float32Array)) {
        if (!isQuantizable(name) || data.rows !== shape[0] || data.cols !== shape[1]) {
          throw new WeightMismatchError(`tensor "${name}" is a ${data.type} (${data.rows}, ${data.cols}) matrix, the config implies ${isQuantizable(name) ? `[${shape.join(', ')}]` : `an fp32 tensor of shape [${shape.join(', ')}]`}`);
        }
        // The embedding is looked up from fp32 rows; its blocks are kept only to serve as the tied LM head.
        const embedding = name === 'model.embed_tokens.weight';
        if (embedding) this.byHfName.set(name, new Parameter(backend.upload(dequantize(data)), shape, backend));
        if (!embedding || config.tieWordEmbeddings) this.quantizedByHfName.set(name, data);
        continue;
      }
      const expected = shape.reduce((a, b) => a * b, 1);
      if (data.length !== expected) {
        throw new WeightMismatchError(`tensor "${name}" has ${data.length} values, the config implies [${shape.join(', ')}] = ${expected}`);
      }
      this.byHfName.set(name, new Parameter(backend.upload(data), shape, backend));
    }
    const w = (name: string): Parameter => this.byHfName.get(name)!;
    const optional = (name: string): Parameter | null => this.byHfName.get(name) ?? null;
    const dense = (name: string): Projection => {
      const quantized = this.quantizedByHfName.get(name + '.weight');
      if (quantized !== undefined) return new QuantizedDense(quantized, optional(name + '.bias'));
      return new Linear(w(name + '.weight'), optional(name + '.bias'));
    };
    const norm = (name: string): RMSNorm => new RMSNorm(w(name + '.weight'), config.normEps);
    this.invFreq = ropeFrequencies(config);

    this.embedTokens = w('model.embed_tokens.weight');
    this.layers = Array.from({ length: config.layers }, (_, l) => {
      const p = `model.layers.${l}.`;
      const selfAttn = new Attention(
        dense(p + 'self_attn.q_proj'), dense(p + 'self_attn.k_proj'), dense(p + 'self_attn.v_proj'), dense(p + 'self_attn.o_proj'),
        config.qkNorm ? norm(p + 'self_attn.q_norm') : null, config.qkNorm ? norm(p + 'self_attn.k_norm') : null,
        config, this.invFreq, l,
      );
      const mlp = new Mlp(dense(p + 'mlp.gate_proj'), dense(p + 'mlp.up_proj'), dense(p + 'mlp.down_proj'));
      return new DecoderLayer(norm(p + 'input_layernorm'), selfAttn, norm(p + 'post_attention_layernorm'), mlp);
    });
    this.norm = norm('model.norm');
    const headName = config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
    this.quantizedHead = this.quantizedByHfName.get(headName) ?? null;
    this.lmHead = config.tieWordEmbeddings || this.quantizedHead !== null ? null : new Linear(w('lm_head.weight'), null);
  }

  /**
   * Loads every tensor the config needs from a checkpoint reader (extra tensors, e.g. a tied lm_head, are ignored),
   * in fp32 unless `loading` keeps or makes quantized matrices.
   */
  static fromReader(
    config: DecoderConfig, reader: WeightReader, backend?: Backend, onProgress?: (progress: LoadProgress) => void, loading: WeightLoading = {},
  ): DecoderModel {
    const available = new Set(reader.names());
    const tensors = new Map<string, Float32Array | QuantizedMatrix>();
    const shapes = [...decoderWeightShapes(config)];
    const totalElements = shapes.reduce((n, [, shape]) => n + shape.reduce((a, b) => a * b, 1), 0);
    let elements = 0;
    for (const [name, shape] of shapes) {
      if (!available.has(name)) throw new WeightMismatchError(`checkpoint has no tensor "${name}" (shape [${shape.join(', ')}])`);
      const stored = reader.shape(name);
      if (stored.join(',') !== shape.join(',')) {
        throw new WeightMismatchError(`tensor "${name}" has shape [${stored.join(', ')}], the config implies [${shape.join(', ')}]`);
      }
      tensors.set(name, loadTensor(reader, name, shape, config, loading));
      elements += shape.reduce((a, b) => a * b, 1);
      onProgress?.({ tensor: name, tensors: tensors.size, totalTensors: shapes.length, elements, totalElements });
    }
    return new DecoderModel(config, tensors, backend);
  }

  /** Random weights: N(0, std) matrices, unit norms, zero biases (benchmarks and training from scratch). */
  static random(config: DecoderConfig, seed = 0, std: number | RandomInitStd = 0.02, backend?: Backend): DecoderModel {
    const rng = new Rng(seed);
    const { embedding, projection } = typeof std === 'number' ? { embedding: std, projection: std } : std;
    const tensors = new Map<string, Float32Array>();
    for (const [name, shape] of decoderWeightShapes(config)) {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      const scale = name === 'model.embed_tokens.weight' || name === 'lm_head.weight' ? embedding : projection;
      if (name.endsWith('norm.weight')) data.fill(1);
      else if (!name.endsWith('.bias')) for (let i = 0; i < data.length; i++) data[i] = scale * rng.normal();
      tensors.set(name, data);
    }
    return new DecoderModel(config, tensors, backend);
  }

  /** The parameter behind a Hugging Face tensor name (e.g. `model.layers.0.self_attn.q_proj.weight`). */
  parameter(hfName: string): Parameter {
    const p = this.byHfName.get(hfName);
    const quantized = this.quantizedByHfName.get(hfName);
    if (p === undefined && quantized !== undefined) throw new WeightMismatchError(`tensor "${hfName}" is kept quantized (${quantized.type}), for inference only; load the model in fp32 to train it`);
    if (p === undefined) throw new WeightMismatchError(`the model has no tensor "${hfName}"`);
    return p;
  }

  /** The model's base tensors in Hugging Face naming (host copies; quantized matrices dequantized), in a stable
   * order, for saving. */
  tensors(): WeightTensor[] {
    return [...decoderWeightShapes(this.config)].map(([name, shape]) => {
      const quantized = this.quantizedByHfName.get(name);
      return { name, shape, data: this.byHfName.has(name) ? this.parameter(name).toArray() : dequantize(quantized!) };
    });
  }

  /** The LM head matrix (vocab, dim): its own, or the embedding when tied. */
  get outputWeight(): Parameter {
    if (this.lmHead === null && !this.config.tieWordEmbeddings) {
      throw new WeightMismatchError(`the LM head is kept quantized (${this.quantizedHead!.type}), which serves generation only; load the model in fp32 to train or score it`);
    }
    return this.lmHead?.weight ?? this.embedTokens;
  }

  /**
   * Replaces projections: `wrap` sees each one with its Hugging Face module name (`model.layers.3.self_attn.q_proj`)
   * and returns it or a replacement (a LoRA wrapper). Returns how many were replaced.
   */
  mapProjections(wrap: (name: string, projection: Projection) => Projection): number {
    let replaced = 0;
    this.layers.forEach((layer, l) => {
      const swap = (name: string, current: Projection): Projection => {
        const next = wrap(`model.layers.${l}.${name}`, current);
        if (next !== current) replaced++;
        return next;
      };
      const { selfAttn: attn, mlp } = layer;
      attn.qProj = swap('self_attn.q_proj', attn.qProj);
      attn.kProj = swap('self_attn.k_proj', attn.kProj);
      attn.vProj = swap('self_attn.v_proj', attn.vProj);
      attn.oProj = swap('self_attn.o_proj', attn.oProj);
      mlp.gateProj = swap('mlp.gate_proj', mlp.gateProj);
      mlp.upProj = swap('mlp.up_proj', mlp.upProj);
      mlp.downProj = swap('mlp.down_proj', mlp.downProj);
    });
    return replaced;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Training and scoring: whole sequences, recorded for autograd.

  /** Final hidden states (batch * t, dim) after the last norm, for ids (batch * t) of `batch` sequences of length t;
   * recorded for autograd. */
  forwardHidden(inputIds: Int32Array, batch: number, t: number): Tensor {
    if (inputIds.length !== batch * t) throw new RangeError(`forward: ${inputIds.length} ids do not fill batch ${batch} x t ${t}`);
    return this.norm.forward(this.residualStream(inputIds, selfAttentionRows(batch, t)));
  }

  /**
   * The residual stream (rows, dim) after the last block: the one forward of the model, for training and generation.
   * `freeEachLayer` (generation, under noGrad) disposes each block's intermediates as soon as it is done, so a long
   * prefill holds one block's activations at a time.
   */
  private residualStream(inputIds: Int32Array, rows: AttentionRows, freeEachLayer = false): Tensor {
    let x = embedding(this.embedTokens, ids(inputIds)); // (batch * t, dim)
    if (this.residualDropout !== null) x = dropout(x, { p: this.residualDropout.rate, rng: this.residualDropout.rng, training: this.training });
    for (const layer of this.layers) {
      if (!freeEachLayer) {
        x = layer.forward(x, rows);
        continue;
      }
      const input = x;
      x = tidy(() => layer.forward(input, rows));
      input.dispose();
    }
    return x;
  }

  /** The Module forward: the final hidden states, as forwardHidden. */
  forward(inputIds: Int32Array, batch: number, t: number): Tensor {
    return this.forwardHidden(inputIds, batch, t);
  }

  /** Logits (batch * t, vocab + K) over the vocabulary and the extra output rows, recorded for autograd. */
  logits(inputIds: Int32Array, batch: number, t: number): Tensor {
    const hidden = this.forwardHidden(inputIds, batch, t);
    if (this.quantizedHead !== null && this.extraOutputRows === null) return quantizedMatmul(hidden, this.quantizedHead);
    return matmul(hidden, this.outputMatrix(), { transB: true });
  }

  /**
   * The rows the LM head scores, (vocab + K, dim): the output weight, followed by the extra output rows when set
   * (a copy that joins them, recorded for autograd so both receive gradients).
   */
  outputMatrix(): Tensor {
    return this.extraOutputRows === null ? this.outputWeight : concat([this.outputWeight, this.extraOutputRows], 0);
  }

  /**
   * Sets K extra output rows (K, dim), or removes them (null): their logits join the vocabulary's, [vocab ; extra],
   * in logits, loss and every session opened afterwards (ToolkenGPT's tool embeddings). They are output-only: token
   * ids stay below the vocabulary size, and neither the input embedding nor the saved weights change.
   */
  setExtraOutputRows(rows: Parameter | null): void {
    if (rows !== null && (rows.rank !== 2 || rows.shape[1] !== this.config.dim || rows.shape[0] === 0)) {
      throw new RangeError(`setExtraOutputRows: rows must be (K, dim ${this.config.dim}) with K >= 1, got (${rows.shape.join(', ')})`);
    }
    this.extraOutputRows = rows;
  }

  /** Logits per row of every session and of logits(): the vocabulary plus the extra output rows. */
  get outputSize(): number {
    return this.config.vocabSize + (this.extraOutputRows?.shape[0] ?? 0);
  }

  /**
   * Runs fn with every adapter switched off (each wrapped projection computes its base map only), then switches
   * them back on, also when fn throws: the base model without a copy of its weights (the reference policy of DPO
   * and RL). Nested calls are allowed; the outermost restores.
   */
  withAdaptersDisabled<T>(fn: () => T): T {
    const adapted = new Map<string, Projection>();
    this.mapProjections((name, projection) => {
      if (projection.base === undefined) return projection;
      adapted.set(name, projection);
      let base = projection.base;
      while (base.base !== undefined) base = base.base;
      return base;
    });
    try {
      return fn();
    } finally {
      this.mapProjections((name, projection) => adapted.get(name) ?? projection);
    }
  }

  /**
   * Dropout on the token embeddings and on each attention and MLP output before it joins the residual stream
   * (GPT-2's residual dropout), in training mode only; rate 0 removes it. It regularises models trained from
   * scratch on small data. Masks come from dropoutRng (seeded here unless LoRA dropout already made one).
   */
  setDropout(rate: number, seed = 0): void {
    if (!(rate >= 0 && rate < 1)) throw new RangeError(`setDropout: rate must be in [0, 1), got ${rate}`);
    this.dropoutRng ??= new Rng(seed);
    this.residualDropout = rate === 0 ? null : { rate, rng: this.dropoutRng };
    for (const layer of this.layers) layer.residualDropout = this.residualDropout;
  }

  /**
   * Mean next-token cross-entropy over rows whose target is not `ignoreIndex` (-100), through the fused LM head
   * over the vocabulary and the extra output rows (target vocab + j is extra row j), optionally label-smoothed
   * (LabelSmoothingOptions).
   */
  loss(inputIds: Int32Array, targets: Int32Array, batch: number, t: number, options: LossOptions = {}): Tensor {
    const ignoreIndex = options.ignoreIndex ?? IGNORE_INDEX;
    const { labelSmoothing, smoothingClasses, softLabels } = options;
    const lossOptions = { ignoreIndex, labelSmoothing, smoothingClasses };
    const hidden = this.forwardHidden(inputIds, batch, t);
    const head = this.outputMatrix();
    // Supervised examples label a few positions (a retrieval example: the tool token and the end of turn); the LM
    // head then runs on those rows only, gathered like embedding rows, instead of on every position.
    const labelled: number[] = [];
    for (let i = 0; i < targets.length; i++) if (targets[i] !== ignoreIndex) labelled.push(i);
    const all = labelled.length === 0 || labelled.length === targets.length;
    const soft = softLabels === undefined || softLabels.length === 0 ? {} : { smoothingTargets: smoothingRows(softLabels, all ? null : labelled, targets.length) };
    if (all) return linearCrossEntropy(hidden, head, targets, { ...lossOptions, ...soft });
    const rows = embedding(hidden, ids(labelled));
    return linearCrossEntropy(rows, head, Int32Array.from(labelled, (i) => targets[i]!), { ...lossOptions, ...soft });
  }

  /**
   * log p(targets[r, i] | inputIds[r, 0..i]) at each position whose target is not IGNORE_INDEX, in row-major order:
   * shape (labelled positions), differentiable (GRPO's per-token ratios and KL). The LM head runs on the labelled
   * rows only, in vocabulary chunks.
   */
  tokenLogProbs(inputIds: Int32Array, targets: Int32Array, batch: number, t: number): Tensor {
    if (targets.length !== batch * t) throw new RangeError(`log-probs: ${targets.length} targets do not fill batch ${batch} x t ${t}`);
    const hidden = this.forwardHidden(inputIds, batch, t);
    const labelled = labelledPositions(targets);
    if (labelled.length === 0) return zeros([0]);
    const rows = embedding(hidden, ids(labelled));
    return linearTargetLogProbs(rows, this.outputMatrix(), Int32Array.from(labelled, (i) => targets[i]!));
  }

  /**
   * Per-sequence sums of log p(targets[r, i] | inputIds[r, 0..i]) over the positions whose target is not
   * IGNORE_INDEX: shape (batch), differentiable (DPO and RL compare these between policies). The LM head runs on
   * the labelled rows only, in vocabulary chunks, so no (rows x vocab) probabilities exist.
   */
  sequenceLogProbs(inputIds: Int32Array, targets: Int32Array, batch: number, t: number): Tensor {
    const labelled = labelledPositions(targets);
    if (labelled.length === 0) return zeros([batch]);
    const logProbs = this.tokenLogProbs(inputIds, targets, batch, t);
    // Summed per sequence by a (batch, labelled) 0/1 matrix: row b picks the labelled positions of sequence b. A sum,
    // not a learned product, so it stays fp32 under bf16 training.
    const membership = new Float32Array(batch * labelled.length);
    labelled.forEach((position, j) => { membership[Math.floor(position / t) * labelled.length + j] = 1; });
    return reshape(matmul(tensor(membership, [batch, labelled.length]), reshape(logProbs, [labelled.length, 1]), { precision: 'fp32' }), [batch]);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Generation: the same forward under noGrad, with a KV cache.

  createSession(sequences: number, capacity: number): ForkableSession {
    return new ModelSession(this.config, this.backend, sequences, capacity, this.outputSize, (tokenIds, rows, cache, pool) => this.run(tokenIds, rows, cache, pool));
  }

  /** Logits (tokens.length, vocab + K) at every position of one sequence, through the generation path. */
  logitsAt(tokens: readonly number[]): Float32Array {
    const cache = new KvCache(this.backend, this.config, 1, tokens.length);
    const batch: Batch = { batch: 1, t: tokens.length, slots: [0], starts: [0], positions: positionsFrom(0, tokens.length) };
    return this.run(Int32Array.from(tokens), batch, cache, new StoragePool(this.backend), true).logits;
  }

  /**
   * Runs the rows through the model, appending to the cache. Returns logits (vocab + K) and final-normed hidden
   * states (dim) for every row (`allRows`) or for the last row of each sequence. Dropout is off whatever the mode:
   * generating is not training. Intermediates come from `pool`, the session's, so that one step reuses the memory
   * of the last.
   */
  private run(tokenIds: Int32Array, rows: Batch, cache: KvCache, pool: StoragePool, allRows = false): RunOutput {
    const { vocabSize } = this.config;
    for (const id of tokenIds) {
      if (id < 0 || id >= vocabSize) throw new RangeError(`token id ${id} is outside the vocabulary (0..${vocabSize - 1})`);
    }
    // On the model's backend, which need not be the current one.
    return withBackend(this.backend, () => withStoragePool(pool, () => withoutDropout(() => noGrad(() => tidy(() => {
      const x = this.residualStream(tokenIds, new CachedRows(rows, cache), true);
      for (let s = 0; s < rows.batch; s++) cache.lengths[rows.slots[s]!] = rows.starts[s]! + rows.t;
      // Only each sequence's last row needs logits unless all are asked for.
      const last = allRows || rows.t === 1 ? x : embedding(x, ids(Array.from({ length: rows.batch }, (_, s) => s * rows.t + rows.t - 1)));
      const hidden = this.norm.forward(last);
      return { logits: hostView(this.generationLogits(hidden)), hidden: hostView(hidden) };
    })))));
  }

  /**
   * [vocab ; extra] logits of hidden (rows, dim): the LM head on its quantized blocks when it has them, and the extra
   * output rows as a second product beside it (joining the matrices, as training does, would copy the whole head).
   */
  private generationLogits(hidden: Tensor): Tensor {
    const vocabulary = this.quantizedHead !== null ? quantizedMatmul(hidden, this.quantizedHead) : matmul(hidden, this.outputWeight, { transB: true });
    const extra = this.extraOutputRows;
    return extra === null ? vocabulary : concat([vocabulary, matmul(hidden, extra, { transB: true })], 1);
  }
}

/**
 * The tensor's values as a host view of its storage, not a copy: a generation pass's storages return to its session's
 * pool, so the view stays valid until the session's next pass (a decode step's logits are read before the next).
 */
function hostView(t: Tensor): Float32Array {
  return t.backend.download(t.storage).subarray(0, t.size);
}

/** What a generation pass returns: host views, valid until the session's next pass. */
interface RunOutput {
  /** (rows, vocab + K) */
  readonly logits: Float32Array;
  /** (rows, dim) the final-normed hidden states the logits came from. */
  readonly hidden: Float32Array;
}

/** One tensor of a checkpoint as `loading` asks: fp32, the stored quantized blocks, or quantized now. */
function loadTensor(reader: WeightReader, name: string, shape: number[], config: DecoderConfig, loading: WeightLoading): Float32Array | QuantizedMatrix {
  // An untied embedding is only looked up, so it stays fp32 (quantizing it would save nothing at run time).
  const wanted = isQuantizable(name) && !(name === 'model.embed_tokens.weight' && !config.tieWordEmbeddings);
  if (!wanted || (loading.keepQuantized !== true && loading.quantize === undefined)) return reader.read(name);
  const stored = reader.quantized?.(name);
  if (stored !== undefined && (loading.quantize === undefined || stored.type === loading.quantize)) return stored;
  if (loading.quantize === undefined) return reader.read(name);
  try {
    return quantize(loading.quantize, reader.read(name), shape[0]!, shape[1]!);
  } catch (err) {
    if (err instanceof RangeError) throw new WeightMismatchError(`tensor "${name}" cannot be quantized: ${err.message}`);
    throw err;
  }
}

/** The label of positions that carry no loss (PyTorch's and Hugging Face's convention). */
export const IGNORE_INDEX = -100;

/** The positions of `targets` that carry a target (not IGNORE_INDEX), in order. */
function labelledPositions(targets: Int32Array): number[] {
  const labelled: number[] = [];
  for (let i = 0; i < targets.length; i++) if (targets[i] !== IGNORE_INDEX) labelled.push(i);
  return labelled;
}

export interface LossOptions extends LabelSmoothingOptions {
  /** Targets with this value carry no loss (default IGNORE_INDEX). */
  readonly ignoreIndex?: number;
  /** Targets whose smoothing follows a distribution of their own (position: index into targets). */
  readonly softLabels?: readonly SoftLabel[];
}

/**
 * A distribution over the smoothing classes that replaces the even spread of label smoothing for one label (a
 * teacher's, in knowledge distillation). All soft labels of a loss have the same number of classes.
 */
export interface SoftLabel {
  readonly position: number;
  readonly distribution: Float32Array;
}

/**
 * The smoothing distributions of the loss rows (the targets `rows` picks, or all of them when null): a soft
 * label's distribution on its row, the even spread (1 / classes) on the others.
 */
function smoothingRows(softLabels: readonly SoftLabel[], rows: readonly number[] | null, targetCount: number): Float32Array {
  const classes = softLabels[0]!.distribution.length;
  const rowOf = rows === null ? null : new Map(rows.map((target, row) => [target, row]));
  const out = new Float32Array((rows?.length ?? targetCount) * classes).fill(1 / classes);
  for (const { position, distribution } of softLabels) {
    if (distribution.length !== classes) throw new Error(`loss: soft labels have ${classes} and ${distribution.length} classes`);
    const row = rowOf === null ? (Number.isInteger(position) && position >= 0 && position < targetCount ? position : undefined) : rowOf.get(position);
    if (row === undefined) throw new Error(`loss: soft label at target ${position} is not a labelled target (0..${targetCount - 1})`);
    out.set(distribution, row * classes);
  }
  return out;
}

function positionsFrom(start: number, count: number): Int32Array {
  const positions = new Int32Array(count);
  for (let i = 0; i < count; i++) positions[i] = start + i;
  return positions;
}

/** Runs rows through the model's generation pass; returns the logits and hidden states of each sequence's last row. */
type RunRows = (tokenIds: Int32Array, rows: Batch, cache: KvCache, pool: StoragePool) => RunOutput;

/** A generation session: a KV cache with `sequences` slots of `capacity` positions and reusable buffers. */
class ModelSession implements ForkableSession {
  readonly vocabSize: number;
  private readonly cache: KvCache;
  /** The memory of one step's intermediates, reused by the next (storage-pool.ts). */
  private readonly pool: StoragePool;
  private decodeIds = new Int32Array(0);
  private decodePositions = new Int32Array(0);
  private last: RunOutput | null = null;

  constructor(
    private readonly config: DecoderConfig,
    private readonly backend: Backend,
    sequences: number,
    readonly capacity: number,
    outputSize: number,
    private readonly runRows: RunRows,
  ) {
    if (capacity > config.maxPositions) {
      throw new RangeError(`a session of ${capacity} positions exceeds the model's maximum of ${config.maxPositions}`);
    }
    this.vocabSize = outputSize;
    this.cache = new KvCache(backend, config, sequences, capacity);
    this.pool = new StoragePool(backend);
  }

  prefill(sequence: number, tokens: readonly number[]): Float32Array {
    const start = this.reserve(sequence, tokens.length);
    const rows: Batch = { batch: 1, t: tokens.length, slots: [sequence], starts: [start], positions: positionsFrom(start, tokens.length) };
    this.last = this.runRows(Int32Array.from(tokens), rows, this.cache, this.pool);
    return this.last.logits;
  }

  lastHidden(): Float32Array {
    if (this.last === null) throw new Error('lastHidden: the session has not run prefill or decode yet');
    return this.last.hidden;
  }

  decode(sequences: readonly number[], tokens: readonly number[]): Float32Array {
    if (sequences.length !== tokens.length) throw new RangeError(`decode: ${sequences.length} sequences but ${tokens.length} tokens`);
    const n = sequences.length;
    if (this.decodeIds.length !== n) {
      this.decodeIds = new Int32Array(n);
      this.decodePositions = new Int32Array(n);
    }
    const starts = sequences.map((s) => this.reserve(s, 1));
    for (let i = 0; i < n; i++) {
      this.decodeIds[i] = tokens[i]!;
      this.decodePositions[i] = starts[i]!;
    }
    const rows: Batch = { batch: n, t: 1, slots: sequences, starts, positions: this.decodePositions };
    this.last = this.runRows(this.decodeIds, rows, this.cache, this.pool);
    return this.last.logits;
  }

  copySequence(from: number, to: number): void {
    const length = this.reserve(from, 0);
    this.reserve(to, 0);
    const { keys, values } = this.cache;
    const { kvHeads, headDim } = this.config;
    for (let l = 0; l < keys.length; l++) {
      for (let h = 0; h < kvHeads; h++) {
        const at = h * this.capacity * headDim;
        this.backend.copy(keys[l]![from]!, at, keys[l]![to]!, at, length * headDim);
        this.backend.copy(values[l]![from]!, at, values[l]![to]!, at, length * headDim);
      }
    }
    this.cache.lengths[to] = length;
  }

  resetSequence(sequence: number): void {
    this.reserve(sequence, 0);
    this.cache.lengths[sequence] = 0;
  }

  /** Checks that `count` more positions fit in the slot; returns the slot's current length. */
  private reserve(sequence: number, count: number): number {
    const length = this.cache.lengths[sequence];
    if (length === undefined) throw new RangeError(`sequence ${sequence} is not a slot of this session (0..${this.cache.slots - 1})`);
    if (length + count > this.capacity) {
      throw new RangeError(`sequence ${sequence}: ${length} + ${count} positions exceed the session capacity ${this.capacity}`);
    }
    return length;
  }
}
