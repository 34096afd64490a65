/**
 * The server's own numbers for the dashboard: requests answered and failed, completion tokens, and a history of
 * load (busy slots, queue, tokens/s, requests/s). The history is sampled when someone looks (each dashboard poll),
 * at most once a second and at most HISTORY samples, so an unwatched server does no work for it.
 */

export interface LoadSample {
  /** ms since the epoch. */
  readonly time: number;
  readonly active: number;
  readonly queued: number;
  /** Completion tokens per second since the previous sample. */
  readonly tokensPerSecond: number;
  readonly requestsPerSecond: number;
}

export interface ServerStatsSnapshot {
  readonly model: string;
  readonly contextLength: number;
  readonly slots: number;
  readonly active: number;
  readonly queued: number;
  readonly started: number;
  readonly requests: number;
  /** Requests answered with an error (4xx or 5xx). */
  readonly failed: number;
  readonly completionTokens: number;
  readonly history: readonly LoadSample[];
}

const HISTORY = 600;
const SAMPLE_MS = 1000;

export class ServerStats {
  readonly started = Date.now();
  private requests = 0;
  private failed = 0;
  private completionTokens = 0;
  private readonly history: LoadSample[] = [];
  private last = { time: this.started, requests: 0, tokens: 0 };

  constructor(
    private readonly model: { readonly name: string; readonly contextLength: number },
    private readonly slots: number,
  ) {}

  /** A chat completion finished with `tokens` completion tokens. */
  answered(tokens: number): void {
    this.requests++;
    this.completionTokens += tokens;
  }

  /** A request was answered with an error. */
  refused(): void {
    this.requests++;
    this.failed++;
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
        requestsPerSecond: (this.requests - this.last.requests) / elapsed,
      });
      if (this.history.length > HISTORY) this.history.shift();
      this.last = { time: now, requests: this.requests, tokens: this.completionTokens };
    }
    return {
      model: this.model.name,
      contextLength: this.model.contextLength,
      slots: this.slots,
      active: load.active,
      queued: load.queued,
      started: this.started,
      requests: this.requests,
      failed: this.failed,
      completionTokens: this.completionTokens,
      history: [...this.history],
    };
  }
}
