/**
 * Writes possible answers back as model output in the category's call syntax (Python, Java or JavaScript), so that
 * scoring the ground truth exercises the decoders as well as the checker. Each parameter takes its first acceptable
 * value; a parameter whose first option is `""` (may be omitted) is left out. Dict parameters hold, per key, a list
 * of options too, and take the first of each.
 */
import { BfclEntry, BfclLanguage, FunctionDoc, GroundTruthCall, ParamSchema, checkKindOf, languageOf } from './dataset.js';
import { PyDict, PyScalar, PyTuple, PyValue, isPyDict, isPyList, pyRepr } from '../../tools/calls/values.js';

/** The value a model should give for a possible-answer option: dict options hold lists of per-key options. */
function firstChoice(option: PyValue, schema: ParamSchema | undefined): PyValue {
  if (isPyDict(option) && (schema === undefined || ['dict', 'HashMap', 'object'].includes(schema.type))) {
    const out = new Map<PyScalar, PyValue>();
    for (const [key, keyOptions] of option) {
      const first = isPyList(keyOptions) ? keyOptions[0] : keyOptions;
      if (first === undefined || first === '') continue;
      out.set(key, firstChoice(first, schema?.properties?.[String(key)]));
    }
    return out;
  }
  if (isPyList(option) && schema?.items?.type !== undefined && ['dict', 'HashMap'].includes(schema.items.type)) {
    return option.map((item) => firstChoice(item, schema.items));
  }
  return option;
}

// ---------------------------------------------------------------- Java

const javaString = (s: string): string => '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';

/** A Java literal for a value without a declared type (HashMap values, untyped collection elements). */
function javaLiteral(value: PyValue): string {
  if (typeof value === 'string') return javaString(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return pyRepr(value);
  if (value === null) return 'null';
  if (isPyList(value) || value instanceof PyTuple) {
    const items = isPyList(value) ? value : value.items;
    return `new ArrayList<>(Arrays.asList(${items.map(javaLiteral).join(', ')}))`;
  }
  return javaHashMap(value as PyDict);
}

function javaHashMap(map: PyDict): string {
  const puts = [...map].map(([k, v]) => `put(${javaString(String(k))}, ${javaLiteral(v)}); `).join('');
  return `new HashMap<String, Object>() {{ ${puts}}}`;
}

const JAVA_ELEMENT_CLASS: Readonly<Record<string, string>> = { integer: 'int', long: 'long', float: 'float', double: 'double', boolean: 'boolean', char: 'char', String: 'String' };

function javaValue(value: PyValue, type: string | undefined, elementType?: string): string {
  if (typeof value === 'string') {
    if (type === 'char') return `'${value}'`;
    // The leaderboard keeps a string literal's text raw (escapes included), so text with quotes in it can only
    // come back unchanged when written as the expression itself: `new InetSocketAddress("10.0.0.1", 80)`.
    return value.includes('"') ? value : javaString(value);
  }
  if (typeof value === 'bigint' || typeof value === 'number') {
    if (type === 'long') return `${value}L`;
    if (type === 'float') return `${pyRepr(typeof value === 'bigint' ? Number(value) : value)}f`;
    if (type === 'double') return pyRepr(typeof value === 'bigint' ? Number(value) : value);
    return typeof value === 'bigint' ? value.toString() : pyRepr(value);
  }
  if (isPyList(value)) {
    const items = value.map((v) => javaValue(v, elementType));
    if (type === 'Array') return `new ${JAVA_ELEMENT_CLASS[elementType ?? ''] ?? 'Object'}[]{${items.join(', ')}}`;
    return items.length === 0 ? 'new ArrayList<>()' : `new ArrayList<>(Arrays.asList(${items.join(', ')}))`;
  }
  if (isPyDict(value)) return javaHashMap(value);
  return javaLiteral(value);
}

// ---------------------------------------------------------------- JavaScript

function jsValue(value: PyValue, type: string | undefined): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return type === 'Bigint' ? `${value}n` : value.toString();
  if (typeof value === 'number') return pyRepr(value);
  if (typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (isPyList(value)) return `[${value.map((v) => jsValue(v, undefined)).join(', ')}]`;
  if (value instanceof PyTuple) return `[${value.items.map((v) => jsValue(v, undefined)).join(', ')}]`;
  return `{${[...(value as PyDict)].map(([k, v]) => `${JSON.stringify(String(k))}: ${jsValue(v, undefined)}`).join(', ')}}`;
}

// ---------------------------------------------------------------- calls

function renderCall(call: GroundTruthCall, doc: FunctionDoc | undefined, language: BfclLanguage): string {
  const args: string[] = [];
  for (const [param, options] of call.params) {
    const first = options[0];
    if (first === undefined || first === '') continue;
    const schema = doc?.parameters.properties[param];
    const value = firstChoice(first, schema);
    const text = language === 'python' ? pyRepr(value) : language === 'java' ? javaValue(value, schema?.type, schema?.items?.type) : jsValue(value, schema?.type);
    args.push(`${param}=${text}`);
  }
  return `${call.name}(${args.join(', ')})`;
}

/**
 * The ground truth of an entry as model output. Irrelevance entries have none: they get a plain sentence (no
 * call); relevance entries get a call to their first function with no arguments (some call).
 */
export function renderGroundTruth(entry: BfclEntry): string {
  const kind = checkKindOf(entry.category);
  if (kind === 'irrelevance') return 'None of the given functions can answer this question.';
  if (kind === 'relevance') return `[${entry.functions[0]?.name ?? 'unknown'}()]`;
  const language = languageOf(entry.category);
  const calls = (entry.groundTruth ?? []).map((call) => renderCall(call, entry.functions.find((f) => f.name === call.name), language));
  return `[${calls.join(', ')}]`;
}
