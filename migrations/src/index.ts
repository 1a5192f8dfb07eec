import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { APP_ROLE } from './app-role';
import { Migration0001Foundation } from './0001-foundation';
import { Migration0002CatalogAndMitigations } from './0002-catalog-and-mitigations';
import { Migration0003HardenDefinerFunctions } from './0003-harden-definer-functions';
import { Migration0004NoReviewerTokens } from './0004-no-reviewer-tokens';
import { Migration0005NoObjectsInPublicSchema } from './0005-no-objects-in-public-schema';

export { APP_ROLE };

/** Ordered list of migrations. Append only; never edit one that has shipped. */
const MIGRATIONS = [
  { name: '0001-foundation', class: Migration0001Foundation },
  { name: '0002-catalog-and-mitigations', class: Migration0002CatalogAndMitigations },
  { name: '0003-harden-definer-functions', class: Migration0003HardenDefinerFunctions },
  { name: '0004-no-reviewer-tokens', class: Migration0004NoReviewerTokens },
  { name: '0005-no-objects-in-public-schema', class: Migration0005NoObjectsInPublicSchema },
];

/** Applies pending migrations as the database owner. Safe to run on every start. */
export async function migrate(ownerUrl: string): Promise<string[]> {
  const orm = await MikroORM.init({
    clientUrl: ownerUrl,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    migrations: { migrationsList: MIGRATIONS, transactional: true, allOrNothing: true, snapshot: false },
    debug: false,
  });
  try {
    const applied = await orm.getMigrator().up();
    return applied.map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}

/** Gives the app role a login and password (migrations create it without one). */
export async function ensureAppLogin(ownerUrl: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const quoted = await client.query<{ q: string }>('select quote_literal($1) as q', [password]);
    await client.query(`alter role ${APP_ROLE} login password ${quoted.rows[0]!.q}`);
  } finally {
    await client.end();
  }
}

/** The app role's URL on the same server and database as the owner URL. */
export function appDatabaseUrl(ownerUrl: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = password;
  return url.toString();
}
