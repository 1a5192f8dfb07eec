import type { BlastRadius, CatalogGraph, FeatureView, IntegrationView } from '@rc/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane';
import type { ApiClient } from '../testing/api-client';

let cp: TestControlPlane;
let admin: ApiClient;

beforeAll(async () => {
  cp = await startTestControlPlane();
  admin = await cp.signedIn(cp.acme, 'tenant_admin');
}, 120_000);
afterAll(async () => {
  await cp?.stop();
});

/** The catalog rows of a tenant and its audit trail, as the owner sees them: for "nothing changed". */
async function catalogState(tenantId: string): Promise<string> {
  const parts: unknown[] = [];
  for (const sql of [
    'select module_id, depends_on_id from module_dependencies where tenant_id = $1 order by 1, 2',
    'select module_id, integration_id from module_integrations where tenant_id = $1 order by 1, 2',
    'select id, key, description, critical, enabled from features where tenant_id = $1 order by key',
    'select id, name, health_url from integrations where tenant_id = $1 order by name',
    'select seq from audit_events where tenant_id = $1 order by seq',
  ])
    parts.push(await cp.ownerQuery(sql, [tenantId]));
  return JSON.stringify(parts);
}

async function createModule(name: string): Promise<string> {
  const created = await admin.call<{ id: string }>('modules.create', {
    name,
    ownerTeam: 'test',
    criticality: 'non_critical',
  });
  expect(created.status, JSON.stringify(created.error)).toBe(200);
  return created.data.id;
}

async function setDependencies(
  moduleId: string,
  dependsOnModuleIds: string[],
  integrationIds: string[] = [],
) {
  return admin.call<CatalogGraph>('catalog.dependencies.set', {
    moduleId,
    dependsOnModuleIds,
    integrationIds,
  });
}

const keys = (features: FeatureView[]) => features.map((f) => f.key);

describe('blast radius', () => {
  it('the blast radius of billing lists ocr, then modules depending on ocr, the features degraded mode switches off, and payment-provider', async () => {
    const { modules, integrations } = cp.acme;
    // A feature that is already off stays as it is: degraded mode has nothing to switch off there.
    const legacy = await admin.call('catalog.features.create', {
      moduleId: modules.billing,
      key: 'billing.legacy-export',
      critical: false,
      enabled: false,
    });
    expect(legacy.status).toBe(200);
    // portal → ocr → billing: portal is hit through ocr.
    const portal = await createModule('portal');
    expect((await setDependencies(portal, [modules.ocr!])).status).toBe(200);

    const operator = await cp.signedIn(cp.acme, 'operator');
    const response = await operator.call<BlastRadius>('catalog.blastRadius', { moduleId: modules.billing });
    expect(response.status).toBe(200);
    const radius = response.data;
    expect(radius.module).toMatchObject({ id: modules.billing, name: 'billing', criticality: 'critical' });
    expect(radius.dependents).toEqual([
      { id: modules.ocr, name: 'ocr', criticality: 'non_critical', depth: 1, path: ['ocr', 'billing'] },
      {
        id: portal,
        name: 'portal',
        criticality: 'non_critical',
        depth: 2,
        path: ['portal', 'ocr', 'billing'],
      },
    ]);
    expect(keys(radius.featuresSwitchedOff)).toEqual(['billing.exports']);
    expect(keys(radius.featuresUnchanged)).toEqual(['billing.invoices', 'billing.legacy-export']);
    expect(radius.integrations.map((i) => [i.id, i.name])).toEqual([
      [integrations['payment-provider'], 'payment-provider'],
    ]);

    // Seen from the other end: ocr has one dependent (portal) and no integration.
    const ocr = await operator.call<BlastRadius>('catalog.blastRadius', { moduleId: modules.ocr });
    expect(ocr.data.dependents.map((d) => d.name)).toEqual(['portal']);
    expect(keys(ocr.data.featuresSwitchedOff)).toEqual(['ocr.auto-entry']);
    expect(ocr.data.integrations).toEqual([]);
  });

  it("asking for the blast radius of another tenant's module answers not found", async () => {
    const response = await admin.call('catalog.blastRadius', { moduleId: cp.globex.modules.billing });
    expect(response.status).toBe(404);
    expect(response.error?.data.code).toBe('ERR_NOT_FOUND');
    expect(JSON.stringify(response)).not.toContain(cp.globex.modules.billing);
  });
});

