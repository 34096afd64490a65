/** One non-blank line of a JSON-lines text: its 1-based number and its value, or why it is not JSON. */
export type JsonLine = { readonly line: number; readonly value: unknown; readonly error?: undefined } | { readonly line: number; readonly value?: undefined; readonly error: string };

/**
 * Splits JSON-lines text into its non-blank lines, parsed. A line that is not JSON is kept with the parser's
 * message instead of throwing, so each caller chooses: refuse the file, skip the line, or (a log being appended
 * to) forgive a torn last line.
 */
export function parseJsonLines(text: string): JsonLine[] {
  const out: JsonLine[] = [];
  text.split('\n').forEach((content, i) => {
    if (content.trim() === '') return;
    try {
      out.push({ line: i + 1, value: JSON.parse(content) as unknown });
    } catch (err) {
      out.push({ line: i + 1, error: (err as Error).message });
    }
  });
  return out;
}
