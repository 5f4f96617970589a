import { packageConfig } from '../../vitest.shared';

// The e2e files start most embedded data directories from a migrated template (helpers.ts) instead of paying
// PGlite's initdb and the migrations in each CLI's first run.
export default packageConfig({ embeddedTemplate: true });
