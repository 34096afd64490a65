/**
 * The server's own numbers for the dashboard: chat completions answered, API requests answered with an error,
 * completion tokens, and a history of load (busy slots, queue, tokens/s, completions/s). The history is sampled when someone looks (each dashboard poll),
 * at most once a second and at most HISTORY samples, so an unwatched server does no work for it.
 */

export interface LoadSample {
  /** ms since the epoch. */
  readonly time: number;
  readonly active: number;
  readonly queued: number;
  /** Completion tokens per second since the previous sample. */
  readonly tokensPerSecond: number;
  readonly completionsPerSecond: number;
}

export interface ServerStatsSnapshot {
  readonly model: string;
  readonly contextLength: number;
  readonly slots: number;
  readonly active: number;
  readonly queued: number;
  readonly started: number;
  /** Chat completions answered. */
  readonly completions: number;
  /** API requests answered with an error (4xx or 5xx), any endpoint. */
  readonly errors: number;
  readonly completionTokens: number;
  readonly history: readonly LoadSample[];
}

const HISTORY = 600;
const SAMPLE_MS = 1000;

export class ServerStats {
  readonly started = Date.now();
  private completions = 0;
  private errors = 0;
  private completionTokens = 0;
  private readonly history: LoadSample[] = [];
  private last = { time: this.started, completions: 0, tokens: 0 };

  constructor(
    private readonly model: { readonly name: string; readonly contextLength: number },
    private readonly slots: number,
  ) {}

  /** A chat completion finished with `tokens` completion tokens. */
  completed(tokens: number): void {
    this.completions++;
    this.completionTokens += tokens;
  }

  /** An API request was answered with an error. */
  failed(): void {
    this.errors++;
  }

  snapshot(load: { readonly active: number; readonly queued: number }): ServerStatsSnapshot {
    const now = Date.now();
    const elapsed = (now - this.last.time) / 1000;
    if (now - this.last.time >= SAMPLE_MS) {
      this.history.push({
        time: now,
        active: load.active,
        queued: load.queued,
        tokensPerSecond: (this.completionTokens - this.last.tokens) / elapsed,
        completionsPerSecond: (this.completions - this.last.completions) / elapsed,
      });
      if (this.history.length > HISTORY) this.history.shift();
      this.last = { time: now, completions: this.completions, tokens: this.completionTokens };
    }
    return {
      model: this.model.name,
      contextLength: this.model.contextLength,
      slots: this.slots,
      active: load.active,
      queued: load.queued,
      started: this.started,
      completions: this.completions,
      errors: this.errors,
      completionTokens: this.completionTokens,
      history: [...this.history],
    };
  }
}
