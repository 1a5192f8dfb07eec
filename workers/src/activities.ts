import { createDiagnosticsActivities, type DiagnosticsActivityDeps } from './diagnostics/activities';
import { createBreakerActivities } from './breakers/activities';
import { createDegradedModeActivities } from './mitigations/activities';

/** What the activities need from the process: built once per worker. */
export type ActivityDeps = DiagnosticsActivityDeps;

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDiagnosticsActivities(deps),
    ...createBreakerActivities(deps),
    ...createDegradedModeActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
