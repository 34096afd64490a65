import { domain, flag, n, num, s, text } from '../define.js';

const SENTENCES = [
  'The quick brown fox jumps over the lazy dog',
  'A journey of a thousand miles begins with a single step',
  'Never odd or even',
  'Rain in the morning turned into sunshine by noon',
  'Reading books on quiet evenings is my favorite habit',
  'Was it a car or a cat I saw',
  'She sells sea shells by the sea shore',
  'Our team shipped the new release on Friday afternoon',
  'Step on no pets',
  'Fresh bread smells wonderful early in the day',
];
const quoted = (v: string): string => `"${v}"`;
const WORDS = ['level', 'banana', 'racecar', 'keyboard', 'Madam', 'rotor', 'elephant', 'noon', 'puzzle', 'stats'];
const IDENTIFIERS = ['userAccountId', 'parseHttpResponse', 'maxRetryCount', 'loadConfigFile', 'isVisibleOnScreen', 'totalPriceWithTax'];
const TITLES = ['Hello World: A First Program', 'Ten Tips for Better Sleep!', 'Café & Bakery Opening Soon', 'Why TypeScript Matters in 2025', 'Rust vs Go — a comparison'];
const PHRASES = ['portable network graphics', 'as soon as possible', 'frequently asked questions', 'central processing unit', 'national aeronautics and space administration'];

