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
import type { ChatExample, RetrievalQuery } from '../../data/types.js';
import { memorizationExamples, retrievalExamples } from './examples.js';
import { ToolIndex } from '../../indexing/tool-index.js';
import type { IndexScheme } from '../../indexing/schemes.js';
import { buildChatTrainingExample } from '../../models/chat-example.js';
import type { DecoderModel } from '../../models/decoder.js';
import { applyLora } from '../../models/lora.js';
import type { LoraConfig } from '../../models/lora.js';
import { expandVocabulary, trainNewTokenRows } from '../../models/vocabulary.js';
import { saveModel } from '../../models/save.js';
import { saveCatalog } from '../../tools/catalog.js';
import type { RowRange } from '../../nn/parameter.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import type { Tool, JsonValue } from '../../tools/types.js';
import type { TokenizedExample } from '../../train/batches.js';

export type ToolGenStage = 'memorization' | 'retrieval' | 'agent';
export const TOOLGEN_STAGES: readonly ToolGenStage[] = ['memorization', 'retrieval', 'agent'];

/** The file, beside the model, that holds the tool index. */
export const TOOL_INDEX_FILE = 'tool-index.json';
/** The catalog saved beside a ToolGen model, so evaluation, the agent and serving know the tools' documents and domains. */
export const CATALOG_FILE = 'catalog.json';

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

/** A ToolGen model directory: the model as a Hugging Face directory, its tool index and the catalog beside them. */
export function saveToolGenModel(tg: ToolGenModel, dir: string, tools: readonly Tool[]): void {
  saveModel(tg.model, tg.tokenizer, dir);
  tg.index.save(join(dir, TOOL_INDEX_FILE));
  saveCatalog(join(dir, CATALOG_FILE), { version: 1, tools: [...tools] });
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
 * The system turn of argument filling. It tells "fill in the arguments of this action" apart from "retrieve" (a
 * bare user query, answered with the tool token), so learning one does not unlearn the other.
 */
export const ARGUMENTS_SYSTEM_PROMPT = 'You are an agent. Give the input of the action as JSON.';

/**
 * The request for a tool's arguments, in ToolGen's words ("Please give the input. Here is the documentation:"),
 * after the user's query and the chosen action token.
 */
export function argumentsRequest(query: string, toolText: string, tool: Tool): ChatExample['messages'] {
  return [
    { role: 'system', content: ARGUMENTS_SYSTEM_PROMPT },
    { role: 'user', content: `${query}\nAction: ${toolText}\nPlease give the input. Here is the documentation: ${JSON.stringify(argumentDocumentation(tool))}` },
  ];
}

/**
 * Argument-filling conversations for queries whose gold calls are known (the demo, Seal-Tools): the request
 * above, answered with the call's JSON arguments. Only the arguments carry loss; the tool token is context, so
 * this stage teaches argument filling without moving the tool tokens' output rows away from retrieval.
 */
export function argumentExamples(queries: readonly RetrievalQuery[], tools: ReadonlyMap<string, Tool>, index: ToolIndex): ChatExample[] {
  return queries.flatMap((q) =>
    (q.calls ?? []).flatMap((call) => {
      const tool = tools.get(call.tool);
      if (tool === undefined) return [];
      return [{ messages: [...argumentsRequest(q.query, index.toolToText(call.tool), tool), { role: 'assistant' as const, content: JSON.stringify(call.arguments) }] }];
    }),
  );
}

/** The parameter documentation shown before the model writes the arguments: names, types, enums, requiredness. */
export function argumentDocumentation(tool: Tool): Record<string, JsonValue> {
  const parameters: Record<string, JsonValue> = {};
  for (const [name, schema] of Object.entries(tool.parameters.properties)) {
    const entry: Record<string, JsonValue> = { type: (schema.type ?? 'any') as JsonValue };
    if (schema.enum) entry.enum = schema.enum;
    if (tool.parameters.required.includes(name)) entry.required = true;
    parameters[name] = entry;
  }
  return { name: tool.name, parameters };
}

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
