/**
 * Stop strings over streamed text. Text arrives in pieces (one token's worth at a time); a stop string may span
 * pieces, so any tail that could still grow into a stop string is held back until it either completes (generation
 * stops and the stop string is never emitted) or is ruled out (it is released).
 */
export class StopStringMatcher {
  private pending = '';
  private stoppedFlag = false;

  constructor(private readonly stops: readonly string[]) {
    for (const s of stops) if (s.length === 0) throw new RangeError('stop strings must not be empty');
  }

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** Adds a piece of text; returns the text that is now safe to emit. */
  push(piece: string): string {
    if (this.stoppedFlag) return '';
    this.pending += piece;
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.pending.indexOf(stop);
      if (at !== -1 && (cut === -1 || at < cut)) cut = at;
    }
    if (cut !== -1) {
      this.stoppedFlag = true;
      const out = this.pending.slice(0, cut);
      this.pending = '';
      return out;
    }
    const hold = this.longestStopPrefixSuffix();
    const out = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return out;
  }

  /** At the end of generation: whatever was held back (it never became a stop string). */
  flush(): string {
    const out = this.stoppedFlag ? '' : this.pending;
    this.pending = '';
    return out;
  }

  /** Length of the longest suffix of the pending text that is a proper prefix of some stop string. */
  private longestStopPrefixSuffix(): number {
    let best = 0;
    for (const stop of this.stops) {
      for (let len = Math.min(stop.length - 1, this.pending.length); len > best; len--) {
        if (this.pending.endsWith(stop.slice(0, len))) {
          best = len;
          break;
        }
      }
    }
    return best;
  }
}

/** Anything that turns token ids back into text (every toolken Tokenizer qualifies). */
export interface TokenDecoder {
  decode(ids: readonly number[]): string;
}

/**
 * Incremental detokenisation: byte-level tokens can split a UTF-8 character, and some tokenizers render a token
 * differently depending on its neighbours (SentencePiece drops the space of a sequence's first piece), so text is
 * never decoded token by token. Each step decodes a short window of recent tokens and returns only what the newest
 * token added to it; a trailing U+FFFD (an unfinished character) waits for the token that completes it. The window
 * moves forward as text is emitted, so a long generation costs linear time.
 */
export class TextStream {
  private readonly ids: number[] = [];
  /** The window is ids[windowStart..]; ids[windowStart..emittedEnd] are already emitted. */
  private windowStart = 0;
  private emittedEnd = 0;

  constructor(private readonly decoder: TokenDecoder) {}

  /** Adds a token; returns the text it completed ('' when nothing new is printable yet). */
  push(id: number): string {
    this.ids.push(id);
    const emitted = this.decoder.decode(this.ids.slice(this.windowStart, this.emittedEnd));
    const text = this.decoder.decode(this.ids.slice(this.windowStart));
    if (text.endsWith('\uFFFD') || text.length <= emitted.length) return '';
    this.windowStart = this.emittedEnd;
    this.emittedEnd = this.ids.length;
    return text.slice(emitted.length);
  }

  /** Text still held back at the end (a character that never completed is emitted as decoded). */
  flush(): string {
    const emitted = this.decoder.decode(this.ids.slice(this.windowStart, this.emittedEnd));
    const text = this.decoder.decode(this.ids.slice(this.windowStart));
    this.windowStart = this.emittedEnd = this.ids.length;
    return text.slice(emitted.length);
  }
}
