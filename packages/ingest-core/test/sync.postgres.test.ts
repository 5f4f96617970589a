import { defineSyncSuite } from './helpers/suite.js';

defineSyncSuite('postgres');
