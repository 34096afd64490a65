import { readFileSync } from 'node:fs';
import type { TokenByteTable } from '../../indexing/vocabulary.js';

/**
 * GPT-2 style byte-level BPE writes every byte as a printable character: the printable Latin-1 bytes stand for
 * themselves and the rest are shifted to U+0100 onwards, in byte order. Returns that character -> byte map.
 */
function byteLevelAlphabet(): Map<number, number> {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const map = new Map<number, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) map.set(printable(b) ? b : 256 + shifted++, b);
  return map;
}

interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number> };
  added_tokens?: { id: number; content: string; special: boolean }[];
}

/**
 * The token -> bytes table of a Hugging Face byte-level BPE tokenizer.json (GPT-2, Llama 3, Qwen): enough to mask
 * a real vocabulary without its encoder. Special added tokens have no bytes; other added tokens are their text.
 */
export function readByteLevelVocabulary(path: string, eosToken?: string): TokenByteTable {
  let parsed: TokenizerJson;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as TokenizerJson;
  } catch (err) {
    throw new Error(`cannot read tokenizer ${path}: ${(err as Error).message}`);
  }
  const vocab = parsed.model?.vocab;
  if (parsed.model?.type !== 'BPE' || vocab === undefined) throw new Error(`${path}: expected a BPE model with a vocab`);
  const alphabet = byteLevelAlphabet();
  const table: Uint8Array[] = [];
  const ids = new Map<string, number>();
  for (const [token, id] of Object.entries(vocab)) {
    const bytes = new Uint8Array(token.length);
    let n = 0;
    for (const ch of token) {
      const b = alphabet.get(ch.codePointAt(0)!);
      if (b === undefined) throw new Error(`${path}: token ${JSON.stringify(token)} (id ${id}) is not byte-level encoded`);
      bytes[n++] = b;
    }
    table[id] = bytes.subarray(0, n);
    ids.set(token, id);
  }
  for (const added of parsed.added_tokens ?? []) {
    table[added.id] = added.special ? new Uint8Array(0) : new TextEncoder().encode(added.content);
    ids.set(added.content, added.id);
  }
  const empty = new Uint8Array(0);
  const eosId = eosToken === undefined ? undefined : ids.get(eosToken);
  if (eosToken !== undefined && eosId === undefined) throw new Error(`${path}: no token ${JSON.stringify(eosToken)}`);
  return { vocabSize: table.length, tokenBytes: (id) => table[id] ?? empty, ...(eosId === undefined ? {} : { eosId }) };
}
