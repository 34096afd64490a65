import { errorWithCode } from '../util/errors.js';
/**
 * The one typed description of a decoder: every checkpoint format (HF config.json, GGUF metadata, llama2.c header)
 * is parsed into a `DecoderConfig`, and the decoder reads only this. Family differences are switches here
 * (q/k/v bias, q/k RMSNorm, rope scaling, tied embeddings), never copies of the model code.
 */

/** Llama-3 frequency-dependent RoPE scaling ("rope_type": "llama3"). */
export interface Llama3RopeScaling {
  readonly type: 'llama3';
  readonly factor: number;
  readonly lowFreqFactor: number;
  readonly highFreqFactor: number;
  readonly originalMaxPositionEmbeddings: number;
}

/** The Hugging Face model types this decoder implements (SmolLM checkpoints declare "llama"). */
export type DecoderFamily = 'llama' | 'mistral' | 'qwen2' | 'qwen3';

export interface DecoderConfig {
  readonly family: DecoderFamily;
  readonly vocabSize: number;
  /** Model width (hidden_size). */
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  /** Key/value heads; fewer than `heads` is grouped-query attention. */
  readonly kvHeads: number;
  readonly headDim: number;
  /** SwiGLU inner width (intermediate_size). */
  readonly hiddenDim: number;
  readonly normEps: number;
  readonly ropeTheta: number;
  readonly ropeScaling: Llama3RopeScaling | null;
  /** Bias on the q, k and v projections (Qwen2, or Llama/Qwen3 with attention_bias). */
  readonly qkvBias: boolean;
  /** Bias on the attention output projection (Llama/Qwen3 with attention_bias; Qwen2 never has one). */
  readonly outputBias: boolean;
  /** Per-head RMSNorm on queries and keys before RoPE (Qwen3). */
  readonly qkNorm: boolean;
  /** The LM head reuses the input embedding matrix. */
  readonly tieWordEmbeddings: boolean;
  /** Longest sequence the model is used for (a KV cache never needs more). */
  readonly maxPositions: number;
  readonly bosTokenId: number | null;
  readonly eosTokenIds: readonly number[];
}

/** A malformed or unsupported model configuration; the message names the source and the field. */
export class ModelConfigError extends errorWithCode('MODEL_CONFIG_INVALID') {}

const FAMILIES: Readonly<Record<string, DecoderFamily>> = {
  llama: 'llama',
  mistral: 'mistral',
  qwen2: 'qwen2',
  qwen3: 'qwen3',
};

const ARCHITECTURES: Readonly<Record<DecoderFamily, string>> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  qwen3: 'Qwen3ForCausalLM',
};

type Json = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads config fields with errors that name the source and the key. */
class FieldReader {
  constructor(
    private readonly json: Json,
    readonly source: string,
  ) {}

  fail(message: string): never {
    throw new ModelConfigError(`${this.source}: ${message}`);
  }

  has(key: string): boolean {
    return this.json[key] !== undefined && this.json[key] !== null;
  }

  positiveInt(key: string, fallback?: number): number {
    return this.positive(key, fallback, Number.isInteger, 'a positive integer');
  }

  positiveNumber(key: string, fallback?: number): number {
    return this.positive(key, fallback, Number.isFinite, 'a positive number');
  }

