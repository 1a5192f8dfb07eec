/**
 * Degraded-mode activities: each step (snapshot + switch off, new deadline, restore) commits
 * its changes and its audit event in one tenant transaction, as the application role (RLS).
 * The database logic lives with the mitigation's other rules in the control plane
 * (`control-plane/src/mitigations/degraded-mode-store.ts`); the workflow decides when each runs.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import {
  abandonDegradedModeChanges,
  applyDegradedModeChanges,
  extendDegradedModeDeadline,
  inTenantTransaction,
  requesterActor,
  restoreDegradedModeSnapshot,
  type DegradedModeRef,
} from '@rc/control-plane';
import type { EndDegradedModeSignal, ExtendDegradedModeSignal } from '@rc/contracts';
import { ApplicationFailure } from '@temporalio/common';

export type { DegradedModeRef };

export interface DegradedModeActivityDeps {
  orm: MikroORM;
}

export interface DegradedModeActivities {
  /**
   * Snapshot → non-critical features off → mitigation row → audit `degraded_mode.start`, in one
   * transaction. A retry finds its own row and answers the same. Fails for good (no retry) when the
   * module does not exist (`ERR_NOT_FOUND`) or is archived (`ERR_CONFLICT`).
   */
  applyDegradedMode(
    input: DegradedModeRef & { reason: string; durationMs: number },
  ): Promise<{ endsAtMs: number; active: boolean }>;
  /** New deadline on the row, audited `degraded_mode.extend` as the person who asked (once per request). */
  recordDegradedModeExtension(
    input: DegradedModeRef & { endsAtMs: number; extension: ExtendDegradedModeSignal },
  ): Promise<boolean>;
  /** The snapshot restored exactly, the row ended, audited `degraded_mode.restore`. Idempotent. */
  restoreDegradedMode(input: DegradedModeRef & { endedBy: EndDegradedModeSignal | null }): Promise<boolean>;
  /**
   * Applying failed for good: what an attempt committed is put back, and an attempt that commits
   * later changes nothing (see `abandonDegradedModeChanges`). Idempotent.
   */
  abandonDegradedMode(
    input: DegradedModeRef & { reason: string; failure: string },
  ): Promise<'restored' | 'nothing_applied' | 'already_ended'>;
}

/** A rule the database refused (unknown or archived module) will refuse again: do not retry it. */
function permanent(error: unknown): unknown {
  const code = (error as { name?: string; code?: string }).code;
  if ((error as Error).name === 'AppError' && (code === 'ERR_NOT_FOUND' || code === 'ERR_CONFLICT')) {
    return ApplicationFailure.nonRetryable((error as Error).message, code);
  }
  return error;
}

export function createDegradedModeActivities({ orm }: DegradedModeActivityDeps): DegradedModeActivities {
  return {
    async applyDegradedMode(input) {
      try {
        return await inTenantTransaction(orm, { tenantId: input.tenantId }, (em) =>
          applyDegradedModeChanges(em, input),
        );
      } catch (error) {
        throw permanent(error);
      }
    },

    recordDegradedModeExtension(input) {
      return inTenantTransaction(orm, { tenantId: input.tenantId }, (em) =>
        extendDegradedModeDeadline(em, input),
      );
    },

    abandonDegradedMode(input) {
      return inTenantTransaction(orm, { tenantId: input.tenantId }, (em) =>
        abandonDegradedModeChanges(em, input),
      );
    },

    async restoreDegradedMode({ tenantId, mitigationId, endedBy }) {
      try {
        return await inTenantTransaction(orm, { tenantId }, (em) =>
          restoreDegradedModeSnapshot(em, {
            tenantId,
            mitigationId,
            workflowRunning: true,
            end: endedBy && {
              actor: requesterActor(endedBy.requester),
              reason: endedBy.reason,
              requestId: endedBy.requester.requestId,
              traceId: endedBy.requester.traceId,
            },
          }),
        );
      } catch (error) {
        throw permanent(error);
      }
    },
  };
}
