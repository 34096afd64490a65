/**
 * How a demo tool is written: its parameters (each a JSON Schema plus a way to sample a value and to say it in
 * words), a real implementation, and query templates whose `{name}` slots name the arguments the query states.
 */
import type { JsonSchema, JsonValue, ObjectSchema, Tool } from '../../tools/types.js';
import { pick, randomInt, type Random } from '../../util/random.js';

export type Args = Record<string, JsonValue>;
export type Implementation = (args: Args) => JsonValue;

export interface DemoParam {
  schema: JsonSchema;
  sample(random: Random): JsonValue;
  /** How the value reads inside a query. */
  say(value: JsonValue): string;
}

export interface DemoTool {
  tool: Tool;
  run: Implementation;
  /** Query templates; a template must mention every required parameter. */
  templates: string[];
  params: Record<string, DemoParam>;
  /** Parameters that must take different values in one query (converting meters to meters reads as nonsense). */
  distinct: string[];
}

const sayPlain = (value: JsonValue): string => (Array.isArray(value) ? value.map((v) => String(v)).join(', ') : String(value));

/** A number in [min, max] with `decimals` digits after the point (0 = an integer). */
export function num(description: string, min: number, max: number, decimals = 0): DemoParam {
  const scale = 10 ** decimals;
  return {
    schema: { type: decimals === 0 ? 'integer' : 'number', description, minimum: min, maximum: max },
    sample: (r) => randomInt(Math.ceil(min * scale), Math.floor(max * scale), r) / scale,
    say: sayPlain,
  };
}

/** A free-text string, sampled from realistic examples. */
export function text(description: string, examples: readonly string[], say: (v: string) => string = (v) => v): DemoParam {
  return { schema: { type: 'string', description, minLength: 1 }, sample: (r) => pick(examples, r), say: (v) => say(String(v)) };
}

/** One of a fixed set of strings; `words` says a value in a query when its code reads badly (`km` -> `kilometers`). */
export function choice(description: string, values: readonly string[], words: Readonly<Record<string, string>> = {}): DemoParam {
  return {
    // The words a request says the codes with, so the decoder can match "hectares" to `ha` (copy-values.ts).
    schema: { type: 'string', description, enum: [...values], enumNames: values.map((v) => words[v] ?? v) },
    sample: (r) => pick(values, r),
    say: (v) => words[String(v)] ?? String(v),
  };
}

/** A boolean, said as one of two phrases. */
export function flag(description: string, whenTrue: string, whenFalse: string): DemoParam {
  return { schema: { type: 'boolean', description }, sample: (r) => r() < 0.5, say: (v) => (v === true ? whenTrue : whenFalse) };
}

/** A list of numbers of length in [minItems, maxItems]. */
export function numbers(description: string, minItems: number, maxItems: number, min: number, max: number, decimals = 0): DemoParam {
  const item = num('', min, max, decimals);
  return {
    schema: { type: 'array', description, items: { type: decimals === 0 ? 'integer' : 'number' }, minItems, maxItems },
    sample: (r) => Array.from({ length: randomInt(minItems, maxItems, r) }, () => item.sample(r)),
    say: sayPlain,
  };
}

/** A list of strings drawn from `pool` (no repeats). */
export function words(description: string, pool: readonly string[], minItems: number, maxItems: number): DemoParam {
  return {
    schema: { type: 'array', description, items: { type: 'string' }, minItems, maxItems },
    sample: (r) => {
      const left = [...pool];
      return Array.from({ length: randomInt(minItems, Math.min(maxItems, pool.length), r) }, () => left.splice(Math.floor(r() * left.length), 1)[0]!);
    },
    say: sayPlain,
  };
}

/** A calendar date `YYYY-MM-DD` between the given years. */
export function date(description: string, fromYear = 1970, toYear = 2035): DemoParam {
  return {
    schema: { type: 'string', description, format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
    sample: (r) => {
      const year = randomInt(fromYear, toYear, r);
      const month = randomInt(1, 12, r);
      const day = randomInt(1, daysInMonth(year, month), r);
      return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    },
    say: sayPlain,
  };
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export interface ToolSpec {
  name: string;
  description: string;
  params: Record<string, DemoParam>;
  /** Parameters a call must give; default all. */
  required?: string[];
  run: Implementation;
  templates: string[];
  distinct?: string[];
}

/** Builds the demo tools of one domain. */
export function domain(category: string, specs: readonly ToolSpec[]): DemoTool[] {
  return specs.map((spec) => {
    const properties: Record<string, JsonSchema> = {};
    for (const [name, param] of Object.entries(spec.params)) properties[name] = param.schema;
    const parameters: ObjectSchema = {
      type: 'object',
      properties,
      required: spec.required ?? Object.keys(spec.params),
      additionalProperties: false,
    };
    return {
      tool: { id: spec.name, name: spec.name, description: spec.description, parameters, category },
      run: spec.run,
      templates: spec.templates,
      params: spec.params,
      distinct: spec.distinct ?? [],
    };
  });
}

/** Argument accessors for implementations; the arguments were validated against the schema before the call. */
export const n = (args: Args, key: string): number => args[key] as number;
export const s = (args: Args, key: string): string => args[key] as string;
export const list = (args: Args, key: string): number[] => args[key] as number[];
export const strings = (args: Args, key: string): string[] => args[key] as string[];
/** Rounds away float noise (0.1 + 0.2) so results read as a person would write them. */
export const round = (x: number, digits = 6): number => {
  const scale = 10 ** digits;
  return Math.round(x * scale) / scale;
};
