import { degradedModeWorkflowId } from '@rc/contracts';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane';
import {
  arrangeModule,
  auditOf,
  featuresOfEachKind,
  flagsOf,
  mitigationsOf,
  originalFlags,
} from './degraded-mode.test-helpers';

/**
 * Degraded mode whose apply commits but whose answer never reaches the workflow (a worker that
 * loses its connection right after the commit, on the last attempt): the workflow must not leave
 * the module degraded with no timer to restore it. Real PostgreSQL, Temporal and worker; the
 * worker's apply activity is wrapped to lose its answer after committing.
 */
let cp: TestControlPlane;

beforeAll(async () => {
  cp = await startTestControlPlane({
    withWorker: true,
    wrapActivities: (activities) => ({
      ...activities,
      async applyDegradedMode(input) {
        await activities.applyDegradedMode(input);
        throw ApplicationFailure.nonRetryable('the answer was lost after the commit', 'TestAnswerLost');
      },
    }),
  });
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

describe('degraded mode whose apply failed for good', () => {
  it('the operator is told it was not applied, and the features it had switched off are back on, audited apply_failed', async () => {
    const moduleId = await arrangeModule(
      cp.ownerQuery,
      cp.acme,
      'billing-x',
      featuresOfEachKind('billing-x'),
    );
    const operator = await cp.signedIn(cp.acme, 'operator');

    const started = await operator.call('mitigations.degradedMode.start', {
      moduleId,
      reason: 'shed load',
    });
    expect(started.status).toBe(409);
    expect(started.error?.data.code).toBe('ERR_CONFLICT');
    expect(started.error?.message).toContain('the answer was lost after the commit');

    // By the time the operator hears of it, what the attempt changed has been put back.
    expect(await flagsOf(cp.ownerQuery, moduleId)).toEqual(originalFlags('billing-x'));
    const [row] = await mitigationsOf(cp.ownerQuery, moduleId);
    expect(row!.status).toBe('ended');
    expect(row!.end_reason).toContain('applying did not complete');
    const audit = await auditOf(cp.ownerQuery, row!.id);
    expect(audit.map((e) => [e.action, e.actor_label])).toEqual([
      ['degraded_mode.start', cp.acme.emails.operator],
      ['degraded_mode.restore', 'system: degraded-mode workflow'],
    ]);
    expect(audit[1]!.details).toMatchObject({ cause: 'apply_failed' });
    expect(audit[1]!.trace_id).toBe(started.headers.get('x-trace-id'));

    const handle = cp.deps.temporal.workflow.getHandle(degradedModeWorkflowId(cp.acme.tenantId, moduleId));
    expect((await handle.describe()).status.name).toBe('FAILED');
  });
});
