/**
 * Module: a node in a tree of parameters. Parameters and sub-modules are plain fields; arrays of modules become
 * numbered children. Dotted names (`layers.0.attn.wq.weight`) address every parameter, for state dicts, freezing
 * and optimizer selection.
 */
import { formatShape, tensor } from '../tensor/tensor.js';
import { Parameter } from './parameter.js';

/** Named parameter values: what a checkpoint stores. */
export type StateDict = Record<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;

/**
 * Name patterns: a RegExp, or a string where `*` matches any run of characters; a string also matches every
 * parameter below the module it names (`layers.0` matches `layers.0.attn.wq.weight`).
 */
export type NamePattern = string | RegExp;

export function matchesName(pattern: NamePattern, name: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(name);
  const glob = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return glob.test(name) || name.startsWith(`${pattern}.`);
}

export abstract class Module {
  /** Training mode (dropout active); `eval()` switches it off for the whole tree. */
  training = true;

  /** Direct children: parameters and sub-modules, by field name (arrays of modules as name.index). */
  private children(): [string, Parameter | Module][] {
    const out: [string, Parameter | Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Parameter || value instanceof Module) {
        out.push([key, value]);
      } else if (Array.isArray(value)) {
        value.forEach((item: unknown, i) => {
          if (item instanceof Module || item instanceof Parameter) out.push([`${key}.${i}`, item]);
        });
      }
    }
    return out;
  }

  /** Every parameter in the tree with its dotted name, in field order. */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [key, child] of this.children()) {
      const name = prefix === '' ? key : `${prefix}.${key}`;
      if (child instanceof Parameter) out.push([name, child]);
      else out.push(...child.namedParameters(name));
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Parameters an optimizer should update (not frozen). */
  trainableParameters(): [string, Parameter][] {
    return this.namedParameters().filter(([, p]) => !p.frozen);
  }

  /** Every module in the tree (this one first). */
  modules(): Module[] {
    return [this, ...this.children().flatMap(([, c]) => (c instanceof Module ? c.modules() : []))];
  }

  /** Freezes the parameters whose names match (all when no pattern); returns how many matched. */
  freeze(pattern?: NamePattern): number {
    return this.setFrozen(pattern, true);
  }

  unfreeze(pattern?: NamePattern): number {
    return this.setFrozen(pattern, false);
  }

  private setFrozen(pattern: NamePattern | undefined, frozen: boolean): number {
    let count = 0;
    for (const [name, p] of this.namedParameters()) {
      if (pattern === undefined || matchesName(pattern, name)) {
        p.frozen = frozen;
        count++;
      }
    }
    if (pattern !== undefined && count === 0) throw new Error(`${frozen ? 'freeze' : 'unfreeze'}: no parameter matches ${String(pattern)}`);
    return count;
  }

  train(on = true): this {
    for (const m of this.modules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Copies of every parameter's values, by name. */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [name, p] of this.namedParameters()) out[name] = { shape: [...p.shape], data: p.toArray() };
    return out;
  }

  /**
   * Loads parameter values by name. Every entry's shape must match; with strict (the default) the names must be
   * exactly the model's, and the error lists the missing and unexpected ones.
   */
  loadStateDict(state: StateDict, { strict = true }: { strict?: boolean } = {}): void {
    const params = new Map(this.namedParameters());
    if (strict) {
      const missing = [...params.keys()].filter((n) => !(n in state));
      const unexpected = Object.keys(state).filter((n) => !params.has(n));
      if (missing.length > 0 || unexpected.length > 0) {
        throw new Error(
          `loadStateDict: names differ from the model's${missing.length > 0 ? `; missing: ${missing.join(', ')}` : ''}` +
            `${unexpected.length > 0 ? `; unexpected: ${unexpected.join(', ')}` : ''}`,
        );
      }
    }
    for (const [name, entry] of Object.entries(state)) {
      const p = params.get(name);
      if (p === undefined) continue;
      if (entry.shape.length !== p.shape.length || entry.shape.some((d, i) => d !== p.shape[i])) {
        throw new Error(`loadStateDict: ${name} has shape ${formatShape(entry.shape)} in the state dict but ${formatShape(p.shape)} in the model`);
      }
      if (entry.data.length !== p.size) {
        throw new Error(`loadStateDict: ${name} has ${entry.data.length} values for shape ${formatShape(entry.shape)}`);
      }
      const source = tensor(entry.data, p.shape);
      p.backend.copy(source.storage, 0, p.storage, 0, p.size);
      source.dispose();
    }
  }

  /** Disposes every parameter. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
  }
}
