/**
 * Tools defined in code, the way the AI SDK and MCP servers define them: a name, a description, a parameter schema
 * (a zod schema, converted to JSON Schema, or a JSON Schema object) and an async `execute` that may return any
 * JSON value. `defineTool` turns one into a catalog Tool plus its handler; `createToolExecutor` serves several
 * through the same guard as every other executor (validation, timeout, size limit, errors as observations).
 *
 *     const weather = defineTool({
 *       name: 'get_weather',
 *       description: 'Current temperature of a city',
 *       parameters: z.object({ city: z.string() }),
 *       execute: async ({ city }) => ({ city, celsius: 21 }),
 *     });
 *     const executor = createToolExecutor([weather]);
 */
import { FunctionExecutor, type CallLimits, type ToolHandler } from './executors/registry.js';
import { normalizeParameters, SchemaError } from './schema.js';
import type { JsonValue, Tool } from './types.js';
import { isJsonValue } from './validate.js';
import { errorWithCode } from '../util/errors.js';

/** A zod (v4) schema, or anything else that can render itself as JSON Schema. */
export interface JsonSchemaConvertible {
  toJSONSchema(): unknown;
}

export interface ToolDefinition<Args extends { [key: string]: JsonValue } = { [key: string]: JsonValue }> {
  name: string;
  description?: string;
  /** A zod schema (v4: `z.object({...})`) or a JSON Schema object describing the arguments. */
  parameters: JsonSchemaConvertible | { [key: string]: JsonValue };
  execute(args: Args, options: { signal: AbortSignal }): Promise<unknown> | unknown;
}

export interface DefinedTool {
  tool: Tool;
  handler: ToolHandler;
}

/** A tool defined in code whose name or parameter schema cannot be used; the message names the tool. */
export class ToolDefinitionError extends errorWithCode('TOOL_DEFINITION_INVALID') {}

const isConvertible = (value: unknown): value is JsonSchemaConvertible =>
  value !== null && typeof value === 'object' && typeof (value as Partial<JsonSchemaConvertible>).toJSONSchema === 'function';

/** Checks and converts a definition; throws a ToolDefinitionError naming the tool and the problem when the schema is unusable. */
export function defineTool<Args extends { [key: string]: JsonValue }>(definition: ToolDefinition<Args>): DefinedTool {
  const { name } = definition;
  if (typeof name !== 'string' || name.trim() === '') throw new ToolDefinitionError('defineTool: "name" must be a non-empty string');
  const raw = definition.parameters as unknown;
  let schema: unknown;
  if (isConvertible(raw)) schema = raw.toJSONSchema();
  else if (raw !== null && typeof raw === 'object' && '_def' in raw) {
    throw new ToolDefinitionError(`defineTool '${name}': this looks like a zod 3 schema; convert it with zod-to-json-schema, or use zod 4 (schemas there have toJSONSchema())`);
  } else schema = raw;
  if (!isJsonValue(schema) || schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new ToolDefinitionError(`defineTool '${name}': "parameters" must be a zod schema or a JSON Schema object`);
  }
  const dropped: string[] = [];
  let parameters;
  try {
    parameters = normalizeParameters(schema, '', (pointer, _keyword, checkedAtCall) => {
      if (checkedAtCall) dropped.push(pointer);
    });
  } catch (err) {
    if (err instanceof SchemaError) throw new ToolDefinitionError(`defineTool '${name}': parameters ${err.message}`);
    throw err;
  }
  const tool: Tool = { id: name, name, description: definition.description ?? '', parameters };
  // Keywords outside the subset (zod's refinements rendered as `not`, `propertyNames`, ...) are still enforced.
  if (dropped.length > 0) tool.sourceParameters = schema;
  const handler: ToolHandler = async (args, signal) => {
    const result = await definition.execute(args as Args, { signal });
    return typeof result === 'string' ? result : (result as JsonValue);
  };
  return { tool, handler };
}

/** An executor serving tools defined in code. */
export function createToolExecutor(tools: readonly DefinedTool[], limits: Partial<CallLimits> = {}): FunctionExecutor {
  const executor = new FunctionExecutor(limits);
  for (const { tool, handler } of tools) executor.register(tool, handler);
  return executor;
}