export const textTools = domain('text', [
  {
    name: 'count_words',
    description: 'Counts the words in a text (runs of letters, digits or apostrophes).',
    params: { text: text('The text to count words in', SENTENCES, quoted) },
    run: (a) => (s(a, 'text').match(/[\p{L}\p{N}']+/gu) ?? []).length,
    templates: ['How many words are in {text}?', 'Count the words in the sentence {text}.', 'Give me the word count of {text}.'],
  },
  {
    name: 'count_characters',
    description: 'Counts the characters in a text, optionally ignoring spaces.',
    params: {
      text: text('The text to measure', SENTENCES, quoted),
      ignore_spaces: flag('Leave spaces out of the count', 'not counting spaces', 'including spaces'),
    },
    required: ['text'],
    run: (a) => [...(a.ignore_spaces === true ? s(a, 'text').replace(/\s/g, '') : s(a, 'text'))].length,
    templates: [
      'How many characters does {text} have?',
      'Count the characters in {text}, {ignore_spaces}.',
      'What is the length of {text} in characters?',
    ],
  },
  {
    name: 'reverse_text',
    description: 'Reverses the characters of a text.',
    params: { text: text('The text to reverse', SENTENCES, quoted) },
    run: (a) => [...s(a, 'text')].reverse().join(''),
    templates: ['Reverse the text {text}.', 'Write {text} backwards.', 'Flip the order of the characters in {text}.'],
  },
  {
    name: 'to_uppercase',
    description: 'Converts a text to upper case.',
    params: { text: text('The text to convert', SENTENCES, quoted) },
    run: (a) => s(a, 'text').toUpperCase(),
    templates: ['Convert {text} to uppercase.', 'Write {text} in capital letters.', 'Make {text} all caps.'],
  },
  {
    name: 'to_title_case',
    description: 'Capitalizes the first letter of every word and lowercases the rest.',
    params: { text: text('The text to convert', SENTENCES, quoted) },
    run: (a) => s(a, 'text').toLowerCase().replace(/(^|\s)(\p{L})/gu, (_m, space: string, letter: string) => space + letter.toUpperCase()),
    templates: [
      'Put {text} in title case.',
      'Capitalize every word of {text}.',
      'Make {text} look like a headline with each word capitalized.',
    ],
  },
  {
    name: 'slugify',
    description: 'Turns a title into a URL slug: lowercase ASCII words joined by hyphens.',
    params: { title: text('The title to turn into a slug', TITLES, quoted) },
    run: (a) =>
      s(a, 'title')
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, ''),
    templates: ['Make a URL slug from {title}.', 'Slugify the title {title}.', 'What would the web address slug for {title} be?'],
  },
  {
    name: 'is_palindrome',
    description: 'Tells whether a word or phrase reads the same backwards, ignoring case, spaces and punctuation.',
    params: {
      text: text('The word or phrase to test', [...WORDS, ...SENTENCES.slice(2, 3), 'Was it a car or a cat I saw', 'Step on no pets'], quoted),
    },
    run: (a) => {
      const letters = s(a, 'text').toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
      return letters === [...letters].reverse().join('');
    },
    templates: ['Is {text} a palindrome?', 'Does {text} read the same forwards and backwards?', 'Check whether {text} is a palindrome.'],
  },
  {
    name: 'count_vowels',
    description: 'Counts the vowels (a, e, i, o, u) in a text.',
    params: { text: text('The text to scan', [...SENTENCES, ...WORDS], quoted) },
    run: (a) => (s(a, 'text').match(/[aeiou]/gi) ?? []).length,
    templates: ['How many vowels are in {text}?', 'Count the vowels of {text}.', 'Tell me the number of a, e, i, o, u letters in {text}.'],
  },
  {
    name: 'truncate_text',
    description: 'Shortens a text to at most a given number of characters, ending with "..." when cut.',
    params: { text: text('The text to shorten', SENTENCES, quoted), max_length: num('Maximum length including the ellipsis', 5, 40) },
    run: (a) => {
      const chars = [...s(a, 'text')];
      const max = n(a, 'max_length');
      return chars.length <= max ? s(a, 'text') : chars.slice(0, max - 3).join('') + '...';
    },
    templates: [
      'Truncate {text} to {max_length} characters.',
      'Shorten {text} so it fits in {max_length} characters.',
      'Cut {text} down to at most {max_length} characters with an ellipsis.',
    ],
  },
  {
    name: 'replace_text',
    description: 'Replaces every occurrence of a substring in a text.',
    params: {
      text: text('The text to edit', SENTENCES, quoted),
      find: text('The substring to look for', ['the', 'a', 'on', 'in', 'e'], quoted),
      replacement: text('What to put instead', ['THE', '_', 'at', '*', 'X'], quoted),
    },
    run: (a) => s(a, 'text').split(s(a, 'find')).join(s(a, 'replacement')),
    templates: [
      'In {text}, replace {find} with {replacement}.',
      'Swap every {find} for {replacement} in {text}.',
      'Find {find} and replace it with {replacement} in the text {text}.',
    ],
  },
  {
    name: 'count_substring',
    description: 'Counts the non-overlapping occurrences of a substring, ignoring case.',
    params: {
      text: text('The text to search', SENTENCES, quoted),
      substring: text('The substring to count', ['the', 'e', 'on', 'in', 's', 'o'], quoted),
    },
    run: (a) => s(a, 'text').toLowerCase().split(s(a, 'substring').toLowerCase()).length - 1,
    templates: [
      'How many times does {substring} appear in {text}?',
      'Count occurrences of {substring} in {text}.',
      'In {text}, how often do you find {substring}?',
    ],
  },
  {
    name: 'camel_to_snake_case',
    description: 'Converts a camelCase identifier to snake_case.',
    params: { identifier: text('The camelCase identifier', IDENTIFIERS) },
    run: (a) => s(a, 'identifier').replace(/(\p{Ll}|\p{N})(\p{Lu})/gu, '$1_$2').toLowerCase(),
    templates: [
      'Convert {identifier} to snake case.',
      'What is {identifier} in snake_case?',
      'Rename the variable {identifier} using underscores instead of camel case.',
    ],
  },
  {
    name: 'make_acronym',
    description: 'Builds an upper-case acronym from the first letter of each word.',
    params: { phrase: text('The phrase to abbreviate', PHRASES, quoted) },
    run: (a) =>
      s(a, 'phrase')
        .split(/\s+/)
        .filter((w) => w.length > 0)
        .map((w) => w[0]!.toUpperCase())
        .join(''),
    templates: ['What is the acronym of {phrase}?', 'Abbreviate {phrase} using initials.', 'Make an acronym from {phrase}.'],
  },
]);
