import type { MitigationView, StartedMitigation } from '@rc/contracts';
import { startTestControlPlane, type TestControlPlane } from '@rc/control-plane/testing/test-control-plane';
import { waitFor } from '@rc/control-plane/testing/wait-for';
import { workflowBundlePath } from '@rc/ops/test/harness';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Determinism guard: the histories of mitigation workflows run by this build replay against its
 * workflow bundle, so code that depends on anything but its history (time, randomness, I/O,
 * iteration order) fails here. It does not prove compatibility with runs started by an earlier
 * release: changes to a workflow's commands go behind `patched()`, and replaying histories
 * recorded by the previous release would be the test for that (none is kept yet).
 */
let cp: TestControlPlane;

beforeAll(async () => {
  cp = await startTestControlPlane({ withWorker: true });
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

async function replay(workflowId: string): Promise<void> {
  const handle = cp.deps.temporal.workflow.getHandle(workflowId);
  await handle.result();
  const history = await handle.fetchHistory();
  expect(history.events?.length).toBeGreaterThan(0);
  await Worker.runReplayHistory({ workflowBundle: { codePath: workflowBundlePath() } }, history, workflowId);
}

describe('mitigation workflows replay deterministically', () => {
  it('a degraded mode started, extended and ended early', async () => {
    const operator = await cp.signedIn(cp.acme, 'operator');
    const [ocr] = await cp.ownerQuery<{ id: string }>(
      `select id from modules where tenant_id = $1 and name = 'ocr'`,
      [cp.acme.tenantId],
    );
    const started = await operator.call<StartedMitigation>('mitigations.degradedMode.start', {
      moduleId: ocr!.id,
      reason: 'replay guard',
    });
    expect(started.status, JSON.stringify(started.error)).toBe(200);
    const extended = await operator.call<MitigationView>('mitigations.degradedMode.extend', {
      moduleId: ocr!.id,
      reason: 'replay guard: more time',
      additionalMinutes: 5,
    });
    expect(extended.status, JSON.stringify(extended.error)).toBe(200);
    const ended = await operator.call<MitigationView>('mitigations.degradedMode.end', {
      moduleId: ocr!.id,
      reason: 'replay guard: done',
    });
    expect(ended.status, JSON.stringify(ended.error)).toBe(200);
    await replay(started.data.mitigation.workflowId);
  });

  it('a circuit breaker opened, probed half-open, then force-closed', async () => {
    const operator = await cp.signedIn(cp.acme, 'operator');
    const [integration] = await cp.ownerQuery<{ id: string }>(
      `select id from integrations where tenant_id = $1 and name = 'payment-provider'`,
      [cp.acme.tenantId],
    );
    const opened = await operator.call<StartedMitigation>('breakers.open', {
      integrationId: integration!.id,
      reason: 'replay guard',
      coolDownSeconds: 1,
    });
    expect(opened.status, JSON.stringify(opened.error)).toBe(200);
    await waitFor('a half-open phase', async () => {
      const rows = await cp.ownerQuery(
        `select 1 from audit_events where resource_id = $1 and action = 'breaker.half_open'`,
        [integration!.id],
      );
      return rows.length > 0 ? true : undefined;
    });
    const closed = await operator.call('breakers.forceClose', {
      integrationId: integration!.id,
      reason: 'replay guard: done',
    });
    // A breaker whose probes passed in the meantime is already closed: either way the run ended.
    expect([200, 409], JSON.stringify(closed.error)).toContain(closed.status);
    await replay(opened.data.mitigation.workflowId);
  });
});
