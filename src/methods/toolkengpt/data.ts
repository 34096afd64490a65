/**
 * ToolkenGPT's data (the authors' release in ../shared/datasets/toolkengpt-data, GSM8K train for GSM8K-XL) parsed
 * into tokenizer-free values: training texts carry the character offsets of every tool result, so that token
 * spans can be recomputed for whatever tokenizer the model has (spans.ts); test sets carry the gold answer and
 * the gold calls.
 */
import { join } from 'node:path';
import { DataFileError, readJson, readJsonLines } from '../../data/loaders/files.js';
import { FUNCQA_OPERATIONS, parseFuncqaArguments } from '../../tools/executors/funcqa.js';
import type { JsonValue } from '../../tools/types.js';

/** Where a tool's result sits in a training text: characters [start, end) are the result, `tool` produced it. */
export interface ToolSpan {
  readonly start: number;
  readonly end: number;
  readonly tool: string;
}

/** A training text with its tool results located by character offsets. */
export interface ToolText {
  readonly text: string;
  readonly spans: readonly ToolSpan[];
}

/** A call of the gold solution: the tool, its operands and the text of its result. */
export interface GoldCall {
  readonly tool: string;
  /** The operands as numbers (what a model's arguments are compared with). */
  readonly args: readonly number[];
  readonly result: string;
}

/** A math question (FuncQA one-hop / multi-hop, GSM8K-XL) with its numeric answer and gold calls. */
export interface MathQuestion {
  readonly id: string;
  readonly question: string;
  readonly answer: number;
  readonly calls: readonly GoldCall[];
}

/** A KAMEL question: the relation (tool) that answers it and the accepted object strings. */
export interface KamelQuestion {
  readonly id: string;
  readonly question: string;
  readonly tool: string;
  readonly answers: readonly string[];
}

/** The FuncQA tools as ToolkenGPT names them (`<add>`, ...), in the release's func_dict order. */
export const FUNCQA_TOOLS: readonly string[] = FUNCQA_OPERATIONS.map((op) => `<${op}>`);
/** GSM8K-XL's four tools. */
export const GSM8K_XL_TOOLS: readonly string[] = ['<add>', '<subtract>', '<multiply>', '<divide>'];

/** The operation name inside a FuncQA / GSM8K-XL tool token (`<add>` -> `add`). */
export function operationOf(tool: string): string {
  return tool.replace(/^<|>$/g, '');
}

function fail(where: string, problem: string): never {
  throw new DataFileError(`${where}: ${problem}`);
}

function field(value: JsonValue, key: string, where: string): JsonValue {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(where, 'expected an object');
  const v = (value as Record<string, JsonValue>)[key];
  if (v === undefined) fail(where, `missing field "${key}"`);
  return v;
}

function stringField(value: JsonValue, key: string, where: string): string {
  const v = field(value, key, where);
  if (typeof v !== 'string') fail(where, `field "${key}" must be a string`);
  return v;
}

function numberOf(v: JsonValue, where: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isFinite(n)) fail(where, `expected a number, got ${JSON.stringify(v)}`);
  return n;
}

function arrayField(value: JsonValue, key: string, where: string): JsonValue[] {
  const v = field(value, key, where);
  if (!Array.isArray(v)) fail(where, `field "${key}" must be an array`);
  return v;
}

function requireTool(tool: string, tools: readonly string[], where: string): string {
  if (!tools.includes(tool)) fail(where, `unknown tool ${JSON.stringify(tool)} (known: ${tools.join(', ')}); fix the data or the tool list`);
  return tool;
}

/** A call written in an answer: `<op>(args)=result<eoe>` (a few of the release's have spaces around `=`). */
const WRITTEN_CALL = /(<[A-Za-z_]\w*>)\(([^()]*)\)\s*=\s*([^<]*?)\s*<eoe>/g;

/**
 * A few of the release's answers end a result with `<eoe>` where no call was written (`211*270=56970<eoe>56970
 * ounces`); the marker and the repeated result go, leaving plain text without a tool span.
 */
function withoutStrayMarkers(segment: string): string {
  return segment.replace(/([^\s<>]+)<eoe>(?=\1)/g, '');
}

/**
 * Turns an answer with written calls (`76+18=<add>(76, 18)=94<eoe>94 cups.`) into the text the model is trained
 * on (`76+18=94 cups.`, the call removed) and the offsets of each result, which the release writes again right
 * after `<eoe>`.
 */
