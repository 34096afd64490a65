/**
 * Training examples for ToolGen's three stages, as chat conversations whose loss covers assistant turns only:
 *
 * 1. memorization: a tool's document (`toolDocument` of the tools module) -> its tool token(s);
 * 2. retrieval: a user query -> the token(s) of one relevant tool (one example per query and relevant tool);
 * 3. agent tuning: a ToolBench trajectory rewritten so that the model emits tool tokens instead of reading tool
 *    names from its prompt. Following the ToolGen paper and its released agent, every step becomes
 *      assistant: thought            (when the step has one)
 *      user:      "Generate the action."
 *      assistant: <tool token(s)>
 *      user:      "Please give the input. Here is the documentation: {...}"
 *      assistant: <JSON arguments>
 *      tool:      <the call's result>
 *    and the run ends with the finish token and its arguments. The system prompt lists no tools, so function
 *    names are replaced by tool texts everywhere, thoughts and the retry prompts of ToolBench's DFS included.
 *
 * `toolText(toolId)` gives the indexing scheme's text for a tool (an atomic token, a semantic name, numeric
 * codes, ...), so this module does not depend on any indexing scheme.
 */
import { toolDocument } from '../../tools/catalog.js';
import type { JsonValue, Tool } from '../../tools/types.js';
import { DataFileError, isObject, readJson, requireArray, requireObject, type JsonObject } from '../../data/loaders/files.js';
import type { ChatExample, ChatMessage, RetrievalQuery } from '../../data/types.js';

export type ToolText = (toolId: string) => string;

/** The loss covers this message (assistant turns only). */
export const isTrainedTurn = (message: ChatMessage): boolean => message.role === 'assistant';

/** Memorization: the tool's canonical document (`toolDocument` of the tools module) -> its tool text. */
export function memorizationExamples(tools: readonly Tool[], toolText: ToolText): ChatExample[] {
  return tools.map((tool) => ({
    messages: [
      { role: 'user', content: toolDocument(tool) },
      { role: 'assistant', content: toolText(tool.id) },
    ],
  }));
}

export function retrievalExamples(queries: readonly RetrievalQuery[], toolText: ToolText): ChatExample[] {
  return queries.flatMap((q) =>
    q.relevant.map((id) => ({
      messages: [
        { role: 'user', content: q.query },
        { role: 'assistant', content: toolText(id) },
      ] satisfies ChatMessage[],
    })),
  );
}

/** One function the ToolBench agent could call, as listed in the answer file. */
export interface TrajectoryFunction {
  name: string;
  description: string;
  parameters: JsonObject;
}

export type TrajectoryMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; thought: string; call: { name: string; arguments: string } | null }
  | { role: 'function'; name: string; content: string };

/** A ToolBench DFS answer: the functions on offer and the final message chain. */
export interface ToolBenchTrajectory {
  file: string;
  /** False when the search found no usable chain (then `messages` is empty). */
  valid: boolean;
  query: string;
  finishType: string;
  functions: TrajectoryFunction[];
  messages: TrajectoryMessage[];
}

/** Reads a ToolBench answer file (`data_example/answer/G*_answer/*.json`); the chain used is the last of `train_messages`. */
export function readToolBenchAnswer(path: string): ToolBenchTrajectory {
  const root = requireObject(readJson(path), path);
  const generation = requireObject(root.answer_generation, `${path} answer_generation`);
  const functions = requireArray(generation, 'function', `${path} answer_generation`).map((raw, i): TrajectoryFunction => {
    const f = requireObject(raw, `${path} answer_generation.function[${i}]`);
    if (typeof f.name !== 'string') throw new DataFileError(`${path}: answer_generation.function[${i}] has no name`);
    return { name: f.name, description: typeof f.description === 'string' ? f.description : '', parameters: isObject(f.parameters) ? f.parameters : {} };
  });
  // ToolBench marks searches that produced no usable chain with valid_data: false and stores no messages.
  const valid = generation.valid_data !== false;
  let messages: TrajectoryMessage[] = [];
  if (valid) {
    const chains = requireArray(generation, 'train_messages', `${path} answer_generation`);
    const chain = chains[chains.length - 1];
    if (!Array.isArray(chain)) throw new DataFileError(`${path}: answer_generation.train_messages is empty`);
    messages = chain.map((raw, i) => parseMessage(raw, `${path} train_messages[${chains.length - 1}][${i}]`));
  }
  return {
    file: path,
    valid,
    query: typeof generation.query === 'string' ? generation.query : '',
    finishType: typeof generation.finish_type === 'string' ? generation.finish_type : '',
    functions,
    messages,
  };
}

