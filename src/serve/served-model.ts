/**
 * A model ready to serve: its tokenizer, the byte trie its constrained decoding masks walk (built once, shared by
 * every request), its end-of-turn ids and the token pieces of the tool-call format.
 */
import { VocabularyTrie } from '../generate/constraints/vocabulary-trie.js';
import type { ForkableSession } from '../models/session.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { errorWithCode } from '../util/errors.js';
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN } from './prompt.js';
import type { ServedCatalog } from './served-catalog.js';

export interface ServableModel {
  /** The model object, when it runs on this thread; absent when a worker holds the weights (worker-runner.ts). */
  readonly model?: { createSession(sequences: number, capacity: number): ForkableSession };
  readonly tokenizer: Tokenizer;
  readonly config: { readonly eosTokenIds: readonly number[]; readonly maxPositions: number };
}

export interface ServedModel {
  /** The name clients pass as `model`. */
  readonly name: string;
  readonly source: ServableModel;
  readonly tokenizer: Tokenizer;
  readonly vocabulary: VocabularyTrie;
  /** Ids that end the assistant's turn. */
  readonly eosIds: ReadonlySet<number>;
  /** The id that ends constrained JSON (never fed to the model: the format's closing text is fed instead). */
  readonly endId: number;
  readonly contextLength: number;
  readonly pieces: CallPieces;
  /** A ToolGen model's catalog, on offer to requests that list no tools (served-catalog.ts). */
  readonly catalog?: ServedCatalog;
}

/** The fixed text around a call, `<tool_call>\n{"name": "NAME", "arguments": ARGS}\n</tool_call>`, as token ids. */
export interface CallPieces {
  /** From the marker to the opening quote of the name. */
  readonly open: readonly number[];
  /** After the marker (when the model wrote it itself) to the opening quote of the name. */
  readonly afterMarker: readonly number[];
  /** The one-byte `"` token that ends a name (the trie's terminator). */
  readonly quote: number;
  /** After the name's closing quote, up to the arguments. */
  readonly beforeArguments: readonly number[];
  /** After the arguments, to the end of the block. */
  readonly close: readonly number[];
  /** Between two calls: a newline and the next call's opening. */
  readonly next: readonly number[];
}

/** A model that cannot be served as asked; the message names the model and the reason. */
export class ServeSetupError extends errorWithCode('SERVE_SETUP_FAILED') {}

export function serveModel(name: string, source: ServableModel): ServedModel {
  const { tokenizer } = source;
  const vocabulary = new VocabularyTrie(tokenizer);
  if (!vocabulary.coversAllBytes()) throw new ServeSetupError(`${name}: constrained decoding needs a one-byte token for every byte; this vocabulary lacks some`);
  const eosIds = new Set(source.config.eosTokenIds);
  if (tokenizer.eosId !== undefined) eosIds.add(tokenizer.eosId);
  const endId = tokenizer.eosId ?? [...eosIds][0];
  if (endId === undefined) throw new ServeSetupError(`${name}: the model has no end-of-sequence token, so no turn could end`);
  const quote = vocabulary.byteToken['"'.charCodeAt(0)]!;
  const encode = (text: string): number[] => tokenizer.encode(text);
  const pieces: CallPieces = {
    open: encode(`${TOOL_CALL_OPEN}\n{"name": "`),
    afterMarker: encode('\n{"name": "'),
    quote,
    beforeArguments: encode(', "arguments": '),
    close: encode(`}\n${TOOL_CALL_CLOSE}`),
    next: encode(`\n${TOOL_CALL_OPEN}\n{"name": "`),
  };
  return { name, source, tokenizer, vocabulary, eosIds, endId, contextLength: source.config.maxPositions, pieces };
}
