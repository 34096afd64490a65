/** The one typed model of a tool that every importer produces and every other part of toolken consumes. */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type JsonSchemaType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

/** The subset of JSON Schema (draft 2020-12 vocabulary) that tool parameters use. */
export interface JsonSchema {
  type?: JsonSchemaType | JsonSchemaType[];
  /** A short name of the value, as the source wrote it (an annotation: nothing is checked against it). */
  title?: string;
  description?: string;
  enum?: JsonValue[];
  /**
   * The words for each `enum` value, in order (`enum: ["ha"]`, `enumNames: ["hectares"]`), as MCP's elicitation
   * schemas and react-jsonschema-form write them: what a request says where the call needs the code.
   */
  enumNames?: string[];
  const?: JsonValue;
  default?: JsonValue;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  uniqueItems?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/** Parameters are always an object schema (possibly with no properties). */
export interface ObjectSchema extends JsonSchema {
  type: 'object';
  properties: Record<string, JsonSchema>;
  required: string[];
}

/** Where a tool came from, so that a bad entry can be reported by file and JSON pointer / line. */
export interface ToolOrigin {
  format: CatalogFormat;
  file: string;
  /** JSON pointer (e.g. `/tools/3`) or `line 12` for JSON-lines files. */
  location: string;
}

export type CatalogFormat =
  | 'toolbench'
  | 'openai'
  | 'bfcl'
  | 'seal-tools'
  | 'metatool'
  | 'beir'
  | 'mcp'
  | 'openapi'
  | 'toolalpaca'
  | 'toolken';

/** How to call a tool over HTTP (OpenAPI / ToolBench / RapidAPI style). */
export interface HttpEndpoint {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  /** Absolute URL template; `{name}` segments are filled from path parameters. */
  url: string;
  /** Where each parameter goes; parameters not listed go to the query (GET/DELETE) or the JSON body. */
  parameterLocations?: Record<string, 'path' | 'query' | 'header' | 'body'>;
  headers?: Record<string, string>;
  /** The API is on a loopback, link-local or private address and may be called there (refused otherwise). */
  allowPrivateNetwork?: boolean;
}

export interface Tool {
  /** Stable unique id, derived from the source (e.g. `weather&&get_forecast` for a ToolBench API). */
  id: string;
  /** The name a model calls it by (function / API name). */
  name: string;
  description: string;
  parameters: ObjectSchema;
  returns?: JsonSchema;
  /** Domain / category, used for in-domain retrieval and per-domain constraints. */
  category?: string;
  /** ToolBench groups several APIs under one tool; `group` names that tool. */
  group?: { name: string; description?: string };
  endpoint?: HttpEndpoint;
  origin?: ToolOrigin;
  /**
   * The parameter schema exactly as the source wrote it (`$ref`s resolved), kept when it uses keywords `parameters`
   * leaves out; every call is checked against it as well (ajv), so nothing the source schema forbids reaches the tool.
   */
  sourceParameters?: { [key: string]: JsonValue };
}

export interface ToolCatalog {
  version: 1;
  tools: Tool[];
}

/** Why a tool call failed; lets a caller count failures by cause without parsing messages. */
export type ToolFailureKind = 'invalid-arguments' | 'unknown-tool' | 'timeout' | 'too-large' | 'failed';

/**
 * What a tool call gives back to the model. A failure is a value, not an exception: its `error` is written for the
 * model to read and recover from, so one bad tool never ends a run.
 */
export type ToolObservation =
  | { ok: true; content: string; value?: JsonValue }
  | { ok: false; error: string; kind: ToolFailureKind };

export interface ToolCallOptions {
  signal?: AbortSignal;
}

/** Anything that can run tools by id: built-in functions, HTTP APIs, MCP servers, recorded responses. */
export interface ToolExecutor {
  call(toolId: string, args: JsonValue, opts?: ToolCallOptions): Promise<ToolObservation>;
}
