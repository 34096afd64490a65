/**
 * ToolGen (Wang et al. 2024) on toolken's parts: a catalog becomes tool tokens under one indexing scheme (atomic
 * tokens are added to the vocabulary, each initialised from its name's sub-token embeddings), and the model is
 * trained in three stages — memorization (tool document -> token), retrieval (query -> token) and agent tuning
 * (Thought -> action token -> JSON arguments -> result -> ... -> finish).
 *
 * A ToolGen model is saved as an ordinary Hugging Face directory plus `tool-index.json`, so every loader reads it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatExample, RetrievalQuery } from '../data/types.js';
import { memorizationExamples, retrievalExamples } from '../data/toolgen.js';
import { ToolIndex } from '../indexing/tool-index.js';
import type { IndexScheme } from '../indexing/schemes.js';
import { buildChatTrainingExample } from '../models/chat-example.js';
import type { DecoderModel } from '../models/decoder.js';
import { applyLora } from '../models/lora.js';
import type { LoraConfig } from '../models/lora.js';
import { expandVocabulary, trainNewTokenRows } from '../models/vocabulary.js';
import type { RowRange } from '../nn/parameter.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { Tool, JsonValue } from '../tools/types.js';
import type { TokenizedExample } from './batches.js';

export type ToolGenStage = 'memorization' | 'retrieval' | 'agent';
export const TOOLGEN_STAGES: readonly ToolGenStage[] = ['memorization', 'retrieval', 'agent'];

/** The file, beside the model, that holds the tool index. */
export const TOOL_INDEX_FILE = 'tool-index.json';

/** A model that knows a catalog's tools as tokens. */
export interface ToolGenModel {
  readonly model: DecoderModel;
  readonly tokenizer: Tokenizer;
  readonly index: ToolIndex;
  /** Rows of the embedding / LM head holding the atomic tool tokens (null for the other schemes). */
  readonly newRows: RowRange | null;
}

/**
 * Indexes `tools` under `scheme` and, for the atomic scheme, grows the vocabulary by one token per tool. The
 * tokenizer is changed in place; the returned model replaces the given one.
 */
export async function attachToolIndex(model: DecoderModel, tokenizer: Tokenizer, tools: readonly Tool[], scheme: IndexScheme): Promise<ToolGenModel> {
  const index = await ToolIndex.build(tools, scheme);
  if (scheme !== 'atomic') return { model, tokenizer, index, newRows: null };
  const expansion = expandVocabulary(model, tokenizer, index.newTokens().map(({ token, initText }) => ({ token, initText })));
  return { model: expansion.model, tokenizer, index, newRows: expansion.newRows };
}

/** The saved index of a ToolGen model directory, or undefined for a plain model. */
export function loadToolIndex(modelDir: string): ToolIndex | undefined {
  const file = join(modelDir, TOOL_INDEX_FILE);
  return existsSync(file) ? ToolIndex.load(file) : undefined;
}

export type TrainableSelection = { kind: 'full' } | { kind: 'lora'; lora: LoraConfig } | { kind: 'new-rows' };

/**
 * Chooses what trains: everything, LoRA adapters (plus the new tool-token rows, as ToolGen trains them), or only
 * the new tool-token rows.
 */
export function selectTrainable(tg: ToolGenModel, selection: TrainableSelection): void {
  const { model } = tg;
  if (selection.kind === 'full') {
    model.unfreeze();
    return;
  }
  if (selection.kind === 'lora') applyLora(model, selection.lora);
  else model.freeze();
  if (tg.newRows !== null) trainNewTokenRows(model, tg.newRows);
}

/** The text a tool stands for in the model's output under the index. */
export const toolTextOf = (index: ToolIndex) => (toolId: string): string => index.toolToText(toolId);

/**
 * The system turn that opens every agent conversation. It is what tells the model "act as an agent (think, then
 * act)" apart from "retrieve" (a bare user query, answered with the tool token), so agent tuning does not teach
 * the model to answer retrieval prompts with a Thought.
 */
