/**
 * The leaderboard's AST checker, rule for rule (bfcl_eval/eval_checker/ast_eval/ast_checker.py): a decoded answer is
 * compared with the possible answers by function name, required and unexpected parameters, schema types (with the
 * Python, Java and JavaScript type maps), and values after string standardisation. Every failure names the rule
 * (the official `error_type`), the parameter, and what was expected and got.
 */
import type { BfclCheckKind, BfclLanguage, FunctionDoc, GroundTruthCall, ParamSchema } from './dataset.js';
import { JAVA_TYPES, UnsupportedTypeError, convertJava } from './java-types.js';
import { JS_TYPES, convertJs } from './js-types.js';
import type { CallReading, DecodedCall } from '../../tools/calls/python-syntax.js';
import { PyDict, PyTuple, PyTypeName, PyValue, dictGet, dictHas, isPyDict, isPyList, pyIn, pyRepr, pyType } from '../../tools/calls/values.js';

export interface CheckFailure {
  readonly valid: false;
  /** The official checker's error_type, e.g. `simple_function_checker:missing_required`. */
  readonly rule: string;
  readonly message: string;
  readonly param?: string;
  readonly expected?: string;
  readonly got?: string;
}
export type CheckResult = { readonly valid: true } | CheckFailure;

export interface CheckOptions {
  readonly language: BfclLanguage;
  /**
   * Accept `a_b` for a documented `a.b`: the leaderboard's `underscore_to_dot` setting for function-calling models
   * whose APIs forbid dots in tool names.
   */
  readonly underscoreToDot?: boolean;
  /** The leaderboard's verdict on every quirk (`official`, the default) or toolken's reading (`lenient`). */
  readonly reading?: CallReading;
}

const OK: CheckResult = { valid: true };

function fail(rule: string, message: string, detail: Omit<CheckFailure, 'valid' | 'rule' | 'message'> = {}): CheckFailure {
  return { valid: false, rule, message, ...detail };
}

type ConvertedType = PyTypeName | 'set';

/** The leaderboard's PYTHON_TYPE_MAPPING: schema type name to the Python type a value must have. */
const PYTHON_TYPES: Readonly<Record<string, ConvertedType>> = {
  string: 'str',
  integer: 'int',
  float: 'float',
  boolean: 'bool',
  array: 'list',
  tuple: 'list',
  dict: 'dict',
  any: 'str',
};
const PYTHON_NESTED_TYPES = ['array', 'tuple'];
const CONVERTED_NESTED_TYPES = ['Array', 'ArrayList', 'array'];

/**
 * The leaderboard's string standardisation: drop spaces and `,./-_*^`, lower-case, and read single quotes as
 * double quotes, so `April 1, 2024` equals `april 1 2024`.
 */
