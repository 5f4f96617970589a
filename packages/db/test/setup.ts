import { afterAll } from 'vitest';
import { disposeFileResources } from './helpers/backends.js';
import { killChildren } from './helpers/child.js';

// A setup file runs for every test file, also when the files share a worker (isolate: false): each file's
// children, databases and directories go when the file ends.
afterAll(async () => {
  killChildren();
  await disposeFileResources();
});
