import { defineConfig } from 'tsup';

// Loaded on demand by @smartstock/db, and only for the embedded database: PGlite's WASM and data files are
// resolved from the CLI's own dependencies at run time, never copied into the bundle.
const EXTERNAL = ['@electric-sql/pglite', '@electric-sql/pglite-socket', 'pglite-prisma-adapter'];

export default defineConfig({
  // src/cli.ts starts with `#!/usr/bin/env node`, which esbuild keeps at the top of dist/cli.js.
  entry: ['src/cli.ts', 'src/index.ts'],
  format: ['esm'],
  // No declaration files: the package is private, and its one importer, the Action, reads the sources (the
  // `@smartstock/source` condition), as every typecheck does. They were the longest build of the chain and its
  // last (11 s and 17 core-seconds on 2 cores: they type-checked every workspace package again).
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Everything else is bundled, the workspace packages and their dependencies too. A command's start was
  // mostly Node resolving, reading and (for CommonJS dependencies) scanning some 300 module files: one bundle
  // cut `smartstock --help` from about 0.8 to 0.4 core-seconds and a short `prices` run from about 1.7 to 1.4 (the
  // test suites start some 250 CLI processes; a monitor's `status --check` starts one a minute).
  noExternal: [new RegExp(`^(?!(${EXTERNAL.join('|')})(/|$))`)],
  external: EXTERNAL,
  // CommonJS dependencies (pg, ioredis, Prisma's runtime) call require(); an ESM bundle has none without this.
  banner: {
    js: "import { createRequire as __smartstockCreateRequire } from 'node:module';\nconst require = __smartstockCreateRequire(import.meta.url);",
  },
});
