import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupedBarSvg, lineSvg } from './charts.js';
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
