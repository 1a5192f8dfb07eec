import { Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, queryOne, temporalAddress, workflowBundlePath } from './harness';
import { finishedSpans, testTracer } from './setup-tracing';
import { existsSync } from 'node:fs';

describe('test infrastructure', () => {
  it('gives each test its own migrated database, as owner and as the application role', async () => {
    const db = await createTestDatabase();
    try {
      expect(await queryOne(db.ownerUrl, 'select 1 as one')).toEqual({ one: 1 });
      const app = await queryOne<{ user: string; tenants: string | null }>(
        db.appUrl,
        `select current_user as user, to_regclass('public.tenants')::text as tenants`,
      );
      expect(app).toEqual({ user: 'rc_app', tenants: 'tenants' });
    } finally {
      await db.drop();
    }
    await expect(queryOne(db.ownerUrl, 'select 1')).rejects.toThrow(/does not exist/);
  });

  it('gives two databases that do not share data', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.name).not.toEqual(b.name);
      await queryOne(a.ownerUrl, 'create table only_in_a (x int)');
      expect(await queryOne(b.ownerUrl, `select to_regclass('only_in_a') as t`)).toEqual({ t: null });
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });

  it('connects to a Temporal server that has the default namespace', async () => {
    const connection = await Connection.connect({ address: temporalAddress() });
    try {
      const { namespaceInfo } = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(namespaceInfo?.name).toBe('default');
    } finally {
      await connection.close();
    }
  });

  it('has the workflow code bundled once for the run', () => {
    expect(existsSync(workflowBundlePath())).toBe(true);
  });

  it('records spans with real trace ids', () => {
    const traceId = testTracer.startActiveSpan('probe', (span) => {
      span.end();
      return span.spanContext().traceId;
    });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe('0'.repeat(32));
    expect(finishedSpans().map((s) => s.spanContext().traceId)).toContain(traceId);
  });
});
