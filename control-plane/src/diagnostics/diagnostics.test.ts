import { diagnosticsWorkflowId } from '@rc/contracts';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane({ withWorker: true });
}, 120_000);
afterAll(async () => {
  await cp?.stop();
});

describe('diagnostics: the control plane runs a workflow on the worker', () => {
  it('an operator runs diagnostics: a Temporal workflow counts the tenant modules and answers, audited with the trace id', async () => {
    const operator = await cp.signedIn(cp.acme, 'operator');
    const response = await operator.call<{
      workflowId: string;
      echo: string;
      moduleCount: number;
      traceId: string;
    }>('diagnostics.run', { echo: 'hello' });
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ echo: 'hello', moduleCount: 2 });
    expect(response.data.workflowId).toContain(cp.acme.tenantId);
    expect(response.data.traceId).toBe(response.headers.get('x-trace-id'));
    const history = await cp.deps.temporal.workflow.getHandle(response.data.workflowId).describe();
    expect(history.status.name).toBe('COMPLETED');
    const [event] = await cp.ownerQuery<{ trace_id: string }>(
      "select trace_id from audit_events where action = 'diagnostics.run' and resource_id = $1",
      [response.data.workflowId],
    );
    expect(event!.trace_id).toBe(response.data.traceId);
  });

  it('the workflow only sees the tenant of the caller', async () => {
    const globexOperator = await cp.signedIn(cp.globex, 'operator');
    await cp.ownerQuery("update modules set status = 'archived' where tenant_id = $1 and name = 'ocr'", [
      cp.globex.tenantId,
    ]);
    const response = await globexOperator.call<{ moduleCount: number }>('diagnostics.run', {});
    expect(response.data.moduleCount).toBe(1);
  });

  it('a viewer cannot start a workflow (403, nothing started)', async () => {
    const viewer = await cp.signedIn(cp.acme, 'viewer');
    const response = await viewer.call('diagnostics.run', {});
    expect(response.status).toBe(403);
    // The workflow id this request would have used does not exist.
    const wouldBeId = diagnosticsWorkflowId(cp.acme.tenantId, response.headers.get('x-request-id')!);
    await expect(cp.deps.temporal.workflow.getHandle(wouldBeId).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });
});
