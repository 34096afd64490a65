/**
 * Runs many requests on one model: each admitted request holds a slot of one shared KV-cached session, and every
 * tick advances all of them together — requests that only need their last token fed go through one batched
 * `decode` over their slots; new prompts and forced pieces of the call format are prefilled slot by slot. The
 * forward passes go through a ModelRunner: on the model worker (worker-runner.ts) the event loop is free while they
 * compute, so the server keeps accepting connections, answering /health, streaming and noticing disconnects; the
 * scheduler also yields between ticks (setImmediate).
 *
 * A bounded queue holds requests waiting for a slot; beyond it `submit` refuses (the server's 429). A cancelled
 * request (client gone) or one past its deadline leaves at the next tick and frees its slot.
 */
import type { Feed, TurnDecoder } from './chat-decoder.js';
import type { ModelRunner } from './model-runner.js';

export interface SchedulerOptions {
  /** Sequences decoded together (KV-cache slots). */
  readonly slots: number;
  /** Requests that may wait for a slot. */
  readonly maxQueue: number;
}

export interface Job {
  readonly decoder: TurnDecoder;
  /** Wall-clock time (ms since the epoch) from which the turn ends with finish_reason "length". */
  readonly deadline: number;
  /** The turn ended (decoder.finish says why), or the job was cancelled. */
  onDone(): void;
  /** Decoding failed; the slot is already freed. */
  onError(err: unknown): void;
}

interface Running {
  readonly job: Job;
  readonly slot: number;
  feed: Feed;
}

export class QueueFullError extends Error {}

export class Scheduler {
  private readonly waiting: Job[] = [];
  private readonly running: Running[] = [];
  private readonly freeSlots: number[];
  private readonly cancelled = new Set<Job>();
  private looping = false;

  constructor(
    private readonly runner: ModelRunner,
    readonly options: SchedulerOptions,
  ) {
    this.freeSlots = Array.from({ length: options.slots }, (_, i) => options.slots - 1 - i);
  }

  get active(): number {
    return this.running.length;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Queues a job; throws QueueFullError when every slot is busy and the queue is full. */
  submit(job: Job): void {
    if (this.freeSlots.length === 0 && this.waiting.length >= this.options.maxQueue) {
      throw new QueueFullError(`all ${this.options.slots} slots are busy and ${this.waiting.length} requests are waiting`);
    }
    this.waiting.push(job);
    this.wake();
  }

  /** Drops a job (its client is gone); it frees its slot at the next tick. Its onDone is not called. */
  cancel(job: Job): void {
    const at = this.waiting.indexOf(job);
    if (at !== -1) this.waiting.splice(at, 1);
    else this.cancelled.add(job);
    this.wake();
  }

  /** Ticks until no job is left; one loop at a time. */
  private wake(): void {
    if (this.looping) return;
    this.looping = true;
    void (async () => {
      try {
        while (this.running.length > 0 || this.waiting.length > 0) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          await this.tick();
        }
      } finally {
        this.looping = false;
      }
    })();
  }

  private release(run: Running): void {
    this.running.splice(this.running.indexOf(run), 1);
    this.runner.resetSequence(run.slot);
    this.freeSlots.push(run.slot);
  }

  /** One decode step for every running job. */
  private async tick(): Promise<void> {
    while (this.freeSlots.length > 0 && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.running.push({ job, slot: this.freeSlots.pop()!, feed: job.decoder.start() });
    }
    const now = Date.now();
    for (const run of [...this.running]) {
      if (this.cancelled.delete(run.job)) this.release(run);
      else if (now >= run.job.deadline) {
        run.job.decoder.stop('length');
        this.release(run);
        run.job.onDone();
      }
    }
    const batched: Running[] = [];
    for (const run of [...this.running]) {
      if (run.feed.tokens.length === 1 && !run.feed.reset) {
        batched.push(run);
        continue;
      }
      if (run.feed.reset) this.runner.resetSequence(run.slot);
      await this.advance(run, this.runner.prefill(run.slot, run.feed.tokens));
    }
    if (batched.length === 0) return;
    let logits: Float32Array;
    try {
      logits = await this.runner.decode(batched.map((r) => r.slot), batched.map((r) => r.feed.tokens[0]!));
    } catch (err) {
      for (const run of batched) this.fail(run, err);
      return;
    }
    const width = this.runner.vocabSize;
    for (const [row, run] of batched.entries()) await this.advance(run, Promise.resolve(logits.subarray(row * width, (row + 1) * width)));
  }

  /** Waits for the model part, then lets the job's decoder choose; a job whose turn ended leaves. */
  private async advance(run: Running, forward: Promise<Float32Array>): Promise<void> {
    let next: Feed | null;
    try {
      next = run.job.decoder.step(await forward);
    } catch (err) {
      this.fail(run, err);
      return;
    }
    if (next === null) {
      this.release(run);
      run.job.onDone();
    } else run.feed = next;
  }

  private fail(run: Running, err: unknown): void {
    this.release(run);
    run.job.onError(err);
  }
}
