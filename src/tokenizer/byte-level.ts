// GPT-2 style byte-level BPE alphabet: every byte maps to one printable unicode character, so any UTF-8 text
// becomes a string of "byte characters" that BPE can merge and that maps back to the exact bytes.

function buildByteToChar(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable.includes(b) ? b : 256 + extra++);
  return table;
}

/** byte -> its byte-level character. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** byte-level character -> byte. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const utf8 = new TextEncoder();

/** Text -> byte-level characters of its UTF-8 bytes. */
export function toByteChars(text: string): string {
  let out = '';
  for (const b of utf8.encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}

/** Byte-level characters -> bytes, or undefined if a character is outside the byte alphabet. */
export function fromByteChars(symbol: string): Uint8Array | undefined {
  const out = new Uint8Array(symbol.length);
  for (let i = 0; i < symbol.length; i++) {
    const b = CHAR_TO_BYTE.get(symbol[i]!);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}

/** Pre-tokenizer split patterns, by the name llama.cpp stores in `tokenizer.ggml.pre`. */
export const PRETOKENIZE_PATTERNS: Readonly<Record<string, RegExp>> = {
  // GPT-2, and the ByteLevel pre-tokenizer of Hugging Face tokenizers.
  gpt2: /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu,
  // Llama 3: case-insensitive contractions, digits in groups of up to three.
  'llama-bpe': /'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu,
  // Qwen2/Qwen3: as Llama 3 but every digit is its own piece.
  qwen2: /'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu,
};
