/**
 * Adapts a slot-based KV-cached session to the forking `DecoderSession<State>` that constrained beam search uses
 * (src/generate/constraints): every state owns one cache slot; a child starts as a copy of its parent's slot, and
 * all children of a step run as one batched decode. Released states give their slots back.
 */
import type { DecoderSession as ForkingSession, DecoderStep } from './constraints/decoder-session.js';
import type { ForkableSession } from './generate.js';

/** One beam's place in the shared cache. */
export interface BeamState {
  readonly slot: number;
  readonly length: number;
}

export interface BeamSessionOptions {
  /** States alive at once (beam width times the fan-out of one step, plus the prompt). */
  readonly maxStates: number;
  /** Positions per state: the prompt plus the most tokens any beam appends. */
  readonly capacity: number;
}

export class ModelBeamSession implements ForkingSession<BeamState> {
  readonly vocabSize: number;
  private readonly session: ForkableSession;
  private readonly freeSlots: number[];

  constructor(model: { createSession(sequences: number, capacity: number): ForkableSession }, options: BeamSessionOptions) {
    this.session = model.createSession(options.maxStates, options.capacity);
    this.vocabSize = this.session.vocabSize;
    // Lowest slots first, so a small search touches few buffers.
    this.freeSlots = Array.from({ length: options.maxStates }, (_, i) => options.maxStates - 1 - i);
  }

  prefill(promptIds: readonly number[]): DecoderStep<BeamState> {
    const slot = this.takeSlot();
    this.session.resetSequence(slot);
    const logits = new Float32Array(this.session.prefill(slot, promptIds));
    return { state: { slot, length: promptIds.length }, logits };
  }

  step(parents: readonly BeamState[], tokens: readonly number[]): DecoderStep<BeamState>[] {
    if (parents.length !== tokens.length) throw new RangeError(`step: ${parents.length} parents for ${tokens.length} tokens`);
    const slots = parents.map((parent) => {
      const slot = this.takeSlot();
      this.session.copySequence(parent.slot, slot);
      return slot;
    });
    const logits = this.session.decode(slots, tokens);
    const V = this.vocabSize;
    return slots.map((slot, i) => ({
      state: { slot, length: parents[i]!.length + 1 },
      logits: logits.slice(i * V, (i + 1) * V),
    }));
  }

  release(state: BeamState): void {
    this.freeSlots.push(state.slot);
  }

  private takeSlot(): number {
    const slot = this.freeSlots.pop();
    if (slot === undefined) throw new RangeError('beam session: every state slot is in use; raise maxStates or release finished states');
    return slot;
  }
}
