/** A token added on top of a model's vocabulary, matched verbatim in the input text. */
export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

/** A stretch of input text: either plain text for the model (with its offset in the input) or an added token. */
export type TextSegment = { text: string; start: number } | { id: number };

/**
 * Added and special tokens of a tokenizer. `split` cuts text around their occurrences, preferring the longest
 * token at the leftmost position, the way Hugging Face tokenizers match added tokens before the model runs.
 */
export class AddedTokenSet {
  private readonly byContent = new Map<string, AddedToken>();
  private readonly byId = new Map<number, AddedToken>();
  private pattern: RegExp | undefined;

  constructor(tokens: readonly AddedToken[] = []) {
    for (const t of tokens) this.add(t);
  }

  add(token: AddedToken): void {
    if (token.content.length === 0) throw new Error('an added token cannot be the empty string');
    this.byContent.set(token.content, token);
    this.byId.set(token.id, token);
    this.pattern = undefined;
  }

  get(content: string): AddedToken | undefined {
    return this.byContent.get(content);
  }

  byTokenId(id: number): AddedToken | undefined {
    return this.byId.get(id);
  }

  list(): AddedToken[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  split(text: string): TextSegment[] {
    if (this.byContent.size === 0) return text ? [{ text, start: 0 }] : [];
    if (!this.pattern) {
      const alternatives = [...this.byContent.keys()].sort((a, b) => b.length - a.length).map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      this.pattern = new RegExp(alternatives.join('|'), 'gu');
    }
    const out: TextSegment[] = [];
    let last = 0;
    for (const m of text.matchAll(this.pattern)) {
      if (m.index > last) out.push({ text: text.slice(last, m.index), start: last });
      out.push({ id: this.byContent.get(m[0])!.id });
      last = m.index + m[0].length;
    }
    if (last < text.length) out.push({ text: text.slice(last), start: last });
    return out;
  }
}
