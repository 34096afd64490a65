/**
 * Runs many requests on one model: each admitted request holds a slot of one shared KV-cached session, and every
 * tick advances all of them together — requests that only need their last token fed go through one batched
 * `decode` over their slots; new prompts and forced pieces of the call format are prefilled slot by slot. Between
 * ticks the scheduler yields to the event loop (setImmediate), so the server keeps accepting connections, streaming
 * and noticing disconnects while the model works.
 *
 * A bounded queue holds requests waiting for a slot; beyond it `submit` refuses (the server's 429). A cancelled
 * request (client gone) or one past its deadline leaves at the next tick and frees its slot.
 */
import type { ForkableSession } from '../models/session.js';
import type { Feed, TurnDecoder } from './chat-decoder.js';
import type { ServedModel } from './served-model.js';

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
  private readonly session: ForkableSession;
  private readonly waiting: Job[] = [];
  private readonly running: Running[] = [];
  private readonly freeSlots: number[];
  private readonly cancelled = new Set<Job>();
  private scheduled = false;

  constructor(
    model: ServedModel,
    readonly options: SchedulerOptions,
  ) {
    this.session = model.source.model.createSession(options.slots, model.contextLength);
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

  private wake(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.tick();
      if (this.running.length > 0 || this.waiting.length > 0) this.wake();
    });
  }

  private release(run: Running): void {
    this.running.splice(this.running.indexOf(run), 1);
    this.session.resetSequence(run.slot);
    this.freeSlots.push(run.slot);
  }

  /** One decode step for every running job. */
  private tick(): void {
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
      this.advance(run, () => {
        if (run.feed.reset) this.session.resetSequence(run.slot);
        return this.session.prefill(run.slot, run.feed.tokens);
      });
    }
    if (batched.length === 0) return;
    let logits: Float32Array;
    try {
      logits = this.session.decode(batched.map((r) => r.slot), batched.map((r) => r.feed.tokens[0]!));
    } catch (err) {
      for (const run of batched) this.fail(run, err);
      return;
    }
    const width = this.session.vocabSize;
    batched.forEach((run, row) => this.advance(run, () => logits.subarray(row * width, (row + 1) * width)));
  }

  /** Runs the model part, then lets the job's decoder choose; a job whose turn ended leaves. */
  private advance(run: Running, forward: () => Float32Array): void {
    let next: Feed | null;
    try {
      next = run.job.decoder.step(forward());
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
