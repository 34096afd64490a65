/**
 * Mutations of seed inputs, the kind that find parser defects: bit flips, byte and little-endian integer-field
 * overwrites with boundary values, truncation, chunk deletion and duplication, splicing two seeds, and for text
 * inputs (JSON) the replacement of numbers and values with hostile ones. Deterministic for a given Random.
 */
import { pick, randomInt, type Random } from '../../src/util/random.js';

/** Integer values where size arithmetic breaks: zero, one, sign and width boundaries. */
const BOUNDARY_INTEGERS: readonly bigint[] = [
  0n, 1n, 2n, 7n, 8n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n,
];

/** Values a hostile JSON document puts where a number, string or object was. */
const HOSTILE_JSON: readonly string[] = [
  '0', '-1', '1e6', '1e308', '-0', '0.5', '4294967295', '2147483647', '9007199254740993', 'NaN', 'null', 'true', '""',
  '"__proto__"', '[]', '{}', '[[[[[[[[[[]]]]]]]]]]', '{"__proto__":{"polluted":1}}', '"../../x"', '"\\u0000"',
];

const WIDTHS = [1, 2, 4, 8] as const;

function isText(input: Uint8Array): boolean {
  const n = Math.min(input.length, 512);
  for (let i = 0; i < n; i++) {
    const b = input[i]!;
    if (b < 0x09 || (b > 0x0d && b < 0x20)) return false;
  }
  return n > 0;
}

function overwriteInteger(input: Uint8Array, random: Random): Uint8Array {
  const width = pick(WIDTHS, random);
  if (input.length < width) return input;
  const out = Uint8Array.from(input);
  // Header fields sit on aligned offsets in the binary formats here; half the time hit one of those.
  const at = random() < 0.5 ? randomInt(0, Math.floor((out.length - width) / 4), random) * 4 : randomInt(0, out.length - width, random);
  let value = pick(BOUNDARY_INTEGERS, random) & ((1n << BigInt(8 * width)) - 1n);
  if (random() < 0.2) value = (value ^ ((1n << BigInt(8 * width)) - 1n)) & ((1n << BigInt(8 * width)) - 1n);
  for (let i = 0; i < width; i++) out[at + i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

function replaceJsonValue(input: Uint8Array, random: Random): Uint8Array {
  const text = Buffer.from(input).toString('utf8');
  // A number, a string or a literal at a random place is swapped for a hostile value.
  const tokens = [...text.matchAll(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"(?:[^"\\]|\\.)*"|true|false|null/g)];
  if (tokens.length === 0) return input;
  const token = pick(tokens, random);
  const at = token.index ?? 0;
  return Buffer.from(text.slice(0, at) + pick(HOSTILE_JSON, random) + text.slice(at + token[0].length), 'utf8');
}

/** One mutation of `input`; `others` are the seeds available for splicing. */
export function mutate(input: Uint8Array, others: readonly Uint8Array[], random: Random): Uint8Array {
  const kinds = isText(input) ? 8 : 7;
  const kind = randomInt(0, kinds - 1, random);
  if (input.length === 0) return Uint8Array.of(randomInt(0, 255, random));
  switch (kind) {
    case 0: {
      const out = Uint8Array.from(input);
      const flips = randomInt(1, 4, random);
      for (let i = 0; i < flips; i++) out[randomInt(0, out.length - 1, random)]! ^= 1 << randomInt(0, 7, random);
      return out;
    }
    case 1: {
      const out = Uint8Array.from(input);
      out[randomInt(0, out.length - 1, random)] = pick([0, 1, 0x7f, 0x80, 0xff, 0x22, 0x2e, 0x5c, 0x7b], random);
      return out;
    }
    case 2:
    case 3:
      return overwriteInteger(input, random);
    case 4:
      return input.subarray(0, randomInt(0, input.length - 1, random));
    case 5: {
      // Delete or duplicate a chunk: shifts every later offset.
      const from = randomInt(0, input.length - 1, random);
      const to = Math.min(input.length, from + randomInt(1, 64, random));
      const chunk = input.subarray(from, to);
      return random() < 0.5 ? concat(input.subarray(0, from), input.subarray(to)) : concat(input.subarray(0, to), chunk, input.subarray(to));
    }
    case 6: {
      const other = others.length > 0 ? pick(others, random) : input;
      const cut = randomInt(0, input.length, random);
      return concat(input.subarray(0, cut), other.subarray(randomInt(0, other.length, random)));
    }
    default:
      return replaceJsonValue(input, random);
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** An endless stream of inputs: each a seed with 1-3 stacked mutations. */
export function* fuzzInputs(seeds: readonly Uint8Array[], random: Random): Generator<Uint8Array> {
  if (seeds.length === 0) throw new Error('a fuzz target needs at least one seed');
  for (;;) {
    let input = pick(seeds, random);
    const rounds = randomInt(1, 3, random);
    for (let i = 0; i < rounds; i++) input = mutate(input, seeds, random);
    yield input;
  }
}
