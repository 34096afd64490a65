import { domain, list, n, num, numbers, round } from '../define.js';

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function primeFactors(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  for (let p = 2; p * p <= rest; p++) {
    while (rest % p === 0) {
      out.push(p);
      rest /= p;
    }
  }
  if (rest > 1) out.push(rest);
  return out;
}

const isPrime = (value: number): boolean => value >= 2 && primeFactors(value).length === 1;

export const mathTools = domain('math', [
  {
    name: 'add_numbers',
    description: 'Adds a list of numbers and returns their sum.',
    params: { numbers: numbers('The numbers to add', 2, 5, -500, 500, 1) },
    run: (a) => round(list(a, 'numbers').reduce((x, y) => x + y, 0)),
    templates: ['What is the sum of {numbers}?', 'Add up {numbers}.', 'Total these numbers for me: {numbers}'],
  },
  {
    name: 'subtract_numbers',
    description: 'Subtracts the second number from the first.',
    params: { minuend: num('The number to subtract from', -1000, 1000, 1), subtrahend: num('The number to subtract', -1000, 1000, 1) },
    run: (a) => round(n(a, 'minuend') - n(a, 'subtrahend')),
    templates: ['What is {minuend} minus {subtrahend}?', 'Subtract {subtrahend} from {minuend}.', 'Take {subtrahend} away from {minuend}.'],
  },
  {
    name: 'multiply_numbers',
    description: 'Multiplies two numbers.',
    params: { a: num('First factor', -200, 200, 1), b: num('Second factor', -200, 200, 1) },
    run: (a) => round(n(a, 'a') * n(a, 'b')),
    templates: ['What is {a} times {b}?', 'Multiply {a} by {b}.', 'Compute the product of {a} and {b}.'],
  },
  {
    name: 'divide_numbers',
    description: 'Divides a dividend by a non-zero divisor and returns the quotient.',
    params: { dividend: num('The number to divide', -10000, 10000), divisor: num('The number to divide by (not zero)', 1, 250) },
    run: (a) => round(n(a, 'dividend') / n(a, 'divisor')),
    templates: [
      'What is {dividend} divided by {divisor}?',
      'Divide {dividend} by {divisor}.',
      'How many times does {divisor} go into {dividend}?',
    ],
  },
  {
    name: 'power',
    description: 'Raises a base to an integer exponent.',
    params: { base: num('The base', 0, 30), exponent: num('The exponent', 0, 12) },
    run: (a) => n(a, 'base') ** n(a, 'exponent'),
    templates: ['What is {base} to the power of {exponent}?', 'Raise {base} to exponent {exponent}.', 'Calculate {base}^{exponent}.'],
  },
  {
    name: 'nth_root',
    description: 'Computes the n-th root of a non-negative number (square root when n is 2).',
    params: { value: num('The number to take the root of', 0, 100000), degree: num('Which root to take (2 = square root, 3 = cube root)', 2, 5) },
    run: (a) => round(n(a, 'value') ** (1 / n(a, 'degree'))),
    templates: [
      'What is the root of degree {degree} of {value}?',
      'Take the {degree}-th root of {value}.',
      'Find the degree-{degree} root of {value}.',
    ],
  },
  {
    name: 'factorial',
    description: 'Computes n! for a non-negative integer n up to 20.',
    params: { n: num('The integer whose factorial to compute', 0, 20) },
    run: (a) => {
      let out = 1;
      for (let i = 2; i <= n(a, 'n'); i++) out *= i;
      return out;
    },
    templates: ['What is {n} factorial?', 'Compute {n}!', 'How many ways can {n} distinct items be ordered?'],
  },
  {
    name: 'greatest_common_divisor',
    description: 'Finds the greatest common divisor of two integers.',
    params: { a: num('First integer', 1, 100000), b: num('Second integer', 1, 100000) },
    run: (a) => gcd(n(a, 'a'), n(a, 'b')),
    templates: [
      'What is the GCD of {a} and {b}?',
      'Find the greatest common divisor of {a} and {b}.',
      'What is the largest number that divides both {a} and {b}?',
    ],
  },
  {
    name: 'least_common_multiple',
    description: 'Finds the least common multiple of two positive integers.',
    params: { a: num('First integer', 1, 5000), b: num('Second integer', 1, 5000) },
    run: (a) => (n(a, 'a') * n(a, 'b')) / gcd(n(a, 'a'), n(a, 'b')),
    templates: [
      'What is the LCM of {a} and {b}?',
      'Find the least common multiple of {a} and {b}.',
      'What is the smallest number that both {a} and {b} divide?',
    ],
  },
  {
    name: 'is_prime',
    description: 'Tells whether an integer is a prime number.',
    params: { n: num('The integer to test', 1, 1000000) },
    run: (a) => isPrime(n(a, 'n')),
    templates: ['Is {n} a prime number?', 'Check whether {n} is prime.', 'Can {n} only be divided by 1 and itself?'],
  },
  {
    name: 'prime_factors',
    description: 'Returns the prime factorization of an integer greater than 1, smallest factor first.',
    params: { n: num('The integer to factor', 2, 1000000) },
    run: (a) => primeFactors(n(a, 'n')),
    templates: ['What are the prime factors of {n}?', 'Factorize {n} into primes.', 'Break {n} down into its prime factorization.'],
  },
  {
    name: 'fibonacci_number',
    description: 'Returns the n-th Fibonacci number (F(0) = 0, F(1) = 1).',
    params: { index: num('Position in the sequence, from 0', 0, 70) },
    run: (a) => {
      let [x, y] = [0, 1];
      for (let i = 0; i < n(a, 'index'); i++) [x, y] = [y, x + y];
      return x;
    },
    templates: [
      'What is the Fibonacci number at position {index}?',
      'Give me Fibonacci number {index}.',
      'Compute F({index}) in the Fibonacci sequence.',
    ],
  },
  {
    name: 'modulo',
    description: 'Returns the remainder of an integer division (always non-negative for a positive divisor).',
    params: { dividend: num('The number to divide', -100000, 100000), divisor: num('The positive divisor', 1, 1000) },
    run: (a) => ((n(a, 'dividend') % n(a, 'divisor')) + n(a, 'divisor')) % n(a, 'divisor'),
    templates: [
      'What is {dividend} mod {divisor}?',
      'What is the remainder when {dividend} is divided by {divisor}?',
      'Compute {dividend} modulo {divisor}.',
    ],
  },
  {
    name: 'round_number',
    description: 'Rounds a number to a given count of decimal places.',
    params: { value: num('The number to round', -10000, 10000, 4), decimals: num('Decimal places to keep', 0, 3) },
    run: (a) => round(n(a, 'value'), n(a, 'decimals')),
    templates: [
      'Round {value} to {decimals} decimal places.',
      'What is {value} rounded to {decimals} decimals?',
      'Round off {value} keeping {decimals} digits after the point.',
    ],
  },
]);
