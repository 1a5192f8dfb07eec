import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

describe('modules', () => {
  it('a tenant admin creates, updates and archives a module, each step audited in order', async () => {
    const admin = await cp.signedIn(cp.acme, 'tenant_admin');
    const created = await admin.call<{ id: string; status: string }>('modules.create', {
      name: 'search',
      ownerTeam: 'discovery',
      criticality: 'non_critical',
    });
    expect(created.status).toBe(200);
    const id = created.data.id;
    expect((await admin.call('modules.update', { id, criticality: 'critical' })).status).toBe(200);
    const archived = await admin.call<{ status: string }>('modules.archive', {
      id,
      reason: 'merged into catalog',
    });
    expect(archived.data.status).toBe('archived');

    const events = await cp.ownerQuery<{
      action: string;
      resource_id: string;
      actor_label: string;
      role: string;
      reason: string | null;
    }>(
      `select action, resource_id, actor_label, role, reason from audit_events
        where tenant_id = $1 and resource_type = 'Module' order by seq`,
      [cp.acme.tenantId],
    );
    expect(events.map((e) => e.action)).toEqual(['module.create', 'module.update', 'module.archive']);
    expect(
      events.every(
        (e) =>
          e.resource_id === id && e.actor_label === cp.acme.emails.tenant_admin && e.role === 'tenant_admin',
      ),
    ).toBe(true);
    expect(events[2]!.reason).toBe('merged into catalog');
  });

  it('a duplicate name is a typed conflict and changes nothing', async () => {
    const admin = await cp.signedIn(cp.acme, 'tenant_admin');
    const before = await cp.ownerQuery('select count(*)::int as n from audit_events');
    const response = await admin.call('modules.create', {
      name: 'billing',
      ownerTeam: 'x',
      criticality: 'critical',
    });
    expect(response.status).toBe(409);
    expect(response.error?.data.code).toBe('ERR_CONFLICT');
    expect(response.error?.data.fieldErrors?.name).toBeDefined();
    expect(await cp.ownerQuery('select count(*)::int as n from audit_events')).toEqual(before);
  });

  it('a viewer cannot create a module: 403, nothing created, the refusal is audited', async () => {
    const viewer = await cp.signedIn(cp.globex, 'viewer');
    const response = await viewer.call('modules.create', {
      name: 'rogue',
      ownerTeam: 'x',
      criticality: 'critical',
    });
    expect(response.status).toBe(403);
    expect(response.error?.data.code).toBe('ERR_FORBIDDEN');
    expect(await cp.ownerQuery("select id from modules where name = 'rogue'")).toEqual([]);
    const [denied] = await cp.ownerQuery<{ outcome: string; action: string; actor_label: string }>(
      "select outcome, action, actor_label from audit_events where tenant_id = $1 and outcome = 'denied'",
      [cp.globex.tenantId],
    );
    expect(denied).toEqual({
      outcome: 'denied',
      action: 'modules.create',
      actor_label: cp.globex.emails.viewer,
    });
  });

  it('every role of the tenant can read modules; reads are tenant-filtered', async () => {
    for (const role of ['tenant_admin', 'operator', 'security_reviewer', 'auditor', 'viewer'] as const) {
      const member = await cp.signedIn(cp.globex, role);
      const response = await member.call<Array<{ id: string }>>('modules.list');
      expect(response.status, role).toBe(200);
      expect(response.data.map((m) => m.id).sort()).toEqual(Object.values(cp.globex.modules).sort());
    }
  });
});
