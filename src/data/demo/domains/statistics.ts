import { domain, flag, list, n, num, numbers, round } from '../define.js';

const data = (description = 'The data values') => numbers(description, 3, 9, 0, 100);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const variance = (xs: number[], sample: boolean): number => {
  const m = mean(xs);
  return xs.reduce((acc, x) => acc + (x - m) ** 2, 0) / (xs.length - (sample ? 1 : 0));
};

/** Linear interpolation between closest ranks (the method of NumPy's default and Excel's PERCENTILE.INC). */
function percentile(xs: number[], p: number): number {
  const ys = sorted(xs);
  const pos = (p / 100) * (ys.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return ys[lo]! + (ys[hi]! - ys[lo]!) * (pos - lo);
}

export const statisticsTools = domain('statistics', [
  {
    name: 'mean',
    description: 'Computes the arithmetic mean (average) of numbers.',
    params: { values: data() },
    run: (a) => round(mean(list(a, 'values'))),
    templates: ['What is the average of {values}?', 'Compute the mean of {values}.', 'Find the arithmetic mean of these scores: {values}.'],
  },
  {
    name: 'median',
    description: 'Computes the median of numbers (the mean of the two middle values for an even count).',
    params: { values: data() },
    run: (a) => percentile(list(a, 'values'), 50),
    templates: ['What is the median of {values}?', 'Find the middle value of {values}.', 'Give me the median of the data {values}.'],
  },
  {
    name: 'mode',
    description: 'Returns the most frequent values of a list, smallest first.',
    params: { values: numbers('The data values', 3, 12, 1, 6) },
    run: (a) => {
      const counts = new Map<number, number>();
      for (const x of list(a, 'values')) counts.set(x, (counts.get(x) ?? 0) + 1);
      const best = Math.max(...counts.values());
      return sorted([...counts].filter(([, c]) => c === best).map(([x]) => x));
    },
    templates: [
      'What is the mode of {values}?',
      'Which value occurs most often in {values}?',
      'Find the most common number among {values}.',
    ],
  },
  {
    name: 'variance',
    description: 'Computes the sample or population variance of numbers.',
    params: { values: data(), population: flag('Population variance instead of sample variance', 'population', 'sample') },
    required: ['values'],
    run: (a) => round(variance(list(a, 'values'), a.population !== true)),
    templates: [
      'What is the variance of {values}?',
      'Compute the {population} variance of {values}.',
      'How spread out are {values}? Give the {population} variance.',
    ],
  },
  {
    name: 'standard_deviation',
    description: 'Computes the sample standard deviation of numbers.',
    params: { values: data() },
    run: (a) => round(Math.sqrt(variance(list(a, 'values'), true))),
    templates: [
      'What is the standard deviation of {values}?',
      'Compute the sample std dev of {values}.',
      'How much do {values} deviate from their mean, as a standard deviation?',
    ],
  },
  {
    name: 'value_range',
    description: 'Returns the range (maximum minus minimum) of numbers.',
    params: { values: data() },
    run: (a) => Math.max(...list(a, 'values')) - Math.min(...list(a, 'values')),
    templates: [
      'What is the range of {values}?',
      'How far apart are the largest and smallest of {values}?',
      'Compute max minus min for {values}.',
    ],
  },
  {
    name: 'percentile',
    description: 'Computes a percentile of numbers with linear interpolation between closest ranks.',
    params: { values: data(), percent: num('Which percentile, 0-100', 0, 100) },
    run: (a) => round(percentile(list(a, 'values'), n(a, 'percent'))),
    templates: [
      'What is the {percent}th percentile of {values}?',
      'Compute percentile {percent} of {values}.',
      'Below which value do {percent}% of {values} fall?',
    ],
  },
  {
    name: 'z_score',
    description: 'Computes how many standard deviations a value lies from a mean.',
    params: {
      value: num('The observed value', 0, 200, 1),
      mean: num('The mean', 0, 200, 1),
      std_dev: num('The standard deviation (positive)', 1, 50, 1),
    },
    run: (a) => round((n(a, 'value') - n(a, 'mean')) / n(a, 'std_dev')),
    templates: [
      'What is the z-score of {value} with mean {mean} and standard deviation {std_dev}?',
      'How many standard deviations is {value} from a mean of {mean} when sigma is {std_dev}?',
      'Standardize {value} given mean {mean}, sd {std_dev}.',
    ],
  },
  {
    name: 'pearson_correlation',
    description: 'Computes the Pearson correlation coefficient of two equally long lists (pairs beyond the shorter list are ignored).',
    params: { xs: numbers('First variable', 4, 6, 0, 50), ys: numbers('Second variable', 4, 6, 0, 50) },
    run: (a) => {
      const len = Math.min(list(a, 'xs').length, list(a, 'ys').length);
      const [xs, ys] = [list(a, 'xs').slice(0, len), list(a, 'ys').slice(0, len)];
      const [mx, my] = [mean(xs), mean(ys)];
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      for (let i = 0; i < len; i++) {
        sxy += (xs[i]! - mx) * (ys[i]! - my);
        sxx += (xs[i]! - mx) ** 2;
        syy += (ys[i]! - my) ** 2;
      }
      return sxx === 0 || syy === 0 ? 0 : round(sxy / Math.sqrt(sxx * syy));
    },
    templates: [
      'What is the correlation between {xs} and {ys}?',
      'Compute Pearson\'s r for x = {xs} and y = {ys}.',
      'How strongly are {xs} and {ys} linearly related?',
    ],
  },
  {
    name: 'weighted_mean',
    description: 'Computes the weighted average of values with matching weights.',
    params: { values: numbers('The values', 3, 3, 0, 100), weights: numbers('One weight per value', 3, 3, 1, 10) },
    run: (a) => {
      const [xs, ws] = [list(a, 'values'), list(a, 'weights')];
      const total = ws.reduce((x, y) => x + y, 0);
      return round(xs.reduce((sum, x, i) => sum + x * (ws[i] ?? 0), 0) / total);
    },
    templates: [
      'What is the weighted average of {values} with weights {weights}?',
      'My grades are {values} and the weights are {weights}. What is my final grade?',
      'Compute the weighted mean of {values} using weights {weights}.',
    ],
  },
  {
    name: 'geometric_mean',
    description: 'Computes the geometric mean of positive numbers.',
    params: { values: numbers('Positive values', 2, 6, 1, 100) },
    run: (a) => round(Math.exp(mean(list(a, 'values').map(Math.log)))),
    templates: [
      'What is the geometric mean of {values}?',
      'Compute the geometric average of growth factors {values}.',
      'Give me the nth-root-of-product mean of {values}.',
    ],
  },
  {
    name: 'quartiles',
    description: 'Returns the first quartile, median and third quartile of numbers.',
    params: { values: numbers('The data values', 4, 11, 0, 100) },
    run: (a) => ({ q1: round(percentile(list(a, 'values'), 25)), median: round(percentile(list(a, 'values'), 50)), q3: round(percentile(list(a, 'values'), 75)) }),
    templates: ['What are the quartiles of {values}?', 'Give me Q1, the median and Q3 of {values}.', 'Split {values} into quartiles.'],
  },
]);
