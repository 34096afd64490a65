/**
 * The in-context agent baseline end to end (ToolLlama + a retriever, as ToolGen's paper compares against): BM25
 * picks the candidate tools of a task from its text, their documentation goes into the system prompt
 * (react-policy.ts), and a model of the same size and tokenizer as the ToolGen model is agent-tuned on the same
 * gold runs rewritten as ReAct turns. In training the gold tools are always among the candidates (as in ToolBench,
 * whose prompts list the relevant APIs); at inference the candidates are what the retriever found, so a task whose
 * tools BM25 misses cannot be solved — the setting's real weakness, measured by `candidateRecall`.
 */
import type { ChatExample, ToolCall } from '../../data/types.js';
import type { DecoderModel } from '../../models/decoder.js';
import { Bm25Index } from '../../retrieval/bm25.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import type { Tool, ToolExecutor } from '../../tools/types.js';
import { defaultSftConfig, SftObjective, type SftConfig } from '../../train/objectives/sft.js';
import type { RunDirectory } from '../../train/run-dir.js';
import { Trainer, type TrainResult } from '../../train/trainer.js';
import type { AgentLoopOptions } from './agent-loop.js';
import { tokenizeConversations } from './model.js';
import { goldConversation } from './plan-policy.js';
import { reactConversation, reactSystemPrompt } from './react-policy.js';

/** Chooses the candidate tools of a task: BM25 over the tools' documents. */
export class InContextCandidates {
  private readonly bm25: Bm25Index;
  private readonly byId: ReadonlyMap<string, Tool>;

  constructor(
    tools: readonly Tool[],
    /** Tools listed in the prompt (ToolGen's paper: the retriever's top 5). */
    readonly k: number,
  ) {
    this.bm25 = Bm25Index.fromTools(tools);
    this.byId = new Map(tools.map((t) => [t.id, t]));
  }

  /**
   * The top `k` tools for the task; with `gold`, those tools are put in place of the lowest-ranked others that
   * would leave no room for them, each at the place of the tool it replaces, so the prompt's order carries no hint.
   */
  select(task: string, gold: readonly string[] = []): Tool[] {
    const ranked = this.bm25.rank(task, this.k + gold.length).map((s) => s.id);
    const ids = ranked.slice(0, this.k);
    const missing = [...new Set(gold)].filter((id) => !ids.includes(id));
    for (const [i, id] of missing.entries()) {
      // Replace from the bottom, skipping gold tools already in the list.
      let at = ids.length - 1 - i;
      while (at >= 0 && gold.includes(ids[at]!)) at--;
      if (at < 0) ids.push(id);
      else ids[at] = id;
    }
    return ids.map((id) => this.byId.get(id)!).filter((t) => t !== undefined);
  }
}

/** Share of a task's gold tools among its candidates (1 when the prompt can lead to the answer at all). */
export function candidateRecall(candidates: readonly Tool[], gold: readonly string[]): number {
  const offered = new Set(candidates.map((t) => t.id));
  const distinct = [...new Set(gold)];
  return distinct.length === 0 ? 1 : distinct.filter((id) => offered.has(id)).length / distinct.length;
}

/** The in-context agent's training conversations: each gold plan played through the loop on its candidates. */
export async function inContextConversations(
  tasks: readonly { readonly task: string; readonly plan: readonly ToolCall[]; readonly steps?: readonly string[] }[],
  candidates: InContextCandidates,
  executor: ToolExecutor,
  loop: Partial<AgentLoopOptions>,
): Promise<ChatExample[]> {
  const out: ChatExample[] = [];
  for (const t of tasks) {
    const tools = candidates.select(t.task, t.plan.map((c) => c.tool));
    const { messages } = await goldConversation({
      task: t.task, plan: t.plan, ...(t.steps ? { steps: t.steps } : {}), tools, executor, toolText: (id) => tools.find((tool) => tool.id === id)?.name ?? id,
      options: { ...loop, systemPrompt: reactSystemPrompt(tools) },
    });
    out.push({ messages: reactConversation(messages) });
  }
  return out;
}

/** Agent-tunes `model` on ReAct conversations (the loss on the assistant turns), with a run directory. */
export function trainInContextAgent(o: {
  readonly model: DecoderModel;
  readonly tokenizer: Tokenizer;
  readonly conversations: readonly ChatExample[];
  readonly sft: Partial<SftConfig>;
  readonly run: RunDirectory;
  readonly showProgress?: boolean;
}): TrainResult {
  const config: SftConfig = { ...defaultSftConfig, ...o.sft };
  const train = tokenizeConversations(o.tokenizer, o.conversations, config.maxLength);
  o.run.writeConfig({ method: 'in-context agent (ReAct)', sft: config, conversations: o.conversations.length });
  const objective = new SftObjective({ model: o.model, train, settings: config });
  return new Trainer({ model: o.model, objective, config }).train({ run: o.run, ...(o.showProgress !== undefined ? { showProgress: o.showProgress } : {}) });
}
