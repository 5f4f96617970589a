import { packageConfig } from '../../vitest.shared';

// The integration suite syncs a 2,000-ticker sandbox universe on two backends: generous per-test timeouts.
export default packageConfig({ testTimeout: 120_000, embeddedTemplate: true });
