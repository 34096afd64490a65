import type { StringNode } from './json-schema-nodes.js';
import { MODE_BITS, MODE_MASK, PLAIN, STRING_CLOSED, STRING_REJECT, stringByte } from './json-string.js';
import type { VocabularyTrie } from './vocabulary-trie.js';

/** A string with no length bounds: classifying a token never depends on the schema. */
const UNBOUNDED: StringNode = { kind: 'string', id: -1, minLength: 0, maxLength: Infinity, minBytes: 2, firstBytes: new Set([0x22]) };

/**
 * Every token of a vocabulary classified once by what it does when it starts inside a JSON string at a character
 * boundary (the usual place a token starts): it stays inside (`inside`: how many characters it adds and the string
 * mode it ends in), it closes the string (`closing`: the characters before the quote and the bytes after it), or it
 * is never valid there. A mask inside a string then costs one pass over these lists instead of a walk of the whole
 * vocabulary trie; only the bytes after a closing quote still go through the automaton.
 */
export class StringTokenClasses {
  readonly insideIds: Int32Array;
  readonly insideChars: Int32Array;
  readonly insideEndMode: Uint8Array;
  readonly closingIds: Int32Array;
  readonly closingChars: Int32Array;
  readonly closingRest: readonly Uint8Array[];

  private static readonly byVocabulary = new WeakMap<VocabularyTrie, StringTokenClasses>();

  /** The classes of a vocabulary, computed on first use and kept while the vocabulary lives. */
  static of(vocabulary: VocabularyTrie): StringTokenClasses {
    let classes = StringTokenClasses.byVocabulary.get(vocabulary);
    if (classes === undefined) {
      classes = new StringTokenClasses(vocabulary);
      StringTokenClasses.byVocabulary.set(vocabulary, classes);
    }
    return classes;
  }

  private constructor(vocabulary: VocabularyTrie) {
    const inside: [number, number, number][] = [];
    const closing: [number, number, Uint8Array][] = [];
    for (const id of vocabulary.tokenIds) {
      const bytes = vocabulary.table.tokenBytes(id);
      let code = PLAIN; // no characters yet, at a character boundary
      for (let i = 0; i < bytes.length; i++) {
        const next = stringByte(UNBOUNDED, code >> MODE_BITS, code & MODE_MASK, bytes[i]!);
        if (next === STRING_REJECT) break;
        if (next === STRING_CLOSED) {
          closing.push([id, code >> MODE_BITS, bytes.subarray(i + 1)]);
          break;
        }
        code = next;
        if (i === bytes.length - 1) inside.push([id, code >> MODE_BITS, code & MODE_MASK]);
      }
    }
    this.insideIds = Int32Array.from(inside, (t) => t[0]);
    this.insideChars = Int32Array.from(inside, (t) => t[1]);
    this.insideEndMode = Uint8Array.from(inside, (t) => t[2]);
    this.closingIds = Int32Array.from(closing, (t) => t[0]);
    this.closingChars = Int32Array.from(closing, (t) => t[1]);
    this.closingRest = closing.map((t) => t[2]);
  }
}
