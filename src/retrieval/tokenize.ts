/**
 * The word tokenizer BM25 uses: camelCase words are split (`getWaterQuality` -> `get water quality`, because tool
 * names are written that way), everything is lowercased, and any run of
 * characters that are not letters or digits separates tokens.
 */

/** Common English function words, dropped when `stopwords` is on. */
export const ENGLISH_STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be but by can could do does for from had has have how i if in into is it its me my no not of on ' +
    'or our please so some such than that the their them then there these they this to too us was we were what when where ' +
    'which while who why will with would you your'
  ).split(' '),
);

export interface TokenizeOptions {
  /** Drop `ENGLISH_STOPWORDS` (default false). */
  stopwords?: boolean;
}

export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  const spaced = text
    .replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2');
  const tokens = spaced.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
  return options.stopwords ? tokens.filter((t) => !ENGLISH_STOPWORDS.has(t)) : tokens;
}
