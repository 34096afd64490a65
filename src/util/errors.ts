/**
 * The one base of every error a user of toolken can meet. `code` is stable across releases, so a program can
 * branch on it (`err instanceof ToolkenError && err.code === 'MODEL_LOAD_FAILED'`) while messages stay free to
 * improve; `name` is the subclass's name, as a stack trace or a log shows it.
 */
export type ToolkenErrorCode =
  | 'BFCL_DATA_INVALID'
  | 'CALL_DECODE_FAILED'
  | 'CATALOG_INVALID'
  | 'CHECKPOINT_INVALID'
  | 'CSV_INVALID'
  | 'DATA_FILE_INVALID'
  | 'FUNCQA_EXPRESSION_INVALID'
  | 'IMPORT_ENTRY_INVALID'
  | 'IMPORT_FAILED'
  | 'INPUT_FILE_INVALID'
  | 'JAVA_TYPE_UNSUPPORTED'
  | 'JSON_SYNTAX'
  | 'MODEL_CONFIG_INVALID'
  | 'MODEL_LOAD_FAILED'
  | 'MODEL_UNRESOLVED'
  | 'OPTIONAL_DEPENDENCY_MISSING'
  | 'PATTERN_UNSUPPORTED'
  | 'PLAYGROUND_BUSY'
  | 'PLAYGROUND_INPUT_INVALID'
  | 'PREDICTIONS_INVALID'
  | 'SCHEMA_INVALID'
  | 'SCHEMA_UNSUPPORTED'
  | 'SERVE_SETUP_FAILED'
  | 'MODEL_WORKER_FAILED'
  | 'PLAYGROUND_WORKER_FAILED'
  | 'TOOLKEN_HEAD_INVALID'
  | 'TOOLKEN_SPAN_INVALID'
  | 'TOOLKEN_TEMPLATE_INVALID'
  | 'TOOL_CALL_FAILED'
  | 'TOOL_DEFINITION_INVALID'
  | 'USAGE'
  | 'WEIGHT_MISMATCH';

export class ToolkenError extends Error {
  constructor(
    readonly code: ToolkenErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The base of an error class whose errors all have `code` and are made from a message alone:
 * `export class CatalogError extends errorWithCode('CATALOG_INVALID') {}`.
 */
export function errorWithCode(code: ToolkenErrorCode): new (message: string) => ToolkenError {
  return class extends ToolkenError {
    constructor(message: string) {
      super(code, message);
    }
  };
}
