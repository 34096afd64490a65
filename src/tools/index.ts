/** Public API of the tool catalog: the tool model, validation, importers, the catalog file, and executors. */
export type {
  CatalogFormat,
  HttpEndpoint,
  JsonSchema,
  JsonSchemaType,
  JsonValue,
  ObjectSchema,
  Tool,
  ToolCallOptions,
  ToolCatalog,
  ToolExecutor,
  ToolFailureKind,
  ToolObservation,
  ToolOrigin,
} from './types.js';
export { canonicalJson, formatIssues, isJsonValue, jsonEqual, jsonTypeOf, validateJson, type ValidationIssue } from './validate.js';
export { emptyParameters, normalizeParameters, normalizeSchema, resolveTypeName, SchemaError } from './schema.js';
export { escapePointer } from './pointer.js';
export { CatalogError, catalogStats, loadCatalog, parseCatalog, parseTool, saveCatalog, toolDocument, type CatalogStats } from './catalog.js';
export {
  detectFormat,
  IMPORT_FORMATS,
  ImportError,
  importFile,
  importToolFiles,
  mergeTools,
  type FileReport,
  type ImportFormat,
  type ImportIssue,
  type ImportOptions,
  type ImportReport,
  type ImportResult,
} from './import/index.js';
export { toolbenchId } from './import/toolbench.js';
export {
  callGuarded,
  DEFAULT_CALL_LIMITS,
  FunctionExecutor,
  RoutingExecutor,
  ToolCallError,
  type CallLimits,
  type ToolHandler,
  type ToolResult,
} from './executors/registry.js';
export {
  createFuncqaExecutor,
  evaluateFuncqa,
  FUNCQA_OPERATIONS,
  FuncqaError,
  funcqaTools,
  normalizeFuncqaResult,
  parseFuncqaArguments,
  pythonRound,
  type FuncqaOperation,
} from './executors/funcqa.js';
export { createHttpExecutor, planHttpRequest, type HttpExecutorOptions, type HttpRequestPlan } from './executors/http.js';
export { connectMcp, OptionalDependencyError, type McpConnection, type McpServerAddress } from './executors/mcp.js';
export { createReplayExecutor, loadRecordings, RecordingExecutor, saveRecordings, type Recording } from './executors/replay.js';
export { createEchoExecutor } from './executors/echo.js';
export { createToolExecutor, defineTool, ToolDefinitionError, type DefinedTool, type JsonSchemaConvertible, type ToolDefinition } from './define.js';
