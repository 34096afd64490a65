/**
 * BFCL single-turn data: question files (`id`, `question` chat turns, `function` docs) and possible answers
 * (`ground_truth`: per call, per parameter, the acceptable values; `""` among them means the parameter may be
 * omitted). Both are JSON lines despite the `.json` suffix. v4 names are preferred, v3 names are accepted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJson } from '../../tools/calls/json.js';
import { PyValue, isPyDict, isPyList, pyRepr } from '../../tools/calls/values.js';
import type { CallLanguage } from '../../tools/calls/decode.js';
import { errorWithCode } from '../../util/errors.js';

export const BFCL_CATEGORIES = [
  'simple_python',
  'simple_java',
  'simple_javascript',
  'multiple',
  'parallel',
  'parallel_multiple',
  'irrelevance',
  'live_simple',
  'live_multiple',
  'live_parallel',
  'live_parallel_multiple',
  'live_irrelevance',
  'live_relevance',
] as const;
export type BfclCategory = (typeof BFCL_CATEGORIES)[number];

export type BfclLanguage = CallLanguage;
/** How a category is judged: one call, one call among several functions, several calls, or call / no call. */
export type BfclCheckKind = 'simple' | 'multiple' | 'parallel' | 'irrelevance' | 'relevance';

export const isBfclCategory = (name: string): name is BfclCategory => (BFCL_CATEGORIES as readonly string[]).includes(name);

/** The leaderboard's routing: "java" (not "javascript") means Java, "javascript" JavaScript, anything else Python. */
export function languageOf(category: BfclCategory): BfclLanguage {
  if (category.includes('javascript')) return 'javascript';
  if (category.includes('java')) return 'java';
  return 'python';
}

/** The leaderboard's routing: "parallel" first, then "multiple", otherwise simple; relevance categories by name. */
export function checkKindOf(category: BfclCategory): BfclCheckKind {
  if (category.includes('irrelevance')) return 'irrelevance';
  if (category.includes('relevance')) return 'relevance';
  if (category.includes('parallel')) return 'parallel';
  if (category.includes('multiple')) return 'multiple';
  return 'simple';
}

export interface ParamSchema {
  readonly type: string;
  readonly description?: string;
  readonly items?: ParamSchema;
  readonly properties?: Readonly<Record<string, ParamSchema>>;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
}

export interface FunctionDoc {
  readonly name: string;
  readonly description: string;
  readonly parameters: {
    readonly type: string;
    readonly properties: Readonly<Record<string, ParamSchema>>;
    readonly required: readonly string[];
  };
}

/** One expected call: the function name and, per parameter, the acceptable values. */
export interface GroundTruthCall {
  readonly name: string;
  readonly params: ReadonlyMap<string, readonly PyValue[]>;
}

/** One chat message of a question. */
export interface BfclMessage {
  readonly role: string;
  readonly content: string;
}

export interface BfclEntry {
  readonly id: string;
  readonly category: BfclCategory;
  readonly functions: readonly FunctionDoc[];
  /** The question's turns as in the file (single-turn categories have one); what a runner asks the model. */
  readonly turns?: readonly (readonly BfclMessage[])[];
  /** The function docs exactly as in the file (ints kept apart from floats), for the prompts a runner builds. */
  readonly functionSource?: readonly PyValue[];
  /** Absent for irrelevance and relevance categories, which have rules only. */
  readonly groundTruth?: readonly GroundTruthCall[];
}

/** A data file is missing or malformed; the message names the file, the line and the problem. */
export class BfclDataError extends errorWithCode('BFCL_DATA_INVALID') {}

function fileNames(category: BfclCategory): string[] {
  const v3 = category === 'simple_python' ? 'simple' : category === 'simple_java' ? 'java' : category === 'simple_javascript' ? 'javascript' : category;
  return [`BFCL_v4_${category}.json`, `BFCL_v3_${v3}.json`];
}

function findFile(dir: string, category: BfclCategory): string | undefined {
  return fileNames(category)
    .map((name) => join(dir, name))
    .find((path) => existsSync(path));
}

function jsonLines(path: string): { line: number; text: string }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((text, i) => ({ line: i + 1, text: text.trim() }))
    .filter((l) => l.text.length > 0);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseParam(raw: unknown, where: string): ParamSchema {
  if (!isRecord(raw)) throw new BfclDataError(`${where}: parameter schema must be an object`);
  // The leaderboard treats a parameter without a type as a string.
  const type = typeof raw.type === 'string' ? raw.type : 'string';
  return {
    ...(raw as Omit<ParamSchema, 'type'>),
    type,
    ...(raw.items !== undefined ? { items: parseParam(raw.items, `${where}.items`) } : {}),
  };
}

