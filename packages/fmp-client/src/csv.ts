/** What `parseCsv` returns: the records and whether the body was cut short inside a quote. */
export interface CsvParseResult {
  records: string[][];
  /** The body ended inside a quoted field: the body was cut short. */
  unterminatedQuote: boolean;
}

/**
 * RFC 4180 parser: comma separator, CRLF or LF record ends, double-quoted fields that may contain commas,
 * line breaks and doubled quotes. A leading BOM is dropped; empty lines are skipped.
 */
export function parseCsv(text: string): CsvParseResult {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let inQuotes = false;
  // Distinguishes an empty line (skipped) from a record whose only field is empty.
  let recordHasContent = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;

  const endRecord = () => {
    if (recordHasContent || record.length > 0) {
      record.push(field);
      records.push(record);
    }
    record = [];
    field = '';
    recordHasContent = false;
  };

  while (i < n) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i += 1;
        continue;
      }
      field += ch;
      i += 1;
      continue;
    }
    if (ch === '"') {
      inQuotes = true;
      recordHasContent = true;
      i += 1;
    } else if (ch === ',') {
      record.push(field);
      field = '';
      recordHasContent = true;
      i += 1;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      endRecord();
      i += 2;
    } else if (ch === '\n' || ch === '\r') {
      endRecord();
      i += 1;
    } else {
      field += ch;
      recordHasContent = true;
      i += 1;
    }
  }
  if (inQuotes) return { records, unterminatedQuote: true };
  endRecord();
  return { records, unterminatedQuote: false };
}
