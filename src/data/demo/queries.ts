/**
 * Natural queries for the demo catalog: each tool's templates are filled with argument values sampled from its
 * parameter schemas and wrapped in a conversational frame, giving `RetrievalQuery`s whose `calls` hold exactly the
 * arguments the text states. The same seed gives the same queries.
 */
import type { JsonValue } from '../../tools/types.js';
import { pick, seededRandom, type Random } from '../../util/random.js';
import { splitQueries } from '../split.js';
import type { RetrievalQuery } from '../types.js';
import type { DemoTool } from './define.js';
import { demoTools } from './catalog.js';

/** Ways people wrap a request; `{q}` is the filled template. */
const FRAMES = [
  '{q}',
  '{q}',
  'Hi! {q}',
  'Quick question: {q}',
  '{q} Thanks.',
  'Could you help me with this? {q}',
  "I'm working on something. {q}",
  '{q} Please show the result.',
  'Hey! {q}',
  'Need a hand: {q}',
];

const SLOT = /\{([a-z0-9_]+)\}/g;

/** The parameter names a template mentions. */
export function templateSlots(template: string): string[] {
  return [...template.matchAll(SLOT)].map((m) => m[1]!);
}

/** A given argument of a template: its value and the words that stand for it in the text. */
export interface GivenArgument {
  value: JsonValue;
  text: string;
}

/**
 * A template filled with sampled values (those in `given` are fixed, and read as their `text`); returns the text
 * without a conversational frame, and the arguments it states.
 */
export function fillTemplate(demo: DemoTool, template: string, random: Random, given: Readonly<Record<string, GivenArgument>> = {}): { text: string; args: Record<string, JsonValue> } {
  const args: Record<string, JsonValue> = {};
  for (const [name, g] of Object.entries(given)) args[name] = g.value;
  for (const name of templateSlots(template)) {
    const param = demo.params[name];
    if (param === undefined) throw new Error(`demo tool ${demo.tool.id}: template '${template}' names unknown parameter '${name}'`);
    if (name in args) continue;
    const taken = demo.distinct.includes(name) ? demo.distinct.filter((other) => other in args).map((other) => args[other]) : [];
    let value = param.sample(random);
    for (let retry = 0; retry < 50 && taken.includes(value); retry++) value = param.sample(random);
    args[name] = value;
  }
  const text = template.replace(SLOT, (_m, name: string) => given[name]?.text ?? demo.params[name]!.say(args[name]!));
  return { text, args };
}

function fill(demo: DemoTool, template: string, random: Random): { text: string; args: Record<string, JsonValue> } {
  const { text, args } = fillTemplate(demo, template, random);
  return { text: pick(FRAMES, random).replace('{q}', text), args };
}

export interface DemoQueryOptions {
  seed: number;
  /** Queries per tool (default 12). */
  perTool?: number;
}

/** `perTool` distinct queries for every demo tool, cycling through its templates. */
export function generateDemoQueries(options: DemoQueryOptions): RetrievalQuery[] {
  const perTool = options.perTool ?? 12;
  const random = seededRandom(options.seed);
  const seen = new Set<string>();
  const out: RetrievalQuery[] = [];
  for (const demo of demoTools()) {
    let made = 0;
    for (let attempt = 0; made < perTool && attempt < perTool * 20; attempt++) {
      const { text, args } = fill(demo, demo.templates[attempt % demo.templates.length]!, random);
      const key = text.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        id: `demo/${demo.tool.id}/${made}`,
        query: text,
        relevant: [demo.tool.id],
        domain: demo.tool.category!,
        calls: [{ tool: demo.tool.id, arguments: args }],
      });
      made++;
    }
    if (made < perTool) throw new Error(`demo tool ${demo.tool.id}: only ${made} distinct queries, wanted ${perTool}`);
  }
  return out;
}

export interface DemoQuerySplit {
  train: RetrievalQuery[];
  test: RetrievalQuery[];
}

/** Generated queries split by seed into train and test (a quarter), never sharing a query text. */
export function demoQuerySplit(options: DemoQueryOptions & { testFraction?: number }): DemoQuerySplit {
  const { train, test } = splitQueries(generateDemoQueries(options), { seed: options.seed, validation: 0, test: options.testFraction ?? 0.25 });
  return { train, test };
}