export function stripWrittenCalls(answer: string, tools: readonly string[], where: string, offset = 0): { text: string; spans: ToolSpan[] } {
  let text = '';
  const spans: ToolSpan[] = [];
  let last = 0;
  for (const match of answer.matchAll(WRITTEN_CALL)) {
    const [whole, tool, , result] = match;
    requireTool(tool!, tools, where);
    text += withoutStrayMarkers(answer.slice(last, match.index));
    last = match.index + whole.length;
    if (!answer.startsWith(result!, last) || result === '') fail(where, `the result ${JSON.stringify(result)} of ${tool} is not written again after <eoe>`);
    spans.push({ start: offset + text.length, end: offset + text.length + result!.length, tool: tool! });
  }
  text += withoutStrayMarkers(answer.slice(last));
  if (/<eoe>/.test(text)) fail(where, 'a call could not be read (expected <op>(args)=result<eoe>)');
  return { text, spans };
}

/** One answer of FuncQA's `training_data/<op>.jsonl`, calls written as the release writes them. */
export interface FuncqaRecord {
  readonly tool: string;
  readonly question: string;
  /** `... 76+18=<add>(76, 18)=94<eoe>94 cups.` */
  readonly answer: string;
  /** File and line, for errors. */
  readonly where: string;
}

export function loadFuncqaRecords(funcqaDir: string, tools: readonly string[] = FUNCQA_TOOLS): FuncqaRecord[] {
  const out: FuncqaRecord[] = [];
  for (const tool of tools) {
    const file = join(funcqaDir, 'training_data', `${operationOf(tool)}.jsonl`);
    for (const { value, line } of readJsonLines(file)) {
      const where = `${file}:${line}`;
      out.push({ tool, question: stringField(value, 'question', where), answer: stringField(value, 'answer', where), where });
    }
  }
  return out;
}

/** A record as the head trains on it: `Q: ...\nA: ...`, calls removed, results as spans. */
export function funcqaTrainingText(r: FuncqaRecord, tools: readonly string[] = FUNCQA_TOOLS): ToolText {
  const prefix = `Q: ${r.question}\nA: `;
  const { text, spans } = stripWrittenCalls(r.answer, tools, r.where, prefix.length);
  return { text: prefix + text, spans };
}

/**
 * A record with its calls written out as tool mode writes them (`76+18=<add>(76, 18)=94 cups.`): the `<eoe>`
 * marker and the repeated result go. What a base model learns the call syntax and argument copying from; the head
 * itself trains on funcqaTrainingText's form, calls removed.
 */
export function funcqaTextWithCalls(r: FuncqaRecord, tools: readonly string[] = FUNCQA_TOOLS): string {
  const answer = r.answer.replace(WRITTEN_CALL, (whole, op: string, args: string, result: string, at: number, all: string) => {
    requireTool(op, tools, r.where);
    // The release writes the result again after <eoe>; the written call already ends with it.
    return `${op}(${args})=${all.startsWith(result, at + whole.length) ? '' : result}`;
  });
  return `Q: ${r.question}\nA: ${withoutStrayMarkers(answer).replace(/<eoe>/g, '')}`;
}

/** FuncQA training texts (650, `Q: ...\nA: ...`, calls removed, results as spans). */
export function loadFuncqaTraining(funcqaDir: string, tools: readonly string[] = FUNCQA_TOOLS): ToolText[] {
  return loadFuncqaRecords(funcqaDir, tools).map((r) => funcqaTrainingText(r, tools));
}

/** FuncQA training texts with their calls written out (funcqaTextWithCalls). */
export function loadFuncqaTextsWithCalls(funcqaDir: string, tools: readonly string[] = FUNCQA_TOOLS): string[] {
  return loadFuncqaRecords(funcqaDir, tools).map((r) => funcqaTextWithCalls(r, tools));
}

/** A gold call written as `<op>(args)=result`. */
function goldCall(written: string, tools: readonly string[], where: string): GoldCall {
  // One gold call is written negated (`-<log>(0.00008342)=4.0787`); the sign is not part of the call.
  const match = /^-?(<\w+>)(\(.*\))\s*=\s*(.+)$/.exec(written.trim());
  if (match === null) fail(where, `call ${JSON.stringify(written)} is not <op>(args)=result`);
  let args: number[];
  try {
    args = parseFuncqaArguments(match[2]!);
  } catch (err) {
    fail(where, `the arguments of call ${JSON.stringify(written)} do not parse: ${(err as Error).message}`);
  }
  return { tool: requireTool(match[1]!, tools, where), args, result: match[3]! };
}

