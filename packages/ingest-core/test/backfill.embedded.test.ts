import { defineBackfillSuite } from './helpers/backfill-suite.js';

defineBackfillSuite('embedded');
