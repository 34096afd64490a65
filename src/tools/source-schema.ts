/**
 * Arguments checked against a tool's source schema (`Tool.sourceParameters`) with ajv, a complete JSON Schema
 * validator, for the keywords toolken's own subset leaves out. Patterns go through the linear-time matcher
 * (regex-dfa.ts), never through JavaScript's backtracking engine. String formats (email, date-time, uri, uuid, ...)
 * are asserted with ajv-formats' definitions, as a caller of a tool whose schema says `format: email` expects;
 * a format it does not define stays an annotation. Compiled validators are cached per schema text.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import { compileMatcher } from './regex-dfa.js';
import type { JsonValue } from './types.js';
import { canonicalJson, type ValidationIssue } from './validate.js';

/** ajv's hook for a regular-expression engine: a function from pattern to an object with `test`, plus its module path. */
const linearRegExp = Object.assign((pattern: string) => compileMatcher(pattern), { code: 'toolken/regex-dfa' });

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, code: { regExp: linearRegExp } });
// ajv-formats is CommonJS: its plugin is `module.exports` and also that object's `default`, which is what its types name.
formatsModule.default(ajv);

/** Whether the call check asserts this string format (ajv-formats defines it); other formats are annotations. */
export function isCheckedFormat(format: string): boolean {
  return ajv.formats[format] !== undefined;
}

const compiled = new Map<string, ValidateFunction | Error>();
const MAX_CACHED = 1000;

function validatorFor(schema: { [key: string]: JsonValue }): ValidateFunction | Error {
  const key = canonicalJson(schema);
  let validate = compiled.get(key);
  if (validate === undefined) {
    try {
      validate = ajv.compile(schema);
    } catch (err) {
      validate = err instanceof Error ? err : new Error(String(err));
    }
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(key, validate);
  }
  return validate;
}

/** Issues of `value` under the source schema (path = JSON pointer, as validateJson gives). */
export function validateSourceSchema(schema: { [key: string]: JsonValue }, value: JsonValue): ValidationIssue[] {
  const validate = validatorFor(schema);
  if (validate instanceof Error) return [{ path: '', message: `the tool's source schema cannot be checked: ${validate.message}` }];
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => ({ path: e.instancePath, message: `${e.message ?? 'is invalid'} (source schema ${e.schemaPath})` }));
}
