import type { ApiProblem } from '../api/trpc';

/** An API refusal or failure, with its stable code and the trace id to look it up. */
export function ProblemMessage({ problem, what }: { problem: ApiProblem; what: string }) {
  return (
    <div className="form-error" role="alert">
      Could not load {what}: <strong>{problem.code}</strong> {problem.message}
      {problem.traceId && <div className="mono">trace {problem.traceId}</div>}
    </div>
  );
}
