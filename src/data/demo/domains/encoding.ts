import { createHash } from 'node:crypto';
import { choice, domain, n, num, s, text } from '../define.js';

const PHRASES = ['hello world', 'toolken rocks', 'open sesame', 'meet me at noon', 'data science', 'keep it simple', 'night owl 42'];
const quoted = (v: string): string => `"${v}"`;
const MORSE: Record<string, string> = {
  a: '.-', b: '-...', c: '-.-.', d: '-..', e: '.', f: '..-.', g: '--.', h: '....', i: '..', j: '.---', k: '-.-', l: '.-..', m: '--',
  n: '-.', o: '---', p: '.--.', q: '--.-', r: '.-.', s: '...', t: '-', u: '..-', v: '...-', w: '.--', x: '-..-', y: '-.--', z: '--..',
  '0': '-----', '1': '.----', '2': '..---', '3': '...--', '4': '....-', '5': '.....', '6': '-....', '7': '--...', '8': '---..', '9': '----.',
};
const FROM_MORSE = new Map(Object.entries(MORSE).map(([k, v]) => [v, k]));
const ROMAN: [number, string][] = [[1000, 'M'], [900, 'CM'], [500, 'D'], [400, 'CD'], [100, 'C'], [90, 'XC'], [50, 'L'], [40, 'XL'], [10, 'X'], [9, 'IX'], [5, 'V'], [4, 'IV'], [1, 'I']];

function shiftLetters(input: string, shift: number): string {
  return input.replace(/[a-z]/gi, (ch) => {
    const base = ch <= 'Z' ? 65 : 97;
    return String.fromCharCode(((((ch.charCodeAt(0) - base + shift) % 26) + 26) % 26) + base);
  });
}

function toRoman(value: number): string {
  let rest = value;
  let out = '';
  for (const [amount, numeral] of ROMAN) {
    while (rest >= amount) {
      out += numeral;
      rest -= amount;
    }
  }
  return out;
}

