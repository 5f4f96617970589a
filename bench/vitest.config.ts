import { packageConfig } from '../vitest.shared';

// Only the window analysis and the upsert benchmark's row definitions are tested; the scenarios themselves
// are benchmarks, run by `pnpm bench`.
export default packageConfig();
