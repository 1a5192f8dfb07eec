import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { degradedModeWorkflowId, type MitigationView, type StartedMitigation } from '@rc/contracts';
import { startTestControlPlane, type TestControlPlane } from '@rc/control-plane/testing/test-control-plane';
import { waitFor } from '@rc/control-plane/testing/wait-for';
import { workflowBundlePath } from '@rc/ops/test/harness';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Determinism guard, two ways:
 * - the histories of runs made by this build replay against its workflow bundle, so code that
 *   depends on anything but its history (time, randomness, I/O, iteration order) fails here;
 * - the histories recorded by earlier builds (`replay-histories/*.json`) replay too, so a change
 *   to a workflow's commands that is not behind `patched()` fails here: runs already started in
 *   production would fail the same way when a new worker picks them up.
 *
 * `RECORD_WORKFLOW_HISTORIES=1 node node_modules/vitest/vitest.mjs run workers/src/replay.test.ts`
 * writes this build's histories into that folder (one file per scenario and commit). Record and
 * commit them whenever a workflow changes, so the next change is checked against them.
 *
 * Reading a JSON history needs the Temporal packages to share one copy of protobufjs 8 (with
 * copies of their own it fails with "type must be a Type"): the root package.json depends on it
 * so that npm hoists it.
 */
const HISTORIES_DIR = path.join(import.meta.dirname, 'replay-histories');

/** One recorded run: enough to replay it, and to know where it came from. */
interface RecordedHistory {
  scenario: string;
  workflowId: string;
  /** The commit whose workflow code made the run. */
  commit: string;
  recordedAt: string;
  /** The history as Temporal's JSON (what `temporal workflow show --output json` prints). */
  history: unknown;
}

const APPLY_FAILS = 'replay guard: apply fails';
let cp: TestControlPlane;

beforeAll(async () => {
  cp = await startTestControlPlane({
    withWorker: true,
    // For the failure scenario: its apply fails for good, so the run takes the abandon path.
    wrapActivities: (activities) => ({
      ...activities,
      async applyDegradedMode(input) {
        if (input.reason === APPLY_FAILS) {
          throw ApplicationFailure.nonRetryable('injected: the apply failed for good', 'TestInjected');
        }
        return activities.applyDegradedMode(input);
      },
    }),
  });
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

const replayBundle = () => ({ workflowBundle: { codePath: workflowBundlePath() } });

async function replayAndMaybeRecord(scenario: string, workflowId: string): Promise<void> {
  const handle = cp.deps.temporal.workflow.getHandle(workflowId);
  // Ended either way; a failed run replays like any other.
  await handle.result().catch(() => undefined);
  const history = await handle.fetchHistory();
  expect(history.events?.length).toBeGreaterThan(0);
  await Worker.runReplayHistory(replayBundle(), history, workflowId);
  if (process.env.RECORD_WORKFLOW_HISTORIES) record(scenario, workflowId, historyToJSON(history));
}

function record(scenario: string, workflowId: string, historyJson: string): void {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
  // Workflow code not yet committed is labelled as such: the commit alone would name its parent.
  const uncommitted = git('status', '--porcelain', '--', 'workers/src', 'contracts/src/workflows.ts') !== '';
  const commit = `${git('rev-parse', '--short=8', 'HEAD')}${uncommitted ? '-wip' : ''}`;
  const recorded: RecordedHistory = {
    scenario,
    workflowId,
    commit,
    recordedAt: new Date().toISOString(),
    history: JSON.parse(historyJson),
  };
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const file = path.join(HISTORIES_DIR, `${scenario}.${commit}.json`);
  // A recording is never rewritten: runs of that build may still be open somewhere.
  if (existsSync(file)) return;
  writeFileSync(file, `${JSON.stringify(recorded, null, 1)}\n`);
}

describe('workflow runs of this build replay deterministically', () => {
  it('a degraded mode started, extended and ended early', async () => {
    const operator = await cp.signedIn(cp.acme, 'operator');
    const ocr = cp.acme.modules.ocr!;
    const started = await operator.call<StartedMitigation>('mitigations.degradedMode.start', {
      moduleId: ocr,
      reason: 'replay guard',
    });
    expect(started.status, JSON.stringify(started.error)).toBe(200);
    const extended = await operator.call<MitigationView>('mitigations.degradedMode.extend', {
      moduleId: ocr,
      reason: 'replay guard: more time',
      additionalMinutes: 5,
    });
    expect(extended.status, JSON.stringify(extended.error)).toBe(200);
    const ended = await operator.call<MitigationView>('mitigations.degradedMode.end', {
      moduleId: ocr,
      reason: 'replay guard: done',
    });
    expect(ended.status, JSON.stringify(ended.error)).toBe(200);
    await replayAndMaybeRecord('degraded-mode-extended-ended-early', started.data.mitigation.workflowId);
  });

  it('a circuit breaker opened, probed half-open, then force-closed', async () => {
    const operator = await cp.signedIn(cp.acme, 'operator');
    const integrationId = cp.acme.integrations['payment-provider']!;
    const opened = await operator.call<StartedMitigation>('breakers.open', {
      integrationId,
      reason: 'replay guard',
      coolDownSeconds: 1,
    });
    expect(opened.status, JSON.stringify(opened.error)).toBe(200);
    await waitFor('a half-open phase', async () => {
      const rows = await cp.ownerQuery(
        `select 1 from audit_events where resource_id = $1 and action = 'breaker.half_open'`,
        [integrationId],
      );
      return rows.length > 0 ? true : undefined;
    });
    const closed = await operator.call('breakers.forceClose', {
      integrationId,
      reason: 'replay guard: done',
    });
    // A breaker whose probes passed in the meantime is already closed: either way the run ended.
    expect([200, 409], JSON.stringify(closed.error)).toContain(closed.status);
    await replayAndMaybeRecord('breaker-half-open-force-closed', opened.data.mitigation.workflowId);
  });
});

describe('a failed workflow run of this build replays deterministically', () => {
  it('a degraded mode whose apply failed for good (the abandon step runs)', async () => {
    const operator = await cp.signedIn(cp.acme, 'operator');
    const billing = cp.acme.modules.billing!;
    const started = await operator.call('mitigations.degradedMode.start', {
      moduleId: billing,
      reason: APPLY_FAILS,
    });
    expect(started.status).toBe(409);
    const workflowId = degradedModeWorkflowId(cp.acme.tenantId, billing);
    const history = await cp.deps.temporal.workflow.getHandle(workflowId).fetchHistory();
    expect(JSON.stringify(history.events)).toContain('abandonDegradedMode');
    await replayAndMaybeRecord('degraded-mode-apply-failed', workflowId);
  });
});

describe('workflow runs recorded by earlier builds still replay', () => {
  const files = readdirSync(HISTORIES_DIR).filter((file) => file.endsWith('.json'));

  it('there are recorded runs to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s', async (file) => {
    const recorded = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as RecordedHistory;
    await Worker.runReplayHistory(replayBundle(), recorded.history, recorded.workflowId);
  });
});