/** FuncQA one-hop test (`funcqa_oh.json`: question, answer, func) or multi-hop (`funcqa_mh.json`: calculation[]). */
export function loadFuncqaTest(file: string, tools: readonly string[] = FUNCQA_TOOLS): MathQuestion[] {
  const data = readJson(file);
  if (!Array.isArray(data)) fail(file, 'expected a JSON array of questions');
  return data.map((item, i) => {
    const where = `${file}[${i}]`;
    const func = (item as Record<string, JsonValue>)['func'];
    const written = typeof func === 'string' ? [func] : arrayField(item, 'calculation', where).map((c) => (typeof c === 'string' ? c : fail(where, 'calculation entries must be strings')));
    return {
      id: String(i),
      question: stringField(item, 'question', where),
      answer: numberOf(field(item, 'answer', where), where),
      calls: written.map((c) => goldCall(c, tools, where)),
    };
  });
}

const OPERATOR_TOOLS: Record<string, string> = { '+': '<add>', '-': '<subtract>', '*': '<multiply>', '/': '<divide>' };

/** The one tool an arithmetic expression uses (`16-3-4` -> `<subtract>`), or undefined if it mixes operators. */
export function singleOperatorTool(expression: string): string | undefined {
  const operators = new Set(expression.replace(/\s+/g, '').replace(/^-/, '').replace(/([*/+-])-/g, '$1').match(/[*/+-]/g) ?? []);
  return operators.size === 1 ? OPERATOR_TOOLS[[...operators][0]!] : undefined;
}

/** The numbers of a single-operator expression (`4096-27-64` -> [4096, 27, 64]; a leading sign stays with its number). */
export function operandsOf(expression: string): number[] {
  return (expression.replace(/\s+/g, '').match(/(?:^-|(?<=[*/+-])-)?\d*\.?\d+/g) ?? []).map(Number);
}

/**
 * GSM8K-XL test (JSON lines): the question template with the enlarged values `enhanced_v` in place of `{v_i}`;
 * (or its own `v` where the values are words); the answer is `enhanced_result`; the gold calls are `enhanced_process` (`4096-27-64 = 4005.0`), each credited
 * to its operator's tool (mixed-operator steps have none and count only by result).
 */
export function loadGsm8kXlTest(file: string): MathQuestion[] {
  return readJsonLines(file).map(({ value, line }) => {
    const where = `${file}:${line}`;
    // Values are numbers or, for fractions, their text ("27/64"); both are written into the question as they are.
    // A question whose values are words ("electric", "gas") has no enlarged values; it keeps its own `v`.
    const enhanced = arrayField(value, 'enhanced_v', where);
    const values = (enhanced.length > 0 ? enhanced : arrayField(value, 'v', where)).map((v) => (typeof v === 'string' ? v : String(numberOf(v, where))));
    const question = stringField(value, 'question', where).replace(/\{v_(\d+)\}/g, (whole, k: string) => {
      const v = values[Number(k) - 1];
      return v === undefined ? fail(where, `question uses ${whole} but enhanced_v has ${values.length} values`) : v;
    });
    const calls = arrayField(value, 'enhanced_process', where).map((step) => {
      const [expression, result] = typeof step === 'string' ? step.split('=') : [];
      if (expression === undefined || result === undefined) fail(where, `process step ${JSON.stringify(step)} is not "expression = result"`);
      const tool = singleOperatorTool(expression) ?? '';
      return { tool, args: tool === '' ? [] : operandsOf(expression), result: String(Number(result.trim())) };
    });
    return { id: String(line), question, answer: numberOf(field(value, 'enhanced_result', where), where), calls };
  });
}

/** A GSM8K calculator annotation: `<<48/2=24>>`. */
const ANNOTATION = /<<([^<>=]*)=([^<>]*)>>/g;

