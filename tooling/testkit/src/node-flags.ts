/**
 * Node flags for every process the tests start: the vitest workers (vitest.shared.ts), the built CLI or
 * Action they spawn, and db's bundled child processes. `--liftoff-only` keeps V8 from re-compiling PGlite's
 * WebAssembly with its optimizing tier: a test process opens an embedded database, runs a few queries and
 * exits, so the background optimization (about 0.5 s of CPU per process) never pays back. Measured on 2 cores: the reliability suite
 * 264 -> 224 core-seconds, db's 159 -> 133. Behaviour is the same on either tier; production keeps V8's
 * defaults, where a long nightly run does profit from the optimized code.
 */
export const TEST_NODE_FLAGS: readonly string[] = ['--liftoff-only'];
