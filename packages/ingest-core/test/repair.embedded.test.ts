import { defineRepairSuite } from './helpers/repair-suite.js';

defineRepairSuite('embedded');
