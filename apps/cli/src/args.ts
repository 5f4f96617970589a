import type { ArgDef, ArgsDef } from 'citty';
import { UsageError } from './errors.js';

const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function namesOf(name: string, def: ArgDef): string[] {
  const aliases = 'alias' in def && def.alias ? (Array.isArray(def.alias) ? def.alias : [def.alias]) : [];
  return [name, camel(name), kebab(name), ...aliases];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/**
 * citty ignores flags it does not know, so a typo such as `--day 5` would silently run with the default.
 * This walks the raw arguments against the command's declared ones and refuses anything else.
 */
export function assertKnownArgs(rawArgs: readonly string[], argsDef: ArgsDef, commandName: string): void {
  const byName = new Map<string, { name: string; def: ArgDef }>();
  for (const [name, def] of Object.entries(argsDef)) {
    if (def.type === 'positional') continue;
    for (const n of namesOf(name, def)) byName.set(n, { name, def });
  }
  const positionals = Object.values(argsDef).filter((d) => d.type === 'positional').length;
  const help = `run "${commandName} --help" for the options`;
  let seenPositionals = 0;
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i]!;
    if (token === '--') break;
    if (token.startsWith('-') && token !== '-' && !/^-\d/.test(token)) {
      const body = token.replace(/^--?/, '');
      const eq = body.indexOf('=');
      const flag = eq === -1 ? body : body.slice(0, eq);
      let known = byName.get(flag);
      if (!known && flag.startsWith('no-')) {
        const positive = byName.get(flag.slice(3));
        if (positive?.def.type === 'boolean') continue;
      }
      if (!known) {
        const candidates = [...byName.keys()].filter((n) => n.length > 1);
        const best = candidates.sort((a, b) => distance(flag, a) - distance(flag, b))[0];
        const hint = best && distance(flag, best) <= 2 ? ` (did you mean --${best}?)` : '';
        throw new UsageError(`unknown option ${token.split('=')[0]} for "${commandName}"${hint}; ${help}`);
      }
      known = known!;
      const takesValue = known.def.type === 'string' || known.def.type === 'enum';
      if (takesValue && eq === -1) {
        const next = rawArgs[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2)) {
          throw new UsageError(`--${known.name} needs a value; ${help}`);
        }
        i++;
      }
      if (known.def.type === 'boolean' && eq !== -1 && !/^(true|false)$/.test(body.slice(eq + 1))) {
        throw new UsageError(`--${known.name} is a switch: use --${known.name} or --no-${known.name}`);
      }
      continue;
    }
    seenPositionals++;
    if (seenPositionals > positionals) {
      throw new UsageError(`unexpected argument "${token}" for "${commandName}"; ${help}`);
    }
  }
}
