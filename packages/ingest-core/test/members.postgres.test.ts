import { defineMembersSuite } from './helpers/members-suite.js';

defineMembersSuite('postgres');
