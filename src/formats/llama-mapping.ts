import type { QuantizedMatrix } from '../tensor/quant.js';
import type { GgufFile, GgufMetadataEntry, GgufValue } from './gguf.js';
import { CheckpointError } from './errors.js';
import type { HfModelConfig, RopeScaling, WeightReader } from './types.js';
import { fitLlama3Scaling, ROPE_FREQS_TENSOR } from './rope-factors.js';

// Llama-family checkpoints in GGUF (llama.cpp) naming and layout <-> Hugging Face naming and layout.

/** Per-layer tensor names: GGUF suffix after `blk.N.` -> Hugging Face suffix after `model.layers.N.`. */
const LAYER_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['attn_q.weight', 'self_attn.q_proj.weight'],
  ['attn_k.weight', 'self_attn.k_proj.weight'],
  ['attn_v.weight', 'self_attn.v_proj.weight'],
  ['attn_output.weight', 'self_attn.o_proj.weight'],
  ['attn_q.bias', 'self_attn.q_proj.bias'],
  ['attn_k.bias', 'self_attn.k_proj.bias'],
  ['attn_v.bias', 'self_attn.v_proj.bias'],
  ['attn_q_norm.weight', 'self_attn.q_norm.weight'],
  ['attn_k_norm.weight', 'self_attn.k_norm.weight'],
  ['ffn_gate.weight', 'mlp.gate_proj.weight'],
  ['ffn_up.weight', 'mlp.up_proj.weight'],
  ['ffn_down.weight', 'mlp.down_proj.weight'],
  ['attn_norm.weight', 'input_layernorm.weight'],
  ['ffn_norm.weight', 'post_attention_layernorm.weight'],
];

const GLOBAL_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['token_embd.weight', 'model.embed_tokens.weight'],
  ['output_norm.weight', 'model.norm.weight'],
  ['output.weight', 'lm_head.weight'],
];

/** Hugging Face name of a GGUF tensor, or undefined for tensors with no counterpart (e.g. `rope_freqs.weight`). */
export function ggufToHfName(name: string): string | undefined {
  const global = GLOBAL_NAMES.find(([g]) => g === name);
  if (global) return global[1];
  const m = /^blk\.(\d+)\.(.+)$/.exec(name);
  const layer = m && LAYER_NAMES.find(([g]) => g === m[2]);
  return layer ? `model.layers.${m[1]}.${layer[1]}` : undefined;
}

/** GGUF name of a Hugging Face tensor, or undefined when GGUF has no counterpart. */
export function hfToGgufName(name: string): string | undefined {
  const global = GLOBAL_NAMES.find(([, h]) => h === name);
  if (global) return global[0];
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  const layer = m && LAYER_NAMES.find(([, h]) => h === m[2]);
  return layer ? `blk.${m[1]}.${layer[0]}` : undefined;
}

/**
 * Reorders the rows of a q or k projection (rows = nHeads * headDim, each row `rowLength` values, or bytes of
 * quantized blocks, which never cross rows; 1 for a bias) from the Hugging Face rotate-half layout, where a head's
 * rotary pairs are (i, i + headDim/2), to the interleaved layout of Meta/llama.cpp `llama` and llama2.c, where they
 * are (2i, 2i + 1): interleaved row 2i + h is rotate-half row h * headDim/2 + i.
 */
export function permuteForInterleavedRope<T extends Float32Array | Uint8Array>(data: T, rows: number, rowLength: number, nHeads: number): T {
  return moveRows(data, rows, rowLength, nHeads, (half, i, halfDim) => [half * halfDim + i, 2 * i + half]);
}

/** The inverse of permuteForInterleavedRope: interleaved rotary pairs back to the rotate-half layout. */
export function unpermuteFromInterleavedRope<T extends Float32Array | Uint8Array>(data: T, rows: number, rowLength: number, nHeads: number): T {
  return moveRows(data, rows, rowLength, nHeads, (half, i, halfDim) => [2 * i + half, half * halfDim + i]);
}

