import { Migration } from '@mikro-orm/migrations';

/**
 * Only the owner creates objects in the `public` schema. PostgreSQL 15 and later already
 * refuse CREATE there to everyone else; older servers (an external DATABASE_URL) let every role,
 * the app role included, create a table or function that could shadow ours. A no-op where the
 * privilege is already gone.
 */
export class Migration0005NoObjectsInPublicSchema extends Migration {
  override async up(): Promise<void> {
    this.addSql('revoke create on schema public from public;');
  }
}