export const encodingTools = domain('encoding', [
  {
    name: 'base64_encode',
    description: 'Encodes UTF-8 text as Base64.',
    params: { text: text('The text to encode', PHRASES, quoted) },
    run: (a) => Buffer.from(s(a, 'text'), 'utf8').toString('base64'),
    templates: ['Encode {text} in Base64.', 'What is the base64 of {text}?', 'Convert the string {text} to base64 encoding.'],
  },
  {
    name: 'base64_decode',
    description: 'Decodes Base64 back to UTF-8 text.',
    params: { data: text('The Base64 string', PHRASES.map((p) => Buffer.from(p).toString('base64'))) },
    run: (a) => Buffer.from(s(a, 'data'), 'base64').toString('utf8'),
    templates: ['Decode the base64 string {data}.', 'What text is {data} in Base64?', 'Turn {data} from base64 back into plain text.'],
  },
  {
    name: 'url_encode',
    description: 'Percent-encodes text for use in a URL query component.',
    params: { text: text('The text to encode', ['a b&c=d', 'hello world', 'café au lait', 'price: 10$ / kg', 'q=toolken&lang=en'], quoted) },
    run: (a) => encodeURIComponent(s(a, 'text')),
    templates: ['URL-encode {text}.', 'Percent-encode {text} for a query string.', 'How do I write {text} safely inside a URL?'],
  },
  {
    name: 'url_decode',
    description: 'Decodes percent-encoded URL text.',
    params: { text: text('The percent-encoded text', ['a%20b%26c%3Dd', 'hello%20world', 'caf%C3%A9%20au%20lait', '100%25%20sure'], quoted) },
    run: (a) => decodeURIComponent(s(a, 'text')),
    templates: ['URL-decode {text}.', 'What does the percent-encoded string {text} say?', 'Decode the URL component {text}.'],
  },
  {
    name: 'text_to_hex',
    description: 'Writes the UTF-8 bytes of a text as hexadecimal.',
    params: { text: text('The text to convert', PHRASES, quoted) },
    run: (a) => Buffer.from(s(a, 'text'), 'utf8').toString('hex'),
    templates: ['Show {text} as hex bytes.', 'What is the hexadecimal encoding of {text}?', 'Convert {text} into a hex string.'],
  },
  {
    name: 'rot13',
    description: 'Applies the ROT13 letter substitution (its own inverse).',
    params: { text: text('The text to transform', PHRASES, quoted) },
    run: (a) => shiftLetters(s(a, 'text'), 13),
    templates: ['Apply ROT13 to {text}.', 'ROT13-encode {text}.', 'Scramble {text} with rot13.'],
  },
  {
    name: 'caesar_cipher',
    description: 'Shifts every letter by a fixed number of places in the alphabet (negative shifts decode).',
    params: { text: text('The text to shift', PHRASES, quoted), shift: num('Places to shift each letter', -25, 25) },
    run: (a) => shiftLetters(s(a, 'text'), n(a, 'shift')),
    templates: [
      'Encrypt {text} with a Caesar cipher shift of {shift}.',
      'Shift the letters of {text} by {shift}.',
      'Apply a Caesar shift of {shift} to {text}.',
    ],
  },
  {
    name: 'morse_encode',
    description: 'Writes letters and digits in Morse code; letters are separated by spaces and words by " / ".',
    params: { text: text('The text to encode (letters, digits, spaces)', PHRASES, quoted) },
    run: (a) =>
      s(a, 'text')
        .toLowerCase()
        .split(/\s+/)
        .map((word) => [...word].map((ch) => MORSE[ch] ?? '').filter((c) => c !== '').join(' '))
        .join(' / '),
    templates: ['Translate {text} to Morse code.', 'How do you write {text} in Morse?', 'Encode {text} as dots and dashes.'],
  },
  {
    name: 'morse_decode',
    description: 'Reads Morse code (letters separated by spaces, words by " / ") back into text.',
    params: {
      code: text('The Morse code', ['.... . .-.. .-.. --- / .-- --- .-. .-.. -..', '... --- ...', '-.. .- - .-', '--. --- / .... --- -- .'], quoted),
    },
    run: (a) =>
      s(a, 'code')
        .split(' / ')
        .map((word) => word.split(' ').map((c) => FROM_MORSE.get(c) ?? '?').join(''))
        .join(' '),
    templates: ['Decode the Morse code {code}.', 'What does {code} mean in Morse?', 'Translate the dots and dashes {code} into text.'],
  },
  {
    name: 'convert_number_base',
    description: 'Writes a non-negative integer in binary, octal or hexadecimal.',
    params: { value: num('The integer to convert', 0, 1000000), base: choice('The target base', ['binary', 'octal', 'hexadecimal']) },
    run: (a) => n(a, 'value').toString({ binary: 2, octal: 8, hexadecimal: 16 }[s(a, 'base') as 'binary' | 'octal' | 'hexadecimal']),
    templates: ['Write {value} in {base}.', 'Convert the decimal number {value} to {base}.', 'What is {value} expressed in {base}?'],
  },
  {
    name: 'parse_binary',
    description: 'Reads a binary numeral (0s and 1s) as a decimal integer.',
    params: { bits: text('The binary numeral', ['101', '11111111', '1000000', '1010101', '110', '100000000000'], (v) => v) },
    run: (a) => parseInt(s(a, 'bits'), 2),
    templates: [
      'What is the binary number {bits} in decimal?',
      'Convert {bits} from base 2 to base 10.',
      'Read the bits {bits} as a regular number.',
    ],
  },
  {
    name: 'to_roman_numeral',
    description: 'Writes an integer from 1 to 3999 in Roman numerals.',
    params: { value: num('The integer', 1, 3999) },
    run: (a) => toRoman(n(a, 'value')),
    templates: [
      'Write {value} in Roman numerals.',
      'What is {value} as a Roman numeral?',
      'How would the Romans write the number {value}?',
    ],
  },
  {
    name: 'from_roman_numeral',
    description: 'Reads a Roman numeral as an integer.',
    params: { numeral: text('The Roman numeral', ['XIV', 'MCMXCIV', 'MMXXV', 'XLII', 'CDXLIV', 'LXXXVIII', 'DCCC']) },
    run: (a) => {
      const values: Record<string, number> = { I: 1, V: 5, X: 10, L: 50, C: 100, D: 500, M: 1000 };
      const digits = [...s(a, 'numeral').toUpperCase()].map((ch) => values[ch] ?? 0);
      return digits.reduce((sum, v, i) => sum + (v < (digits[i + 1] ?? 0) ? -v : v), 0);
    },
    templates: [
      'What number is the Roman numeral {numeral}?',
      'Convert {numeral} to a regular integer.',
      'Read {numeral} as a decimal number.',
    ],
  },
  {
    name: 'hash_text',
    description: 'Computes a hex digest of UTF-8 text with MD5, SHA-1 or SHA-256.',
    params: {
      text: text('The text to hash', PHRASES, quoted),
      algorithm: choice('Hash algorithm', ['md5', 'sha1', 'sha256'], { md5: 'MD5', sha1: 'SHA-1', sha256: 'SHA-256' }),
    },
    run: (a) => createHash(s(a, 'algorithm')).update(s(a, 'text'), 'utf8').digest('hex'),
    templates: [
      'What is the {algorithm} hash of {text}?',
      'Hash {text} with {algorithm}.',
      'Compute the {algorithm} checksum of the string {text}.',
    ],
  },
]);
