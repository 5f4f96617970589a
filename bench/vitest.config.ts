import { packageConfig } from '../vitest.shared';

// Only the window-analysis helpers are tested; the scenarios themselves are benchmarks, run by `pnpm bench`.
export default packageConfig();
