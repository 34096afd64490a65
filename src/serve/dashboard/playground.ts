/**
 * The dashboard's playground: a request typed in the page goes to a ToolGen model, which shows what it would do —
 * the top-k tools of the trie-constrained search with their probabilities, then ToolGen's agent loop on the request
 * (thought, the tool it calls, the arguments decoded under the tool's schema, the observation the tool returned)
 * for a few steps. One request runs at a time, bounded in text, steps and (through its signal) time.
 */
import { GenerativeRetriever, type GenerativeModel } from '../../retrieval/generative.js';
import { runAgent, type AgentLoopOptions, type RunAgentInput } from '../../methods/toolgen/agent-loop.js';
import { ToolkenError, errorWithCode } from '../../util/errors.js';

/** The model the tools are ranked with, and what the playground hands runAgent as is: the policy, tools and executor. */
export interface PlaygroundSetup extends Pick<RunAgentInput, 'policy' | 'tools' | 'executor'> {
  readonly model: GenerativeModel;
  /** The agent loop's settings (steps, retries, observation length); at most 4 steps unless set. */
  readonly loop?: Partial<AgentLoopOptions>;
}

export interface RankedToolView {
  readonly toolId: string;
  /** Log-probability of the tool's token sequence in the constrained search. */
  readonly logProb: number;
  readonly probability: number;
  /** Its probability over the sum of the k shown: how the search splits its belief among them. */
  readonly share: number;
}

export interface PlaygroundStep {
  readonly step: number;
  readonly thought: string;
  /** The tool the action named, or the action's text when it named none. */
  readonly action: string;
  readonly arguments: string;
  readonly observation: string;
}

export interface PlaygroundAnswer {
  readonly request: string;
  readonly tools: readonly RankedToolView[];
  readonly steps: readonly PlaygroundStep[];
  readonly finishType: string;
  readonly answer: string;
  readonly seconds: number;
}

export const MAX_REQUEST_CHARS = 2000;
export const MAX_K = 20;

/** A request the playground will not take: the message names what to change. */
export class PlaygroundInputError extends errorWithCode('PLAYGROUND_INPUT_INVALID') {}

/** The playground is answering another request. */
export class PlaygroundBusyError extends ToolkenError {
  constructor(message = 'the playground is answering another request; try again when it is done') {
    super('PLAYGROUND_BUSY', message);
  }
}

/** What the dashboard asks of a playground: this thread's `Playground`, or one on a worker thread (playground-worker.ts). */
export interface PlaygroundEngine {
  answer(request: string, k: number, signal?: AbortSignal): Promise<PlaygroundAnswer>;
}

/** The request trimmed, or the input error the dashboard answers with 400. */
export function checkPlaygroundRequest(request: string, k: number): string {
  const text = request.trim();
  if (text === '') throw new PlaygroundInputError('request: empty; type what the tools should do');
  if (text.length > MAX_REQUEST_CHARS) throw new PlaygroundInputError(`request: ${text.length} characters, over the limit of ${MAX_REQUEST_CHARS}`);
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new PlaygroundInputError(`k: must be an integer in [1, ${MAX_K}], got ${k}`);
  return text;
}

export class Playground implements PlaygroundEngine {
  private readonly retriever: GenerativeRetriever;
  private busy = false;

  constructor(private readonly setup: PlaygroundSetup) {
    this.retriever = new GenerativeRetriever(setup.model);
  }

  async answer(request: string, k: number, signal?: AbortSignal): Promise<PlaygroundAnswer> {
    const text = checkPlaygroundRequest(request, k);
    if (this.busy) throw new PlaygroundBusyError();
    this.busy = true;
    const started = performance.now();
    try {
      // The search yields to the event loop between its steps, so the page keeps being served while it runs.
      const ranked = await this.retriever.rankAsync(text, k, signal === undefined ? {} : { signal });
      const total = ranked.reduce((sum, r) => sum + Math.exp(r.score), 0);
      const tools = ranked.map((r) => ({ toolId: r.toolId, logProb: r.score, probability: Math.exp(r.score), share: total > 0 ? Math.exp(r.score) / total : 0 }));
      const run = await runAgent({
        task: text,
        policy: this.setup.policy,
        tools: this.setup.tools,
        executor: this.setup.executor,
        options: { maxSteps: 4, ...this.setup.loop },
        ...(signal === undefined ? {} : { signal }),
      });
      const steps = run.steps.map((s, i) => ({ step: i + 1, thought: s.thought, action: s.action.toolId ?? s.action.text, arguments: s.argumentsText, observation: s.observation }));
      return { request: text, tools, steps, finishType: run.finishType, answer: run.answer, seconds: (performance.now() - started) / 1000 };
    } finally {
      this.busy = false;
    }
  }
}
