interface Candidate {
  rank: number;
  left: number;
  right: number;
  leftVersion: number;
  rightVersion: number;
}

/** Binary min-heap of merge candidates: lowest rank first, then leftmost. */
class CandidateHeap {
  private readonly items: Candidate[] = [];

  get size(): number {
    return this.items.length;
  }

  private before(a: Candidate, b: Candidate): boolean {
    return a.rank < b.rank || (a.rank === b.rank && a.left < b.left);
  }

  push(c: Candidate): void {
    const items = this.items;
    items.push(c);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): Candidate {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && this.before(items[l]!, items[best]!)) best = l;
        if (r < items.length && this.before(items[r]!, items[best]!)) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }
}

/**
 * Greedy pair merging shared by BPE and SentencePiece-BPE: repeatedly merges the adjacent pair with the lowest
 * `rank` (undefined = not mergeable), the leftmost one on ties, until no pair can merge. This is exactly the
 * "find the best pair, merge it, rescan" loop of run.c and tokenizers, in O(n log n) with a heap.
 */
export function mergeSymbols(symbols: readonly string[], rank: (left: string, right: string) => number | undefined): string[] {
  const n = symbols.length;
  if (n < 2) return [...symbols];
  const text = [...symbols];
  const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
  const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
  // A symbol's version changes whenever it is merged, which invalidates candidates queued for its old text.
  const version = new Int32Array(n);
  const heap = new CandidateHeap();
  const consider = (left: number, right: number): void => {
    const r = rank(text[left]!, text[right]!);
    if (r !== undefined) heap.push({ rank: r, left, right, leftVersion: version[left]!, rightVersion: version[right]! });
  };
  for (let i = 0; i + 1 < n; i++) consider(i, i + 1);
  while (heap.size > 0) {
    const c = heap.pop();
    if (version[c.left] !== c.leftVersion || version[c.right] !== c.rightVersion || next[c.left] !== c.right) continue;
    text[c.left] += text[c.right]!;
    version[c.left]!++;
    version[c.right] = -1;
    const after = next[c.right]!;
    next[c.left] = after;
    if (after >= 0) prev[after] = c.left;
    if (prev[c.left]! >= 0) consider(prev[c.left]!, c.left);
    if (after >= 0) consider(c.left, after);
  }
  const out: string[] = [];
  for (let i = 0; i >= 0; i = next[i]!) out.push(text[i]!);
  return out;
}