function parseMessage(raw: JsonValue, where: string): TrajectoryMessage {
  const m = requireObject(raw, where);
  const content = typeof m.content === 'string' ? m.content : '';
  switch (m.role) {
    case 'system':
      return { role: 'system', content };
    case 'user':
      return { role: 'user', content };
    case 'function':
      return { role: 'function', name: typeof m.name === 'string' ? m.name : '', content };
    case 'assistant': {
      const fc = m.function_call;
      if (fc === undefined || fc === null) return { role: 'assistant', thought: content, call: null };
      const call = requireObject(fc, `${where} function_call`);
      if (typeof call.name !== 'string') throw new DataFileError(`${where}: function_call has no name`);
      return { role: 'assistant', thought: content, call: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}) } };
    }
    default:
      throw new DataFileError(`${where}: unknown role ${JSON.stringify(m.role ?? null)}`);
  }
}

export interface AgentTuningOptions {
  toolText: ToolText;
  /** The tool id of a ToolBench function name (`transitaire_for_transitaires`); undefined when unknown. */
  toolIdOf: (functionName: string) => string | undefined;
  /** The text of the finish action in the indexing scheme (e.g. `<<Finish>>`). */
  finishText: string;
  systemPrompt?: string;
  /** Keep trajectories that gave up as well (default false: only those ending in give_answer). */
  keepGiveUps?: boolean;
}

export const FINISH_FUNCTION = 'Finish';

/** The finish action of agent tuning; indexed like a tool so that it has a token of its own. */
export const FINISH_TOOL: Tool = {
  id: FINISH_FUNCTION,
  name: FINISH_FUNCTION,
  description: 'Ends the task with the final answer for the user, or gives up.',
  parameters: {
    type: 'object',
    properties: { return_type: { type: 'string', enum: ['give_answer', 'give_up_and_restart'] }, final_answer: { type: 'string' } },
    required: ['return_type'],
  },
};

export const DEFAULT_AGENT_SYSTEM_PROMPT = [
  'You are an agent that completes the user\'s task with tools.',
  'At each step, think about what to do next, then generate an action token when asked for the action.',
  'After the action, you receive its documentation: reply with the action\'s input as a JSON object.',
  'The result of the action follows, and the next step begins.',
  'When you have enough information, use the finish action with return_type "give_answer" and a final_answer that',
  'contains everything the user needs; if the task cannot be done from this state, finish with "give_up_and_restart".',
].join('\n');

export const FINISH_DOCUMENTATION = {
  description:
    'Ends the task. Use return_type "give_answer" with the final answer shown to the user, or "give_up_and_restart" when the task cannot be completed from this state.',
  required: [{ name: 'return_type', type: 'string', description: '"give_answer" or "give_up_and_restart"' }],
  optional: [{ name: 'final_answer', type: 'string', description: 'The complete answer for the user (with give_answer)' }],
};

/** ToolBench wraps each API description as `...The description of this function is: "<text>"`; keep the text. */
function apiDescription(description: string): string {
  const match = /The description of this function is: "([\s\S]*)"\s*$/.exec(description);
  return (match ? match[1]! : description).trim() || 'None.';
}

