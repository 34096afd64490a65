/**
 * Offline evaluation: answers tool calls from recorded responses instead of live services. A recording maps a tool
 * id and its arguments (compared as JSON, key order ignored) to the observation the live tool gave; a call with no
 * recording is a `failed` observation that says so, so a replayed run degrades the same way a live one would.
 */
import { readInputFile } from '../import/entries.js';
import { writeFileAtomic } from '../../util/fs.js';
import type { JsonValue, Tool, ToolCallOptions, ToolExecutor, ToolObservation } from '../types.js';
import { canonicalJson, isJsonValue } from '../validate.js';
import { FunctionExecutor, ToolCallError, type CallLimits } from './registry.js';
import { parseJsonLines } from '../../util/json-lines.js';

export interface Recording {
  tool: string;
  args: JsonValue;
  observation: ToolObservation;
}

const FAILURE_KINDS = new Set(['invalid-arguments', 'unknown-tool', 'timeout', 'too-large', 'failed']);

function parseObservation(raw: unknown, where: string): ToolObservation {
  if (raw === null || typeof raw !== 'object') throw new Error(`${where}: "observation" must be an object`);
  const o = raw as Record<string, unknown>;
  if (o.ok === true && typeof o.content === 'string') {
    if (o.value !== undefined && !isJsonValue(o.value)) throw new Error(`${where}: "observation.value" is not JSON`);
    return o.value === undefined ? { ok: true, content: o.content } : { ok: true, content: o.content, value: o.value as JsonValue };
  }
  if (o.ok === false && typeof o.error === 'string' && typeof o.kind === 'string' && FAILURE_KINDS.has(o.kind)) {
    return { ok: false, error: o.error, kind: o.kind as Extract<ToolObservation, { ok: false }>['kind'] };
  }
  throw new Error(`${where}: "observation" must be {ok: true, content} or {ok: false, error, kind}`);
}

/** Reads a JSON-lines recordings file (`{"tool", "args", "observation"}` per line); errors name the file and line. */
export function loadRecordings(path: string): Recording[] {
  const text = readInputFile(path, 'recordings file');
  const recordings: Recording[] = [];
  for (const line of parseJsonLines(text)) {
    const where = `${path} line ${line.line}`;
    if (line.error !== undefined) throw new Error(`${where}: not valid JSON: ${line.error}`);
    const raw = line.value;
    const r = raw as Record<string, unknown>;
    if (raw === null || typeof raw !== 'object' || typeof r.tool !== 'string') throw new Error(`${where}: expected {"tool": string, "args", "observation"}`);
    if (!isJsonValue(r.args)) throw new Error(`${where}: "args" must be JSON`);
    recordings.push({ tool: r.tool, args: r.args, observation: parseObservation(r.observation, where) });
  }
  return recordings;
}

export function saveRecordings(path: string, recordings: readonly Recording[]): void {
  writeFileAtomic(path, recordings.map((r) => JSON.stringify(r) + '\n').join(''));
}

/**
 * Replays recordings for the given tools. Arguments are still validated against each tool's schema first, exactly
 * as live calls are; the last recording wins when the same call was recorded twice.
 */
export function createReplayExecutor(tools: readonly Tool[], recordings: readonly Recording[], limits: Partial<CallLimits> = {}): FunctionExecutor {
  const byCall = new Map<string, ToolObservation>();
  for (const r of recordings) byCall.set(`${r.tool}\u0000${canonicalJson(r.args)}`, r.observation);
  const executor = new FunctionExecutor(limits);
  for (const tool of tools) {
    executor.register(tool, (args) => {
      const observation = byCall.get(`${tool.id}\u0000${canonicalJson(args)}`);
      if (observation === undefined) throw new ToolCallError('failed', `${tool.id}: no recorded response for arguments ${canonicalJson(args)}`);
      if (!observation.ok) throw new ToolCallError(observation.kind, observation.error);
      return observation.value === undefined ? { content: observation.content } : { content: observation.content, value: observation.value };
    });
  }
  return executor;
}

/** Wraps a live executor and keeps every call and its observation, to be saved as recordings for later replay. */
export class RecordingExecutor implements ToolExecutor {
  readonly recordings: Recording[] = [];

  constructor(private readonly inner: ToolExecutor) {}

  async call(toolId: string, args: JsonValue, opts?: ToolCallOptions): Promise<ToolObservation> {
    const observation = await this.inner.call(toolId, args, opts);
    this.recordings.push({ tool: toolId, args, observation });
    return observation;
  }
}