/**
 * GSM8K-XL training texts derived from GSM8K train's calculator annotations, as the ToolkenGPT authors derived
 * theirs (their file is not released): in `48/2 = <<48/2=24>>24`, an expression with a single kind of operator
 * becomes a call of that operator's tool whose result is the `24` written right after the annotation; the
 * annotation itself is removed. Annotations that mix operators (`<<2*3+1=7>>`) are removed without a call, the
 * result stays plain text. Answers are joined onto one line (as in the GSM8K-XL templates), prefixed
 * `Question: ...\nAnswer: `.
 */
export function deriveGsm8kXlTraining(gsm8kTrainFile: string): ToolText[] {
  return readJsonLines(gsm8kTrainFile).map(({ value, line }) => {
    const where = `${gsm8kTrainFile}:${line}`;
    const prefix = `Question: ${stringField(value, 'question', where)}\nAnswer: `;
    const answer = stringField(value, 'answer', where).replace(/\n/g, ' ');
    let text = prefix;
    const spans: ToolSpan[] = [];
    let last = 0;
    for (const match of answer.matchAll(ANNOTATION)) {
      text += answer.slice(last, match.index);
      last = match.index + match[0].length;
      const tool = singleOperatorTool(match[1]!);
      const result = match[2]!.trim();
      if (tool !== undefined && result !== '' && answer.startsWith(result, last)) spans.push({ start: text.length, end: text.length + result.length, tool });
    }
    return { text: text + answer.slice(last), spans };
  });
}

/**
 * GSM8K train solutions with their single-operator calculator annotations written as calls, in the GSM8K-XL
 * templates' format (`48/2 = <<48/2=24>>24` -> `48/2 = <divide>(48, 2)=24`); mixed-operator annotations are
 * removed and their result stays plain text. Prefixed and joined onto one line as deriveGsm8kXlTraining's texts.
 */
export function gsm8kTextsWithCalls(gsm8kTrainFile: string): string[] {
  return readJsonLines(gsm8kTrainFile).map(({ value, line }) => {
    const where = `${gsm8kTrainFile}:${line}`;
    const answer = stringField(value, 'answer', where).replace(/\n/g, ' ');
    const written = answer.replace(/<<([^<>=]*)=([^<>]*)>>/g, (whole, expression: string, result: string, at: number, all: string) => {
      const tool = singleOperatorTool(expression);
      const output = result.trim();
      if (tool === undefined || output === '' || !all.startsWith(output, at + whole.length)) return '';
      return `${tool}(${operandsOf(expression).join(', ')})=`;
    });
    return `Question: ${stringField(value, 'question', where)}\nAnswer: ${written}`;
  });
}

/** KAMEL's relations in the release's order (func_dict.json), each with its one-line documentation. */
export interface KamelRelations {
  readonly tools: readonly string[];
  readonly docs: ReadonlyMap<string, string>;
}

export function loadKamelRelations(kamelDir: string): KamelRelations {
  const file = join(kamelDir, 'func_dict.json');
  const order = readJson(file);
  if (order === null || typeof order !== 'object' || Array.isArray(order)) fail(file, 'expected an object of relation ids');
  const tools = Object.entries(order).sort((a, b) => numberOf(a[1], file) - numberOf(b[1], file)).map(([id]) => id);
  const descFile = join(kamelDir, 'api_desc.json');
  const desc = readJson(descFile);
  if (desc === null || typeof desc !== 'object' || Array.isArray(desc)) fail(descFile, 'expected an object of descriptions');
  const docs = new Map(tools.map((t) => [t, typeof desc[t] === 'string' ? (desc[t] as string) : fail(descFile, `no description for relation ${t}`)]));
  return { tools, docs };
}

/**
 * KAMEL training texts (`train_clean.json`) for the given relations: each names its relation (`api`) and one call
 * `<f>P5353("FGH Elementary School")="District 1011"</f>`; the result's span is its last occurrence in the text.
 * Returns the texts and how many were skipped because the result is not in the text.
 */
