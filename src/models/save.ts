/**
 * Writing a model out: as a Hugging Face directory that transformers loads unchanged (model.safetensors,
 * config.json, generation_config.json, tokenizer.json, tokenizer_config.json with the chat template and added
 * tokens), or as a GGUF file for llama.cpp. Every file is written atomically.
 */
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/fs.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { ggufTokenizerMetadata } from '../tokenizer/gguf-tokenizer.js';
import type { GgufMetadataEntry } from '../formats/gguf.js';
import { writeGguf } from '../formats/gguf.js';
import { hfConfigToGgufMetadata, huggingFaceAsGguf } from '../formats/llama-mapping.js';
import { writeSafetensors } from '../formats/safetensors.js';
import { RoutingWeightReader, type HfModelConfig, type WeightReader, type WeightTensor } from '../formats/types.js';
import { llama3RopeFactors, ROPE_FREQS_TENSOR } from '../formats/rope-factors.js';
import { toHfConfig } from './config.js';
import type { DecoderModel } from './decoder.js';

export interface SaveModelOptions {
  /** Storage type of the weights (default F32). */
  readonly dtype?: 'F32' | 'F16' | 'BF16';
}

const TORCH_DTYPES = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' } as const;

/** Writes `model` (and its tokenizer, when given) into `dir` as a Hugging Face model directory. */
export function saveModel(model: DecoderModel, tokenizer: Tokenizer | null, dir: string, options: SaveModelOptions = {}): void {
  const dtype = options.dtype ?? 'F32';
  writeSafetensors(join(dir, 'model.safetensors'), model.tensors(), { dtype });
  const { config } = model;
  writeJsonAtomic(join(dir, 'config.json'), { ...toHfConfig(config), torch_dtype: TORCH_DTYPES[dtype] });
  const generation: Record<string, unknown> = { _from_model_config: true };
  if (config.bosTokenId !== null) generation['bos_token_id'] = config.bosTokenId;
  if (config.eosTokenIds.length > 0) generation['eos_token_id'] = config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : [...config.eosTokenIds];
  writeJsonAtomic(join(dir, 'generation_config.json'), generation);
  tokenizer?.save(dir);
}

const GGUF_DTYPES = { f32: 'F32', f16: 'F16', bf16: 'BF16', q8_0: 'Q8_0', q4_0: 'Q4_0' } as const;

export interface ExportGgufOptions {
  /** Storage type of the matrices (norms and biases stay F32, as llama.cpp expects; under q8_0 / q4_0 so do
   * matrices whose rows are not a multiple of 32). Default f32. */
  readonly dtype?: 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0';
  /** The model's tokenizer, written as GGUF `tokenizer.*` metadata so llama.cpp can tokenize. */
  readonly tokenizer?: Tokenizer;
  /** Ready-made `tokenizer.*` metadata, written instead of (or on top of) the tokenizer's. */
  readonly tokenizerMetadata?: Readonly<Record<string, GgufMetadataEntry>>;
  readonly name?: string;
}

/**
 * Writes `model` as a GGUF v3 file in llama.cpp's naming and rotary layout, with its tokenizer when given (without
 * one, or tokenizer metadata, the file holds only the model and llama.cpp refuses to load it).
 */
export function exportGguf(model: DecoderModel, path: string, options: ExportGgufOptions = {}): void {
  const hf = ggufConfigView(model);
  const extra: WeightTensor[] = [];
  const ropeMetadata: Record<string, GgufMetadataEntry> = {};
  const scaling = model.config.ropeScaling;
  if (scaling !== null) {
    // llama.cpp reads Llama-3 scaling only as per-frequency factors; the original context is kept for our loader.
    const { headDim, ropeTheta } = model.config;
    const factors = llama3RopeFactors(headDim, ropeTheta, {
      factor: scaling.factor, lowFreqFactor: scaling.lowFreqFactor, highFreqFactor: scaling.highFreqFactor, originalMaxPositions: scaling.originalMaxPositionEmbeddings,
    });
    extra.push({ name: ROPE_FREQS_TENSOR, shape: [factors.length], data: factors });
    ropeMetadata[`${hf.model_type}.rope.scaling.original_context_length`] = { type: 'u32', value: scaling.originalMaxPositionEmbeddings };
  }
  const tokenizerMetadata = options.tokenizer ? ggufTokenizerMetadata(options.tokenizer, model.config.vocabSize) : {};
  const metadata = { ...hfConfigToGgufMetadata(hf, options.name), ...ropeMetadata, ...tokenizerMetadata, ...options.tokenizerMetadata };
  const weights = new JoinedReader(huggingFaceAsGguf(new TensorListReader(model.tensors()), hf), new TensorListReader(extra));
  writeGguf(path, weights, metadata, { dtype: GGUF_DTYPES[options.dtype ?? 'f32'] });
}

/** The config fields GGUF metadata is built from (GGUF keeps one eos id; llama.cpp takes the first). */
function ggufConfigView(model: DecoderModel): HfModelConfig {
  const { config } = model;
  const hf: HfModelConfig = {
    model_type: config.family === 'mistral' ? 'llama' : config.family,
    hidden_size: config.dim,
    num_hidden_layers: config.layers,
    num_attention_heads: config.heads,
    num_key_value_heads: config.kvHeads,
    intermediate_size: config.hiddenDim,
    rms_norm_eps: config.normEps,
    rope_theta: config.ropeTheta,
    vocab_size: config.vocabSize,
    max_position_embeddings: config.maxPositions,
    tie_word_embeddings: config.tieWordEmbeddings,
    head_dim: config.headDim,
    attention_bias: config.qkvBias,
    rope_scaling: null,
  };
  if (config.bosTokenId !== null) hf.bos_token_id = config.bosTokenId;
  if (config.eosTokenIds[0] !== undefined) hf.eos_token_id = config.eosTokenIds[0];
  return hf;
}

/** The tensors of `first`, then those of `second` (names must not overlap), read one at a time. */
class JoinedReader extends RoutingWeightReader {
  constructor(private readonly first: WeightReader, private readonly second: WeightReader) {
    super();
  }
  names(): string[] {
    return [...this.first.names(), ...this.second.names()];
  }
  close(): void {
    this.first.close();
    this.second.close();
  }
  protected readerOf(name: string): WeightReader {
    return this.second.names().includes(name) ? this.second : this.first;
  }
}

/** A WeightReader over tensors already in memory. */
class TensorListReader implements WeightReader {
  private readonly byName: Map<string, WeightTensor>;
  constructor(tensors: readonly WeightTensor[]) {
    this.byName = new Map(tensors.map((t) => [t.name, t]));
  }
  names(): string[] {
    return [...this.byName.keys()];
  }
  shape(name: string): number[] {
    return [...this.get(name).shape];
  }
  dtype(): string {
    return 'F32';
  }
  read(name: string): Float32Array {
    return this.get(name).data;
  }
  close(): void {}
  private get(name: string): WeightTensor {
    const t = this.byName.get(name);
    if (!t) throw new Error(`no tensor named "${name}"`);
    return t;
  }
}