describe('catalog graph', () => {
  it('every role of the tenant reads the whole graph of its own tenant, and only that', async () => {
    for (const role of ['tenant_admin', 'operator', 'security_reviewer', 'auditor', 'viewer'] as const) {
      const member = await cp.signedIn(cp.globex, role);
      const response = await member.call<CatalogGraph>('catalog.graph');
      expect(response.status, role).toBe(200);
      const graph = response.data;
      const { modules, features, integrations } = cp.globex;
      expect(graph.modules.map((m) => m.id).sort(), role).toEqual(Object.values(modules).sort());
      expect(graph.features.map((f) => f.id).sort()).toEqual(Object.values(features).sort());
      expect(graph.integrations.map((i) => i.id)).toEqual([integrations['payment-provider']]);
      expect(graph.dependencies).toEqual([{ moduleId: modules.ocr, dependsOnId: modules.billing }]);
      expect(graph.integrationLinks).toEqual([
        { moduleId: modules.billing, integrationId: integrations['payment-provider'] },
      ]);
    }
  });

  it('archived modules, their features and their edges leave the graph and the blast radius', async () => {
    const reports = await createModule('reports');
    expect((await setDependencies(reports, [cp.acme.modules.billing!])).status).toBe(200);
    const feature = await admin.call<FeatureView>('catalog.features.create', {
      moduleId: reports,
      key: 'reports.weekly',
      critical: false,
    });
    expect(feature.status).toBe(200);
    const radius = async () =>
      (await admin.call<BlastRadius>('catalog.blastRadius', { moduleId: cp.acme.modules.billing })).data;
    expect((await radius()).dependents.map((d) => d.name)).toContain('reports');

    expect((await admin.call('modules.archive', { id: reports, reason: 'replaced by bi' })).status).toBe(200);
    const graph = (await admin.call<CatalogGraph>('catalog.graph')).data;
    expect(graph.modules.map((m) => m.id)).not.toContain(reports);
    expect(graph.features.map((f) => f.id)).not.toContain(feature.data.id);
    expect(graph.dependencies.filter((d) => d.moduleId === reports)).toEqual([]);
    expect((await radius()).dependents.map((d) => d.name)).not.toContain('reports');
  });
});

