import { Migration } from '@mikro-orm/migrations';

/**
 * API tokens never hold the security_reviewer role: approvals are made by people. The API has
 * refused to mint such tokens since 0003; this revokes any minted before, and the database
 * refuses new ones (NOT VALID: the revoked rows keep their role, for the record).
 */
export class Migration0004NoReviewerTokens extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      update api_tokens set revoked_at = now()
       where role = 'security_reviewer' and revoked_at is null;`);
    this.addSql(`
      alter table api_tokens add constraint api_tokens_role_not_security_reviewer
        check (role <> 'security_reviewer') not valid;`);
  }
}
