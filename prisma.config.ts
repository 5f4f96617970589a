import { defineConfig } from 'prisma/config';

// `prisma generate` needs no database. `migrate`/`studio` read DATABASE_URL when the user runs them;
// process.env (not prisma's env()) so generate works without it.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/postgres' },
});
