/** The Action's entrypoint (dist/index.js is this file bundled); tests import run() from main.ts. */
import { run } from './main.js';

await run();
