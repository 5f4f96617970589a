import { defineFaultMatrix } from './helpers/fault-matrix.js';

defineFaultMatrix('embedded');
