import { defineAuditSuite } from './helpers/audit-suite.js';

defineAuditSuite('postgres');
