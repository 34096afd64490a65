/** What a model offers generation: KV-cached sessions over a fixed number of sequence slots. */

/** A KV-cached decoding session over a fixed number of sequence slots. */
export interface DecoderSession {
  /** Logits per row: the vocabulary, plus the model's extra output rows when it has them. */
  readonly vocabSize: number;
  /** Positions each slot can hold. */
  readonly capacity: number;
  /** Appends tokens to slot `sequence` and returns the logits (vocab) after its last token. The returned array is
   * reused by the next call. */
  prefill(sequence: number, tokens: readonly number[]): Float32Array;
  /** Appends one token to each listed slot; returns logits (sequences.length, vocab), reused by the next call. */
  decode(sequences: readonly number[], tokens: readonly number[]): Float32Array;
  /** The final-normed hidden states (rows, dim) of the rows whose logits the last prefill or decode returned;
   * reused by the next call. */
  lastHidden(): Float32Array;
}

/** A session whose slots can be copied and emptied, so that sequences can fork (beam search). */
export interface ForkableSession extends DecoderSession {
  /** Makes slot `to` hold a copy of slot `from`'s cached positions. */
  copySequence(from: number, to: number): void;
  /** Empties a slot so that it can take a new sequence. */
  resetSequence(sequence: number): void;
}

/** Anything that can open a session (the decoder model does). */
export interface SessionFactory {
  createSession(sequences: number, capacity: number): DecoderSession;
}
