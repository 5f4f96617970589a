import { readFileSync } from 'node:fs';

/** What schema.prisma declares for one column, in PostgreSQL's terms (information_schema). */
export interface ExpectedColumn {
  column: string;
  dataType: string;
  maxLength: number | null;
  datetimePrecision: number | null;
  nullable: boolean;
  /** `null`: no default; otherwise what information_schema.column_default should match. */
  default: RegExp | null;
}

export interface ExpectedTable {
  model: string;
  table: string;
  columns: ExpectedColumn[];
  primaryKey: string[];
  /** index name → its column list as pg_get_indexdef prints it, e.g. '(completed_at DESC)' */
  indexes: Record<string, string>;
}

const SCALARS: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Boolean: 'boolean',
  Json: 'jsonb',
  DateTime: 'timestamp without time zone',
  Decimal: 'numeric',
};

/**
 * A small reader for the subset of the Prisma schema language this project uses (models with scalar fields,
 * @id, @map, @default, @db.*, @@id, @@index, @@map). Anything else in a model makes it throw, so a schema
 * change it cannot read fails the drift test instead of passing silently.
 */
export function readPrismaSchema(path: string): ExpectedTable[] {
  const source = readFileSync(path, 'utf8').replace(/\/\/.*$/gm, '');
  const tables: ExpectedTable[] = [];
  for (const match of source.matchAll(/model\s+(\w+)\s*\{([^}]*)\}/g)) {
    const model = match[1]!;
    let table = model;
    const columns: ExpectedColumn[] = [];
    let primaryKey: string[] = [];
    const indexes: Record<string, string> = {};
    const fieldToColumn = new Map<string, string>();
    const blockLines: string[] = [];
    for (const raw of match[2]!.split('\n')) {
      const line = raw.trim();
      if (line === '') continue;
      if (line.startsWith('@@')) {
        blockLines.push(line);
        continue;
      }
      const field = /^(\w+)\s+(\w+)(\?)?\s*(.*)$/.exec(line);
      if (!field) throw new Error(`cannot read line of model ${model}: ${line}`);
      const [, name, type, optional, attrs] = field as unknown as [
        string,
        string,
        string,
        string | undefined,
        string,
      ];
      if (!(type in SCALARS)) throw new Error(`unsupported field type ${type} in model ${model}`);
      const column = /@map\("([^"]+)"\)/.exec(attrs)?.[1] ?? name;
      fieldToColumn.set(name, column);
      let dataType = SCALARS[type]!;
      let maxLength: number | null = null;
      let datetimePrecision: number | null = type === 'DateTime' ? 3 : null;
      const native = /@db\.(\w+)(?:\((\d+)\))?/.exec(attrs);
      if (native) {
        const [, kind, arg] = native;
        if (kind === 'VarChar') {
          dataType = 'character varying';
          maxLength = arg ? Number(arg) : null;
        } else if (kind === 'Date') {
          dataType = 'date';
          datetimePrecision = 0;
        } else if (kind === 'Timestamp') {
          datetimePrecision = arg ? Number(arg) : 6;
        } else {
          throw new Error(`unsupported native type @db.${kind} in model ${model}`);
        }
      }
      const defaultArg = /@default\(((?:[^()]|\([^)]*\))*)\)/.exec(attrs)?.[1];
      let expectedDefault: RegExp | null = null;
      if (defaultArg === 'autoincrement()') expectedDefault = /^nextval\(/;
      else if (defaultArg === 'now()') expectedDefault = /^CURRENT_TIMESTAMP$/;
      else if (defaultArg !== undefined) expectedDefault = new RegExp(`^${defaultArg}$`);
      if (/@id\b/.test(attrs)) primaryKey = [column];
      columns.push({
        column,
        dataType,
        maxLength,
        datetimePrecision,
        nullable: optional === '?',
        default: expectedDefault,
      });
    }
    for (const line of blockLines) {
      const list = (text: string) =>
        text.split(',').map((part) => {
          const item = /^\s*(\w+)(?:\(sort:\s*(Asc|Desc)\))?\s*$/.exec(part);
          if (!item) throw new Error(`cannot read ${line} in model ${model}`);
          const column = fieldToColumn.get(item[1]!) ?? item[1]!;
          return item[2] === 'Desc' ? `${column} DESC` : column;
        });
      const mapped = /^@@map\("([^"]+)"\)$/.exec(line);
      const id = /^@@id\(\[([^\]]+)\]\)$/.exec(line);
      const index = /^@@index\(\[([^\]]+)\],\s*map:\s*"([^"]+)"\)$/.exec(line);
      if (mapped) table = mapped[1]!;
      else if (id) primaryKey = list(id[1]!);
      else if (index) indexes[index[2]!] = `(${list(index[1]!).join(', ')})`;
      else throw new Error(`unsupported block attribute in model ${model}: ${line}`);
    }
    tables.push({ model, table, columns, primaryKey, indexes });
  }
  return tables;
}