  private positive(key: string, fallback: number | undefined, accepts: (value: number) => boolean, expected: string): number {
    const value = this.json[key] ?? fallback;
    if (value === undefined || value === null) this.fail(`missing required field "${key}"`);
    if (typeof value !== 'number' || !accepts(value) || value <= 0) this.fail(`"${key}" must be ${expected}, got ${JSON.stringify(value)}`);
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.json[key] ?? fallback;
    if (typeof value !== 'boolean') this.fail(`"${key}" must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }

  /** A token id, or a list of ids (HF allows both for eos_token_id). */
  tokenIds(key: string): number[] {
    const value = this.json[key];
    if (value === undefined || value === null) return [];
    const list = Array.isArray(value) ? value : [value];
    for (const id of list) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
        this.fail(`"${key}" must be a token id or a list of token ids, got ${JSON.stringify(value)}`);
      }
    }
    return list as number[];
  }
}

function parseRopeScaling(fields: FieldReader, raw: unknown, maxPositions: number): Llama3RopeScaling | null {
  if (raw === undefined || raw === null) return null;
  if (!isRecord(raw)) fields.fail(`"rope_scaling" must be an object or null, got ${JSON.stringify(raw)}`);
  const type = raw['rope_type'] ?? raw['type'];
  if (type === 'default') return null;
  if (type !== 'llama3') {
    fields.fail(`rope_scaling type ${JSON.stringify(type)} is not supported (supported: "llama3", "default")`);
  }
  const scaling: FieldReader = new FieldReader(raw, `${fields.source} rope_scaling`);
  return {
    type: 'llama3',
    factor: scaling.positiveNumber('factor'),
    lowFreqFactor: scaling.positiveNumber('low_freq_factor'),
    highFreqFactor: scaling.positiveNumber('high_freq_factor'),
    originalMaxPositionEmbeddings: scaling.positiveInt('original_max_position_embeddings', maxPositions),
  };
}

/**
 * Parses a Hugging Face `config.json` object into a DecoderConfig. Unknown model types and options this decoder
 * does not implement (mixture of experts, an active sliding window, non-SiLU activations, MLP bias, rope scaling
 * other than llama3) are rejected by name rather than silently ignored.
 */
export function parseHfConfig(json: unknown, source = 'config.json'): DecoderConfig {
  if (!isRecord(json)) throw new ModelConfigError(`${source}: expected a JSON object`);
  const fields: FieldReader = new FieldReader(json, source);
  const modelType = json['model_type'];
  if (typeof modelType !== 'string') fields.fail('missing "model_type"');
  const family = FAMILIES[modelType];
  if (family === undefined) {
    fields.fail(`model_type "${modelType}" is not supported (supported: ${Object.keys(FAMILIES).join(', ')})`);
  }

  for (const key of ['num_experts', 'num_local_experts', 'n_routed_experts']) {
    const experts = json[key];
    if (typeof experts === 'number' && experts > 0) fields.fail(`mixture of experts ("${key}": ${experts}) is not supported`);
  }
  const activation = json['hidden_act'] ?? 'silu';
  if (activation !== 'silu') fields.fail(`hidden_act ${JSON.stringify(activation)} is not supported (only "silu")`);
  if (fields.boolean('mlp_bias', false)) fields.fail('"mlp_bias": true is not supported');

  const dim = fields.positiveInt('hidden_size');
  const heads = fields.positiveInt('num_attention_heads');
  const kvHeads = fields.positiveInt('num_key_value_heads', heads);
  if (heads % kvHeads !== 0) fields.fail(`num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kvHeads})`);
  const headDim = fields.positiveInt('head_dim', dim / heads);
  if (headDim % 2 !== 0) fields.fail(`head_dim (${headDim}) must be even for rotary embeddings`);

  let maxPositions = fields.positiveInt('max_position_embeddings', 2048);
  // A sliding window no longer than the context is plain causal attention; longer contexts would need the window.
  const usesWindow = family === 'mistral' ? fields.has('sliding_window') : fields.boolean('use_sliding_window', false);
  if (usesWindow) {
    const window = fields.positiveInt('sliding_window');
    if (family !== 'mistral') fields.fail(`"use_sliding_window": true (window ${window}) is not supported`);
    maxPositions = Math.min(maxPositions, window);
  }

  const attentionBias = fields.boolean('attention_bias', false);
  const eos = fields.tokenIds('eos_token_id');
  const bos = fields.tokenIds('bos_token_id');
  return {
    family,
    vocabSize: fields.positiveInt('vocab_size'),
    dim,
    layers: fields.positiveInt('num_hidden_layers'),
    heads,
    kvHeads,
    headDim,
    hiddenDim: fields.positiveInt('intermediate_size'),
    normEps: fields.positiveNumber('rms_norm_eps', 1e-6),
    ropeTheta: fields.positiveNumber('rope_theta', 10000),
    ropeScaling: parseRopeScaling(fields, json['rope_scaling'], maxPositions),
    qkvBias: family === 'qwen2' ? true : attentionBias,
    outputBias: family === 'qwen2' ? false : attentionBias,
    qkNorm: family === 'qwen3',
    tieWordEmbeddings: fields.boolean('tie_word_embeddings', false),
    maxPositions,
    bosTokenId: bos[0] ?? null,
    eosTokenIds: eos,
  };
}

/** The Hugging Face `config.json` for a DecoderConfig, as transformers expects it for the family. */
export function toHfConfig(config: DecoderConfig): Record<string, unknown> {
  const { family } = config;
  const out: Record<string, unknown> = {
    architectures: [ARCHITECTURES[family]],
    model_type: family,
    vocab_size: config.vocabSize,
    hidden_size: config.dim,
    intermediate_size: config.hiddenDim,
    num_hidden_layers: config.layers,
    num_attention_heads: config.heads,
    num_key_value_heads: config.kvHeads,
    head_dim: config.headDim,
    hidden_act: 'silu',
    max_position_embeddings: config.maxPositions,
    rms_norm_eps: config.normEps,
    rope_theta: config.ropeTheta,
    rope_scaling:
      config.ropeScaling === null
        ? null
        : {
            rope_type: 'llama3',
            factor: config.ropeScaling.factor,
            low_freq_factor: config.ropeScaling.lowFreqFactor,
            high_freq_factor: config.ropeScaling.highFreqFactor,
            original_max_position_embeddings: config.ropeScaling.originalMaxPositionEmbeddings,
          },
    tie_word_embeddings: config.tieWordEmbeddings,
    torch_dtype: 'float32',
  };
  if (config.qkNorm !== (family === 'qwen3')) throw new ModelConfigError('q/k RMSNorm is what distinguishes qwen3; other families have none');
  if (family === 'qwen2') {
    if (!config.qkvBias || config.outputBias) throw new ModelConfigError('a qwen2 model always has q/k/v bias and no output bias');
  } else {
    if (config.qkvBias !== config.outputBias) {
      throw new ModelConfigError(`a ${family} model has attention bias on all four projections or none`);
    }
    out['attention_bias'] = config.qkvBias;
  }
  if (family === 'qwen2' || family === 'qwen3') out['use_sliding_window'] = false;
  if (family === 'mistral') out['sliding_window'] = null;
  if (config.bosTokenId !== null) out['bos_token_id'] = config.bosTokenId;
  if (config.eosTokenIds.length > 0) out['eos_token_id'] = config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : [...config.eosTokenIds];
  return out;
}
