import { createDatabase, migrate } from '@smartstock/db';
import { resolveDatabaseConfig, secretsOf } from '../config.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../errors.js';

export async function migrateCommand(cli: CliContext, flags: { 'data-dir'?: unknown }): Promise<number> {
  const config = resolveDatabaseConfig(cli.start, flags);
  cli.reporter.addSecrets(secretsOf({ databaseUrl: config.url }));
  const logger = cli.reporter.logger();
  const db = await createDatabase({ url: config.url, dataDir: config.dataDir, logger });
  try {
    const { applied } = await migrate(db, { logger });
    cli.reporter.out(
      applied.length === 0
        ? `${db.description}: up to date`
        : `${db.description}: applied ${applied.length} migration(s): ${applied.join(', ')}`,
    );
    return ExitCode.Ok;
  } finally {
    await db.close();
  }
}
