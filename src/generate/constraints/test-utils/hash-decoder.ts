import type { DecoderSession, DecoderStep } from '../decoder-session.js';

/** A state of the hash decoder: the hash of its whole prefix. */
export interface HashState {
  readonly hash: number;
  readonly length: number;
}

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A random "model" for testing decoders: the logits after a prefix are seeded pseudo-random values derived from
 * a hash of the whole prefix, so every prefix has its own distribution, like a model with random weights. It counts
 * its work so tests can check that the prompt is run once, that beams advance in batches and that every state is
 * released.
 */
export class HashDecoder implements DecoderSession<HashState> {
  prefillCalls = 0;
  stepCalls = 0;
  steppedRows = 0;
  /** States handed out and not yet released. */
  liveStates = 0;
  /** The most states alive at once. */
  peakLiveStates = 0;

  constructor(
    readonly vocabSize: number,
    private readonly seed: number,
    /** Spread of the logits: larger values give peakier distributions. */
    private readonly scale = 4,
  ) {}

  prefill(promptIds: readonly number[]): DecoderStep<HashState> {
    this.prefillCalls++;
    let state: HashState = { hash: mix(this.seed ^ 0x9e3779b9), length: 0 };
    for (const id of promptIds) state = this.extend(state, id);
    this.liveStates++;
    this.peakLiveStates = Math.max(this.peakLiveStates, this.liveStates);
    return { state, logits: this.logits(state) };
  }

  step(parents: readonly HashState[], tokens: readonly number[]): DecoderStep<HashState>[] {
    if (parents.length !== tokens.length) throw new Error(`HashDecoder.step: ${parents.length} parents for ${tokens.length} tokens`);
    this.stepCalls++;
    this.steppedRows += parents.length;
    this.liveStates += parents.length;
    this.peakLiveStates = Math.max(this.peakLiveStates, this.liveStates);
    return parents.map((parent, i) => {
      const state = this.extend(parent, tokens[i]!);
      return { state, logits: this.logits(state) };
    });
  }

  release(_state: HashState): void {
    this.liveStates--;
  }

  private extend(state: HashState, token: number): HashState {
    if (!Number.isInteger(token) || token < 0 || token >= this.vocabSize) {
      throw new Error(`HashDecoder: token ${token} is outside the vocabulary (0..${this.vocabSize - 1})`);
    }
    return { hash: mix(state.hash ^ mix(token + 0x632be5ab)), length: state.length + 1 };
  }

  private logits(state: HashState): Float32Array {
    const out = new Float32Array(this.vocabSize);
    for (let v = 0; v < this.vocabSize; v++) out[v] = (mix(state.hash ^ Math.imul(v + 1, 0x27d4eb2d)) / 4294967296 - 0.5) * 2 * this.scale;
    return out;
  }
}
