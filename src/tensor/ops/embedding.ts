/** Embedding lookup: table (vocab, dim), ids (...) -> (..., dim); the backward scatter-adds rows into dTable. */
import { isRecording, record } from '../autograd.js';
import type { Ids, Tensor } from '../tensor.js';
import { empty, formatShape } from '../tensor.js';

export function embedding(table: Tensor, tokenIds: Ids): Tensor {
  if (table.rank !== 2) throw new Error(`embedding: table must be (vocab, dim), got ${formatShape(table.shape)}`);
  const [vocab, dim] = table.shape as [number, number];
  const data = tokenIds.data;
  for (let i = 0; i < data.length; i++) {
    const id = data[i]!;
    if (id < 0 || id >= vocab) throw new Error(`embedding: id ${id} at position ${i} is out of range for a table of ${vocab} rows`);
  }
  const out = empty([...tokenIds.shape, dim]);
  out.backend.embedding(table.storage, data, out.storage, dim);
  if (isRecording(table)) record(out, 'embedding', [table], (dy, grads) => {
    const dTable = grads(0);
    if (dTable !== null) dy.backend.embeddingBackward(dy.storage, data, dTable.storage, dim);
  });
  return out;
}
