import { PyDict, PyScalar, PyValue } from './values.js';
import { ToolkenError } from '../../util/errors.js';

/** A JSON syntax error with the offset it was found at. */
export class JsonSyntaxError extends ToolkenError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super('JSON_SYNTAX', `${message} at offset ${offset}`);
  }
}

/**
 * Parses JSON the way Python's `json.loads` does, into Python values: `4` is an int (bigint) and `4.0` a float,
 * objects become dicts (`Map`). The leaderboard's ground truth relies on that distinction (`[4.0]` is a float answer),
 * which `JSON.parse` loses.
 */
export function parseJson(text: string): PyValue {
  const parser = new JsonParser(text);
  parser.skipSpace();
  const value = parser.value();
  parser.skipSpace();
  if (parser.pos !== text.length) throw new JsonSyntaxError('unexpected trailing text', parser.pos);
  return value;
}

/** Deepest nesting of arrays and objects read; deeper text is refused instead of exhausting the stack. */
const MAX_NESTING = 500;

class JsonParser {
  pos = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos]!)) this.pos++;
  }

  value(): PyValue {
    const ch = this.text[this.pos];
    if (ch === '{' || ch === '[') {
      if (++this.depth > MAX_NESTING) throw new JsonSyntaxError(`arrays and objects nested more than ${MAX_NESTING} deep`, this.pos);
      const value = ch === '{' ? this.object() : this.array();
      this.depth--;
      return value;
    }
    if (ch === '"') return this.string();
    for (const [word, value] of WORDS) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.number();
    throw new JsonSyntaxError(ch === undefined ? 'unexpected end of input' : `unexpected character '${ch}'`, this.pos);
  }

  private expect(ch: string): void {
    if (this.text[this.pos] !== ch) throw new JsonSyntaxError(`expected '${ch}'`, this.pos);
    this.pos++;
  }

  private object(): PyDict {
    const out = new Map<PyScalar, PyValue>();
    this.commaSeparated('{', '}', () => {
      const key = this.string();
      this.skipSpace();
      this.expect(':');
      this.skipSpace();
      out.set(key, this.value());
    });
    return out;
  }

  private array(): PyValue[] {
    const out: PyValue[] = [];
    this.commaSeparated('[', ']', () => out.push(this.value()));
    return out;
  }

  /** `open`, then nothing or `item`s separated by commas (none trailing), then `close`. */
  private commaSeparated(open: string, close: string, item: () => void): void {
    this.expect(open);
    this.skipSpace();
    if (this.text[this.pos] === close) {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipSpace();
      item();
      this.skipSpace();
      if (this.text[this.pos] !== ',') break;
      this.pos++;
    }
    this.expect(close);
  }

  private string(): string {
    this.expect('"');
    let out = '';
    for (;;) {
      const ch = this.text[this.pos++];
      if (ch === undefined) throw new JsonSyntaxError('unterminated string', this.pos);
      if (ch === '"') return out;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const esc = this.text[this.pos++];
      const simple = esc === undefined ? undefined : JSON_ESCAPES[esc];
      if (simple !== undefined) out += simple;
      else if (esc === 'u') {
        const hex = this.text.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError('bad \\u escape', this.pos);
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 4;
      } else throw new JsonSyntaxError(`bad escape '\\${esc ?? ''}'`, this.pos - 1);
    }
  }

  private number(): bigint | number {
    const match = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 400));
    if (match === null) throw new JsonSyntaxError('bad number', this.pos);
    this.pos += match[0].length;
    return match[1] === undefined && match[2] === undefined ? BigInt(match[0]) : Number(match[0]);
  }
}

const WORDS: readonly (readonly [string, PyValue])[] = [
  ['true', true],
  ['false', false],
  ['null', null],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
];

const JSON_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
