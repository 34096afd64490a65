/**
 * Small, dependency-free SVG charts for run reports: grouped bars (e.g. retrievers x metrics) and line charts
 * (e.g. loss curves). Output is a standalone SVG string that embeds in HTML or is saved as a .svg file.
 */

const PALETTE = ['#4C78A8', '#F58518', '#54A24B', '#E45756', '#72B7B2', '#B279A2', '#FF9DA6', '#9D755D'];

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface GroupedBarChart {
  readonly title: string;
  /** Category labels along the x axis (e.g. metric names). */
  readonly categories: readonly string[];
  /** One series per group member (e.g. retriever), one value per category. */
  readonly series: readonly { readonly name: string; readonly values: readonly number[] }[];
  /** Fixed y range; defaults to [0, max]. */
  readonly yMax?: number;
  readonly width?: number;
  readonly height?: number;
}

export function groupedBarSvg(chart: GroupedBarChart): string {
  const box = frame(chart.width ?? 720, chart.height ?? 360, { top: 40, right: 20, bottom: 70, left: 50 });
  const { width, height, margin, plotW, plotH } = box;
  for (const s of chart.series) {
    if (s.values.length !== chart.categories.length) {
      throw new Error(`groupedBarSvg: series '${s.name}' has ${s.values.length} values for ${chart.categories.length} categories`);
    }
  }
  const dataMax = Math.max(0, ...chart.series.flatMap((s) => s.values.filter(Number.isFinite)));
  const yMax = chart.yMax ?? (dataMax > 0 ? niceCeil(dataMax) : 1);
  const groupW = plotW / Math.max(1, chart.categories.length);
  const barW = (groupW * 0.8) / Math.max(1, chart.series.length);
  const y = (v: number): number => margin.top + plotH - (Math.max(0, Math.min(v, yMax)) / yMax) * plotH;
  const parts: string[] = [];
  parts.push(axes(box, yMax, chart.title));
  chart.categories.forEach((cat, ci) => {
    const gx = margin.left + ci * groupW + groupW * 0.1;
    chart.series.forEach((s, si) => {
      const v = s.values[ci]!;
      const x = gx + si * barW;
      const top = y(v);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(margin.top + plotH - top).toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${escapeXml(`${s.name} ${cat}: ${v.toFixed(4)}`)}</title></rect>`,
      );
      parts.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(top - 3).toFixed(1)}" font-size="9" text-anchor="middle">${v.toFixed(2)}</text>`);
    });
    parts.push(
      `<text x="${(margin.left + ci * groupW + groupW / 2).toFixed(1)}" y="${margin.top + plotH + 16}" font-size="12" text-anchor="middle">${escapeXml(cat)}</text>`,
    );
  });
  parts.push(legend(chart.series.map((s, si) => ({ name: s.name, color: PALETTE[si % PALETTE.length]! })), margin.left, height - 24));
  return wrapSvg(width, height, parts);
}

export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** A faint line behind the others (the raw values under a smoothed curve). */
  readonly faint?: boolean;
  /** Draw a dot at each point (few points, e.g. validation). */
  readonly dots?: boolean;
  /** Palette index, so a smoothed curve and its raw values share a colour. */
  readonly color?: number;
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel?: string;
  readonly series: readonly LineSeries[];
  readonly width?: number;
  readonly height?: number;
  readonly logY?: boolean;
}

/**
 * Exponential moving average with TensorBoard's debiasing (the first values are not pulled toward zero):
 * `weight` 0 returns the values unchanged, near 1 smooths hard.
 */
export function emaSmooth(points: readonly (readonly [number, number])[], weight: number): [number, number][] {
  if (!(weight >= 0 && weight < 1)) throw new RangeError(`emaSmooth: weight must be in [0, 1), got ${weight}`);
  let average = 0;
  let n = 0;
  return points
    .filter(([, v]) => Number.isFinite(v))
    .map(([x, v]) => {
      average = average * weight + (1 - weight) * v;
      n++;
      return [x, average / (1 - weight ** n)];
    });
}

/** True when positive values span more than two decades, where a linear axis flattens all but the largest. */
export function spansDecades(values: readonly number[]): boolean {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (positive.length === 0 || positive.length < values.filter(Number.isFinite).length) return false;
  return Math.max(...positive) / Math.min(...positive) > 100;
}

/**
 * One stage's loss: the raw training loss faint, its EMA on top, validation loss as dots; log scale when the loss
 * spans decades. The y axis is labelled with what it shows.
 */
export function lossChartSvg(
  title: string,
  train: readonly (readonly [number, number])[],
  validation: readonly (readonly [number, number])[] = [],
  smoothing = 0.9,
): string {
  const series: LineSeries[] = [
    { name: 'train loss (raw)', points: train, faint: true, color: 0 },
    { name: `train loss (EMA ${smoothing})`, points: emaSmooth(train, smoothing), color: 0 },
  ];
  if (validation.length > 0) series.push({ name: 'validation loss', points: validation, dots: true, color: 1 });
  const logY = spansDecades([...train, ...validation].map(([, v]) => v));
  return lineSvg({ title, xLabel: 'optimizer step', yLabel: logY ? 'loss (log scale)' : 'loss', series, logY, height: 280 });
}

