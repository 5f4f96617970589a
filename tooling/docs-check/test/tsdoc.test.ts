import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// A deliberate surface is a documented one: every name a package's index exports carries a TSDoc comment on
// its declaration (what it is for, units, defaults, what it throws), so an editor's hover answers a service's
// developer. A new export without one fails here, naming it.

const root = fileURLToPath(new URL('../../..', import.meta.url));
const ENTRIES = [
  'packages/common',
  'packages/fmp-client',
  'packages/fmp-sandbox',
  'packages/ingest-core',
  'packages/sync-logger',
  'packages/db',
  'apps/cli',
].map((dir) => join(root, dir, 'src', 'index.ts'));

/** Each index's exported names that have no doc comment on their declaration. */
function undocumentedExports(): Record<string, string[]> {
  const program = ts.createProgram(ENTRIES, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    customConditions: ['@smartstock/source'],
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const result: Record<string, string[]> = {};
  for (const entry of ENTRIES) {
    const file = program.getSourceFile(entry);
    const module = file && checker.getSymbolAtLocation(file);
    if (!module) throw new Error(`cannot read ${entry}`);
    const missing = checker.getExportsOfModule(module).filter((exported) => {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (symbol.getDocumentationComment(checker).length > 0) return false;
      return !(symbol.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
    });
    result[entry.slice(root.length).replace(/\/src\/index\.ts$/, '')] = missing.map((s) => s.name);
  }
  return result;
}

describe('the packages’ public surfaces', () => {
  it('document every exported name with a TSDoc comment', () => {
    const missing = undocumentedExports();
    expect(Object.keys(missing)).toHaveLength(ENTRIES.length);
    expect(missing).toEqual(Object.fromEntries(Object.keys(missing).map((k) => [k, []])));
  });
});
