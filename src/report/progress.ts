/**
 * A terminal progress bar with rate and ETA. On a TTY it redraws one line, cut to the terminal's width so it never
 * wraps; elsewhere (CI, pipes) it prints a plain line at most every `logEveryMs` and the final line once, from
 * finish(), so that logs stay readable. Output goes to stderr: stdout is for results.
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

  /**
   * The current line, without terminal control characters, at most `width` characters: when it is too long the
   * least useful parts go first (extra metrics, elapsed time, rate, the bar itself), so a narrow terminal still
   * sees the label, the count and the ETA.
   */
  render(width = Infinity): string {
    const { total, label } = this.options;
    const unit = this.options.unit ?? 'it';
    const elapsed = (this.now() - this.started) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = rate > 0 ? (total - this.done) / rate : Infinity;
    const barWidth = 24;
    const fraction = total > 0 ? this.done / total : 1;
    const filled = Math.round(fraction * barWidth);
    const rateText = rate >= 10 ? rate.toFixed(0) : rate.toFixed(2);
    // Display order; `keep` ranks what survives on a narrow line (higher stays longer).
    const parts: { text: string; keep: number }[] = [
      { text: label, keep: 9 },
      { text: `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`, keep: 3 },
      { text: `${(fraction * 100).toFixed(0).padStart(3)}%`, keep: 6 },
      { text: `${this.done}/${total}`, keep: 8 },
      { text: `${rateText} ${unit}/s`, keep: 2 },
      { text: `elapsed ${formatDuration(elapsed)}`, keep: 1 },
      { text: `eta ${formatDuration(eta)}`, keep: 5 },
      ...Object.entries(this.metrics).map(([k, v], i) => ({ text: `| ${k} ${v}`, keep: i === 0 ? 4 : 0 })),
    ];
    const line = (): string => parts.map((p) => p.text).join(' ');
    while (line().length > width && parts.length > 1) {
      let drop = 0;
      parts.forEach((p, i) => {
        if (p.keep <= parts[drop]!.keep) drop = i;
      });
      parts.splice(drop, 1);
    }
    return line().slice(0, width);
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
      // One column short of the width: a line that fills the last column wraps on some terminals.
      this.stream.write('\r\x1b[2K' + this.render((this.stream.columns || 80) - 1));
      return;
    }
    // Off a terminal the final line is finish()'s alone, so a log never shows it twice.
    const every = this.options.logEveryMs ?? 5000;
    if (!force && (t - this.lastDraw < every || this.done >= this.options.total)) return;
    this.lastDraw = t;
    this.stream.write(this.render() + '\n');
  }
}
