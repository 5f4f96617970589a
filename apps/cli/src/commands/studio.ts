import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer } from 'node:net';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from '@smartstock/db';
import { resolveDatabaseConfig, secretsOf } from '../config.js';
import { type CliContext, openDatabase } from '../context.js';
import { ExitCode } from '../errors.js';

/** A free loopback port for Studio, so its URL is known before it starts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function userName(cli: CliContext): string {
  try {
    return cli.io.env.USER || userInfo().username || 'you';
  } catch {
    return 'you';
  }
}

/** The Prisma CLI and the workspace's prisma.config.ts, when this CLI runs from the repository. */
function locatePrisma(): { bin: string; config: string | null } | null {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('prisma/package.json');
    const bin = path.join(path.dirname(pkg), 'build', 'index.js');
    let dir = path.dirname(fileURLToPath(import.meta.url));
    let config: string | null = null;
    for (let i = 0; i < 6 && !config; i++) {
      const candidate = path.join(dir, 'prisma.config.ts');
      if (existsSync(candidate)) config = candidate;
      dir = path.dirname(dir);
    }
    return existsSync(bin) ? { bin, config } : null;
  } catch {
    return null;
  }
}

/**
 * Prisma Studio on the database. PostgreSQL: Studio with DATABASE_URL in its environment (never on its
 * command line, where `ps` would show the password). Embedded: PGlite is one process's database, so this
 * process keeps it open and serves it on a loopback port for as long as Studio runs.
 */
export async function studioCommand(cli: CliContext, flags: { 'data-dir'?: unknown }): Promise<number> {
  const config = resolveDatabaseConfig(cli.start, flags);
  cli.reporter.addSecrets(secretsOf({ databaseUrl: config.url }));
  const logger = cli.reporter.logger();
  let db: Database | null = null;
  let served: { url: string; stop(): Promise<void> } | null = null;
  let url = config.url;
  try {
    if (!url) {
      // A viewer of the data: with no database at this path it says so rather than create an empty one.
      db = await openDatabase(cli, flags, { mustExist: true });
      // Looked up at run time: serving needs @smartstock/db's pglite-socket helper (serveDatabase).
      const dbModule: Record<string, unknown> = await import('@smartstock/db');
      const serveDatabase = dbModule.serveDatabase as
        | ((db: Database, options: { port: number }) => Promise<{ url: string; stop(): Promise<void> }>)
        | undefined;
      if (!serveDatabase) throw new Error('this build of @smartstock/db cannot serve the embedded database');
      served = await serveDatabase(db, { port: 0 });
      url = served.url;
      logger.info(`embedded database served on ${url} (psql works too) while Studio runs`);
    }
    const prisma = locatePrisma();
    if (!prisma) {
      cli.reporter.out(`Prisma CLI not found here. Run: DATABASE_URL='${url}' npx prisma studio`);
      if (!served) return ExitCode.Failed;
      cli.reporter.out('Serving until Ctrl-C.');
      await new Promise<void>((resolve) => {
        cli.onInterrupt = () => resolve();
      });
      return ExitCode.Ok;
    }
    const port = await freePort();
    // Never a browser of its own: on a machine without a desktop, Studio's `open` crashed with
    // `spawn xdg-open ENOENT`. The URL is printed instead, with the tunnel to use from a laptop.
    const args = [
      prisma.bin,
      'studio',
      '--browser',
      'none',
      '--port',
      String(port),
      ...(prisma.config ? ['--config', prisma.config] : []),
    ];
    cli.reporter.out(`Prisma Studio: http://localhost:${port} (Ctrl-C to stop)`);
    cli.reporter.out(
      `From another machine: ssh -N -L ${port}:127.0.0.1:${port} ${userName(cli)}@${hostname()}, then open http://localhost:${port}`,
    );
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      cwd: prisma.config ? path.dirname(prisma.config) : cli.start.startDir,
      // The served embedded database runs every connection on one PGlite session: Studio's pool of
      // prepared-statement connections interleaved there failed one load in two ("Could not load schema
      // metadata", PostgresError 26000). One connection (max=1) keeps each statement's messages together.
      env: { ...cli.io.env, DATABASE_URL: served ? `${url}&max=1` : url },
    });
    cli.onInterrupt = () => child.kill('SIGINT');
    const code = await new Promise<number>((resolve) => {
      child.on('exit', (c) => resolve(c ?? 0));
      child.on('error', () => resolve(1));
    });
    return code === 0 || code === 130 ? ExitCode.Ok : ExitCode.Failed;
  } finally {
    cli.onInterrupt = null;
    await served?.stop();
    await db?.close();
  }
}