export const AGENT_SYSTEM_PROMPT = 'You are an agent. Think, then call tools by their tokens; finish with the answer.';

/**
 * Agent-tuning conversations for queries whose gold calls are known (the demo, Seal-Tools): ToolGen's turn
 * structure — Thought; "Generate the action."; the tool token; "Please give the input. Here is the documentation:
 * {...}"; the JSON arguments; the tool's result; ...; finally the finish token and the answer. Results come from
 * `execute` (e.g. the demo's real implementations) so the final answer quotes them.
 */
export function agentExamplesFromCalls(
  queries: readonly RetrievalQuery[],
  tools: ReadonlyMap<string, Tool>,
  index: ToolIndex,
  execute: (toolId: string, args: JsonValue) => string,
  finishText: string,
): ChatExample[] {
  const out: ChatExample[] = [];
  for (const q of queries) {
    if (!q.calls || q.calls.length === 0) continue;
    const messages: ChatExample['messages'] = [
      { role: 'system', content: AGENT_SYSTEM_PROMPT },
      { role: 'user', content: q.query },
    ];
    const results: string[] = [];
    for (const call of q.calls) {
      const tool = tools.get(call.tool);
      if (tool === undefined) continue;
      const result = execute(call.tool, call.arguments);
      results.push(result);
      messages.push(
        { role: 'assistant', content: `Thought: I should use ${tool.name} to ${lowerFirst(tool.description)}` },
        { role: 'user', content: 'Generate the action.' },
        { role: 'assistant', content: index.toolToText(call.tool) },
        { role: 'user', content: `Please give the input. Here is the documentation: ${JSON.stringify(argumentDocumentation(tool))}` },
        { role: 'assistant', content: JSON.stringify(call.arguments) },
        { role: 'tool', content: result },
      );
    }
    if (results.length === 0) continue;
    messages.push(
      { role: 'assistant', content: 'Thought: I have the result and can answer.' },
      { role: 'user', content: 'Generate the action.' },
      { role: 'assistant', content: finishText },
      { role: 'user', content: 'Please give the input. Here is the documentation: {"final_answer": "string"}' },
      { role: 'assistant', content: JSON.stringify({ final_answer: results.join('; ') }) },
    );
    out.push({ messages });
  }
  return out;
}

/** The parameter documentation ToolGen shows before the model writes the arguments. */
export function argumentDocumentation(tool: Tool): Record<string, JsonValue> {
  return {
    name: tool.name,
    description: tool.description,
    required: tool.parameters.required,
    optional: Object.keys(tool.parameters.properties).filter((p) => !tool.parameters.required.includes(p)),
    parameters: tool.parameters.properties as unknown as JsonValue,
  };
}

const lowerFirst = (s: string): string => (s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s);

/** Examples of the first two stages. */
export function stageConversations(stage: Exclude<ToolGenStage, 'agent'>, tg: ToolGenModel, tools: readonly Tool[], queries: readonly RetrievalQuery[]): ChatExample[] {
  const text = toolTextOf(tg.index);
  return stage === 'memorization' ? memorizationExamples(tools, text) : retrievalExamples(queries, text);
}

/** Renders conversations with the tokenizer's chat template; only assistant turns carry loss. */
export function tokenizeConversations(tokenizer: Tokenizer, conversations: readonly ChatExample[], maxLength?: number): TokenizedExample[] {
  const out: TokenizedExample[] = [];
  for (const c of conversations) {
    const ex = buildChatTrainingExample(tokenizer, c.messages);
    if (maxLength !== undefined && ex.inputIds.length > maxLength + 1) {
      out.push({ inputIds: ex.inputIds.slice(0, maxLength + 1), labels: ex.labels.slice(0, maxLength + 1) });
    } else out.push(ex);
  }
  return out;
}
