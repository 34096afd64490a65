/**
 * What constrained beam search needs from a model: an autoregressive scorer whose states fork for free.
 *
 * A state stands for one sequence's KV cache. `step` never changes its parents, so several beams can extend one
 * parent (the prompt, or a shared tool prefix) and all `parents` run as one batched forward. How a child gets its
 * parent's cache is the implementation's choice: the model-backed session (generate/beam-session.ts) gives every
 * child its own slot holding a copy of the parent's positions, so a step costs one copy of each parent's cache per
 * child; an implementation with blocks shared by reference could make it free. `release` says a state is no
 * longer needed, so its slot or blocks can be reused.
 */
export interface DecoderSession<State> {
  readonly vocabSize: number;
  /** Runs the prompt once; the logits are those of the token after the prompt. */
  prefill(promptIds: readonly number[]): DecoderStep<State>;
  /** Appends tokens[i] to parents[i] for every i, in one batched forward. Parents may repeat. */
  step(parents: readonly State[], tokens: readonly number[]): DecoderStep<State>[];
  release(state: State): void;
}

export interface DecoderStep<State> {
  readonly state: State;
  /** Next-token logits, (vocabSize). */
  readonly logits: Float32Array;
}
