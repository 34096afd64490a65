import type { TokenVocabulary } from '../vocabulary.js';

const encoder = new TextEncoder();
const key = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * A small byte-level vocabulary for tests and benches: ids 0..255 are the single bytes, then the given multi-byte
 * tokens, then special tokens (whole strings matched before anything else, no bytes of their own; the first one is
 * EOS). Encoding is greedy longest match, enough to give tokens of several bytes, partial UTF-8 included.
 */
export class ToyVocabulary implements TokenVocabulary {
  private readonly bytes: Uint8Array[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly specials = new Map<string, number>();
  private readonly longest: number;
  readonly eosId: number;

  constructor(pieces: readonly (string | Uint8Array)[], specialTokens: readonly string[] = ['<eos>']) {
    for (let b = 0; b < 256; b++) this.add(Uint8Array.of(b));
    for (const piece of pieces) this.add(typeof piece === 'string' ? encoder.encode(piece) : piece);
    this.longest = Math.max(...this.bytes.map((b) => b.length));
    for (const special of specialTokens) {
      if (this.specials.has(special)) continue;
      this.specials.set(special, this.bytes.length);
      this.bytes.push(new Uint8Array(0));
    }
    this.eosId = this.specials.get(specialTokens[0] ?? '') ?? -1;
    if (this.eosId === -1) throw new Error('ToyVocabulary: needs at least one special token (EOS)');
  }

  get vocabSize(): number {
    return this.bytes.length;
  }

  tokenBytes(id: number): Uint8Array {
    const bytes = this.bytes[id];
    if (bytes === undefined) throw new Error(`ToyVocabulary: no token ${id}`);
    return bytes;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    let plain = '';
    for (let i = 0; i < text.length; ) {
      const special = [...this.specials.keys()].find((s) => text.startsWith(s, i));
      if (special !== undefined) {
        ids.push(...this.encodeBytes(encoder.encode(plain)), this.specials.get(special)!);
        plain = '';
        i += special.length;
      } else plain += text[i++];
    }
    ids.push(...this.encodeBytes(encoder.encode(plain)));
    return ids;
  }

  private add(bytes: Uint8Array): void {
    if (this.byKey.has(key(bytes))) return;
    this.byKey.set(key(bytes), this.bytes.length);
    this.bytes.push(bytes);
  }

  private encodeBytes(bytes: Uint8Array): number[] {
    const ids: number[] = [];
    for (let i = 0; i < bytes.length; ) {
      for (let len = Math.min(this.longest, bytes.length - i); len >= 1; len--) {
        const id = this.byKey.get(key(bytes.subarray(i, i + len)));
        if (id !== undefined) {
          ids.push(id);
          i += len;
          break;
        }
      }
    }
    return ids;
  }
}
