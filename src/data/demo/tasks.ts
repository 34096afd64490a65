/**
 * Multi-step tasks for the demo agent: two or three demo tools in sequence, where each later step takes the
 * previous step's result as one of its arguments ("What is 12 times 7? Then what is the square root of the
 * result?"). The gold plan is run on the real implementations, so every task carries the answer that the plan
 * computes; a chain whose intermediate result does not fit the next tool's schema is not made.
 */
import type { JsonValue } from '../../tools/types.js';
import { validateJson } from '../../tools/validate.js';
import { pick, seededRandom, type Random } from '../../util/random.js';
import type { ToolCall } from '../types.js';
import type { DemoTool } from './define.js';
import { demoImplementations, demoTools } from './catalog.js';
import { fillTemplate, templateSlots } from './queries.js';

export interface DemoTask {
  readonly id: string;
  readonly task: string;
  /** The gold plan: the calls in order; a later call's chained argument holds the earlier result. */
  readonly plan: readonly ToolCall[];
  /** What the last call of the plan returns: the string itself for a string, else its JSON text. */
  readonly answer: string;
  /** The text of the task that each call of the plan does, in order (generated tasks know it: one template each). */
  readonly steps?: readonly string[];
}

export interface DemoTaskOptions {
  readonly seed: number;
  readonly count: number;
  /** Steps per task, drawn from this list (default: 2 and 3). */
  readonly lengths?: readonly number[];
}

const CHAINED_TEXT = 'the result';
const CONNECTIVES = ['Then', 'After that,', 'Next,'];

/** Lower-cases the first letter, so a template reads on after a connective. */
const continuing = (text: string): string => text.charAt(0).toLowerCase() + text.slice(1);

/**
 * `count` distinct tasks. Each step picks a tool and template at random; after the first, the template must
 * name a parameter that the previous result satisfies, and that parameter is said as "the result".
 */
export function generateDemoTasks(options: DemoTaskOptions): DemoTask[] {
  const random = seededRandom(options.seed);
  const tools = demoTools();
  const run = demoImplementations();
  const lengths = options.lengths ?? [2, 3];
  const seen = new Set<string>();
  const tasks: DemoTask[] = [];
  for (let attempt = 0; tasks.length < options.count && attempt < options.count * 200; attempt++) {
    const made = chain(pick(lengths, random), tools, run, random);
    if (made === undefined || seen.has(made.task)) continue;
    seen.add(made.task);
    tasks.push({ id: `demo-task/${tasks.length}`, ...made });
  }
  if (tasks.length < options.count) throw new Error(`demo tasks: made only ${tasks.length} of ${options.count} distinct tasks`);
  return tasks;
}

/** What kind of string a value is, so that a color is never passed on as a sentence. */
function stringKind(value: string): string {
  if (/^#[0-9a-f]{6}$/i.test(value)) return 'color';
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) return 'date';
  return /\s/.test(value) ? 'text' : 'word';
}

/**
 * A result fits a parameter when the schema accepts it and, for strings, it is of the kind the parameter's own
 * values are (free-text schemas accept anything, so the schema alone would pass a color on as a sentence).
 */
function fits(demo: DemoTool, name: string, value: JsonValue, random: Random): boolean {
  const param = demo.params[name]!;
  if (validateJson(param.schema, value).length > 0) return false;
  if (typeof value !== 'string') return true;
  const kind = stringKind(value);
  return Array.from({ length: 8 }, () => param.sample(random)).some((v) => typeof v === 'string' && stringKind(v) === kind);
}

function chain(
  length: number,
  tools: readonly DemoTool[],
  run: ReadonlyMap<string, (args: JsonValue) => JsonValue>,
  random: Random,
): Omit<DemoTask, 'id'> | undefined {
  const plan: ToolCall[] = [];
  const sentences: string[] = [];
  let previous: JsonValue | undefined;
  for (let step = 0; step < length; step++) {
    const demo = pick(tools, random);
    const template = pick(demo.templates, random);
    let given: Record<string, { value: JsonValue; text: string }> = {};
    if (previous !== undefined) {
      const slot = templateSlots(template).find((name) => fits(demo, name, previous!, random));
      if (slot === undefined) return undefined;
      given = { [slot]: { value: previous, text: CHAINED_TEXT } };
    }
    const { text, args } = fillTemplate(demo, template, random, given);
    if (validateJson(demo.tool.parameters, args).length > 0) return undefined;
    let result: JsonValue;
    try {
      result = run.get(demo.tool.id)!(args);
    } catch {
      return undefined;
    }
    plan.push({ tool: demo.tool.id, arguments: args });
    sentences.push(step === 0 ? text : `${pick(CONNECTIVES, random)} ${continuing(text)}`);
    previous = result;
  }
  if (new Set(plan.map((c) => c.tool)).size < plan.length) return undefined;
  return { task: sentences.join(' '), plan, answer: typeof previous === 'string' ? previous : JSON.stringify(previous), steps: sentences };
}

/** A task written by hand: its answer is what running the plan on the demo implementations gives. */
export function demoTask(id: string, task: string, plan: readonly ToolCall[]): DemoTask {
  const run = demoImplementations();
  let result: JsonValue = null;
  for (const call of plan) {
    const implementation = run.get(call.tool);
    if (implementation === undefined) throw new Error(`demo task ${id}: '${call.tool}' is not a demo tool`);
    result = implementation(call.arguments);
  }
  return { id, task, plan, answer: typeof result === 'string' ? result : JSON.stringify(result) };
}
