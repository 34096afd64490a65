import { domain, flag, list, n, num, numbers, strings, text, words } from '../define.js';

const FRUITS = ['apple', 'banana', 'cherry', 'date', 'elderberry', 'fig', 'grape', 'kiwi', 'lemon', 'mango'];
const values = (description = 'The list of numbers') => numbers(description, 3, 9, -50, 100);

export const listTools = domain('lists', [
  {
    name: 'sort_numbers',
    description: 'Sorts numbers in ascending or descending order.',
    params: { values: values(), descending: flag('Largest first', 'from largest to smallest', 'from smallest to largest') },
    required: ['values'],
    run: (a) => [...list(a, 'values')].sort((x, y) => (a.descending === true ? y - x : x - y)),
    templates: ['Sort {values}.', 'Order the numbers {values} {descending}.', 'Arrange {values} {descending}.'],
  },
  {
    name: 'sort_words',
    description: 'Sorts words alphabetically, ignoring case.',
    params: { items: words('The words to sort', FRUITS, 3, 7) },
    run: (a) => [...strings(a, 'items')].sort((x, y) => x.localeCompare(y, 'en', { sensitivity: 'base' })),
    templates: ['Sort these words alphabetically: {items}.', 'Put {items} in alphabetical order.', 'Alphabetize the list {items}.'],
  },
  {
    name: 'reverse_list',
    description: 'Reverses the order of a list of words.',
    params: { items: words('The items', FRUITS, 3, 7) },
    run: (a) => [...strings(a, 'items')].reverse(),
    templates: ['Reverse the list {items}.', 'Give me {items} in the opposite order.', 'Flip the order of {items}.'],
  },
  {
    name: 'unique_numbers',
    description: 'Removes duplicate numbers, keeping the first occurrence of each.',
    params: { values: numbers('The numbers, possibly repeated', 4, 12, 1, 6) },
    run: (a) => [...new Set(list(a, 'values'))],
    templates: ['Remove the duplicates from {values}.', 'Which distinct numbers appear in {values}?', 'Deduplicate the list {values}.'],
  },
  {
    name: 'largest_number',
    description: 'Returns the largest number of a list.',
    params: { values: values() },
    run: (a) => Math.max(...list(a, 'values')),
    templates: ['What is the largest number in {values}?', 'Find the maximum of {values}.', 'Which of {values} is the biggest?'],
  },
  {
    name: 'smallest_number',
    description: 'Returns the smallest number of a list.',
    params: { values: values() },
    run: (a) => Math.min(...list(a, 'values')),
    templates: ['What is the smallest number in {values}?', 'Find the minimum of {values}.', 'Which of {values} is the lowest?'],
  },
  {
    name: 'chunk_list',
    description: 'Splits a list of numbers into consecutive chunks of a given size (the last may be shorter).',
    params: { values: values(), size: num('Chunk size', 1, 4) },
    run: (a) => {
      const xs = list(a, 'values');
      const out: number[][] = [];
      for (let i = 0; i < xs.length; i += n(a, 'size')) out.push(xs.slice(i, i + n(a, 'size')));
      return out;
    },
    templates: [
      'Split {values} into groups of {size}.',
      'Chunk the list {values} into pieces of {size}.',
      'Break {values} into batches of size {size}.',
    ],
  },
  {
    name: 'list_intersection',
    description: 'Returns the words present in both lists, in the order of the first.',
    params: { first: words('First list', FRUITS, 3, 6), second: words('Second list', FRUITS, 3, 6) },
    run: (a) => strings(a, 'first').filter((x) => strings(a, 'second').includes(x)),
    templates: [
      'Which items are in both {first} and {second}?',
      'Find the intersection of [{first}] and [{second}].',
      'What do the lists {first} and {second} have in common?',
    ],
  },
  {
    name: 'list_union',
    description: 'Merges two lists of words without duplicates, first list first.',
    params: { first: words('First list', FRUITS, 2, 5), second: words('Second list', FRUITS, 2, 5) },
    run: (a) => [...new Set([...strings(a, 'first'), ...strings(a, 'second')])],
    templates: [
      'Combine {first} and {second} without duplicates.',
      'What is the union of [{first}] and [{second}]?',
      'Merge the lists {first} and {second} into one with each item once.',
    ],
  },
  {
    name: 'list_difference',
    description: 'Returns the words of the first list that are not in the second.',
    params: { first: words('First list', FRUITS, 3, 6), second: words('Words to remove', FRUITS, 2, 5) },
    run: (a) => strings(a, 'first').filter((x) => !strings(a, 'second').includes(x)),
    templates: [
      'Which items of {first} are not in {second}?',
      'Remove {second} from the list {first}.',
      'Subtract the set [{second}] from [{first}].',
    ],
  },
  {
    name: 'rotate_list',
    description: 'Rotates a list of numbers to the left by a number of positions (negative rotates right).',
    params: { values: values(), steps: num('Positions to rotate left', -5, 5) },
    run: (a) => {
      const xs = list(a, 'values');
      const k = ((n(a, 'steps') % xs.length) + xs.length) % xs.length;
      return [...xs.slice(k), ...xs.slice(0, k)];
    },
    templates: [
      'Rotate {values} left by {steps}.',
      'Shift the list {values} by {steps} positions.',
      'Cycle {values} {steps} places to the left.',
    ],
  },
  {
    name: 'top_n_numbers',
    description: 'Returns the n largest numbers of a list, largest first.',
    params: { values: values(), count: num('How many to return', 1, 3) },
    run: (a) => [...list(a, 'values')].sort((x, y) => y - x).slice(0, n(a, 'count')),
    templates: [
      'What are the top {count} numbers in {values}?',
      'Give me the {count} largest values of {values}.',
      'Pick the highest {count} from {values}.',
    ],
  },
  {
    name: 'index_of_item',
    description: 'Returns the 0-based position of a word in a list, or -1 when absent.',
    params: { items: words('The list to search', FRUITS, 3, 8), item: text('The word to find', FRUITS) },
    run: (a) => strings(a, 'items').indexOf(a.item as string),
    templates: [
      'Where is {item} in the list {items}?',
      'What is the index of {item} in {items}?',
      'Find the position of {item} among {items}.',
    ],
  },
]);
