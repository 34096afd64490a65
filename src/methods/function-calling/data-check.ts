/**
 * Every example passes the BFCL checker before it is trained on: each assistant turn's gold calls are written in
 * Python call syntax (the text a prompting-style model is taught), decoded back, and checked against the offered
 * tools' docs with the calls themselves as the only acceptable answer. A call to a tool not offered, an argument
 * the tool does not declare, a missing required one, a value of the wrong type, or text that does not decode back
 * to the same call fails, with the checker's rule.
 */
import { DataFileError, isObject } from '../../data/loaders/files.js';
import { checkCalls, type CheckFailure } from '../../eval/bfcl/checker.js';
import type { FunctionDoc, GroundTruthCall, ParamSchema } from '../../eval/bfcl/dataset.js';
import type { ChatToolCall, ChatToolSpec } from '../../tokenizer/chat-template.js';
import { DecodeError, decodePythonCalls } from '../../tools/calls/python-syntax.js';
import { isPyList, pyRepr, pyType, type PyScalar, type PyTypeName, type PyValue } from '../../tools/calls/values.js';
import type { JsonSchema, JsonValue } from '../../tools/types.js';
import type { FcExample } from './data.js';
import { paramSchema } from './data.js';

/** JSON Schema type names as the BFCL checker's (the leaderboard's) type names. */
const JSON_TO_BFCL: Readonly<Record<string, string>> = { object: 'dict', number: 'float', integer: 'integer', string: 'string', boolean: 'boolean', array: 'array' };

function schemaType(schema: JsonSchema | undefined): string | undefined {
  const t: unknown = schema?.type;
  if (Array.isArray(t)) return t.find((x): x is string => typeof x === 'string' && x !== 'null');
  return typeof t === 'string' ? t : undefined;
}

function bfclParam(schema: JsonSchema): ParamSchema {
  const type = schemaType(schema);
  return {
    // An untyped parameter takes anything; the leaderboard's 'any'.
    type: type === undefined ? 'any' : (JSON_TO_BFCL[type] ?? type),
    ...(schema.description !== undefined ? { description: schema.description } : {}),
    ...(schema.items !== undefined ? { items: bfclParam(schema.items) } : {}),
    ...(schema.properties !== undefined ? { properties: Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, bfclParam(v)])) } : {}),
  };
}

/** A chat-template tool as the checker's function doc. */
export function functionDoc(spec: ChatToolSpec): FunctionDoc {
  const parameters = spec.function.parameters ?? {};
  const properties = isObject(parameters['properties']) ? (parameters['properties'] as Record<string, JsonSchema>) : {};
  const required = Array.isArray(parameters['required']) ? parameters['required'].filter((r): r is string => typeof r === 'string') : [];
  return {
    name: spec.function.name,
    description: spec.function.description ?? '',
    parameters: { type: 'dict', properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, bfclParam(v)])), required },
  };
}

/** A JSON argument as a Python value, by its schema: integers are ints except where the schema says number. */
function toPy(value: JsonValue, schema: JsonSchema | undefined): PyValue {
  // `float` is BFCL's name for number: the docs of BFCL examples keep BFCL's type names.
  if (typeof value === 'number') return Number.isInteger(value) && !['number', 'float'].includes(schemaType(schema) ?? '') ? BigInt(value) : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => toPy(v, schema?.items));
  const out = new Map<PyScalar, PyValue>();
  for (const [k, v] of Object.entries(value)) out.set(k, toPy(v, schema?.properties?.[k]));
  return out;
}

/** The Python type a value of a checker type name must have; undefined where any value goes. */
const PYTHON_TYPE: Readonly<Record<string, PyTypeName>> = { string: 'str', integer: 'int', float: 'float', boolean: 'bool', array: 'list', dict: 'dict' };

/**
 * The schema type of every gold argument (and of list elements, one level down). The checker alone cannot see a
 * gold value of the wrong type: it reads an answer whose type differs from the schema as a variable name and
 * compares it as is, which against itself always passes.
 */
function typeFailure(doc: FunctionDoc, truth: GroundTruthCall): { valid: false; rule: string; message: string } | undefined {
  for (const [param, [value]] of truth.params) {
    const schema = doc.parameters.properties[param];
    if (schema === undefined || value === undefined) continue;
    const wanted = PYTHON_TYPE[schema.type];
    if (wanted !== undefined && pyType(value) !== wanted) {
      return { valid: false, rule: 'type_error:simple', message: `${doc.name}: parameter '${param}' is ${schema.type}, the gold value ${pyRepr(value)} is ${pyType(value)}` };
    }
    const element = schema.items === undefined ? undefined : PYTHON_TYPE[schema.items.type];
    if (element !== undefined && isPyList(value)) {
      const odd = value.find((item) => pyType(item) !== element);
      if (odd !== undefined) return { valid: false, rule: 'type_error:nested', message: `${doc.name}: parameter '${param}' holds ${schema.items!.type}s, the gold list has ${pyRepr(odd)}` };
    }
  }
  return undefined;
}

