/**
 * `npm run audit:verify -- --tenant <slug>`: verifies a tenant's audit chain straight from
 * PostgreSQL (DATABASE_URL, or the `npm start` demo database) and names the first broken event.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { AUDIT_ROWS_SQL, verifyAuditChain, type StoredAuditRow } from './verify';
import { defaultDatabaseUrl } from '../config';

const { values } = parseArgs({ options: { tenant: { type: 'string' } } });
if (!values.tenant) {
  console.error('usage: npm run audit:verify -- --tenant <slug>');
  process.exit(2);
}
const client = new pg.Client({ connectionString: process.env.DATABASE_URL ?? (await defaultDatabaseUrl()) });
await client.connect();
try {
  const tenant = await client.query<{ id: string }>('select id from tenants where slug = $1', [
    values.tenant,
  ]);
  if (!tenant.rows[0]) {
    console.error(`ERR_NOT_FOUND: no tenant "${values.tenant}"`);
    process.exit(2);
  }
  const rows = await client.query<StoredAuditRow>(AUDIT_ROWS_SQL, [tenant.rows[0].id]);
  const result = verifyAuditChain(rows.rows);
  if (result.ok) {
    console.log(`OK: ${result.checked} events verified for tenant ${values.tenant}`);
  } else {
    console.error(
      `BROKEN at event seq=${result.firstBrokenSeq} id=${result.firstBrokenId}: ${result.problem} (${result.checked} events verified before it)`,
    );
    process.exitCode = 1;
  }
} finally {
  await client.end();
}
