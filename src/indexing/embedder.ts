import { hashString } from '../util/random.js';

/** Turns tool documents into fixed-size vectors; a real sentence-embedding model can be passed instead. */
export type Embedder = (texts: readonly string[]) => Float32Array[] | Promise<Float32Array[]>;

const WORD = /[\p{L}\p{N}]+/gu;

/**
 * A model-free embedder: TF-IDF word weights projected to `dim` dimensions by a hashed random ±1 projection
 * (each word's row is derived from its hash, so no vocabulary file is needed), then L2-normalised. Documents
 * sharing rare words land close together, which is all hierarchical indexing needs to group tools.
 */
export function tfidfEmbedder(dim = 64, seed = 1): Embedder {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`tfidfEmbedder: dim must be a positive integer, got ${dim}`);
  return (texts) => {
    // Words -> dense ids, documents -> word ids, and document frequencies, in one pass.
    const wordIds = new Map<string, number>();
    const documentFrequency: number[] = [];
    const lastSeenIn: number[] = [];
    const docs = texts.map((text, d) => {
      const words = text.toLowerCase().match(WORD) ?? [];
      const ids = new Int32Array(words.length);
      words.forEach((w, i) => {
        let id = wordIds.get(w);
        if (id === undefined) {
          id = wordIds.size;
          wordIds.set(w, id);
          documentFrequency.push(0);
          lastSeenIn.push(-1);
        }
        if (lastSeenIn[id] !== d) {
          lastSeenIn[id] = d;
          documentFrequency[id]!++;
        }
        ids[i] = id;
      });
      return ids;
    });

    // Row w of the projection: dim signs from an xorshift stream seeded by the word's hash.
    const projection = new Float32Array(wordIds.size * dim);
    for (const [word, id] of wordIds) {
      let h = hashString(word, seed) || 1;
      for (let d = 0; d < dim; d++) {
        h ^= h << 13;
        h ^= h >>> 17;
        h ^= h << 5;
        projection[id * dim + d] = h & 1 ? 1 : -1;
      }
    }
    const n = texts.length;
    const idf = documentFrequency.map((df) => Math.log((1 + n) / (1 + df)) + 1);

    // Repeated words add their row again, so each word contributes tf * idf * row.
    return docs.map((ids) => {
      const v = new Float32Array(dim);
      for (const id of ids) {
        const weight = idf[id]!;
        const offset = id * dim;
        for (let d = 0; d < dim; d++) v[d]! += weight * projection[offset + d]!;
      }
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += v[d]! * v[d]!;
      if (norm > 0) {
        const inv = 1 / Math.sqrt(norm);
        for (let d = 0; d < dim; d++) v[d]! *= inv;
      }
      return v;
    });
  };
}
