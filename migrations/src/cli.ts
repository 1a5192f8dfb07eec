/** `node --import tsx migrations/src/cli.ts`: migrate DATABASE_URL (owner) and set the app role's password. */
import { appDatabaseUrl, ensureAppLogin, migrate } from './index';

const ownerUrl = process.env.DATABASE_URL;
if (!ownerUrl) {
  console.error('DATABASE_URL (the owner connection) is required');
  process.exit(2);
}
const applied = await migrate(ownerUrl);
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
if (process.env.APP_DB_PASSWORD) {
  await ensureAppLogin(ownerUrl, process.env.APP_DB_PASSWORD);
  console.log(`app role ready: ${appDatabaseUrl(ownerUrl, '***')}`);
}
