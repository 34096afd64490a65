/**
 * A terminal progress bar with rate and ETA. On a TTY it redraws one line; elsewhere (CI, pipes) it prints a
 * plain line at most every `logEveryMs` so that logs stay readable. Output goes to stderr: stdout is for results.
 */
export interface ProgressOptions {
  readonly total: number;
  readonly label: string;
  /** Unit of the rate, e.g. 'step' -> "3.2 step/s". */
  readonly unit?: string;
  readonly stream?: NodeJS.WriteStream;
  readonly logEveryMs?: number;
  /** Time source (tests inject a fake clock). */
  readonly now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export class ProgressBar {
  private done = 0;
  private readonly started: number;
  private lastDraw = -Infinity;
  private metrics: Record<string, string> = {};
  private readonly stream: NodeJS.WriteStream;
  private readonly now: () => number;
  private finished = false;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
  }

  /** Advances by `n` units and optionally updates the metrics shown after the bar (e.g. loss). */
  tick(n = 1, metrics?: Record<string, number | string>): void {
    this.done = Math.min(this.options.total, this.done + n);
    if (metrics) this.setMetrics(metrics);
    this.draw(false);
  }

  setMetrics(metrics: Record<string, number | string>): void {
    for (const [k, v] of Object.entries(metrics)) {
      this.metrics[k] = typeof v === 'number' ? (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toPrecision(4)) : v;
    }
  }

  /** The current line, without terminal control characters. */
  render(): string {
    const { total, label } = this.options;
    const unit = this.options.unit ?? 'it';
    const elapsed = (this.now() - this.started) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = rate > 0 ? (total - this.done) / rate : Infinity;
    const width = 24;
    const fraction = total > 0 ? this.done / total : 1;
    const filled = Math.round(fraction * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const extras = Object.entries(this.metrics)
      .map(([k, v]) => `${k} ${v}`)
      .join(' | ');
    const pct = (fraction * 100).toFixed(0).padStart(3);
    const rateText = rate >= 10 ? rate.toFixed(0) : rate.toFixed(2);
    return `${label} [${bar}] ${pct}% ${this.done}/${total} ${rateText} ${unit}/s elapsed ${formatDuration(elapsed)} eta ${formatDuration(eta)}${extras ? ' | ' + extras : ''}`;
  }

  finish(metrics?: Record<string, number | string>): void {
    if (this.finished) return;
    if (metrics) this.setMetrics(metrics);
    this.finished = true;
    this.draw(true);
    if (this.stream.isTTY) this.stream.write('\n');
  }

  private draw(force: boolean): void {
    const t = this.now();
    if (this.stream.isTTY) {
      if (!force && t - this.lastDraw < 100) return;
      this.lastDraw = t;
      this.stream.write('\r\x1b[2K' + this.render());
      return;
    }
    const every = this.options.logEveryMs ?? 5000;
    if (!force && t - this.lastDraw < every && this.done < this.options.total) return;
    this.lastDraw = t;
    this.stream.write(this.render() + '\n');
  }
}
