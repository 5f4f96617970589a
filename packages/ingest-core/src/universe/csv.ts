/**
 * An RFC 4180 CSV reader. The iShares file ends with one quoted cell holding a multi-line disclaimer, so
 * splitting on newlines is wrong: quoted fields may hold commas, doubled quotes and line breaks (LF, CRLF
 * or lone CR). A leading byte-order mark is dropped. Unquoted cells are returned verbatim (callers trim).
 */
export function parseCsv(text: string): string[][] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let inQuotes = false;
  // A record only counts when something was read for it, so a trailing newline adds no empty record.
  let touched = false;
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const ch = src[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        field += ch;
      }
      continue;
    }
    if (ch === '"') {
      inQuotes = true;
      touched = true;
    } else if (ch === ',') {
      record.push(field);
      field = '';
      touched = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      record.push(field);
      records.push(touched || field !== '' ? record : ['']);
      record = [];
      field = '';
      touched = false;
    } else {
      field += ch;
      touched = true;
    }
  }
  if (touched || field !== '') {
    record.push(field);
    records.push(record);
  }
  return records;
}
