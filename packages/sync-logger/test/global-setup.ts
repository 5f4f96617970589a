// Says plainly which database backends the run covers (the database tests run once per backend).
export default function setup() {
  console.info(
    process.env.TEST_DATABASE_URL
      ? '@smartstock/sync-logger tests run on: embedded PGlite and PostgreSQL (TEST_DATABASE_URL)'
      : '@smartstock/sync-logger tests run on: embedded PGlite only (set TEST_DATABASE_URL to add PostgreSQL)',
  );
}
