import { ToolkenError } from '../util/errors.js';
/**
 * RFC 4180 CSV: fields separated by commas, records by CRLF or LF; a field in double quotes may hold commas,
 * newlines and doubled quotes (`""` stands for one `"`). Errors name the file and the line where the bad record
 * starts, because a stray quote otherwise shows up hundreds of lines later.
 */
export class CsvError extends ToolkenError {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super('CSV_INVALID', `${file}:${line}: ${detail}`);
  }
}

export interface CsvRecord {
  fields: string[];
  /** 1-based line on which the record starts. */
  line: number;
}

/** Splits CSV text into records; a trailing newline does not make an empty record. */
export function parseCsv(text: string, file = '<csv>'): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let atFieldStart = true;
  const endRecord = (): void => {
    fields.push(field);
    records.push({ fields, line: recordLine });
    fields = [];
    field = '';
    atFieldStart = true;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (atFieldStart && c === '"') {
      const quoteLine = line;
      i++;
      for (;;) {
        if (i >= text.length) throw new CsvError(file, quoteLine, 'quoted field is never closed');
        const q = text[i]!;
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === '\n') line++;
        field += q;
        i++;
      }
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new CsvError(file, line, `unexpected character '${next}' after a closing quote`);
      }
      atFieldStart = false;
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      atFieldStart = true;
      i++;
    } else if (c === '\n' || c === '\r') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
    } else {
      if (c === '"') throw new CsvError(file, line, 'a quote inside an unquoted field (quote the whole field and double the quote)');
      field += c;
      atFieldStart = false;
      i++;
    }
  }
  if (!atFieldStart || fields.length > 0) endRecord();
  return records;
}