function parseFunction(raw: unknown, where: string): FunctionDoc {
  if (!isRecord(raw) || typeof raw.name !== 'string') throw new BfclDataError(`${where}: function doc needs a string "name"`);
  const params = raw.parameters;
  if (!isRecord(params) || !isRecord(params.properties)) throw new BfclDataError(`${where} (${raw.name}): "parameters.properties" must be an object`);
  const properties: Record<string, ParamSchema> = {};
  for (const [name, schema] of Object.entries(params.properties)) properties[name] = parseParam(schema, `${where} (${raw.name}.${name})`);
  const required = Array.isArray(params.required) ? params.required.filter((r): r is string => typeof r === 'string') : [];
  return {
    name: raw.name,
    description: typeof raw.description === 'string' ? raw.description : '',
    parameters: { type: typeof params.type === 'string' ? params.type : 'dict', properties, required },
  };
}

function parseGroundTruth(raw: PyValue, where: string): GroundTruthCall[] {
  if (!isPyList(raw)) throw new BfclDataError(`${where}: "ground_truth" must be a list`);
  return raw.map((call, i) => {
    if (!isPyDict(call) || call.size !== 1) throw new BfclDataError(`${where}: ground_truth[${i}] must be {function: {param: [values]}}, got ${pyRepr(call)}`);
    const [name, args] = [...call][0]!;
    if (typeof name !== 'string' || !isPyDict(args)) throw new BfclDataError(`${where}: ground_truth[${i}] must map a function name to its parameters`);
    const params = new Map<string, readonly PyValue[]>();
    for (const [param, options] of args) {
      if (typeof param !== 'string' || !isPyList(options)) {
        throw new BfclDataError(`${where}: ground_truth[${i}].${String(param)} must be a list of acceptable values`);
      }
      params.set(param, options);
    }
    return { name, params };
  });
}

function parseTurns(raw: unknown, where: string): BfclMessage[][] {
  if (!Array.isArray(raw)) throw new BfclDataError(`${where}: "question" must be a list of turns`);
  return raw.map((turn, t) => {
    if (!Array.isArray(turn)) throw new BfclDataError(`${where}: question[${t}] must be a list of messages`);
    return turn.map((m, i) => {
      if (!isRecord(m) || typeof m.role !== 'string' || typeof m.content !== 'string') throw new BfclDataError(`${where}: question[${t}][${i}] must be {"role": ..., "content": ...}`);
      return { role: m.role, content: m.content };
    });
  });
}

/** True when the folder holds the question file of the category. */
export const hasCategory = (dataDir: string, category: BfclCategory): boolean => findFile(dataDir, category) !== undefined;

/**
 * Loads one category: questions, joined by id with their possible answers when the category has them.
 * Throws BfclDataError naming the file and line for anything malformed.
 */
export function loadCategory(dataDir: string, category: BfclCategory): BfclEntry[] {
  const questionPath = findFile(dataDir, category);
  if (questionPath === undefined) throw new BfclDataError(`no ${fileNames(category).join(' or ')} in ${dataDir}`);
  const kind = checkKindOf(category);
  const answers = new Map<string, GroundTruthCall[]>();
  if (kind !== 'irrelevance' && kind !== 'relevance') {
    const answerPath = findFile(join(dataDir, 'possible_answer'), category);
    if (answerPath === undefined) throw new BfclDataError(`no possible answers for ${category} in ${join(dataDir, 'possible_answer')}`);
    for (const { line, text } of jsonLines(answerPath)) {
      const where = `${answerPath}:${line}`;
      let row: PyValue;
      try {
        row = parseJson(text);
      } catch (err) {
        throw new BfclDataError(`${where}: ${(err as Error).message}`);
      }
      const id = isPyDict(row) ? row.get('id') : undefined;
      const truth = isPyDict(row) ? row.get('ground_truth') : undefined;
      if (typeof id !== 'string' || truth === undefined) throw new BfclDataError(`${where}: expected {"id": ..., "ground_truth": [...]}`);
      answers.set(id, parseGroundTruth(truth, where));
    }
  }
  return jsonLines(questionPath).map(({ line, text }) => {
    const where = `${questionPath}:${line}`;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (err) {
      throw new BfclDataError(`${where}: ${(err as Error).message}`);
    }
    if (!isRecord(row) || typeof row.id !== 'string' || !Array.isArray(row.function)) {
      throw new BfclDataError(`${where}: expected {"id": ..., "question": ..., "function": [...]}`);
    }
    const functions = row.function.map((f, i) => parseFunction(f, `${where} function[${i}]`));
    const source = parseJson(text);
    const functionSource = isPyDict(source) && isPyList(source.get('function')) ? (source.get('function') as PyValue[]) : [];
    const common = { id: row.id, category, functions, turns: parseTurns(row.question, where), functionSource };
    if (kind === 'irrelevance' || kind === 'relevance') return common;
    const groundTruth = answers.get(row.id);
    if (groundTruth === undefined) throw new BfclDataError(`${where}: no possible answer for id ${row.id}`);
    return { ...common, groundTruth };
  });
}