function moveRows<T extends Float32Array | Uint8Array>(
  data: T,
  rows: number,
  cols: number,
  nHeads: number,
  route: (half: number, i: number, halfDim: number) => [from: number, to: number],
): T {
  if (data.length !== rows * cols) throw new RangeError(`rope permutation: ${data.length} values is not ${rows} x ${cols}`);
  const headDim = rows / nHeads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new RangeError(`rope permutation: ${rows} rows do not split into ${nHeads} heads of even size`);
  const halfDim = headDim / 2;
  // Every row is overwritten; the copy only gives the result data's own type.
  const out = data.slice() as T;
  for (let h = 0; h < nHeads; h++) {
    for (let half = 0; half < 2; half++) {
      for (let i = 0; i < halfDim; i++) {
        const [from, to] = route(half, i, halfDim);
        out.set(data.subarray((h * headDim + from) * cols, (h * headDim + from + 1) * cols), (h * headDim + to) * cols);
      }
    }
  }
  return out;
}

/** GGUF architectures whose q/k weights are stored for interleaved-pair rotary embedding. */
const INTERLEAVED_ROPE_ARCHS: ReadonlySet<string> = new Set(['llama']);

function num(gguf: GgufFile, key: string, fallback?: number): number {
  const v: GgufValue | undefined = gguf.get(key);
  if (typeof v === 'number') return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw new CheckpointError(`${gguf.path}: metadata "${key}" is ${v === undefined ? 'missing' : `not a number (${String(v)})`}`);
}

/** A special-token id from the metadata: absent, or an integer inside the vocabulary. */
export function tokenId(gguf: GgufFile, key: string, vocabSize: number): number | undefined {
  const v = gguf.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= vocabSize) {
    throw new CheckpointError(`${gguf.path}: metadata "${key}" is ${String(v)}, not a token id of the ${vocabSize}-token vocabulary`);
  }
  return v;
}

/**
 * Checks that `<arch>.block_count` describes exactly the `blk.N` layers the file holds, and that every tensor
 * is one the mapping uses (as llama.cpp refuses files with tensors its architecture does not create), before
 * anything loops over layers.
 */
function checkLayersAndTensors(gguf: GgufFile, blockCount: number): void {
  const layers = new Set<number>();
  let highest = -1;
  for (const name of gguf.names()) {
    if (name === ROPE_FREQS_TENSOR) continue;
    if (ggufToHfName(name) === undefined) throw new CheckpointError(`${gguf.path}: tensor "${name}" is not part of a Llama-family model toolken knows`);
    const layer = /^blk\.(\d+)\./.exec(name);
    if (layer) {
      layers.add(Number(layer[1]));
      highest = Math.max(highest, Number(layer[1]));
    }
  }
  if (highest >= blockCount) throw new CheckpointError(`${gguf.path}: metadata block_count is ${blockCount} but the file holds tensors of layer ${highest}`);
  if (layers.size !== blockCount) {
    throw new CheckpointError(`${gguf.path}: metadata block_count is ${blockCount} but the file holds tensors for ${layers.size} layers`);
  }
}