function callArguments(call: ChatToolCall): { [key: string]: JsonValue } {
  const args = call.function.arguments;
  if (typeof args !== 'string') return args;
  const parsed = JSON.parse(args) as JsonValue;
  return isObject(parsed) ? parsed : {};
}

/** One assistant turn's calls in Python call syntax, the way BFCL's prompting mode expects: `[f(a=1), g(b='x')]`. */
export function pythonCallText(calls: readonly ChatToolCall[], tools: readonly ChatToolSpec[]): string {
  const rendered = calls.map((call) => {
    const spec = tools.find((t) => t.function.name === call.function.name);
    const args = Object.entries(callArguments(call)).map(([k, v]) => `${k}=${pyRepr(toPy(v, spec === undefined ? undefined : paramSchema(spec, k)))}`);
    return `${call.function.name}(${args.join(', ')})`;
  });
  return `[${rendered.join(', ')}]`;
}

/** Gold calls as the checker's possible answers: each argument's value (typed by its schema) the only acceptable one. */
export function goldTruths(calls: readonly ChatToolCall[], tools: readonly ChatToolSpec[]): GroundTruthCall[] {
  return calls.map((call) => {
    const spec = tools.find((t) => t.function.name === call.function.name);
    const params = new Map<string, readonly PyValue[]>();
    for (const [k, v] of Object.entries(callArguments(call))) params.set(k, [toPy(v, spec === undefined ? undefined : paramSchema(spec, k))]);
    return { name: call.function.name, params };
  });
}

/** Why an example fails, or undefined when every gold call passes the checker. */
export function checkExample(example: FcExample): CheckFailure | { valid: false; rule: string; message: string } | undefined {
  const docs = example.tools.map(functionDoc);
  for (const [i, message] of example.messages.entries()) {
    const calls = message.tool_calls ?? [];
    if (message.role !== 'assistant' || calls.length === 0) continue;
    let text: string;
    let decoded;
    try {
      text = pythonCallText(calls, example.tools);
      decoded = decodePythonCalls(text);
    } catch (err) {
      if (err instanceof DecodeError || err instanceof SyntaxError) return { valid: false, rule: 'ast_decoder:decoder_failed', message: `messages[${i}]: ${err.message}` };
      throw err;
    }
    const truths = goldTruths(calls, example.tools);
    const missing = truths.find((t) => !docs.some((d) => d.name === t.name));
    if (missing !== undefined) return { valid: false, rule: 'ground_truth:undocumented_function', message: `messages[${i}]: calls '${missing.name}', which is not among the example's tools` };
    for (const truth of truths) {
      const failure = typeFailure(docs.find((d) => d.name === truth.name)!, truth);
      if (failure !== undefined) return { ...failure, message: `messages[${i}]: ${failure.message}` };
    }
    const result = checkCalls(calls.length > 1 ? 'parallel' : 'multiple', docs, decoded, truths, { language: 'python' });
    if (!result.valid) return { ...result, message: `messages[${i}]: ${result.message}` };
  }
  return undefined;
}

/** What checking a set of examples found. */
export interface CheckedExamples {
  readonly passed: FcExample[];
  /** One line per failed example: `file:line (id): rule: message`. */
  readonly failures: string[];
}

/**
 * Checks every example; failures are reported with file and line, and skipped (`onFailure: 'skip'`, the default)
 * or rejected (`'reject'`: a DataFileError listing the first of them).
 */
export function checkExamples(examples: readonly FcExample[], onFailure: 'skip' | 'reject' = 'skip'): CheckedExamples {
  const passed: FcExample[] = [];
  const failures: string[] = [];
  for (const example of examples) {
    const failure = checkExample(example);
    if (failure === undefined) passed.push(example);
    else failures.push(`${example.source} (${example.id}): ${failure.rule}: ${failure.message}`);
  }
  if (onFailure === 'reject' && failures.length > 0) {
    throw new DataFileError(`${failures.length} training example(s) fail the BFCL checker:\n  ${failures.slice(0, 10).join('\n  ')}${failures.length > 10 ? `\n  ... and ${failures.length - 10} more` : ''}\nfix them, or drop --reject-invalid to skip them`);
  }
  return { passed, failures };
}
