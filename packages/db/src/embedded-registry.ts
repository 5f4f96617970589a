import type { Database } from './backend.js';
import type { EmbeddedHandle } from './embedded.js';

// A registry symbol, as for the backend (backend.ts): another copy of this package can serve the database.
const EMBEDDED_SLOT = Symbol.for('@smartstock/db/embedded');

/** The PGlite instance behind an embedded Database (for serveDatabase). */
export const embeddedHandles = {
  set(db: Database, handle: EmbeddedHandle): void {
    Object.defineProperty(db, EMBEDDED_SLOT, { value: handle, enumerable: false });
  },
  get(db: Database): EmbeddedHandle | undefined {
    return (db as { [EMBEDDED_SLOT]?: EmbeddedHandle })[EMBEDDED_SLOT];
  },
};
