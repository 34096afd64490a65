/** The shapes every dataset loader produces and every trainer / evaluator consumes. */
import type { ChatMessage } from '../tokenizer/chat-template.js';
import type { JsonValue, Tool } from '../tools/types.js';

/** One gold tool call: which tool, with which arguments. */
export interface ToolCall {
  tool: string;
  arguments: JsonValue;
}

/** A user request and the tools that answer it. */
export interface RetrievalQuery {
  id: string;
  query: string;
  /** Ids of the relevant tools (`Tool.id`), in the order the gold answer uses them, without duplicates. */
  relevant: string[];
  /** Domain of the request; in-domain retrieval restricts candidates to the tools of this domain. */
  domain?: string;
  /** Gold calls, when the dataset has them. */
  calls?: ToolCall[];
}

export interface RetrievalDataset {
  name: string;
  tools: Tool[];
  queries: RetrievalQuery[];
  /** Entries the loader had to leave out, one line each naming file, location and reason; absent when none. */
  issues?: string[];
}

export type { ChatMessage };

/** One training conversation; the loss is taken on assistant turns only (see `lossMask`). */
export interface ChatExample {
  messages: ChatMessage[];
}
