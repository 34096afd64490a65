/**
 * Documentation of the FuncQA operations (GSM8K-XL's four tools are the first four), written for the Toolken+
 * reranker's candidate list: what each tool computes and one call in the release's notation.
 */
export const FUNCQA_DOCS: ReadonlyMap<string, string> = new Map([
  ['<add>', 'adds numbers, e.g. <add>(147, 354)=501'],
  ['<subtract>', 'subtracts the other numbers from the first, e.g. <subtract>(789.4, 11.99)=777.41'],
  ['<multiply>', 'multiplies numbers, e.g. <multiply>(12, 20)=240'],
  ['<divide>', 'divides the first number by the others, e.g. <divide>(3.77, 13)=0.29'],
  ['<power>', 'raises a number to a power, e.g. <power>(1.04, 11)=1.54'],
  ['<sqrt>', 'the square root of a number, e.g. <sqrt>(144)=12'],
  ['<log>', 'the base-10 logarithm, or log(x, base), e.g. <log>(1000)=3'],
  ['<ln>', 'the natural logarithm, e.g. <ln>(2.72)=1'],
  ['<lcm>', 'the least common multiple of integers, e.g. <lcm>(4, 6)=12'],
  ['<gcd>', 'the greatest common divisor of integers, e.g. <gcd>(12, 18)=6'],
  ['<remainder>', 'the remainder of a divided by b, e.g. <remainder>(5572, 3241)=2331'],
  ['<choose>', 'ways to choose k of n items, C(n, k), e.g. <choose>(5, 2)=10'],
  ['<permutate>', 'ordered arrangements of k of n items, P(n, k), e.g. <permutate>(5, 2)=20'],
]);
