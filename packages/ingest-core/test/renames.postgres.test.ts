import { defineRenamesSuite } from './helpers/renames-suite.js';

defineRenamesSuite('postgres');
