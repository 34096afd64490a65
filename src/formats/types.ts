import type { QuantizedMatrix } from '../tensor/quant.js';

/** One named weight after conversion to float32; `shape` is row-major, outermost dimension first (PyTorch order). */
export interface WeightTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Lazy access to a checkpoint: tensors are read one at a time at their file offsets, so a checkpoint larger than
 * memory can be converted or loaded tensor by tensor. `dtype` is the stored type (e.g. `F16`, `Q8_0`); `read`
 * always returns float32.
 */
export interface WeightReader {
  names(): string[];
  shape(name: string): number[];
  dtype(name: string): string;
  read(name: string): Float32Array;
  /** The matrix's Q8_0 / Q4_0 blocks as stored, never dequantized; undefined for tensors stored otherwise (and
   * absent on readers of formats without quantized types). */
  quantized?(name: string): QuantizedMatrix | undefined;
  close(): void;
}

/** A reader whose every tensor lives in one of several other readers: the one `readerOf` picks answers for it. */
export abstract class RoutingWeightReader implements WeightReader {
  abstract names(): string[];
  abstract close(): void;
  /** The reader that holds tensor `name`. */
  protected abstract readerOf(name: string): WeightReader;

  shape(name: string): number[] {
    return this.readerOf(name).shape(name);
  }

  dtype(name: string): string {
    return this.readerOf(name).dtype(name);
  }

  read(name: string): Float32Array {
    return this.readerOf(name).read(name);
  }
}

/** The subset of a Hugging Face `config.json` that describes a Llama-family decoder. */
export interface HfModelConfig {
  model_type: string;
  architectures?: string[];
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  intermediate_size: number;
  rms_norm_eps: number;
  rope_theta: number;
  vocab_size: number;
  max_position_embeddings: number;
  tie_word_embeddings: boolean;
  head_dim?: number;
  attention_bias?: boolean;
  rope_scaling?: RopeScaling | null;
  bos_token_id?: number;
  eos_token_id?: number;
}

/** Hugging Face `rope_scaling` (linear, yarn, llama3 ...); extra keys depend on `rope_type`. */
export interface RopeScaling {
  rope_type: string;
  factor: number;
  original_max_position_embeddings?: number;
  [key: string]: string | number | undefined;
}

/** A reader over a whole checkpoint as a plain list (small models and tests). */
export function readAllWeights(reader: WeightReader): WeightTensor[] {
  return reader.names().map((name) => ({ name, shape: reader.shape(name), data: reader.read(name) }));
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
