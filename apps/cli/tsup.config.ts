import { defineConfig } from 'tsup';

export default defineConfig({
  // src/cli.ts starts with `#!/usr/bin/env node`, which esbuild keeps at the top of dist/cli.js.
  entry: ['src/cli.ts', 'src/index.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // The workspace packages stay external: @smartstock/db loads PGlite with a dynamic import that must resolve
  // from its own node_modules, which a bundled copy could not do.
});
