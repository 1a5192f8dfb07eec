import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

async function verifyCli(tenant: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'control-plane/src/audit/verify-cli.ts', '--tenant', tenant],
      {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: cp.ownerUrl },
      },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('audit log', () => {
  it('stores the trace id of the request that caused the event, the one the response header carries', async () => {
    const admin = await cp.signedIn(cp.acme, 'tenant_admin');
    const response = await admin.call<{ id: string }>('modules.create', {
      name: 'traced',
      ownerTeam: 'x',
      criticality: 'critical',
    });
    const traceId = response.headers.get('x-trace-id');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe('0'.repeat(32));
    const [event] = await cp.ownerQuery<{ trace_id: string; request_id: string }>(
      "select trace_id, request_id from audit_events where action = 'module.create' and resource_id = $1",
      [response.data.id],
    );
    expect(event!.trace_id).toBe(traceId);
    expect(event!.request_id).toBe(response.headers.get('x-request-id'));
  });

  it('concurrent writers cannot fork the chain: sequence numbers stay contiguous and the chain verifies', async () => {
    const admin = await cp.signedIn(cp.globex, 'tenant_admin');
    const auditor = await cp.signedIn(cp.globex, 'auditor');
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        admin.call('modules.create', {
          name: `parallel-${i}`,
          ownerTeam: 'load',
          criticality: 'non_critical',
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const rows = await cp.ownerQuery<{ seq: string }>(
      'select seq from audit_events where tenant_id = $1 order by seq',
      [cp.globex.tenantId],
    );
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
    const verified = await auditor.call<{ ok: boolean; checked: number }>('audit.verify');
    expect(verified.data).toMatchObject({ ok: true, checked: rows.length });
  });

  it('the application role can only append: UPDATE and DELETE are refused', async () => {
    const app = new pg.Client({ connectionString: cp.appUrl });
    await app.connect();
    try {
      await app.query('begin');
      await app.query("select set_config('app.tenant_id', $1, true)", [cp.acme.tenantId]);
      await expect(app.query("update audit_events set reason = 'rewritten'")).rejects.toThrow(
        /permission denied/,
      );
      await app.query('rollback');
      await app.query('begin');
      await app.query("select set_config('app.tenant_id', $1, true)", [cp.acme.tenantId]);
      await expect(app.query('delete from audit_events')).rejects.toThrow(/permission denied/);
      await app.query('rollback');
    } finally {
      await app.end();
    }
    // Even the owner hits the append-only trigger.
    await expect(cp.ownerQuery("update audit_events set reason = 'rewritten'")).rejects.toThrow(
      /append-only/,
    );
  });

  it('tampering with one event is detected at that event, by the API and by `npm run audit:verify`', async () => {
    const admin = await cp.signedIn(cp.acme, 'tenant_admin');
    for (const name of ['tamper-a', 'tamper-b', 'tamper-c']) {
      await admin.call('modules.create', { name, ownerTeam: 'x', criticality: 'critical' });
    }
    expect((await verifyCli('acme')).code).toBe(0);

    const [victim] = await cp.ownerQuery<{ seq: string; id: string }>(
      "select seq, id from audit_events where tenant_id = $1 and details->>'name' = 'tamper-b'",
      [cp.acme.tenantId],
    );
    // A privileged attacker: the owner disables the trigger and edits history.
    await cp.ownerQuery('alter table audit_events disable trigger audit_events_append_only');
    await cp.ownerQuery("update audit_events set actor_label = 'someone-else@acme.example' where id = $1", [
      victim!.id,
    ]);
    await cp.ownerQuery('alter table audit_events enable trigger audit_events_append_only');

    const auditor = await cp.signedIn(cp.acme, 'auditor');
    const verified = await auditor.call<{ ok: boolean; firstBrokenSeq: number; firstBrokenId: string }>(
      'audit.verify',
    );
    expect(verified.data).toMatchObject({
      ok: false,
      firstBrokenSeq: Number(victim!.seq),
      firstBrokenId: victim!.id,
    });

    const cli = await verifyCli('acme');
    expect(cli.code).toBe(1);
    expect(cli.output).toContain(`seq=${victim!.seq} id=${victim!.id}`);
  });

  it('lists events newest first, paginated on the server and filterable by action and actor', async () => {
    const auditor = await cp.signedIn(cp.acme, 'auditor');
    type Page = {
      events: Array<{ seq: number; action: string; actorId: string }>;
      nextBeforeSeq: number | null;
    };
    const first = await auditor.call<Page>('audit.list', { limit: 2 });
    expect(first.data.events).toHaveLength(2);
    expect(first.data.events[0]!.seq).toBeGreaterThan(first.data.events[1]!.seq);
    const second = await auditor.call<Page>('audit.list', { limit: 2, beforeSeq: first.data.nextBeforeSeq });
    expect(second.data.events[0]!.seq).toBeLessThan(first.data.events[1]!.seq);
    const filtered = await auditor.call<Page>('audit.list', {
      action: 'module.create',
      actorId: cp.acme.users[cp.acme.emails.tenant_admin],
    });
    expect(filtered.data.events.length).toBeGreaterThan(0);
    expect(filtered.data.events.every((e) => e.action === 'module.create')).toBe(true);
  });
});
