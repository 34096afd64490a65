import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emaSmooth, groupedBarSvg, lineSvg, lossChartSvg, spansDecades } from './charts.js';
import { formatTable, renderHtmlReport } from './html.js';

test('a grouped bar chart draws one bar per series and category, with escaped labels', () => {
  const svg = groupedBarSvg({
    title: 'NDCG <test>',
    categories: ['ndcg@1', 'ndcg@3'],
    series: [
      { name: 'bm25', values: [0.5, 0.6] },
      { name: 'toolgen', values: [0.7, 0.8] },
    ],
  });
  assert.equal(svg.match(/<rect [^>]*><title>/g)?.length, 4);
  assert.match(svg, /NDCG &lt;test&gt;/);
  assert.throws(() => groupedBarSvg({ title: 't', categories: ['a'], series: [{ name: 's', values: [1, 2] }] }), /series 's' has 2 values for 1 categories/);
});

test('a line chart draws one path per non-empty series', () => {
  const svg = lineSvg({ title: 'loss', xLabel: 'step', series: [{ name: 'train', points: [[0, 3], [10, 1], [20, 0.5]] }, { name: 'empty', points: [] }] });
  assert.equal(svg.match(/<path /g)?.length, 1);
});

test('the HTML report is self-contained and escapes text', () => {
  const html = renderHtmlReport('Run <1>', [
    { kind: 'heading', text: 'Results' },
    { kind: 'table', columns: ['retriever', 'ndcg@1'], rows: [['bm25', 0.5]] },
  ]);
  assert.match(html, /<title>Run &lt;1&gt;<\/title>/);
  assert.match(html, /<td class="num">0\.5000<\/td>/);
  assert.doesNotMatch(html, /<script|<link/);
});

test('formatTable aligns columns', () => {
  assert.equal(formatTable(['a', 'value'], [['long name', 1.5], ['x', 2]]), 'a          value\n---------  ------\nlong name  1.5000\nx          2');
});

test('emaSmooth is debiased (the first value is kept) and weight 0 leaves the values unchanged', () => {
  assert.deepEqual(emaSmooth([[0, 4], [1, 0]], 0), [[0, 4], [1, 0]]);
  const smoothed = emaSmooth([[0, 4], [1, 0], [2, 4]], 0.5);
  assert.deepEqual(smoothed[0], [0, 4]);
  // (0.5*2 + 0.5*0) / (1 - 0.25) = 4/3: between the raw values, not pulled toward zero.
  assert.ok(Math.abs(smoothed[1]![1] - 4 / 3) < 1e-12);
  assert.throws(() => emaSmooth([], 1), /weight must be in \[0, 1\)/);
});

test('spansDecades asks for a log axis only when positive values span more than a factor of 100', () => {
  assert.equal(spansDecades([10, 1e-3]), true);
  assert.equal(spansDecades([2, 0.5]), false);
  assert.equal(spansDecades([1, 0, 500]), false, 'a zero cannot go on a log axis');
});

test('a loss chart labels both axes and draws the raw loss faint under its EMA, with validation as dots', () => {
  const train: [number, number][] = Array.from({ length: 30 }, (_, i) => [i + 1, 10 ** (1 - i / 7)]);
  const svg = lossChartSvg('retrieval', train, [[10, 0.5], [20, 0.05]]);
  assert.match(svg, />optimizer step</);
  assert.match(svg, />loss \(log scale\)</);
  assert.equal(svg.match(/<path /g)?.length, 3);
  assert.equal(svg.match(/stroke-opacity="0\.3"/g)?.length, 1);
  assert.equal(svg.match(/<circle /g)?.length, 2);
  // The legend tells the faint raw loss from its EMA of the same colour.
  assert.match(svg, /<rect [^>]*fill-opacity="0\.3"\/><text [^>]*>train loss \(raw\)</);
  assert.match(svg, /<rect [^>]*fill="#[0-9A-Fa-f]{6}"\/><text [^>]*>train loss \(EMA 0\.9\)</);
  assert.match(lossChartSvg('flat', [[1, 2], [2, 1.5]]), />loss</);
});
