import { readFileSync } from 'node:fs';
import { CheckpointError } from '../formats/errors.js';
import { SentencePieceTokenizer } from './sentencepiece.js';

// llama2.c `tok*.bin`: int32 max_token_length, then per token a float32 score, an int32 byte length and the bytes.
// Pieces store spaces as ' ' and BOS/EOS as "\n<s>\n" / "\n</s>\n"; they are brought back to SentencePiece form.

const SPECIAL_NAMES = ['<unk>', '<s>', '</s>'];

/** Loads a llama2.c tokenizer; ids 0, 1, 2 are unk, BOS and EOS as in run.c. */
export function loadLlama2cTokenizer(path: string, vocabSize?: number): SentencePieceTokenizer {
  const buf = readFileSync(path);
  // Each entry takes at least 8 bytes, so a vocabulary size the file cannot hold is refused before parsing.
  if (vocabSize !== undefined && 4 + 8 * vocabSize > buf.byteLength) throw new CheckpointError(`${path}: ${buf.byteLength} bytes cannot hold the ${vocabSize} tokens the model needs`);
  if (buf.byteLength < 4) throw new CheckpointError(`${path}: too short for a llama2.c tokenizer (${buf.byteLength} bytes)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const pieces: string[] = [];
  const scores: number[] = [];
  // Skip max_token_length: pieces carry their own lengths.
  let pos = 4;
  while (pos < buf.byteLength && (vocabSize === undefined || pieces.length < vocabSize)) {
    if (pos + 8 > buf.byteLength) throw new CheckpointError(`${path}: truncated entry for token ${pieces.length} at byte ${pos}`);
    const score = view.getFloat32(pos, true);
    const len = view.getInt32(pos + 4, true);
    pos += 8;
    if (len < 0 || pos + len > buf.byteLength) throw new CheckpointError(`${path}: token ${pieces.length} has length ${len}, beyond the end of the file`);
    const text = buf.subarray(pos, pos + len).toString('utf8');
    pos += len;
    pieces.push(pieces.length < SPECIAL_NAMES.length ? SPECIAL_NAMES[pieces.length]! : text.replaceAll(' ', '\u2581'));
    scores.push(score);
  }
  if (pieces.length < SPECIAL_NAMES.length) throw new CheckpointError(`${path}: holds ${pieces.length} tokens, fewer than the ${SPECIAL_NAMES.length} special ones (unk, BOS, EOS)`);
  if (vocabSize !== undefined && pieces.length < vocabSize) throw new CheckpointError(`${path}: holds ${pieces.length} tokens but the model needs ${vocabSize}`);
  return new SentencePieceTokenizer({ pieces, scores, specialIds: [0, 1, 2], bosId: 1, eosId: 2, unkId: 0 });
}
