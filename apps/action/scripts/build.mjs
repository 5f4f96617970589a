// Bundles the Action into ONE self-contained ESM file, dist/index.js: it runs with no node_modules and no
// prisma/ beside it (actions get no `npm install`). Workspace packages are read from source (the
// `@smartstock/source` condition), so the bundle never depends on their dist/ being fresh.
//   node scripts/build.mjs [outfile]
import { build } from 'esbuild';

const outfile = process.argv[2] ?? 'dist/index.js';

await build({
  entryPoints: ['src/index.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@smartstock/source'],
  // PGlite is only for embedded URLs, loaded with a dynamic import the Action never reaches (it takes a
  // PostgreSQL URL); leaving it out keeps the bundle small and free of WASM data files.
  external: ['@electric-sql/*', 'pglite-prisma-adapter'],
  // CommonJS dependencies (pg) call require(); an ESM bundle has none without this.
  banner: {
    js: "import { createRequire as __smartstockCreateRequire } from 'node:module';\nconst require = __smartstockCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  sourcemap: false,
  minify: false,
  logLevel: 'warning',
});
