import { defineFaultMatrix } from './helpers/fault-matrix.js';

defineFaultMatrix('postgres');
