import { ToolkenError } from '../util/errors.js';

/** A CLI command: parses its own flags and calls library code; returns the exit code. */
export interface CliCommand {
  readonly summary: string;
  run(argv: readonly string[]): Promise<number>;
}

/** An error the user caused (bad flag, missing file): printed as one clear line, never as a stack trace. */
export class CliError extends ToolkenError {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super('USAGE', message);
  }
}

export type FlagKind = 'string' | 'number' | 'int' | 'boolean' | 'list';

export interface FlagSpec {
  readonly kind: FlagKind;
  readonly help: string;
  readonly default?: string | number | boolean | readonly string[];
  /** Allowed values for a string flag. */
  readonly choices?: readonly string[];
  readonly required?: boolean;
  /** May be given several times (string flags); the values are collected into a list. */
  readonly repeat?: boolean;
  /** Bounds of a number flag, checked while parsing so a bad value fails before any model loads. */
  readonly min?: number;
  readonly max?: number;
  /** The value must be above `min`, not equal to it (e.g. a probability in (0, 1]). */
  readonly minExclusive?: boolean;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type ValueOf<S extends FlagSpec> = S['kind'] extends 'number' | 'int'
  ? number
  : S['kind'] extends 'boolean'
    ? boolean
    : S['kind'] extends 'list'
      ? string[]
      : S['repeat'] extends true
        ? string[]
        : string;

export type ParsedFlags<S extends FlagSpecs> = {
  [K in keyof S]: S[K] extends { required: true } | { default: unknown } | { kind: 'boolean' } | { kind: 'list' } | { repeat: true }
    ? ValueOf<S[K]>
    : ValueOf<S[K]> | undefined;
} & { readonly _: string[] };

const camel = (flag: string): string => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** Levenshtein distance: the fewest single-character insertions, deletions and substitutions from a to b. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The candidate closest to a misspelt `input`, when it is close enough to be what the user meant. */
export function closestName(input: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(input.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= limit ? best : undefined;
}

/** `; did you mean 'x'?` when a candidate is close to `input`, else the empty string. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const guess = closestName(input, candidates);
  return guess === undefined ? '' : `; did you mean '${guess}'?`;
}

/** `unknown <what> 'input'; did you mean 'x'? (known: ...)`: the message for any name outside a known set. */
export function unknownNameError(what: string, input: string, known: readonly string[]): CliError {
  return new CliError(`unknown ${what} '${input}'${didYouMean(input, known)} (known: ${known.join(', ')})`);
}

/** The sub-command `name` of `table`, or a CliError naming the misspelling and the closest sub-command. */
export function subcommand<C>(table: Readonly<Record<string, C>>, name: string, what: string): C {
  const found = Object.hasOwn(table, name) ? table[name] : undefined;
  if (found === undefined) throw unknownNameError(what, name, Object.keys(table));
  return found;
}

/** Why `n` is outside a number flag's bounds, or undefined when it is inside them. */
function outOfBounds(spec: FlagSpec, n: number): string | undefined {
  const { min, max, minExclusive } = spec;
  const below = min !== undefined && (minExclusive ? n <= min : n < min);
  const above = max !== undefined && n > max;
  if (!below && !above) return undefined;
  if (min !== undefined && max !== undefined) return `in ${minExclusive ? '(' : '['}${min}, ${max}]`;
  if (min !== undefined) return minExclusive ? `> ${min}` : `at least ${min}`;
  return `<= ${max}`;
}

export function helpText(command: string, summary: string, specs: FlagSpecs, positional?: string): string {
  const lines = [`usage: toolken ${command}${positional ? ' ' + positional : ''} [options]`, '', summary, '', 'options:'];
  for (const [name, spec] of Object.entries(specs)) {
    const value = spec.kind === 'boolean' ? '' : spec.choices ? ` <${spec.choices.join('|')}>` : ` <${spec.kind}>`;
    const dflt = spec.default !== undefined && spec.kind !== 'boolean' ? ` (default: ${String(spec.default)})` : '';
    lines.push(`  --${kebab(name)}${value}`.padEnd(34) + ` ${spec.help}${spec.required ? ' (required)' : ''}${dflt}`);
  }
  return lines.join('\n');
}

/**
 * Parses `--flag value`, `--flag=value` and boolean `--flag` / `--no-flag` against a spec keyed by camelCase name.
 * Unknown flags, missing values, bad numbers and values outside `choices` raise a CliError naming the flag.
 */
export function parseFlags<S extends FlagSpecs>(argv: readonly string[], specs: S): ParsedFlags<S> {
  const out: Record<string, unknown> = { _: [] as string[] };
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.default !== undefined) out[name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
    else if (spec.kind === 'boolean') out[name] = false;
    else if (spec.kind === 'list' || spec.repeat) out[name] = [];
  }
  const seenRepeat = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      if (arg === '--') {
        (out._ as string[]).push(...argv.slice(i + 1));
        break;
      }
      (out._ as string[]).push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const rawName = arg.slice(2, eq === -1 ? undefined : eq);
    const name = camel(rawName);
    // Flags are spelled in kebab case only: `--topP` is not a second spelling of `--top-p`.
    const spec = /[A-Z]/.test(rawName) ? undefined : specs[name];
    if (spec === undefined && rawName.startsWith('no-') && !/[A-Z]/.test(rawName)) {
      const positive = camel(rawName.slice(3));
      if (specs[positive]?.kind === 'boolean' && eq === -1) {
        out[positive] = false;
        continue;
      }
    }
    if (spec === undefined) {
      const known = Object.keys(specs).map((k) => '--' + kebab(k));
      throw unknownNameError('option', '--' + rawName, known);
    }
    if (spec.kind === 'boolean') {
      if (eq !== -1) {
        const v = arg.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new CliError(`--${rawName} takes no value or true/false, got '${v}'`);
        out[name] = v === 'true';
      } else out[name] = true;
      continue;
    }
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new CliError(`--${rawName} needs a value`);
      value = next;
      i++;
    }
    if (spec.kind === 'number' || spec.kind === 'int') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new CliError(`--${rawName} must be a number, got '${value}'`);
      if (spec.kind === 'int' && !Number.isInteger(n)) throw new CliError(`--${rawName} must be an integer, got '${value}'`);
      const bounds = outOfBounds(spec, n);
      if (bounds !== undefined) throw new CliError(`--${rawName} must be ${bounds}, got ${value}`);
      out[name] = n;
    } else if (spec.kind === 'list') {
      out[name] = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      if (spec.choices) {
        for (const v of out[name] as string[]) {
          if (!spec.choices.includes(v)) throw new CliError(`--${rawName}: '${v}' is not one of ${spec.choices.join(', ')}${didYouMean(v, spec.choices)}`);
        }
      }
    } else {
      if (spec.choices && !spec.choices.includes(value)) {
        throw new CliError(`--${rawName} must be one of ${spec.choices.join(', ')}, got '${value}'${didYouMean(value, spec.choices)}`);
      }
      if (spec.repeat) {
        if (!seenRepeat.has(name)) {
          out[name] = [];
          seenRepeat.add(name);
        }
        (out[name] as string[]).push(value);
      } else out[name] = value;
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && out[name] === undefined) {
      throw new CliError(`--${kebab(name)} is required`);
    }
  }
  return out as ParsedFlags<S>;
}

/** True when argv asks for help; commands print their helpText and exit 0. */
export const wantsHelp = (argv: readonly string[]): boolean => argv.includes('--help') || argv.includes('-h');

/**
 * A command's flags for commands without positional arguments: prints the help and returns null for --help / -h;
 * otherwise parses `argv` against `specs` and refuses any stray argument.
 */
export function commandFlags<S extends FlagSpecs>(argv: readonly string[], command: string, summary: string, specs: S): ParsedFlags<S> | null {
  if (wantsHelp(argv)) {
    process.stdout.write(helpText(command, summary, specs) + '\n');
    return null;
  }
  const f = parseFlags(argv, specs);
  if (f._.length > 0) throw new CliError(`unexpected argument '${f._[0]}'`);
  return f;
}