export function loadKamelTraining(kamelDir: string, tools: readonly string[]): { texts: ToolText[]; skipped: number } {
  const file = join(kamelDir, 'train_clean.json');
  const data = readJson(file);
  if (!Array.isArray(data)) fail(file, 'expected a JSON array');
  const wanted = new Set(tools);
  const allRelations = loadKamelRelations(kamelDir).tools;
  const texts: ToolText[] = [];
  let skipped = 0;
  data.forEach((item, i) => {
    const where = `${file}[${i}]`;
    const tool = requireTool(stringField(item, 'api', where), allRelations, where);
    if (!wanted.has(tool)) return;
    const text = stringField(item, 'text', where);
    const call = arrayField(item, 'call', where)[0];
    const match = typeof call === 'string' ? /="(.*)"<\/f>$/.exec(call) : null;
    if (match === null) fail(where, `call ${JSON.stringify(call)} is not <f>relation("subject")="object"</f>`);
    const start = text.lastIndexOf(match[1]!);
    if (start === -1 || match[1] === '') {
      skipped++;
      return;
    }
    texts.push({ text, spans: [{ start, end: start + match[1]!.length, tool }] });
  });
  return { texts, skipped };
}

/** A KAMEL test file (`test_first_<N>.json`): question, answer (one object or a list) with alternatives, api. */
export function loadKamelTest(file: string, tools: readonly string[]): KamelQuestion[] {
  const data = readJson(file);
  if (!Array.isArray(data)) fail(file, 'expected a JSON array');
  return data.map((item, i) => {
    const where = `${file}[${i}]`;
    const answer = field(item, 'answer', where);
    const answers: string[] = [];
    for (const a of Array.isArray(answer) ? answer : [answer]) {
      for (const key of ['chosen', 'rdf']) {
        const v = (a as Record<string, JsonValue>)[key];
        if (typeof v === 'string') answers.push(v);
      }
      const alternatives = (a as Record<string, JsonValue>)['alternative'];
      if (Array.isArray(alternatives)) for (const v of alternatives) if (typeof v === 'string') answers.push(v);
    }
    return { id: String(i), question: stringField(item, 'question', where), tool: requireTool(stringField(item, 'api', where), tools, where), answers };
  });
}

/** The relation counts KAMEL's test files come in. */
export const KAMEL_RELATION_COUNTS = [10, 20, 30, 60, 100, 234] as const;

/** VirtualHome's toolkens: actions (`[WALK]`) and objects (`<couch>`), in the release's order. */
export function loadVirtualHomeTools(vhDir: string): string[] {
  const file = join(vhDir, 'func_dict.json');
  const order = readJson(file);
  if (order === null || typeof order !== 'object' || Array.isArray(order)) fail(file, 'expected an object of toolkens');
  return Object.entries(order).sort((a, b) => numberOf(a[1], file) - numberOf(b[1], file)).map(([id]) => id);
}

/** A VirtualHome task: the few-shot prompt up to the last `Plan:` line and the gold plan as toolken steps. */
export interface VirtualHomeTask {
  readonly id: string;
  readonly prompt: string;
  /** Each step is an action toolken followed by its object toolkens (`[WALK] <couch>`); `[END]` ends the plan. */
  readonly plan: readonly (readonly string[])[];
  readonly training: ToolText;
}

/**
 * VirtualHome training plans (`legal_train_v4_embedding.json`): a few-shot text whose last task's plan is written
 * in toolkens (`tar_eq`, in order); each toolken's span is its own text in the last plan.
 */
export function loadVirtualHome(vhDir: string, tools: readonly string[]): VirtualHomeTask[] {
  const file = join(vhDir, 'legal_train_v4_embedding.json');
  const data = readJson(file);
  if (!Array.isArray(data)) fail(file, 'expected a JSON array');
  return data.map((item, i) => {
    const where = `${file}[${i}]`;
    const text = stringField(item, 'text', where);
    const planAt = text.lastIndexOf('Plan:\n');
    if (planAt === -1) fail(where, 'no "Plan:" section');
    const spans: ToolSpan[] = [];
    let at = planAt + 'Plan:\n'.length;
    const plan: string[][] = [];
    for (const raw of arrayField(item, 'tar_eq', where)) {
      const tool = requireTool(typeof raw === 'string' ? raw : '', tools, where);
      const start = text.indexOf(tool, at);
      if (start === -1) fail(where, `toolken ${tool} not found in order in the last plan`);
      spans.push({ start, end: start + tool.length, tool });
      at = start + tool.length;
      if (tool.startsWith('[')) plan.push([tool]);
      else if (plan.length > 0) plan[plan.length - 1]!.push(tool);
      else fail(where, `the plan starts with the object ${tool}, not an action`);
    }
    return { id: String(i), prompt: text.slice(0, planAt + 'Plan:\n'.length), plan, training: { text, spans } };
  });
}
