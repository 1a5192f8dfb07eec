import { randomUUID } from 'node:crypto';
import {
  DEGRADED_MODE_SIGNALS,
  degradedModeWorkflowId,
  type ExtendDegradedModeSignal,
  type MitigationView,
  type StartedMitigation,
} from '@rc/contracts';
import pg from 'pg';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../testing/api-client';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane';
import {
  arrangeModule,
  auditOf,
  featuresOfEachKind,
  flagsOf,
  memberRequest,
  mitigationsOf,
  originalFlags,
  waitForEndedMitigation,
} from './degraded-mode.test-helpers';
import { waitFor } from '../testing/wait-for';
import { inTenantTransaction } from '../db/tenant-transaction';
import { requesterOf } from './mitigation-workflow';
import {
  abandonDegradedModeChanges,
  applyDegradedModeChanges,
  restoreDegradedModeSnapshot,
} from './degraded-mode-store';
import { startDegradedMode } from './service';

/**
 * Degraded mode (seed 002, L1) over the real API, PostgreSQL, Temporal server and worker:
 * snapshot → non-critical features off → wait → restore exactly the snapshot, every step audited.
 */
let cp: TestControlPlane;
let operator: ApiClient;

const MINUTE = 60_000;

const ownerQuery: TestControlPlane['ownerQuery'] = (sql, params) => cp.ownerQuery(sql, params);

async function workflowStatus(workflowId: string): Promise<string> {
  return (await cp.deps.temporal.workflow.getHandle(workflowId).describe()).status.name;
}