/** The documentation shown before the arguments turn: `{name, description, required, optional}` as ToolGen writes it. */
export function functionDocumentation(fn: TrajectoryFunction, name: string): string {
  const properties = isObject(fn.parameters.properties) ? fn.parameters.properties : {};
  const required = new Set(Array.isArray(fn.parameters.required) ? fn.parameters.required : []);
  const describe = (key: string): JsonObject => {
    const p = isObject(properties[key]) ? properties[key] : {};
    return { name: key, type: p.type ?? 'string', description: typeof p.description === 'string' ? p.description : '' };
  };
  const keys = Object.keys(properties);
  return JSON.stringify({
    name,
    description: apiDescription(fn.description),
    required: keys.filter((k) => required.has(k)).map(describe),
    optional: keys.filter((k) => !required.has(k)).map(describe),
  });
}

/** The user turn that asks for an action's input. */
export const argumentsPrompt = (documentation: string): string => `Please give the input. Here is the documentation: ${documentation}`;

/** The user turn that asks for the action after a thought. */
export const ACTION_PROMPT = 'Generate the action.';

/** Arguments as compact JSON when they parse (ToolBench pretty-prints them), else exactly as recorded. */
function normalizeArguments(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw));
  } catch {
    return raw.trim();
  }
}

export type AgentConversion = { ok: true; example: ChatExample } | { ok: false; reason: string };

/** Rewrites one ToolBench trajectory for ToolGen agent tuning; a trajectory that cannot be used says why. */
export function agentTuningExample(trajectory: ToolBenchTrajectory, options: AgentTuningOptions): AgentConversion {
  if (!trajectory.valid) return { ok: false, reason: `${trajectory.file}: marked valid_data: false (no usable chain)` };
  if (!options.keepGiveUps && trajectory.finishType !== 'give_answer') {
    return { ok: false, reason: `${trajectory.file}: finishes with '${trajectory.finishType}', not give_answer` };
  }
  const textOf = new Map<string, string>([[FINISH_FUNCTION, options.finishText]]);
  for (const fn of trajectory.functions) {
    if (fn.name === FINISH_FUNCTION) continue;
    const id = options.toolIdOf(fn.name);
    if (id === undefined) return { ok: false, reason: `${trajectory.file}: no tool id for function '${fn.name}'` };
    textOf.set(fn.name, options.toolText(id));
  }
  // The model never sees function names (they are not in its prompt), so names in free text become tool texts too.
  const names = [...textOf.keys()].filter((k) => k !== FINISH_FUNCTION).sort((a, b) => b.length - a.length);
  const namePattern = names.length > 0 ? new RegExp(`\\b(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`, 'g') : null;
  const rename = (text: string): string => (namePattern ? text.replace(namePattern, (name) => textOf.get(name)!) : text);
  const functions = new Map(trajectory.functions.map((f) => [f.name, f]));

  const messages: ChatMessage[] = [{ role: 'system', content: options.systemPrompt ?? DEFAULT_AGENT_SYSTEM_PROMPT }];
  for (const m of trajectory.messages) {
    if (m.role === 'system') continue;
    if (m.role === 'user') messages.push({ role: 'user', content: rename(m.content.trim()) });
    else if (m.role === 'function') messages.push({ role: 'tool', content: m.content });
    else {
      if (m.thought.trim() !== '') messages.push({ role: 'assistant', content: rename(m.thought.trim()) });
      if (m.call === null) continue;
      if (m.thought.trim() !== '') messages.push({ role: 'user', content: ACTION_PROMPT });
      const action = textOf.get(m.call.name);
      if (action === undefined) return { ok: false, reason: `${trajectory.file}: call to '${m.call.name}', which is not among the offered functions` };
      const doc =
        m.call.name === FINISH_FUNCTION ? JSON.stringify({ name: action, ...FINISH_DOCUMENTATION }) : functionDocumentation(functions.get(m.call.name)!, action);
      messages.push(
        { role: 'assistant', content: action },
        { role: 'user', content: argumentsPrompt(doc) },
        { role: 'assistant', content: normalizeArguments(m.call.arguments) },
      );
    }
  }
  const last = trajectory.messages[trajectory.messages.length - 1];
  if (last?.role !== 'assistant' || last.call?.name !== FINISH_FUNCTION) {
    return { ok: false, reason: `${trajectory.file}: the chain does not end with a call to ${FINISH_FUNCTION}` };
  }
  return { ok: true, example: { messages } };
}
