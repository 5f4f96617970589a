import type { Database } from './backend.js';
import type { EmbeddedHandle } from './embedded.js';

/** The PGlite instance behind an embedded Database (for serveDatabase). */
export const embeddedHandles = new WeakMap<Database, EmbeddedHandle>();