beforeAll(async () => {
  cp = await startTestControlPlane({ withWorker: true });
  operator = await cp.signedIn(cp.acme, 'operator');
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

/** What a worker's activity gets for a degraded mode of acme's operator, when calling the store directly. */
function refFor(moduleId: string, name: string) {
  return {
    tenantId: cp.acme.tenantId,
    moduleId,
    mitigationId: randomUUID(),
    workflowId: `test-${name}-${randomUUID()}`,
    requester: requesterOf(memberRequest(cp.deps, cp.acme, 'operator')),
    reason: `${name}: shed load`,
    durationMs: 10 * MINUTE,
  };
}

/** One tenant transaction in acme, as the application role (what an activity runs in). */
const inAcme = <T>(work: Parameters<typeof inTenantTransaction<T>>[2]) =>
  inTenantTransaction(cp.deps.orm, { tenantId: cp.acme.tenantId }, work);

describe('degraded mode on a module', () => {
  it('an operator starts it, extends it and ends it early over the API; the snapshot comes back exactly, every step audited with the trace id of the start', async () => {
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'search', featuresOfEachKind('search'));

    // Start (default duration: 30 minutes).
    const started = await operator.call<StartedMitigation>('mitigations.degradedMode.start', {
      moduleId,
      reason: 'search latency: shed non-critical load',
    });
    expect(started.status, JSON.stringify(started.error)).toBe(200);
    const startTraceId = started.headers.get('x-trace-id');
    expect(startTraceId).toMatch(/^[0-9a-f]{32}$/);
    const { mitigation } = started.data;
    expect(started.data.alreadyRunning).toBe(false);
    expect(mitigation).toMatchObject({
      kind: 'degraded_mode',
      targetId: moduleId,
      status: 'active',
      workflowId: degradedModeWorkflowId(cp.acme.tenantId, moduleId),
      requestedBy: cp.acme.users[cp.acme.emails.operator],
      requestedByLabel: cp.acme.emails.operator,
      traceId: startTraceId,
      snapshot: { features: originalFlags('search') },
    });
    expect(Date.parse(mitigation.endsAt!) - Date.parse(mitigation.startedAt)).toBe(30 * MINUTE);

    // The answer comes once applied: non-critical off, critical on, the one already off still off.
    expect(await flagsOf(ownerQuery, moduleId)).toEqual({
      'search.beta': false,
      'search.core': true,
      'search.suggest': false,
    });
    expect(await workflowStatus(mitigation.workflowId)).toBe('RUNNING');
    const got = await operator.call<MitigationView | null>('mitigations.degradedMode.get', { moduleId });
    expect(got.data?.id).toBe(mitigation.id);
    const listed = await operator.call<MitigationView[]>('mitigations.list', { status: 'active' });
    expect(listed.data.map((m) => m.id)).toContain(mitigation.id);

    // Extend by 15 minutes.
    const extended = await operator.call<MitigationView>('mitigations.degradedMode.extend', {
      moduleId,
      reason: 'still investigating',
      additionalMinutes: 15,
    });
    expect(extended.status, JSON.stringify(extended.error)).toBe(200);
    const extendTraceId = extended.headers.get('x-trace-id');
    expect(Date.parse(extended.data.endsAt!)).toBe(Date.parse(mitigation.endsAt!) + 15 * MINUTE);
    const [row] = await mitigationsOf(ownerQuery, moduleId);
    expect(row!.ends_at!.toISOString()).toBe(extended.data.endsAt);

    // End early.
    const ended = await operator.call<MitigationView>('mitigations.degradedMode.end', {
      moduleId,
      reason: 'latency back to normal',
    });
    expect(ended.status, JSON.stringify(ended.error)).toBe(200);
    expect(ended.data).toMatchObject({ id: mitigation.id, status: 'ended' });
    expect(ended.data.endReason).toContain('latency back to normal');
    expect(await flagsOf(ownerQuery, moduleId)).toEqual(originalFlags('search'));
    await waitFor('the workflow to complete', async () =>
      (await workflowStatus(mitigation.workflowId)) === 'COMPLETED' ? true : undefined,
    );
    expect(
      (await operator.call<MitigationView | null>('mitigations.degradedMode.get', { moduleId })).data,
    ).toBeNull();
    const endedList = await operator.call<MitigationView[]>('mitigations.list', { status: 'ended' });
    expect(endedList.data.find((m) => m.id === mitigation.id)?.status).toBe('ended');

    // Three steps, three events, one trace: the start's.
    const audit = await auditOf(ownerQuery, mitigation.id);
    expect(audit.map((e) => e.action)).toEqual([
      'degraded_mode.start',
      'degraded_mode.extend',
      'degraded_mode.restore',
    ]);
    for (const event of audit) {
      expect(event).toMatchObject({
        trace_id: startTraceId,
        outcome: 'success',
        actor_kind: 'user',
        actor_label: cp.acme.emails.operator,
        role: 'operator',
      });
    }
    const [start, extend, restore] = audit;
    expect(start!.details).toMatchObject({
      moduleId,
      switchedOff: ['search.suggest'],
      keptOn: ['search.core'],
      snapshot: originalFlags('search'),
    });
    expect(extend!.details).toMatchObject({ additionalMinutes: 15, requestTraceId: extendTraceId });
    expect(extend!.reason).toBe('still investigating');
    expect(restore!.details).toMatchObject({
      cause: 'ended_early',
      restored: [{ key: 'search.suggest', enabled: true }],
      requestTraceId: ended.headers.get('x-trace-id'),
    });
    expect(restore!.reason).toBe('latency back to normal');
  });

  it('a second request for the same module answers with the running degraded mode and starts no second workflow', async () => {
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'exports', featuresOfEachKind('exports'));
    const start = () =>
      operator.call<StartedMitigation>('mitigations.degradedMode.start', {
        moduleId,
        reason: 'export queue saturated',
        durationMinutes: 10,
      });

    // Three at once, then one more later.
    const concurrent = await Promise.all([start(), start(), start()]);
    for (const answer of concurrent) expect(answer.status, JSON.stringify(answer.error)).toBe(200);
    const ids = new Set(concurrent.map((a) => a.data.mitigation.id));
    expect(ids.size).toBe(1);
    expect(concurrent.filter((a) => !a.data.alreadyRunning)).toHaveLength(1);
    const workflowId = degradedModeWorkflowId(cp.acme.tenantId, moduleId);
    const runId = (await cp.deps.temporal.workflow.getHandle(workflowId).describe()).runId;

    const later = await start();
    expect(later.data).toMatchObject({ alreadyRunning: true, mitigation: { id: [...ids][0] } });
    expect((await cp.deps.temporal.workflow.getHandle(workflowId).describe()).runId).toBe(runId);
    // One run, one row, one start event, flags switched off once.
    expect(await mitigationsOf(ownerQuery, moduleId)).toHaveLength(1);
    const starts = (await auditOf(ownerQuery, [...ids][0]!)).filter(
      (e) => e.action === 'degraded_mode.start',
    );
    expect(starts).toHaveLength(1);
    expect((await flagsOf(ownerQuery, moduleId))['exports.suggest']).toBe(false);
  });

  it('when its duration elapses, the snapshot is restored exactly and on time, audited as the system with the trace id of the start', async () => {
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'reports', featuresOfEachKind('reports'));
    const request = memberRequest(cp.deps, cp.acme, 'operator');
    const { mitigation } = await startDegradedMode(request, {
      moduleId,
      reason: 'report generation overload',
      durationMs: 3_000,
    });
    expect((await flagsOf(ownerQuery, moduleId))['reports.suggest']).toBe(false);

    const ended = await waitForEndedMitigation(ownerQuery, moduleId, 'the restore');
    // On time: restored right after ends_at, not before.
    const lateness = ended.ended_at!.getTime() - ended.ends_at!.getTime();
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(3_000);
    expect(ended.end_reason).toBe('expired');
    expect(await flagsOf(ownerQuery, moduleId)).toEqual(originalFlags('reports'));

    const restore = (await auditOf(ownerQuery, mitigation.id)).find(
      (e) => e.action === 'degraded_mode.restore',
    );
    expect(restore).toMatchObject({
      actor_kind: 'system',
      actor_id: null,
      trace_id: request.traceId,
      details: expect.objectContaining({
        cause: 'expired',
        restored: [{ key: 'reports.suggest', enabled: true }],
        startedBy: { id: request.actor.id, label: request.actor.label },
      }),
    });
    const result = await cp.deps.temporal.workflow.getHandle(mitigation.workflowId).result();
    expect(result).toEqual({ mitigationId: mitigation.id, endedBy: 'expiry' });
  });

  it('a viewer, an auditor, a security reviewer or a tenant admin cannot start it: 403, nothing started, the refusal audited', async () => {
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'archive', featuresOfEachKind('archive'));
    for (const role of ['viewer', 'auditor', 'security_reviewer', 'tenant_admin'] as const) {
      const member = await cp.signedIn(cp.acme, role);
      const refused = await member.call('mitigations.degradedMode.start', { moduleId, reason: 'let me try' });
      expect(refused.status, role).toBe(403);
      expect(refused.error?.data.code).toBe('ERR_FORBIDDEN');
      const denied = await cp.ownerQuery<{ outcome: string }>(
        `select outcome from audit_events where tenant_id = $1 and action = 'mitigations.degradedMode.start'
          and request_id is not null and trace_id = $2`,
        [cp.acme.tenantId, refused.headers.get('x-trace-id')],
      );
      expect(denied).toEqual([{ outcome: 'denied' }]);
      // Reading is allowed.
      const got = await member.call('mitigations.degradedMode.get', { moduleId });
      expect(got.status, role).toBe(200);
      expect(got.data).toBeNull();
    }
    await expect(
      cp.deps.temporal.workflow.getHandle(degradedModeWorkflowId(cp.acme.tenantId, moduleId)).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await mitigationsOf(ownerQuery, moduleId)).toEqual([]);
    expect(await flagsOf(ownerQuery, moduleId)).toEqual(originalFlags('archive'));
  });

  it('a viewer or an auditor cannot extend or end a running one', async () => {
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'imports', featuresOfEachKind('imports'));
    const started = await operator.call<StartedMitigation>('mitigations.degradedMode.start', {
      moduleId,
      reason: 'import backlog',
    });
    expect(started.status).toBe(200);
    for (const role of ['viewer', 'auditor'] as const) {
      const member = await cp.signedIn(cp.acme, role);
      const extend = await member.call('mitigations.degradedMode.extend', {
        moduleId,
        reason: 'more',
        additionalMinutes: 5,
      });
      const end = await member.call('mitigations.degradedMode.end', { moduleId, reason: 'stop it' });
      expect([extend.status, end.status], role).toEqual([403, 403]);
    }
    const [row] = await mitigationsOf(ownerQuery, moduleId);
    expect(row).toMatchObject({ status: 'active' });
    expect(row!.ends_at!.toISOString()).toBe(started.data.mitigation.endsAt);
    expect(await auditOf(ownerQuery, started.data.mitigation.id)).toHaveLength(1);
    await operator.call('mitigations.degradedMode.end', { moduleId, reason: 'cleaning up' });
  });

  it("an operator of acme cannot put globex's module in degraded mode: not found, nothing started anywhere", async () => {
    const globexModule = cp.globex.modules.ocr!;
    const before = await flagsOf(ownerQuery, globexModule);
    for (const [path, input] of [
      ['mitigations.degradedMode.start', { moduleId: globexModule, reason: 'cross-tenant attempt' }],
      [
        'mitigations.degradedMode.extend',
        { moduleId: globexModule, reason: 'cross-tenant attempt', additionalMinutes: 5 },
      ],
      ['mitigations.degradedMode.end', { moduleId: globexModule, reason: 'cross-tenant attempt' }],
      ['mitigations.degradedMode.get', { moduleId: globexModule }],
    ] as const) {
      const answer = await operator.call(path, input);
      expect(answer.status, path).toBe(404);
      expect(answer.error?.data.code).toBe('ERR_NOT_FOUND');
    }
    for (const tenantId of [cp.acme.tenantId, cp.globex.tenantId]) {
      await expect(
        cp.deps.temporal.workflow.getHandle(degradedModeWorkflowId(tenantId, globexModule)).describe(),
      ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    }
    expect(await mitigationsOf(ownerQuery, globexModule)).toEqual([]);
    expect(await flagsOf(ownerQuery, globexModule)).toEqual(before);
  });

  it('durations are bounded: 1 to 480 minutes, and an extension may not leave more than 480 minutes to run', async () => {
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'billing-ui', featuresOfEachKind('billing-ui'));
    for (const durationMinutes of [0, 481, 1.5]) {
      const refused = await operator.call('mitigations.degradedMode.start', {
        moduleId,
        reason: 'out of bounds',
        durationMinutes,
      });
      expect(refused.status, String(durationMinutes)).toBe(400);
      expect(refused.error?.data.fieldErrors?.durationMinutes).toBeDefined();
    }
    expect(await mitigationsOf(ownerQuery, moduleId)).toEqual([]);

    const started = await operator.call<StartedMitigation>('mitigations.degradedMode.start', {
      moduleId,
      reason: 'the longest allowed',
      durationMinutes: 480,
    });
    expect(started.status).toBe(200);
    const tooLong = await operator.call('mitigations.degradedMode.extend', {
      moduleId,
      reason: 'even longer',
      additionalMinutes: 5,
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.error?.data).toMatchObject({ code: 'ERR_VALIDATION' });
    expect(tooLong.error?.data.fieldErrors?.additionalMinutes).toBeDefined();
    const [row] = await mitigationsOf(ownerQuery, moduleId);
    expect(row!.ends_at!.toISOString()).toBe(started.data.mitigation.endsAt);
    await operator.call('mitigations.degradedMode.end', { moduleId, reason: 'cleaning up' });
  });

  it('extending or ending a module that is not in degraded mode is a conflict, and changes nothing', async () => {
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'calendar', featuresOfEachKind('calendar'));
    const extend = await operator.call('mitigations.degradedMode.extend', {
      moduleId,
      reason: 'more time',
      additionalMinutes: 5,
    });
    const end = await operator.call('mitigations.degradedMode.end', { moduleId, reason: 'stop' });
    expect([extend.status, end.status]).toEqual([409, 409]);
    expect(await flagsOf(ownerQuery, moduleId)).toEqual(originalFlags('calendar'));
  });

  it('an archived module cannot be put in degraded mode: a conflict, and no workflow starts', async () => {
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'legacy', featuresOfEachKind('legacy'));
    await cp.ownerQuery(`update modules set status = 'archived' where id = $1`, [moduleId]);
    const refused = await operator.call('mitigations.degradedMode.start', { moduleId, reason: 'old module' });
    expect(refused.status).toBe(409);
    expect(refused.error?.data.code).toBe('ERR_CONFLICT');
    await expect(
      cp.deps.temporal.workflow.getHandle(degradedModeWorkflowId(cp.acme.tenantId, moduleId)).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await flagsOf(ownerQuery, moduleId)).toEqual(originalFlags('legacy'));
  });

  it('when its workflow is gone (terminated by hand), ending it still restores the snapshot, audited; a new start then works', async () => {
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'mailer', featuresOfEachKind('mailer'));
    const started = await operator.call<StartedMitigation>('mitigations.degradedMode.start', {
      moduleId,
      reason: 'mail provider throttling',
    });
    const { mitigation } = started.data;
    await cp.deps.temporal.workflow.getHandle(mitigation.workflowId).terminate('test: workflow lost');

    const ended = await operator.call<MitigationView>('mitigations.degradedMode.end', {
      moduleId,
      reason: 'provider recovered',
    });
    expect(ended.status, JSON.stringify(ended.error)).toBe(200);
    expect(ended.data.status).toBe('ended');
    expect(await flagsOf(ownerQuery, moduleId)).toEqual(originalFlags('mailer'));
    const restore = (await auditOf(ownerQuery, mitigation.id)).at(-1);
    expect(restore).toMatchObject({
      action: 'degraded_mode.restore',
      actor_label: cp.acme.emails.operator,
      trace_id: started.headers.get('x-trace-id'),
      details: expect.objectContaining({ workflowRunning: false, cause: 'ended_early' }),
    });

    const again = await operator.call<StartedMitigation>('mitigations.degradedMode.start', {
      moduleId,
      reason: 'throttling again',
    });
    expect(again.data).toMatchObject({ alreadyRunning: false, mitigation: { status: 'active' } });
    expect(again.data.mitigation.id).not.toBe(mitigation.id);
    await operator.call('mitigations.degradedMode.end', { moduleId, reason: 'cleaning up' });
  });

  it('a degraded mode left active by a lost workflow is superseded by the next start, which keeps the state from before it', async () => {
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'pdf', featuresOfEachKind('pdf'));
    const first = await operator.call<StartedMitigation>('mitigations.degradedMode.start', {
      moduleId,
      reason: 'pdf rendering slow',
    });
    await cp.deps.temporal.workflow
      .getHandle(first.data.mitigation.workflowId)
      .terminate('test: workflow lost');
    expect((await flagsOf(ownerQuery, moduleId))['pdf.suggest']).toBe(false);

    const second = await operator.call<StartedMitigation>('mitigations.degradedMode.start', {
      moduleId,
      reason: 'pdf rendering still slow',
    });
    expect(second.status, JSON.stringify(second.error)).toBe(200);
    // The snapshot is the state before the first degraded mode, not the switched-off one.
    expect(second.data.mitigation.snapshot).toEqual({ features: originalFlags('pdf') });
    const rows = await mitigationsOf(ownerQuery, moduleId);
    expect(rows.map((r) => r.status)).toEqual(['ended', 'active']);
    expect(rows[0]!.end_reason).toContain('superseded');

    await operator.call('mitigations.degradedMode.end', { moduleId, reason: 'fixed' });
    expect(await flagsOf(ownerQuery, moduleId)).toEqual(originalFlags('pdf'));
  });

  it('an extend request delivered twice moves the deadline once', async () => {
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'invoicing', featuresOfEachKind('invoicing'));
    const started = await operator.call<StartedMitigation>('mitigations.degradedMode.start', {
      moduleId,
      reason: 'import backlog',
    });
    const { mitigation } = started.data;
    const handle = cp.deps.temporal.workflow.getHandle(mitigation.workflowId);
    const signal: ExtendDegradedModeSignal = {
      additionalMs: 5 * MINUTE,
      reason: 'sent twice',
      requester: requesterOf(memberRequest(cp.deps, cp.acme, 'operator')),
    };
    await handle.signal(DEGRADED_MODE_SIGNALS.extend, signal);
    await handle.signal(DEGRADED_MODE_SIGNALS.extend, signal);
    // Taken in order: once this later request is recorded, the two deliveries before it were handled.
    const later = await operator.call<MitigationView>('mitigations.degradedMode.extend', {
      moduleId,
      reason: 'one more',
      additionalMinutes: 10,
    });
    expect(later.status, JSON.stringify(later.error)).toBe(200);
    expect(Date.parse(later.data.endsAt!)).toBe(Date.parse(mitigation.endsAt!) + 15 * MINUTE);
    const extends_ = (await auditOf(ownerQuery, mitigation.id)).filter(
      (e) => e.action === 'degraded_mode.extend',
    );
    expect(extends_).toHaveLength(2);
    expect(extends_[0]!.request_id).toBe(signal.requester.requestId);
    expect(extends_[1]!.reason).toBe('one more');
    await operator.call('mitigations.degradedMode.end', { moduleId, reason: 'cleaning up' });
  });

  it('extending a degraded mode that is already being restored is a conflict, and extends nothing', async () => {
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'webhooks', featuresOfEachKind('webhooks'));
    const started = await operator.call<StartedMitigation>('mitigations.degradedMode.start', {
      moduleId,
      reason: 'webhook storm',
    });
    const { mitigation } = started.data;
    const handle = cp.deps.temporal.workflow.getHandle(mitigation.workflowId);
    // Hold the row so the restore the end request starts waits, with the row still active.
    const holder = new pg.Client({ connectionString: cp.ownerUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select id from mitigations where id = $1 for update', [mitigation.id]);
      await handle.signal(DEGRADED_MODE_SIGNALS.end, {
        reason: 'storm over',
        requester: requesterOf(memberRequest(cp.deps, cp.acme, 'operator')),
      });
      const extending = operator.call('mitigations.degradedMode.extend', {
        moduleId,
        reason: 'too late',
        additionalMinutes: 10,
      });
      await waitFor('the extend signal to reach the workflow', async () => {
        for (const event of (await handle.fetchHistory()).events ?? []) {
          if (event.workflowExecutionSignaledEventAttributes?.signalName === DEGRADED_MODE_SIGNALS.extend) {
            return true;
          }
        }
        return undefined;
      });
      await holder.query('commit');
      const extend = await extending;
      expect(extend.status).toBe(409);
      expect(extend.error?.data.code).toBe('ERR_CONFLICT');
    } finally {
      await holder.end();
    }
    const [row] = await waitFor('the restore', async () => {
      const rows = await mitigationsOf(ownerQuery, moduleId);
      return rows[0]?.status === 'ended' ? rows : undefined;
    });
    expect(row!.ends_at!.toISOString()).toBe(mitigation.endsAt);
    expect((await auditOf(ownerQuery, mitigation.id)).map((e) => e.action)).toEqual([
      'degraded_mode.start',
      'degraded_mode.restore',
    ]);
  });

  it('two overlapping attempts to apply the same degraded mode record it once and never supersede it', async () => {
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'ledger', featuresOfEachKind('ledger'));
    const ref = refFor(moduleId, 'overlap');
    const apply = () => inAcme((em) => applyDegradedModeChanges(em, ref));
    const answers = await Promise.all([apply(), apply(), apply()]);
    for (const answer of answers) expect(answer.active).toBe(true);
    const rows = await mitigationsOf(ownerQuery, moduleId);
    expect(rows.map((r) => [r.id, r.status])).toEqual([[ref.mitigationId, 'active']]);
    expect(rows[0]!.snapshot).toEqual({ features: originalFlags('ledger') });
    expect((await auditOf(ownerQuery, ref.mitigationId)).map((e) => e.action)).toEqual([
      'degraded_mode.start',
    ]);

    await inAcme((em) =>
      restoreDegradedModeSnapshot(em, {
        tenantId: ref.tenantId,
        mitigationId: ref.mitigationId,
        end: null,
        workflowRunning: false,
      }),
    );
    expect(await flagsOf(ownerQuery, moduleId)).toEqual(originalFlags('ledger'));
  });

  describe('when applying fails for good (every retry spent, or the last answer lost)', () => {
    it('an attempt that committed but whose answer was lost is put back exactly, audited apply_failed by the workflow', async () => {
      const moduleId = await arrangeModule(ownerQuery, cp.acme, 'payroll', featuresOfEachKind('payroll'));
      const ref = refFor(moduleId, 'payroll');
      await inAcme((em) => applyDegradedModeChanges(em, ref));
      expect(await flagsOf(ownerQuery, moduleId)).not.toEqual(originalFlags('payroll'));

      const failure = 'activity StartToClose timeout';
      expect(await inAcme((em) => abandonDegradedModeChanges(em, { ...ref, failure }))).toBe('restored');
      expect(await inAcme((em) => abandonDegradedModeChanges(em, { ...ref, failure }))).toBe('already_ended');

      expect(await flagsOf(ownerQuery, moduleId)).toEqual(originalFlags('payroll'));
      const [row] = await mitigationsOf(ownerQuery, moduleId);
      expect(row).toMatchObject({ id: ref.mitigationId, status: 'ended' });
      expect(row!.end_reason).toContain(failure);
      const audit = await auditOf(ownerQuery, ref.mitigationId);
      expect(audit.map((e) => [e.action, e.outcome, e.actor_label])).toEqual([
        ['degraded_mode.start', 'success', cp.acme.emails.operator],
        ['degraded_mode.restore', 'success', 'system: degraded-mode workflow'],
      ]);
      expect(audit[1]!.details).toMatchObject({ cause: 'apply_failed' });
      expect(audit[1]!.trace_id).toBe(ref.requester.traceId);
    });

    it('an attempt that commits after the workflow gave up finds the mitigation ended and changes nothing', async () => {
      const moduleId = await arrangeModule(ownerQuery, cp.acme, 'treasury', featuresOfEachKind('treasury'));
      const ref = refFor(moduleId, 'treasury');
      const failure = 'every attempt failed: database unreachable';
      expect(await inAcme((em) => abandonDegradedModeChanges(em, { ...ref, failure }))).toBe(
        'nothing_applied',
      );

      // The late attempt (a worker that had lost contact) runs now.
      expect(await inAcme((em) => applyDegradedModeChanges(em, ref))).toMatchObject({ active: false });

      expect(await flagsOf(ownerQuery, moduleId)).toEqual(originalFlags('treasury'));
      const rows = await mitigationsOf(ownerQuery, moduleId);
      expect(rows.map((r) => [r.id, r.status])).toEqual([[ref.mitigationId, 'ended']]);
      const audit = await auditOf(ownerQuery, ref.mitigationId);
      expect(audit.map((e) => [e.action, e.outcome])).toEqual([['degraded_mode.start', 'failure']]);
      expect(audit[0]!.details).toMatchObject({ cause: 'apply_failed', failure });
    });
  });
});