export function lineSvg(chart: LineChart): string {
  const { width, height, margin, plotW, plotH } = frame(chart.width ?? 720, chart.height ?? 320, { top: 40, right: 20, bottom: 60, left: 60 });
  const all = chart.series.flatMap((s) => s.points).filter(([x, v]) => Number.isFinite(x) && Number.isFinite(v));
  const tf = (v: number): number => (chart.logY ? Math.log10(Math.max(v, 1e-12)) : v);
  const xs = all.map(([x]) => x);
  const ys = all.map(([, v]) => tf(v));
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const yMin = ys.length ? Math.min(...ys) : 0;
  const yMaxRaw = ys.length ? Math.max(...ys) : 1;
  const yMax = yMaxRaw === yMin ? yMin + 1 : yMaxRaw;
  const px = (x: number): number => margin.left + ((x - xMin) / (xMax - xMin || 1)) * plotW;
  const py = (v: number): number => margin.top + plotH - ((tf(v) - yMin) / (yMax - yMin)) * plotH;
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="22" font-size="15" text-anchor="middle" font-weight="bold">${escapeXml(chart.title)}</text>`);
  parts.push(`<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="#333"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = yMin + ((yMax - yMin) * i) / 4;
    const yy = margin.top + plotH - (plotH * i) / 4;
    const label = chart.logY ? (10 ** v).toPrecision(2) : v.toPrecision(3);
    parts.push(`<text x="${margin.left - 6}" y="${yy + 4}" font-size="10" text-anchor="end">${label}</text>`);
    parts.push(`<line x1="${margin.left}" y1="${yy}" x2="${margin.left + plotW}" y2="${yy}" stroke="#eee"/>`);
  }
  for (let i = 0; i <= 4; i++) {
    const x = xMin + ((xMax - xMin) * i) / 4;
    const label = Number.isInteger(xMin) && Number.isInteger(xMax) ? String(Math.round(x)) : x.toPrecision(3);
    parts.push(`<text x="${(margin.left + (plotW * i) / 4).toFixed(1)}" y="${margin.top + plotH + 16}" font-size="10" text-anchor="${i === 0 ? 'start' : i === 4 ? 'end' : 'middle'}">${label}</text>`);
  }
  parts.push(`<text x="${margin.left + plotW / 2}" y="${margin.top + plotH + 32}" font-size="12" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
  if (chart.yLabel !== undefined) {
    const cy = margin.top + plotH / 2;
    parts.push(`<text x="14" y="${cy}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${cy})">${escapeXml(chart.yLabel)}</text>`);
  }
  const colorOf = (s: LineSeries, si: number): string => PALETTE[(s.color ?? si) % PALETTE.length]!;
  chart.series.forEach((s, si) => {
    const pts = s.points.filter(([x, v]) => Number.isFinite(x) && Number.isFinite(v));
    if (pts.length === 0) return;
    const d = pts.map(([x, v], i) => `${i === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    const style = s.faint ? 'stroke-width="1" stroke-opacity="0.3"' : 'stroke-width="1.8"';
    parts.push(`<path d="${d}" fill="none" stroke="${colorOf(s, si)}" ${style}/>`);
    if (s.dots) for (const [x, v] of pts) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${colorOf(s, si)}"/>`);
  });
  // A faint line's swatch is faint too, or the raw loss and its EMA (one colour) would look alike in the legend.
  parts.push(legend(chart.series.map((s, si) => ({ name: s.name, color: colorOf(s, si), faint: s.faint === true })), margin.left, height - 10));
  return wrapSvg(width, height, parts);
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

interface Margin {
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly left: number;
}

/** A chart's canvas: its size, the margins kept for titles, ticks and legend, and the plot area inside them. */
interface Frame {
  readonly width: number;
  readonly height: number;
  readonly margin: Margin;
  readonly plotW: number;
  readonly plotH: number;
}

function frame(width: number, height: number, margin: Margin): Frame {
  return { width, height, margin, plotW: width - margin.left - margin.right, plotH: height - margin.top - margin.bottom };
}

function axes({ width, margin, plotW, plotH }: Frame, yMax: number, title: string): string {
  const out: string[] = [`<text x="${width / 2}" y="22" font-size="15" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`];
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    const yy = margin.top + plotH - (plotH * i) / 5;
    out.push(`<line x1="${margin.left}" y1="${yy}" x2="${margin.left + plotW}" y2="${yy}" stroke="${i === 0 ? '#333' : '#eee'}"/>`);
    out.push(`<text x="${margin.left - 6}" y="${yy + 4}" font-size="10" text-anchor="end">${Number(v.toPrecision(3))}</text>`);
  }
  out.push(`<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="#333"/>`);
  return out.join('');
}

function legend(entries: readonly { name: string; color: string; faint?: boolean }[], x: number, y: number): string {
  let cx = x;
  return entries
    .map(({ name, color, faint }) => {
      const item = `<rect x="${cx}" y="${y - 10}" width="12" height="12" fill="${color}"${faint === true ? ' fill-opacity="0.3"' : ''}/><text x="${cx + 16}" y="${y}" font-size="12">${escapeXml(name)}</text>`;
      cx += 28 + name.length * 7;
      return item;
    })
    .join('');
}

function wrapSvg(width: number, height: number, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`;
}

export { escapeXml };