/** Builds a Hugging Face-style config from a GGUF file's `<arch>.*` metadata and its tensor shapes. */
export function ggufToHfConfig(gguf: GgufFile): HfModelConfig {
  const arch = gguf.get('general.architecture');
  if (typeof arch !== 'string') throw new CheckpointError(`${gguf.path}: metadata "general.architecture" is missing`);
  const hidden = num(gguf, `${arch}.embedding_length`);
  const heads = num(gguf, `${arch}.attention.head_count`);
  const tokens = gguf.get('tokenizer.ggml.tokens');
  const vocabSize = Array.isArray(tokens)
    ? tokens.length
    : num(gguf, `${arch}.vocab_size`, gguf.tensors.get('token_embd.weight')?.shape[0]);
  const config: HfModelConfig = {
    model_type: arch,
    architectures: [{ llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM' }[arch] ?? `${arch}ForCausalLM`],
    hidden_size: hidden,
    num_hidden_layers: num(gguf, `${arch}.block_count`),
    num_attention_heads: heads,
    num_key_value_heads: num(gguf, `${arch}.attention.head_count_kv`, heads),
    intermediate_size: num(gguf, `${arch}.feed_forward_length`),
    rms_norm_eps: num(gguf, `${arch}.attention.layer_norm_rms_epsilon`, 1e-5),
    rope_theta: num(gguf, `${arch}.rope.freq_base`, 10000),
    vocab_size: vocabSize,
    max_position_embeddings: num(gguf, `${arch}.context_length`, 2048),
    tie_word_embeddings: !gguf.tensors.has('output.weight'),
    head_dim: num(gguf, `${arch}.attention.key_length`, hidden / heads),
    attention_bias: gguf.tensors.has('blk.0.attn_q.bias'),
    rope_scaling: null,
  };
  const scalingType = gguf.get(`${arch}.rope.scaling.type`);
  if (typeof scalingType === 'string' && scalingType !== 'none') {
    const scaling: RopeScaling = { rope_type: scalingType, factor: num(gguf, `${arch}.rope.scaling.factor`) };
    const original = gguf.get(`${arch}.rope.scaling.original_context_length`);
    if (typeof original === 'number') scaling.original_max_position_embeddings = original;
    config.rope_scaling = scaling;
  }
  if (config.rope_scaling === null && gguf.tensors.has(ROPE_FREQS_TENSOR)) {
    // Llama 3.1+ files carry their rope scaling as per-frequency factors (see rope-factors.ts).
    const original = gguf.get(`${arch}.rope.scaling.original_context_length`);
    const headDim = config.head_dim ?? hidden / heads;
    const fitted = fitLlama3Scaling(gguf.read(ROPE_FREQS_TENSOR), headDim, config.rope_theta ?? 10000, typeof original === 'number' ? original : undefined);
    if (fitted === undefined) {
      throw new CheckpointError(`${gguf.path}: ${ROPE_FREQS_TENSOR} does not have the Llama-3 rope scaling form (the only per-frequency scaling toolken implements)`);
    }
    config.rope_scaling = fitted;
  }
  const bos = tokenId(gguf, 'tokenizer.ggml.bos_token_id', vocabSize);
  const eos = tokenId(gguf, 'tokenizer.ggml.eos_token_id', vocabSize);
  if (bos !== undefined) config.bos_token_id = bos;
  if (eos !== undefined) config.eos_token_id = eos;
  return config;
}

/** GGUF `<arch>.*` metadata entries (typed as llama.cpp reads them) for a Hugging Face config. */
export function hfConfigToGgufMetadata(config: HfModelConfig, name = config.model_type): Record<string, GgufMetadataEntry> {
  const arch = config.model_type;
  const u32 = (value: number): GgufMetadataEntry => ({ type: 'u32', value });
  const f32 = (value: number): GgufMetadataEntry => ({ type: 'f32', value });
  const meta: Record<string, GgufMetadataEntry> = {
    'general.architecture': { type: 'string', value: arch },
    'general.name': { type: 'string', value: name },
    [`${arch}.embedding_length`]: u32(config.hidden_size),
    [`${arch}.block_count`]: u32(config.num_hidden_layers),
    [`${arch}.attention.head_count`]: u32(config.num_attention_heads),
    [`${arch}.attention.head_count_kv`]: u32(config.num_key_value_heads),
    [`${arch}.feed_forward_length`]: u32(config.intermediate_size),
    [`${arch}.attention.layer_norm_rms_epsilon`]: f32(config.rms_norm_eps),
    [`${arch}.rope.freq_base`]: f32(config.rope_theta),
    [`${arch}.context_length`]: u32(config.max_position_embeddings),
    [`${arch}.vocab_size`]: u32(config.vocab_size),
  };
  const headDim = config.head_dim ?? config.hidden_size / config.num_attention_heads;
  meta[`${arch}.attention.key_length`] = u32(headDim);
  meta[`${arch}.attention.value_length`] = u32(headDim);
  meta[`${arch}.rope.dimension_count`] = u32(headDim);
  if (config.rope_scaling) {
    meta[`${arch}.rope.scaling.type`] = { type: 'string', value: config.rope_scaling.rope_type };
    meta[`${arch}.rope.scaling.factor`] = f32(config.rope_scaling.factor);
    if (config.rope_scaling.original_max_position_embeddings !== undefined) {
      meta[`${arch}.rope.scaling.original_context_length`] = u32(config.rope_scaling.original_max_position_embeddings);
    }
  }
  return meta;
}

/** Which heads count applies to a q/k projection (by name), or undefined for tensors the rope layout does not touch. */
function ropeHeads(suffix: string, config: HfModelConfig): number | undefined {
  if (suffix.startsWith('attn_q.') || suffix.startsWith('self_attn.q_proj.')) return config.num_attention_heads;
  if (suffix.startsWith('attn_k.') || suffix.startsWith('self_attn.k_proj.')) return config.num_key_value_heads;
  return undefined;
}

/** Reorders the rows of a tensor's data (values, or quantized bytes), given the rows and the length of each. */
type RowMove = <T extends Float32Array | Uint8Array>(data: T, rows: number, rowLength: number) => T;

/** A WeightReader that renames another reader's tensors and reorders the rows of some on the fly. */
class MappedReader implements WeightReader {
  private readonly sourceName = new Map<string, string>();

  constructor(
    private readonly source: WeightReader,
    rename: (name: string) => string | undefined,
    /** The row reordering of a source tensor, or undefined to pass it unchanged. */
    private readonly rowMove: (sourceName: string, shape: number[]) => RowMove | undefined,
  ) {
    for (const name of source.names()) {
      const mapped = rename(name);
      if (mapped !== undefined) this.sourceName.set(mapped, name);
    }
  }

  private src(name: string): string {
    const s = this.sourceName.get(name);
    if (s === undefined) throw new CheckpointError(`no tensor named "${name}"`);
    return s;
  }

  names(): string[] {
    return [...this.sourceName.keys()];
  }

  shape(name: string): number[] {
    return this.source.shape(this.src(name));
  }

  dtype(name: string): string {
    return this.source.dtype(this.src(name));
  }

  read(name: string): Float32Array {
    const s = this.src(name);
    const shape = this.source.shape(s);
    const data = this.source.read(s);
    const move = this.rowMove(s, shape);
    return move === undefined ? data : move(data, shape[0]!, shape[1] ?? 1);
  }

  quantized(name: string): QuantizedMatrix | undefined {
    const s = this.src(name);
    const matrix = this.source.quantized?.(s);
    if (matrix === undefined) return undefined;
    const move = this.rowMove(s, this.source.shape(s));
    return move === undefined ? matrix : { ...matrix, data: move(matrix.data, matrix.rows, matrix.data.length / matrix.rows) };
  }

  close(): void {
    this.source.close();
  }
}

/**
 * Views a GGUF Llama-family checkpoint with Hugging Face names and the rotate-half rotary layout (q/k rows are
 * un-permuted for the `llama` architecture, quantized ones block row by block row; qwen2/qwen3 are stored
 * rotate-half already).
 */
export function ggufAsHuggingFace(gguf: GgufFile): { config: HfModelConfig; weights: WeightReader } {
  const config = ggufToHfConfig(gguf);
  checkLayersAndTensors(gguf, config.num_hidden_layers);
  const interleaved = INTERLEAVED_ROPE_ARCHS.has(config.model_type);
  const weights = new MappedReader(gguf, ggufToHfName, (name, shape) => {
    const heads = interleaved ? ropeHeads(name.replace(/^blk\.\d+\./, ''), config) : undefined;
    if (heads === undefined) return undefined;
    if (shape.length > 2 || shape[0]! % (2 * heads) !== 0) {
      throw new CheckpointError(`${gguf.path}: tensor "${name}" of shape [${shape.join(', ')}] does not split into ${heads} heads of even size`);
    }
    return (data, rows, rowLength) => unpermuteFromInterleavedRope(data, rows, rowLength, heads);
  });
  return { config, weights };
}

/** Views Hugging Face weights with GGUF names and the layout llama.cpp expects for `config.model_type`. */
export function huggingFaceAsGguf(weights: WeightReader, config: HfModelConfig): WeightReader {
  const interleaved = INTERLEAVED_ROPE_ARCHS.has(config.model_type);
  return new MappedReader(weights, hfToGgufName, (name) => {
    const heads = interleaved ? ropeHeads(name.replace(/^model\.layers\.\d+\./, ''), config) : undefined;
    return heads === undefined ? undefined : (data, rows, rowLength) => permuteForInterleavedRope(data, rows, rowLength, heads);
  });
}