describe('setting dependencies', () => {
  it('replaces the outgoing edges and integration links of a module in one go, audited with before and after', async () => {
    const { modules } = cp.acme;
    const storage = await createModule('storage');
    const s3 = await admin.call<IntegrationView>('catalog.integrations.create', {
      name: 's3',
      healthUrl: 'http://127.0.0.1:9/health',
    });
    expect(s3.status).toBe(200);
    expect(s3.data.breakerState).toBe('closed');

    const response = await setDependencies(modules.ocr!, [storage, modules.billing!, storage], [s3.data.id]);
    expect(response.status, JSON.stringify(response.error)).toBe(200);
    expect(response.data.dependencies.filter((d) => d.moduleId === modules.ocr)).toEqual([
      { moduleId: modules.ocr, dependsOnId: modules.billing },
      { moduleId: modules.ocr, dependsOnId: storage },
    ]);
    const rows = await cp.ownerQuery<{ depends_on_id: string }>(
      'select depends_on_id from module_dependencies where tenant_id = $1 and module_id = $2 order by 1',
      [cp.acme.tenantId, modules.ocr],
    );
    expect(rows.map((r) => r.depends_on_id)).toEqual([storage, modules.billing].sort());

    // Replace: ocr now needs storage only, and no integration.
    expect((await setDependencies(modules.ocr!, [storage])).status).toBe(200);
    const graph = (await admin.call<CatalogGraph>('catalog.graph')).data;
    expect(graph.dependencies.filter((d) => d.moduleId === modules.ocr)).toEqual([
      { moduleId: modules.ocr, dependsOnId: storage },
    ]);
    expect(graph.integrationLinks.filter((l) => l.moduleId === modules.ocr)).toEqual([]);

    const events = await cp.ownerQuery<{ details: unknown; actor_label: string; resource_id: string }>(
      `select details, actor_label, resource_id from audit_events
        where tenant_id = $1 and action = 'catalog.dependencies.set' and resource_id = $2 order by seq`,
      [cp.acme.tenantId, modules.ocr],
    );
    expect(events.map((e) => e.details)).toEqual([
      {
        module: 'ocr',
        before: { dependsOn: ['billing'], integrations: [] },
        after: { dependsOn: ['billing', 'storage'], integrations: ['s3'] },
      },
      {
        module: 'ocr',
        before: { dependsOn: ['billing', 'storage'], integrations: ['s3'] },
        after: { dependsOn: ['storage'], integrations: [] },
      },
    ]);
    expect(events.every((e) => e.actor_label === cp.acme.emails.tenant_admin)).toBe(true);

    // Put the fixture back for the tests that follow: ocr → billing.
    expect((await setDependencies(modules.ocr!, [modules.billing!])).status).toBe(200);
  });

  it('a dependency cycle is refused with ERR_DEPENDENCY_CYCLE naming the cycle, and nothing changes', async () => {
    const { modules, integrations } = cp.acme;
    const before = await catalogState(cp.acme.tenantId);

    const direct = await setDependencies(
      modules.billing!,
      [modules.ocr!],
      [integrations['payment-provider']!],
    );
    expect(direct.status).toBe(409);
    expect(direct.error?.data.code).toBe('ERR_DEPENDENCY_CYCLE');
    expect(direct.error?.message).toContain('billing → ocr → billing');
    expect(direct.error?.data.fieldErrors?.dependsOnModuleIds).toBeDefined();

    // Longer: edge → billing already holds through ocr; billing → edge closes billing → edge → ocr → billing.
    const edge = await createModule('edge');
    expect((await setDependencies(edge, [modules.ocr!])).status).toBe(200);
    const stateWithEdge = await catalogState(cp.acme.tenantId);
    const longer = await setDependencies(modules.billing!, [edge]);
    expect(longer.status).toBe(409);
    expect(longer.error?.message).toContain('billing → edge → ocr → billing');

    const self = await setDependencies(modules.billing!, [modules.billing!]);
    expect(self.error?.data.code).toBe('ERR_DEPENDENCY_CYCLE');
    expect(self.error?.message).toContain('billing → billing');

    expect(await catalogState(cp.acme.tenantId)).toBe(stateWithEdge);
    expect(before).not.toBe(stateWithEdge); // the check above can tell a change apart
  });

  it('two admins closing a cycle from both ends at the same moment: one wins, the graph stays acyclic', async () => {
    const left = await createModule('left');
    const right = await createModule('right');
    const other = await cp.signedIn(cp.acme, 'tenant_admin');
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([
        setDependencies(left, [right]),
        other.call('catalog.dependencies.set', {
          moduleId: right,
          dependsOnModuleIds: [left],
          integrationIds: [],
        }),
      ]);
      expect([a.status, b.status].sort(), `round ${round}`).toEqual([200, 409]);
      const edges = await cp.ownerQuery(
        'select 1 from module_dependencies where tenant_id = $1 and module_id = any($2)',
        [cp.acme.tenantId, [left, right]],
      );
      expect(edges).toHaveLength(1);
      expect((await setDependencies(left, [])).status).toBe(200);
      expect((await setDependencies(right, [])).status).toBe(200);
    }
  });

  it('an admin of acme cannot link an acme module to a globex module or integration: 404, nothing changed', async () => {
    const acmeBefore = await catalogState(cp.acme.tenantId);
    const globexBefore = await catalogState(cp.globex.tenantId);
    const toModule = await setDependencies(cp.acme.modules.ocr!, [cp.globex.modules.billing!]);
    expect(toModule.status).toBe(404);
    expect(toModule.error?.data.code).toBe('ERR_NOT_FOUND');
    const toIntegration = await setDependencies(
      cp.acme.modules.billing!,
      [],
      [cp.globex.integrations['payment-provider']!],
    );
    expect(toIntegration.status).toBe(404);
    const fromGlobex = await setDependencies(cp.globex.modules.ocr!, [cp.acme.modules.billing!]);
    expect(fromGlobex.status).toBe(404);
    for (const response of [toModule, toIntegration, fromGlobex])
      expect(JSON.stringify(response)).not.toMatch(/globex/);
    expect(await catalogState(cp.acme.tenantId)).toBe(acmeBefore);
    expect(await catalogState(cp.globex.tenantId)).toBe(globexBefore);
  });

  it('an archived module cannot be depended on (404), nor have its dependencies changed (409)', async () => {
    const old = await createModule('old-ledger');
    expect((await admin.call('modules.archive', { id: old, reason: 'decommissioned' })).status).toBe(200);
    const before = await catalogState(cp.acme.tenantId);
    const onArchived = await setDependencies(cp.acme.modules.ocr!, [old]);
    expect(onArchived.status).toBe(404);
    const ofArchived = await setDependencies(old, [cp.acme.modules.billing!]);
    expect(ofArchived.status).toBe(409);
    expect(ofArchived.error?.data.code).toBe('ERR_CONFLICT');
    expect(await catalogState(cp.acme.tenantId)).toBe(before);
  });

  it('a viewer can read the graph but not change dependencies: 403, nothing changed, the refusal audited', async () => {
    const viewer = await cp.signedIn(cp.acme, 'viewer');
    expect((await viewer.call('catalog.graph')).status).toBe(200);
    expect((await viewer.call('catalog.blastRadius', { moduleId: cp.acme.modules.billing })).status).toBe(
      200,
    );
    const before = await cp.ownerQuery(
      'select module_id, depends_on_id from module_dependencies where tenant_id = $1 order by 1, 2',
      [cp.acme.tenantId],
    );
    const response = await viewer.call('catalog.dependencies.set', {
      moduleId: cp.acme.modules.ocr,
      dependsOnModuleIds: [],
      integrationIds: [],
    });
    expect(response.status).toBe(403);
    expect(response.error?.data.code).toBe('ERR_FORBIDDEN');
    expect(
      await cp.ownerQuery(
        'select module_id, depends_on_id from module_dependencies where tenant_id = $1 order by 1, 2',
        [cp.acme.tenantId],
      ),
    ).toEqual(before);
    const [denied] = await cp.ownerQuery<{ actor_label: string }>(
      `select actor_label from audit_events
        where tenant_id = $1 and action = 'catalog.dependencies.set' and outcome = 'denied'`,
      [cp.acme.tenantId],
    );
    expect(denied?.actor_label).toBe(cp.acme.emails.viewer);
  });
});

