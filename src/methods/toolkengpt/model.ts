/**
 * The frozen base model seen by ToolkenGPT: its identity (so that a head is never used on another base), its
 * hidden states and vocabulary logits per position (what head training caches), and a joint model whose logits
 * are [vocabulary ; tools] in KV-cached sessions.
 */
import { createHash } from 'node:crypto';
import type { DecoderModel } from '../../models/decoder.js';
import type { ForkableSession } from '../../models/session.js';
import { Parameter } from '../../nn/parameter.js';
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
  const hidden = noGrad(() => tidy(() => model.forwardHidden(Int32Array.from(ids), 1, ids.length).toArray()));
  // The vocabulary's logits only, whatever extra rows a joint model left on the base.
  const extra = model.extraOutputRows;
  model.setExtraOutputRows(null);
  try {
    return { hidden, logits: model.logitsAt(ids) };
  } finally {
    model.setExtraOutputRows(extra);
  }
}

/** The hidden state after the last token of a sequence (what the Toolken+ reranker scores). */
export function lastHidden(model: DecoderModel, ids: readonly number[]): Float32Array {
  const { dim } = model.config;
  const hidden = noGrad(() => tidy(() => model.forwardHidden(Int32Array.from(ids), 1, ids.length).toArray()));
  return hidden.slice((ids.length - 1) * dim, ids.length * dim);
}

/** A decoder session seen as a joint session of `toolCount` tool rows after the vocabulary. */
function asJoint(session: ForkableSession, vocabSize: number, toolCount: number, capacity: number): JointSession {
  return {
    vocabSize,
    toolCount,
    capacity,
    prefill: (slot, tokens) => session.prefill(slot, tokens),
    decode: (slots, tokens) => session.decode(slots, tokens),
    resetSequence: (slot) => session.resetSequence(slot),
  };
}

/**
 * The base model with K tool rows joined to its logits (DecoderModel.setExtraOutputRows): each session gives
 * [vocabulary ; tools] logits, KV-cached, at the cost of K more output rows per token; the rows never enter the
 * input. The rows are set on the base when a session opens, so sessions of jointModel and plainModel over the same
 * base must not be used at the same time.
 */
export function jointModel(base: DecoderModel, toolRows: Float32Array, toolCount: number): JointModel {
  const { vocabSize, dim } = base.config;
  if (toolRows.length !== toolCount * dim) throw new RangeError(`jointModel: ${toolRows.length} values for ${toolCount} tool rows of width ${dim}`);
  const rows = new Parameter(base.backend.upload(toolRows), [toolCount, dim], base.backend);
  rows.frozen = true;
  return {
    maxPositions: base.config.maxPositions,
    createSession(slots: number, capacity: number): JointSession {
      base.setExtraOutputRows(rows);
      return asJoint(base.createSession(slots, capacity), vocabSize, toolCount, capacity);
    },
  };
}

/** The base model's own sessions as a joint model with no tool rows (the no-tool and in-context baselines). */
export function plainModel(base: DecoderModel): JointModel {
  return {
    maxPositions: base.config.maxPositions,
    createSession(slots: number, capacity: number): JointSession {
      base.setExtraOutputRows(null);
      return asJoint(base.createSession(slots, capacity), base.config.vocabSize, 0, capacity);
    },
  };
}
