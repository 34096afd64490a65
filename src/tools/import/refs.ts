/**
 * Local `$ref`s (`#/components/schemas/Pet`, `#/$defs/unit`) replaced by their targets, within bounds: a catalog
 * is text from strangers, and a few kilobytes of references to references ("billion laughs") would otherwise
 * expand to gigabytes.
 */
import { escapePointer } from '../pointer.js';
import { MAX_SCHEMA_DEPTH, MAX_SCHEMA_NESTING, SchemaError, setEntry } from '../schema.js';
import { isRecord } from './entries.js';

/**
 * A resolver over one document: each call resolves a value found at `pointer` (for messages). The calls share one
 * node budget, so one operation or tool cannot expand past MAX_EXPANDED_NODES however its references are spread.
 */
export function refResolver(root: Record<string, unknown>): (value: unknown, pointer: string) => unknown {
  const budget = { nodes: MAX_EXPANDED_NODES };
  return (value, pointer) => resolveRefs(root, value, pointer, 0, 0, budget);
}

/** Most nodes one operation's schemas may expand to once `$ref`s are replaced by their targets. */
export const MAX_EXPANDED_NODES = 100_000;

/**
 * Replaces `{"$ref": "#/..."}` nodes by their targets. Cycles deeper than 32 levels, nesting past the schema depth
 * limit and expansions past the node budget are reported, not followed until the stack or memory runs out.
 */
function resolveRefs(root: Record<string, unknown>, value: unknown, pointer: string, refDepth: number, nesting: number, budget: { nodes: number }): unknown {
  if (refDepth > 32) throw new SchemaError(pointer, '$ref nesting deeper than 32 levels (a cycle?)');
  if (nesting > MAX_SCHEMA_NESTING) throw new SchemaError(pointer, `schema nested more than ${MAX_SCHEMA_DEPTH} levels deep`);
  if (--budget.nodes < 0) throw new SchemaError(pointer, `$refs expand to more than ${MAX_EXPANDED_NODES} schema nodes`);
  if (Array.isArray(value)) return value.map((v, i) => resolveRefs(root, v, `${pointer}/${i}`, refDepth, nesting + 1, budget));
  if (!isRecord(value)) return value;
  if (typeof value.$ref === 'string') {
    const ref = value.$ref;
    if (!ref.startsWith('#/')) throw new SchemaError(pointer, `only local $refs are supported, got '${ref}'`);
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      target = isRecord(target) && Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
    }
    if (target === undefined) throw new SchemaError(pointer, `$ref '${ref}' points to nothing`);
    return resolveRefs(root, target, pointer, refDepth + 1, nesting, budget);
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) setEntry(out, key, resolveRefs(root, child, `${pointer}/${escapePointer(key)}`, refDepth, nesting + 1, budget));
  return out;
}
