/**
 * The PostgreSQL ledger store, as the composition root and the command use it: the store, the
 * schema migrator, the read-only reader for replay and export, and the configuration error.
 */
export { createPostgresLedger, type PostgresLedger, type PostgresLedgerOptions, type PostgresLedgerStats } from './postgres-ledger.js';
export { latestSchemaVersion, loadMigrations, migrate, migrationsDir, type Migration, type MigrationReport } from './migrate.js';
export { readPostgresLedger, type PostgresLedgerReadReport, type ReadPostgresLedgerOptions } from './ledger-reader.js';
export { LEDGER_URL_SETTING, LedgerConfigError, redactUrl } from './pg-errors.js';
