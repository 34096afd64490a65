/**
 * Memory discipline for tensors. Storage is released when a tensor is disposed; `tidy(fn)` disposes every tensor
 * created while fn runs except those it returns (and those passed to `keep`), so a training step leaves no
 * intermediates behind. Scopes nest; returned tensors move to the enclosing scope.
 */

/** Anything a scope can own. */
export interface Owned {
  dispose(): void;
  readonly disposed: boolean;
}

const scopes: Set<Owned>[] = [];
let live = 0;

/** Number of tensors created and not yet disposed (a leak detector for tests and long loops). */
export function liveTensorCount(): number {
  return live;
}

/** Called by every new tensor: counts it and hands it to the innermost scope. */
export function track(t: Owned): void {
  live++;
  scopes[scopes.length - 1]?.add(t);
}

/** Called once when a tensor is disposed. */
export function untrackDisposed(t: Owned): void {
  live--;
  scopes[scopes.length - 1]?.delete(t);
}

/** Removes t from every open scope, so no `tidy` disposes it (parameters, optimizer state, cached results). */
export function keep<T extends Owned>(t: T): T {
  for (const scope of scopes) scope.delete(t);
  return t;
}

/** Hands an untracked tensor to the innermost scope, as if it had been created there. */
export function adopt<T extends Owned>(t: T): T {
  scopes[scopes.length - 1]?.add(t);
  return t;
}

/** Collects the tensors inside a tidy result: a tensor, or arrays / plain objects containing tensors. */
function collectOwned(value: unknown, isOwned: (v: unknown) => v is Owned, into: Set<Owned>): void {
  if (isOwned(value)) {
    into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectOwned(item, isOwned, into);
  } else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) collectOwned(item, isOwned, into);
  }
}

let ownedCheck: (v: unknown) => v is Owned = (_v): _v is Owned => false;

/** Tensor registers how to recognise its instances (kept here to avoid a module cycle). */
export function setOwnedCheck(check: (v: unknown) => v is Owned): void {
  ownedCheck = check;
}

/**
 * Runs fn and disposes every tensor created during it that is not part of its result (a tensor, or arrays /
 * plain objects holding tensors). Async functions are not supported: a scope must not span an await.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Owned>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const t of scope) if (!t.disposed) t.dispose();
    throw err;
  }
  scopes.pop();
  if (result instanceof Promise) throw new Error('tidy: fn returned a Promise; scopes cannot span an await');
  const kept = new Set<Owned>();
  collectOwned(result, ownedCheck, kept);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t);
    else if (!t.disposed) t.dispose();
  }
  return result;
}

/** Runs fn with tensors created during it left out of every scope (for state that outlives the current step). */
export function untracked<T>(fn: () => T): T {
  const saved = scopes.splice(0, scopes.length);
  try {
    return fn();
  } finally {
    scopes.push(...saved);
  }
}