describe('features and integrations', () => {
  it('a tenant admin adds a feature and changes its criticality, both audited; the key is unique per tenant', async () => {
    const created = await admin.call<FeatureView>('catalog.features.create', {
      moduleId: cp.acme.modules.ocr,
      key: 'ocr.handwriting',
      description: 'Reads handwritten forms',
      critical: false,
    });
    expect(created.status).toBe(200);
    expect(created.data).toMatchObject({ moduleId: cp.acme.modules.ocr, enabled: true, critical: false });
    const updated = await admin.call<FeatureView>('catalog.features.update', {
      id: created.data.id,
      critical: true,
    });
    expect(updated.data).toMatchObject({ critical: true, description: 'Reads handwritten forms' });

    const listed = await admin.call<FeatureView[]>('catalog.features.list', {
      moduleId: cp.acme.modules.ocr,
    });
    expect(keys(listed.data)).toEqual(['ocr.auto-entry', 'ocr.handwriting']);

    const events = await cp.ownerQuery<{ action: string; details: Record<string, unknown> }>(
      'select action, details from audit_events where tenant_id = $1 and resource_id = $2 order by seq',
      [cp.acme.tenantId, created.data.id],
    );
    expect(events.map((e) => e.action)).toEqual(['catalog.feature.create', 'catalog.feature.update']);
    expect(events[1]!.details).toMatchObject({ before: { critical: false }, after: { critical: true } });

    const duplicate = await admin.call('catalog.features.create', {
      moduleId: cp.acme.modules.billing,
      key: 'ocr.handwriting',
      critical: true,
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.error?.data.fieldErrors?.key).toBeDefined();
  });

  it('an operator reads features and integrations but cannot add or change them', async () => {
    const operator = await cp.signedIn(cp.acme, 'operator');
    const before = await catalogState(cp.acme.tenantId);
    expect((await operator.call('catalog.features.list')).status).toBe(200);
    expect((await operator.call('catalog.integrations.list')).status).toBe(200);
    const attempts = [
      await operator.call('catalog.features.create', {
        moduleId: cp.acme.modules.ocr,
        key: 'ocr.rogue',
        critical: false,
      }),
      await operator.call('catalog.features.update', {
        id: cp.acme.features['billing.invoices'],
        critical: false,
      }),
      await operator.call('catalog.integrations.create', {
        name: 'rogue',
        healthUrl: 'http://127.0.0.1:9/x',
      }),
    ];
    expect(attempts.map((a) => a.status)).toEqual([403, 403, 403]);
    // Each refusal is audited (and nothing else changed).
    const after = JSON.parse(await catalogState(cp.acme.tenantId)) as unknown[];
    const expected = JSON.parse(before) as unknown[];
    expect(after.slice(0, 4)).toEqual(expected.slice(0, 4));
    expect((after[4] as unknown[]).length).toBe((expected[4] as unknown[]).length + 3);
  });

  it("features of another tenant's module are not found, never an empty list", async () => {
    const response = await admin.call('catalog.features.list', { moduleId: cp.globex.modules.ocr });
    expect(response.status).toBe(404);
    const update = await admin.call('catalog.features.update', {
      id: cp.globex.features['billing.exports'],
      critical: true,
    });
    expect(update.status).toBe(404);
  });

  it('integration names are unique per tenant; the same name in another tenant is fine', async () => {
    const duplicate = await admin.call('catalog.integrations.create', {
      name: 'payment-provider',
      healthUrl: 'http://127.0.0.1:9/health',
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.error?.data.code).toBe('ERR_CONFLICT');
    const globexAdmin = await cp.signedIn(cp.globex, 'tenant_admin');
    const created = await globexAdmin.call<IntegrationView>('catalog.integrations.create', {
      name: 'sms-provider',
      healthUrl: 'https://sms.example/health',
    });
    expect(created.status).toBe(200);
    const acmeList = await admin.call<IntegrationView[]>('catalog.integrations.list');
    expect(acmeList.data.map((i) => i.name)).not.toContain('sms-provider');
    const badUrl = await admin.call('catalog.integrations.create', {
      name: 'ftp',
      healthUrl: 'ftp://x/health',
    });
    expect(badUrl.status).toBe(400);
  });
});
