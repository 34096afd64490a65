import { AddedTokenSet } from './added-tokens.js';
import { writeTokenizerFiles } from './hf-files.js';
import { mergeSymbols } from './merge.js';
import { GGUF_TOKEN_TYPE, type AddTokensOptions, type DecodeOptions, type EncodeOptions, type GgufVocabulary, type Tokenizer } from './types.js';

/** SentencePiece's visible space: pieces store ' ' as '▁'. */
const SPACE = '\u2581';
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

/** A SentencePiece BPE vocabulary: pieces (with '▁' for spaces and `<0xAB>` byte-fallback pieces) and merge scores. */
export interface SentencePieceVocab {
  pieces: readonly string[];
  scores: readonly number[];
  /** Control and unknown tokens: never produced by merging, no bytes in decoded text. */
  specialIds: readonly number[];
  bosId: number | undefined;
  eosId: number | undefined;
  unkId: number | undefined;
  chatTemplate?: string | undefined;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * SentencePiece-style BPE as llama2.c's run.c and llama.cpp's SPM tokenizer run it: a dummy-prefix space, one
 * symbol per code point (unknown code points fall back to their UTF-8 byte pieces), then greedy merging of the
 * adjacent pair whose merged piece has the highest score, leftmost first on ties.
 */
export class SentencePieceTokenizer implements Tokenizer {
  private readonly pieces: string[];
  private readonly scores: readonly number[];
  /** Mergeable (non-special) piece -> id. */
  private readonly pieceIds = new Map<string, number>();
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly added: AddedTokenSet;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly unkId: number | undefined;
  readonly chatTemplate: string | undefined;

  constructor(vocab: SentencePieceVocab) {
    if (vocab.pieces.length !== vocab.scores.length) throw new Error(`SentencePiece vocabulary has ${vocab.pieces.length} pieces but ${vocab.scores.length} scores`);
    this.pieces = [...vocab.pieces];
    this.scores = vocab.scores;
    this.bosId = vocab.bosId;
    this.eosId = vocab.eosId;
    this.unkId = vocab.unkId;
    this.chatTemplate = vocab.chatTemplate;
    const special = new Set(vocab.specialIds);
    this.added = new AddedTokenSet([...special].map((id) => ({ id, content: this.pieces[id]!, special: true })));
    this.pieces.forEach((piece, id) => {
      if (special.has(id)) return;
      if (!this.pieceIds.has(piece)) this.pieceIds.set(piece, id);
      const byte = BYTE_PIECE.exec(piece);
      if (byte) this.byteIds[parseInt(byte[1]!, 16)] = id;
    });
  }

  get vocabSize(): number {
    return this.pieces.length;
  }

  private encodeSegment(text: string, atStart: boolean): number[] {
    const normalized = (atStart ? SPACE : '') + text.replaceAll(' ', SPACE);
    const symbols: string[] = [];
    for (const ch of normalized) {
      if (this.pieceIds.has(ch)) {
        symbols.push(ch);
        continue;
      }
      for (const b of utf8.encode(ch)) {
        const id = this.byteIds[b]!;
        if (id >= 0) symbols.push(this.pieces[id]!);
        else if (this.unkId !== undefined) symbols.push(this.pieces[this.unkId]!);
        else throw new Error(`cannot encode ${JSON.stringify(ch)}: the vocabulary has no byte piece <0x${b.toString(16).toUpperCase().padStart(2, '0')}> and no unknown token`);
      }
    }
    const merged = mergeSymbols(symbols, (left, right) => {
      const id = this.pieceIds.get(left + right);
      return id === undefined ? undefined : -this.scores[id]!;
    });
    return merged.map((piece) => this.pieceIds.get(piece) ?? this.unkId!);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    if (options.addBos && this.bosId !== undefined) ids.push(this.bosId);
    for (const segment of this.added.split(text)) {
      if ('id' in segment) ids.push(segment.id);
      else ids.push(...this.encodeSegment(segment.text, segment.start === 0));
    }
    if (options.addEos && this.eosId !== undefined) ids.push(this.eosId);
    return ids;
  }

