import { readSync } from 'node:fs';
import { TensorFile, type TensorLocation } from './tensor-file.js';
import { unpermuteFromInterleavedRope } from './llama-mapping.js';
import { CheckpointError } from './errors.js';
import type { HfModelConfig } from './types.js';

// llama2.c legacy checkpoint (`.bin`, version 0): 7 int32 header fields, then float32 arrays in a fixed order,
// each stacked over all layers. run.c rotates interleaved pairs (2i, 2i + 1), so wq/wk rows are converted to the
// rotate-half layout of Hugging Face models on read.

const HEADER_BYTES = 7 * 4;

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  /** A negative vocab size in the file means a separate classifier (wcls) follows the weights. */
  sharedClassifier: boolean;
}

/** Where one llama2.c array starts, and how many float32 values each layer (or the single tensor) takes. */
interface Segment {
  offset: number;
  perPart: number;
}

/** How many float32 values follow the header, in the order `layout` reads them (a float, so huge headers stay comparable). */
function weightFloats(h: Llama2cHeader): number {
  const kvDim = (h.nKvHeads * h.dim) / h.nHeads;
  const perLayer = 2 * h.dim + 2 * h.dim * h.dim + 2 * kvDim * h.dim + 3 * h.hiddenDim * h.dim;
  const classifier = h.sharedClassifier ? 0 : h.vocabSize * h.dim;
  return h.vocabSize * h.dim + h.nLayers * perLayer + h.dim + h.seqLen * (h.dim / h.nHeads) + classifier;
}

/** A llama2.c checkpoint viewed with Hugging Face names, shapes and rotary layout. */
export class Llama2cCheckpoint extends TensorFile<Llama2cTensor> {
  readonly header: Llama2cHeader;
  readonly config: HfModelConfig;

  constructor(path: string) {
    super(path);
    this.header = this.parseHeader((fd, fileSize) => {
      const raw = new Uint8Array(HEADER_BYTES);
      if (fileSize < HEADER_BYTES || readSync(fd, raw, 0, HEADER_BYTES, 0) !== HEADER_BYTES) {
        throw new CheckpointError(`${path}: ${fileSize} bytes is too short for a llama2.c header (${HEADER_BYTES} bytes)`);
      }
      const h = new Int32Array(raw.buffer);
      const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!];
      const header = { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize: Math.abs(vocab), seqLen, sharedClassifier: vocab > 0 };
      if ([dim, hiddenDim, nLayers, nHeads, nKvHeads, seqLen].some((v) => v <= 0) || vocab === 0 || vocab === -(2 ** 31) || dim % nHeads !== 0 || nHeads % nKvHeads !== 0 || (dim / nHeads) % 2 !== 0) {
        throw new CheckpointError(`${path}: implausible llama2.c header ${JSON.stringify(header)} (not a llama2.c legacy checkpoint?)`);
      }
      // The header fixes the file size exactly; checking it first means a corrupt header costs no per-layer work.
      const expected = HEADER_BYTES + 4 * weightFloats(header);
      if (expected !== fileSize) {
        throw new CheckpointError(
          `${path}: the header ${JSON.stringify(header)} describes a ${expected}-byte checkpoint but the file has ${fileSize} bytes (${expected > fileSize ? 'truncated' : 'trailing bytes or a changed header'})`,
        );
      }
      return header;
    });
    this.layout();
    const { dim, hiddenDim, nLayers, nHeads, nKvHeads, seqLen } = this.header;
    this.config = {
      model_type: 'llama',
      architectures: ['LlamaForCausalLM'],
      hidden_size: dim,
      num_hidden_layers: nLayers,
      num_attention_heads: nHeads,
      num_key_value_heads: nKvHeads,
      intermediate_size: hiddenDim,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      vocab_size: this.header.vocabSize,
      max_position_embeddings: seqLen,
      tie_word_embeddings: this.header.sharedClassifier,
      head_dim: dim / nHeads,
      attention_bias: false,
      rope_scaling: null,
      bos_token_id: 1,
      eos_token_id: 2,
    };
  }

  private layout(): void {
    const { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen } = this.header;
    const headSize = dim / nHeads;
    const kvDim = nKvHeads * headSize;
    let cursor = HEADER_BYTES;
    const stacked = (count: number): Segment => {
      const seg = { offset: cursor, perPart: count };
      cursor += count * nLayers * 4;
      return seg;
    };
    const single = (count: number): Segment => {
      const seg = { offset: cursor, perPart: count };
      cursor += count * 4;
      return seg;
    };
    const perLayer = (hfSuffix: string, seg: Segment, shape: number[], ropeHeads?: number): void => {
      for (let l = 0; l < nLayers; l++) {
        const entry = { shape, offset: seg.offset + l * seg.perPart * 4, byteLength: seg.perPart * 4, ...(ropeHeads ? { ropeHeads } : {}) };
        this.tensors.set(`model.layers.${l}.${hfSuffix}`, entry);
      }
    };
    const embed = single(vocabSize * dim);
    this.tensors.set('model.embed_tokens.weight', { shape: [vocabSize, dim], offset: embed.offset, byteLength: embed.perPart * 4 });
    perLayer('input_layernorm.weight', stacked(dim), [dim]);
    perLayer('self_attn.q_proj.weight', stacked(dim * dim), [dim, dim], nHeads);
    perLayer('self_attn.k_proj.weight', stacked(kvDim * dim), [kvDim, dim], nKvHeads);
    perLayer('self_attn.v_proj.weight', stacked(kvDim * dim), [kvDim, dim]);
    perLayer('self_attn.o_proj.weight', stacked(dim * dim), [dim, dim]);
    perLayer('post_attention_layernorm.weight', stacked(dim), [dim]);
    perLayer('mlp.gate_proj.weight', stacked(hiddenDim * dim), [hiddenDim, dim]);
    perLayer('mlp.down_proj.weight', stacked(dim * hiddenDim), [dim, hiddenDim]);
    perLayer('mlp.up_proj.weight', stacked(hiddenDim * dim), [hiddenDim, dim]);
    this.tensors.set('model.norm.weight', { shape: [dim], offset: single(dim).offset, byteLength: dim * 4 });
    // freq_cis_real and freq_cis_imag: precomputed rope tables the model recomputes itself.
    single(seqLen * headSize);
    const wcls = this.header.sharedClassifier ? undefined : single(vocabSize * dim);
    if (wcls) this.tensors.set('lm_head.weight', { shape: [vocabSize, dim], offset: wcls.offset, byteLength: wcls.perPart * 4 });
  }

  dtype(name: string): string {
    this.location(name);
    return 'F32';
  }

  read(name: string): Float32Array {
    const { shape, ropeHeads } = this.location(name);
    const data = new Float32Array(this.readBytes(name).buffer);
    return ropeHeads ? unpermuteFromInterleavedRope(data, shape[0]!, shape[1]!, ropeHeads) : data;
  }
}

/** Where a tensor lies in the checkpoint, and whether its rows must be un-permuted from llama2.c's rope order. */
interface Llama2cTensor extends TensorLocation {
  readonly ropeHeads?: number;
}
