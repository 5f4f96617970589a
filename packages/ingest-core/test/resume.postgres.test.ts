import { defineResumeSuite } from './helpers/resume-suite.js';

defineResumeSuite('postgres');