  /** Decodes like run.c: byte pieces become raw bytes, and the dummy-prefix space is dropped at the start and after BOS. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const chunks: Uint8Array[] = [];
    ids.forEach((id, i) => {
      let bytes: Uint8Array;
      if (this.isSpecial(id)) {
        if (options.skipSpecial) return;
        bytes = utf8.encode(this.idToToken(id) ?? '');
      } else {
        bytes = this.tokenBytes(id);
        if ((i === 0 || ids[i - 1] === this.bosId) && bytes[0] === 0x20) bytes = bytes.subarray(1);
      }
      chunks.push(bytes);
    });
    return utf8Decoder.decode(Buffer.concat(chunks));
  }

  tokenToId(token: string): number | undefined {
    return this.added.get(token)?.id ?? this.pieceIds.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.pieces[id];
  }

  tokenBytes(id: number): Uint8Array {
    const piece = this.pieces[id];
    if (piece === undefined || this.isSpecial(id)) return new Uint8Array(0);
    if (this.added.byTokenId(id)) return utf8.encode(piece);
    const byte = BYTE_PIECE.exec(piece);
    return byte ? Uint8Array.of(parseInt(byte[1]!, 16)) : utf8.encode(piece.replaceAll(SPACE, ' '));
  }

  isSpecial(id: number): boolean {
    return this.added.byTokenId(id)?.special ?? false;
  }

  addTokens(tokens: readonly string[], options: AddTokensOptions = {}): number[] {
    return tokens.map((content) => {
      const existing = this.tokenToId(content);
      if (existing !== undefined) {
        if (!this.added.byTokenId(existing)) this.added.add({ id: existing, content, special: options.special ?? false });
        return existing;
      }
      const id = this.pieces.length;
      this.pieces.push(content);
      this.added.add({ id, content, special: options.special ?? false });
      return id;
    });
  }

  /** Tokens added beyond the scored pieces get score 0: llama.cpp matches them verbatim, never by merging. */
  ggufVocabulary(): GgufVocabulary {
    const tokenTypes = this.pieces.map((piece, id) => {
      const added = this.added.byTokenId(id);
      if (id === this.unkId) return GGUF_TOKEN_TYPE.unknown;
      if (added) return added.special ? GGUF_TOKEN_TYPE.control : GGUF_TOKEN_TYPE.userDefined;
      return BYTE_PIECE.test(piece) ? GGUF_TOKEN_TYPE.byte : GGUF_TOKEN_TYPE.normal;
    });
    return {
      model: 'llama',
      tokens: [...this.pieces],
      scores: this.pieces.map((_, id) => this.scores[id] ?? 0),
      tokenTypes,
      bosId: this.bosId,
      eosId: this.eosId,
      unkId: this.unkId,
      addBos: this.bosId !== undefined,
    };
  }

  /**
   * Hugging Face BPE merges equivalent to the scores: every split of a piece into two pieces is a merge, ranked by
   * the merged piece's score (highest first), so rank order reproduces score order.
   */
  private merges(): [string, string][] {
    const found: { left: string; right: string; score: number; id: number; split: number }[] = [];
    for (const [piece, id] of this.pieceIds) {
      if (BYTE_PIECE.test(piece)) continue;
      const chars = [...piece];
      for (let k = 1; k < chars.length; k++) {
        const left = chars.slice(0, k).join('');
        const right = chars.slice(k).join('');
        if (this.pieceIds.has(left) && this.pieceIds.has(right)) found.push({ left, right, score: this.scores[id]!, id, split: k });
      }
    }
    found.sort((a, b) => b.score - a.score || a.id - b.id || a.split - b.split);
    return found.map((m) => [m.left, m.right]);
  }

  save(dir: string): void {
    // Tokens added beyond the model's vocabulary (the scored pieces) live only in added_tokens, as in Hugging Face files.
    const vocab: Record<string, number> = {};
    this.pieces.slice(0, this.scores.length).forEach((piece, id) => {
      if (piece in vocab) throw new Error(`cannot save: piece ${JSON.stringify(piece)} appears twice in the vocabulary (ids ${vocab[piece]} and ${id})`);
      vocab[piece] = id;
    });
    const bos = this.bosId === undefined ? undefined : this.pieces[this.bosId];
    const unk = this.unkId === undefined ? null : this.pieces[this.unkId]!;
    const tokenizerJson: Record<string, unknown> = {
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: SPACE, prepend_scheme: 'first', split: false },
      post_processor:
        bos === undefined
          ? null
          : {
              type: 'TemplateProcessing',
              single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
              pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
              special_tokens: { [bos]: { id: bos, ids: [this.bosId], tokens: [bos] } },
            },
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: SPACE }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          { type: 'Strip', content: ' ', start: 1, stop: 0 },
        ],
      },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: unk,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: true,
        byte_fallback: true,
        ignore_merges: false,
        vocab,
        merges: this.merges(),
      },
    };
    writeTokenizerFiles(dir, tokenizerJson, {
      addedTokens: this.added.list(),
      bosToken: bos,
      eosToken: this.eosId === undefined ? undefined : this.pieces[this.eosId],
      unkToken: unk ?? undefined,
      chatTemplate: this.chatTemplate,
      addBosToken: bos !== undefined,
    });
  }
}