export const standardizeString = (s: string): string => s.replace(/[ ,./\-_*^]/g, '').toLowerCase().replace(/'/g, '"');

const standardizeIfString = (v: PyValue): PyValue => (typeof v === 'string' ? standardizeString(v) : v);

/** The type of the first possible answer that is not the "may be omitted" marker `""`. */
function possibleAnswerType(options: readonly PyValue[]): PyTypeName | undefined {
  const first = options.find((o) => o !== '');
  return first === undefined ? undefined : pyType(first);
}

type TypeCheck = { readonly valid: true; readonly isVariable: boolean } | CheckFailure;

/**
 * Type check with the leaderboard's "variable" escape: when the possible answers have another type than the schema
 * (a variable name such as "userProfile" for a HashMap), a value of the answers' type is accepted and compared as is.
 * Lists are checked one level deep: every element against the element type, for at least one possible answer.
 */
function typeCheck(param: string, value: PyValue, options: readonly PyValue[], typeName: string, expected: ConvertedType, nested: ConvertedType | undefined): TypeCheck {
  const answerType = possibleAnswerType(options);
  const isVariable = answerType !== undefined && answerType !== expected;
  if (pyType(value) === expected) {
    if (nested === undefined) return { valid: true, isVariable };
    for (const option of options) {
      const fits = !isPyList(option) || (value as readonly PyValue[]).every((item) => typeCheck(param, item, option, nested, nested, undefined).valid);
      if (fits) return { valid: true, isVariable };
    }
    return fail('type_error:nested', `Nested type checking failed for parameter '${param}'. Expected outer type ${typeName} with inner type ${nested}. Parameter value: ${pyRepr(value)}.`, {
      param,
      expected: `${typeName} of ${nested}`,
      got: pyRepr(value),
    });
  }
  if (answerType !== undefined && pyType(value) === answerType) return { valid: true, isVariable: true };
  return fail('type_error:simple', `Incorrect type for parameter '${param}'. Expected type ${typeName}, got ${pyType(value)}. Parameter value: ${pyRepr(value)}.`, {
    param,
    expected: typeName,
    got: `${pyType(value)} ${pyRepr(value)}`,
  });
}

function stringCheck(param: string, value: string, options: readonly PyValue[]): CheckResult {
  const wanted = options.filter((o): o is string => typeof o === 'string').map(standardizeString);
  if (wanted.includes(standardizeString(value))) return OK;
  return fail('value_error:string', `Invalid value for parameter '${param}': ${pyRepr(value)}. Expected one of ${pyRepr(options)}. Case insensitive.`, {
    param,
    expected: pyRepr(options),
    got: pyRepr(value),
  });
}

/** Python iterates a string option character by character; the leaderboard's list check inherits that. */
function optionAsList(option: PyValue): readonly PyValue[] | undefined {
  if (isPyList(option)) return option;
  if (typeof option === 'string') return [...option];
  return undefined;
}

function listCheck(param: string, value: readonly PyValue[], options: readonly PyValue[]): CheckResult {
  const got = value.map(standardizeIfString);
  const wanted = options.map(optionAsList).filter((o): o is readonly PyValue[] => o !== undefined).map((o) => o.map(standardizeIfString));
  if (pyIn(got, wanted)) return OK;
  return fail('value_error:list/tuple', `Invalid value for parameter '${param}': ${pyRepr(value)}. Expected one of ${pyRepr(options)}.`, {
    param,
    expected: pyRepr(options),
    got: pyRepr(value),
  });
}

/** One level deep: every key of the value must be allowed and its value among the key's options. */
function dictCheck(param: string, value: PyDict, options: readonly PyValue[]): CheckResult {
  let result: CheckResult = fail('dict_checker:unclear', `No possible answer for parameter '${param}' is a dict.`, { param, got: pyRepr(value) });
  for (const option of options) {
    if (!isPyDict(option)) continue;
    let matches = true;
    for (const [key, item] of value) {
      if (!dictHas(option, key)) {
        result = fail('value_error:dict_key', `Unexpected dict key parameter: ${pyRepr(key)}.`, { param: `${param}.${String(key)}`, expected: pyRepr([...option.keys()]), got: pyRepr(key) });
        matches = false;
        break;
      }
      const raw = dictGet(option, key)!;
      const keyOptions = isPyList(raw) ? raw.map(standardizeIfString) : [standardizeIfString(raw)];
      if (!pyIn(standardizeIfString(item), keyOptions)) {
        result = fail('value_error:dict_value', `Invalid value for parameter ${pyRepr(key)}: ${pyRepr(item)}. Expected one of ${pyRepr(keyOptions)}.`, {
          param: `${param}.${String(key)}`,
          expected: pyRepr(keyOptions),
          got: pyRepr(item),
        });
        matches = false;
        break;
      }
    }
    for (const [key, keyOptions] of option) {
      const optional = isPyList(keyOptions) && keyOptions.includes('');
      if (!dictHas(value, key) && !optional) {
        result = fail('value_error:dict_key', `Missing dict key parameter: ${pyRepr(key)}.`, { param: `${param}.${String(key)}`, expected: pyRepr(key), got: 'absent' });
        matches = false;
        break;
      }
    }
    if (matches) return OK;
  }
  return result;
}

/** A list of dicts matches a possible answer with as many dicts, each matching in order. */
function listDictCheck(param: string, value: readonly PyValue[], options: readonly PyValue[]): CheckResult {
  let result: CheckResult = fail('list_dict_checker:unclear', `No possible answer for parameter '${param}' is a list of dicts.`, { param, got: pyRepr(value) });
  for (const option of options) {
    const dicts = optionAsList(option);
    if (dicts === undefined || dicts.length !== value.length) {
      result = fail('value_error:list_dict_count', 'Wrong number of dictionaries in the list.', { param, expected: pyRepr(option), got: pyRepr(value) });
      continue;
    }
    let matches = true;
    for (let i = 0; i < value.length; i++) {
      const item = value[i]!;
      result = isPyDict(item) ? dictCheck(param, item, [dicts[i]!]) : fail('type_error:nested', `Element ${i} of parameter '${param}' is not a dict.`, { param, got: pyRepr(item) });
      if (!result.valid) {
        matches = false;
        break;
      }
    }
    if (matches) return OK;
  }
  return result;
}

/** Converts a Java/JavaScript source-text value by its schema type; Python values pass through. */
function converted(language: BfclLanguage, reading: CallReading, param: string, value: PyValue, schema: ParamSchema): { value: PyValue; expected: ConvertedType; nested?: ConvertedType } | CheckFailure {
  const type = schema.type;
  const nestedType = CONVERTED_NESTED_TYPES.includes(type) || (language === 'python' && PYTHON_NESTED_TYPES.includes(type)) ? schema.items?.type : undefined;
  if (language === 'python') {
    const expected = PYTHON_TYPES[type];
    if (expected === undefined) return fail('type_error:unknown_schema_type', `Schema type '${type}' of parameter '${param}' has no Python type in the leaderboard's map.`, { param, expected: type });
    const nested = nestedType === undefined ? undefined : PYTHON_TYPES[nestedType];
    return { value, expected, ...(nested !== undefined ? { nested } : {}) };
  }
  const table = language === 'java' ? JAVA_TYPES : JS_TYPES;
  const rule = language === 'java' ? 'type_error:java' : 'type_error:js';
  const expected = table[type];
  if (expected === undefined) return fail(rule, `Schema type '${type}' of parameter '${param}' is not a ${language} type the leaderboard knows.`, { param, expected: type });
  if (typeof value !== 'string') {
    return fail(rule, `Incorrect type for parameter '${param}'. Expected type String, got ${pyType(value)}. Parameter value: ${pyRepr(value)}.`, { param, expected: 'String', got: pyType(value) });
  }
  const nested = nestedType === undefined ? undefined : table[nestedType];
  try {
    const out = language === 'java' ? convertJava(value, type, nestedType, reading) : convertJs(value, type, nestedType);
    if (out === undefined) return fail(rule, `Schema type '${type}' of parameter '${param}' has no JavaScript conversion.`, { param, expected: type });
    return { value: out, expected, ...(nested !== undefined ? { nested } : {}) };
  } catch (err) {
    if (err instanceof UnsupportedTypeError) return fail(rule, `${err.message} (parameter '${param}').`, { param, expected: type });
    throw err;
  }
}

/** One call against one expected call and its function doc (the official `simple_function_checker`). */
export function checkCall(doc: FunctionDoc, call: DecodedCall, truth: GroundTruthCall, options: CheckOptions): CheckResult {
  const expectedName = options.underscoreToDot && doc.name.includes('.') ? doc.name.replace(/\./g, '_') : doc.name;
  if (call.name !== expectedName) {
    return fail('simple_function_checker:wrong_func_name', `Function name '${expectedName}' not found in model output.`, { expected: expectedName, got: call.name });
  }
  const properties = doc.parameters.properties;
  for (const param of doc.parameters.required) {
    if (!call.args.has(param)) return fail('simple_function_checker:missing_required', `Missing required parameter: '${param}'.`, { param, got: 'absent' });
  }
  for (const [param, raw] of call.args) {
    const schema = Object.hasOwn(properties, param) ? properties[param] : undefined;
    const answers = truth.params.get(param);
    if (schema === undefined || answers === undefined) {
      return fail('simple_function_checker:unexpected_param', `Unexpected parameter: '${param}'.`, { param, expected: pyRepr([...truth.params.keys()]), got: param });
    }
    const conv = converted(options.language, options.reading ?? 'official', param, raw, schema);
    if ('valid' in conv) return conv;
    let value = conv.value;
    // Tuples arrive as lists from JSON answers, so a tuple value is compared as a list.
    if (schema.type === 'tuple' && value instanceof PyTuple) value = value.items;
    // Python would accept an int where a float is expected.
    if (options.language === 'python' && schema.type === 'float' && typeof value === 'bigint') value = Number(value);
    const typed = typeCheck(param, value, answers, schema.type, conv.expected, conv.nested);
    if (!typed.valid) return typed;
    if (!typed.isVariable) {
      let special: CheckResult | undefined;
      if (conv.expected === 'dict' && isPyDict(value)) special = dictCheck(param, value, answers);
      else if (conv.expected === 'list' && conv.nested === 'dict' && isPyList(value)) special = listDictCheck(param, value, answers);
      else if (conv.expected === 'str' && typeof value === 'string') special = stringCheck(param, value, answers);
      else if (conv.expected === 'list' && isPyList(value)) special = listCheck(param, value, answers);
      if (special !== undefined) {
        if (!special.valid) return special;
        continue;
      }
    }
    if (!pyIn(value, answers)) {
      return fail('value_error:others', `Invalid value for parameter '${param}': ${pyRepr(value)}. Expected one of ${pyRepr(answers)}.`, {
        param,
        expected: pyRepr(answers),
        got: pyRepr(value),
      });
    }
  }
  for (const [param, answers] of truth.params) {
    if (!call.args.has(param) && !answers.includes('')) {
      return fail('simple_function_checker:missing_optional', `Optional parameter '${param}' not provided and not marked as optional.`, { param, expected: pyRepr(answers), got: 'absent' });
    }
  }
  return OK;
}

function docFor(functions: readonly FunctionDoc[], name: string): FunctionDoc | CheckFailure {
  return functions.find((f) => f.name === name) ?? fail('ground_truth:undocumented_function', `The possible answer calls '${name}', which has no function doc.`, { expected: name });
}

/** Parallel categories: as many calls as expected, each expected call matched by a distinct call in any order. */
function checkParallel(functions: readonly FunctionDoc[], calls: readonly DecodedCall[], truths: readonly GroundTruthCall[], options: CheckOptions): CheckResult {
  if (calls.length !== truths.length) {
    return fail('parallel_function_checker_no_order:wrong_count', 'Wrong number of functions.', { expected: String(truths.length), got: String(calls.length) });
  }
  const matched = new Set<number>();
  for (let i = 0; i < truths.length; i++) {
    const truth = truths[i]!;
    const doc = docFor(functions, truth.name);
    if ('valid' in doc) return doc;
    const misses: string[] = [];
    let found = false;
    // Greedy, like the leaderboard: the first unmatched call that passes is taken.
    for (let j = 0; j < calls.length && !found; j++) {
      if (matched.has(j)) continue;
      const result = checkCall(doc, calls[j]!, truth, options);
      if (result.valid) {
        matched.add(j);
        found = true;
      } else misses.push(`call ${j}: ${result.message}`);
    }
    if (!found) {
      const open = calls.map((_, j) => j).filter((j) => !matched.has(j));
      return fail('parallel_function_checker_no_order:cannot_find_match', `Could not find a matching function among index [${open.join(', ')}] of model output for index ${i} of possible answers (${truth.name}). ${misses.join(' ')}`, {
        expected: truth.name,
        got: calls.map((c) => c.name).join(', '),
      });
    }
  }
  return OK;
}

/**
 * Checks decoded calls against an entry's possible answers by category kind (simple, multiple, parallel); the
 * official `ast_checker`.
 */
export function checkCalls(kind: Exclude<BfclCheckKind, 'irrelevance' | 'relevance'>, functions: readonly FunctionDoc[], calls: readonly DecodedCall[], truths: readonly GroundTruthCall[], options: CheckOptions): CheckResult {
  if (kind === 'parallel') return checkParallel(functions, calls, truths, options);
  if (kind === 'multiple') {
    if (calls.length !== truths.length) return fail('multiple_function_checker:wrong_count', 'Wrong number of functions.', { expected: String(truths.length), got: String(calls.length) });
    const doc = docFor(functions, truths[0]!.name);
    if ('valid' in doc) return doc;
    return checkCall(doc, calls[0]!, truths[0]!, options);
  }
  if (calls.length !== 1) return fail('simple_function_checker:wrong_count', 'Wrong number of functions.', { expected: '1', got: String(calls.length) });
  const doc = functions[0];
  if (doc === undefined) return fail('ground_truth:undocumented_function', 'The entry has no function doc.');
  return checkCall(doc, calls[0]!, truths[0]!, options);
}
