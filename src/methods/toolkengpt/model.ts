/**
 * The frozen base model seen by ToolkenGPT: its identity (so that a head is never used on another base), its
 * hidden states and vocabulary logits per position (what head training caches), and a joint model whose logits
 * are [vocabulary ; tools] in KV-cached sessions.
 */
import { createHash } from 'node:crypto';
import { DecoderModel } from '../../models/decoder.js';
import { noGrad } from '../../tensor/autograd.js';
import { tidy } from '../../tensor/scope.js';
import type { JointModel, JointSession } from './inference.js';

/** What identifies a base model: its shape and a hash of its weights. */
export interface BaseIdentity {
  readonly family: string;
  readonly vocabSize: number;
  readonly dim: number;
  readonly layers: number;
  /** SHA-256 over the config and every base weight, in the model's stable tensor order. */
  readonly sha256: string;
}

export function baseIdentity(model: DecoderModel): BaseIdentity {
  const hash = createHash('sha256');
  const { family, vocabSize, dim, layers } = model.config;
  hash.update(JSON.stringify(model.config));
  for (const t of model.tensors()) {
    hash.update(t.name);
    hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return { family, vocabSize, dim, layers, sha256: hash.digest('hex') };
}

/** Final-normed hidden states (t, dim) and vocabulary logits (t, vocab) at every position of a sequence. */
export function hiddenAndLogits(model: DecoderModel, ids: readonly number[]): { hidden: Float32Array; logits: Float32Array } {
  const hidden = noGrad(() => tidy(() => model.forward(Int32Array.from(ids), 1, ids.length).toArray()));
  return { hidden, logits: model.logitsAt(ids) };
}

/** The hidden state after the last token of a sequence (what the Toolken+ reranker scores). */
export function lastHidden(model: DecoderModel, ids: readonly number[]): Float32Array {
  const { dim } = model.config;
  const hidden = noGrad(() => tidy(() => model.forward(Int32Array.from(ids), 1, ids.length).toArray()));
  return hidden.slice((ids.length - 1) * dim, ids.length * dim);
}

/**
 * The base model with K tool rows joined to its output matrix: a second decoder whose LM head is
 * [output matrix ; tool rows] and whose input embedding gains K zero rows that no input ever reaches (toolkens
 * never enter the input). The base weights are copied once; sessions then give joint logits at the cost of K
 * more output rows per token.
 */
export function jointModel(base: DecoderModel, toolRows: Float32Array, toolCount: number): JointModel {
  const { vocabSize, dim } = base.config;
  if (toolRows.length !== toolCount * dim) throw new RangeError(`jointModel: ${toolRows.length} values for ${toolCount} tool rows of width ${dim}`);
  const tensors = new Map<string, Float32Array>();
  for (const t of base.tensors()) tensors.set(t.name, t.data);
  const output = base.outputWeight.toArray();
  const head = new Float32Array((vocabSize + toolCount) * dim);
  head.set(output);
  head.set(toolRows, vocabSize * dim);
  const embedding = new Float32Array((vocabSize + toolCount) * dim);
  embedding.set(tensors.get('model.embed_tokens.weight')!);
  tensors.set('model.embed_tokens.weight', embedding);
  tensors.set('lm_head.weight', head);
  const joint = new DecoderModel({ ...base.config, vocabSize: vocabSize + toolCount, tieWordEmbeddings: false }, tensors, base.backend);
  return {
    maxPositions: base.config.maxPositions,
    createSession(slots: number, capacity: number): JointSession {
      const session = joint.createSession(slots, capacity);
      return {
        vocabSize,
        toolCount,
        capacity,
        prefill: (slot, tokens) => session.prefill(slot, tokens),
        decode: (slotList, tokens) => session.decode(slotList, tokens),
        resetSequence: (slot) => session.resetSequence(slot),
      };
    },
  };
}

/** The base model's own sessions as a joint model with no tool rows (the no-tool and in-context baselines). */
export function plainModel(base: DecoderModel): JointModel {
  return {
    maxPositions: base.config.maxPositions,
    createSession(slots: number, capacity: number): JointSession {
      const session = base.createSession(slots, capacity);
      return {
        vocabSize: base.config.vocabSize,
        toolCount: 0,
        capacity,
        prefill: (slot, tokens) => session.prefill(slot, tokens),
        decode: (slotList, tokens) => session.decode(slotList, tokens),
        resetSequence: (slot) => session.resetSequence(slot),
      };
    },
  };
}
