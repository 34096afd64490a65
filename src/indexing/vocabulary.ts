/**
 * What indexing and constrained decoding need from a tokenizer. The real tokenizer (src/tokenizer) has exactly
 * these members; tests use small toy vocabularies.
 */
export interface TokenVocabulary {
  readonly vocabSize: number;
  encode(text: string): number[];
  /** The exact bytes token `id` contributes to decoded text; special tokens give an empty array. */
  tokenBytes(id: number): Uint8Array;
  readonly eosId?: number;
}

/** The part of a vocabulary that byte-level masking needs (no encoder). */
export type TokenByteTable = Pick<TokenVocabulary, 'vocabSize' | 'tokenBytes' | 'eosId'>;
