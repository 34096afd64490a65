/**
 * What constrained beam search needs from a model: an autoregressive scorer whose states fork for free.
 *
 * A state stands for one sequence's KV cache. `step` never changes its parents, so several beams can extend one
 * parent (the prompt, or a shared tool prefix) and all share its cache: a real model keeps the cache in blocks
 * shared by reference (copy-on-write) and runs all `parents` as one batched forward. `release` says a state is no
 * longer needed, so its own blocks can be freed once no child refers to them.
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
