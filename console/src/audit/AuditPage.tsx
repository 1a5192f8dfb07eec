/**
 * The tenant's audit log, newest first, paginated on the server (`beforeSeq` cursor), filterable
 * by action and actor. Every row shows its OpenTelemetry trace id, to find the request behind it.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { AuditEventView } from '@rc/contracts';
import { api, liveRefetchInterval, problemOf, queryKeys } from '../api/trpc';
import { formatTime } from '../layout/format';
import { ProblemMessage } from '../layout/ProblemMessage';
import { useTenant } from '../layout/tenant';

const PAGE_SIZE = 25;

/** Actions worth suggesting in the filter (any exact action name works). */
const KNOWN_ACTIONS = [
  'degraded_mode.start',
  'degraded_mode.extend',
  'degraded_mode.restore',
  'breaker.open',
  'breaker.half_open',
  'breaker.reopen',
  'breaker.close',
  'breaker.force_close',
  'modules.create',
  'modules.update',
  'modules.archive',
  'diagnostics.run',
];

interface Filter {
  action?: string;
  actorId?: string;
}

export function AuditPage() {
  const tenant = useTenant();
  const [filter, setFilter] = useState<Filter>({});
  const [draftAction, setDraftAction] = useState('');
  const [draftActor, setDraftActor] = useState('');
  /** Cursors of the pages before the current one; the current page's cursor is the last. */
  const [cursors, setCursors] = useState<number[]>([]);
  /** Actors seen so far, to filter by name rather than by id. */
  const [actors, setActors] = useState<Map<string, string>>(new Map());
  const beforeSeq = cursors.at(-1);

  const query = useQuery({
    queryKey: queryKeys.audit(tenant.slug, { ...filter, beforeSeq }),
    queryFn: () => api.audit.list.query({ limit: PAGE_SIZE, beforeSeq, ...filter }),
    placeholderData: keepPreviousData,
    // The first page follows what happens; older pages do not move.
    refetchInterval: beforeSeq === undefined ? liveRefetchInterval : false,
  });

  const apply = (next: Filter) => {
    setFilter(next);
    setCursors([]);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    apply({
      ...(draftAction.trim() ? { action: draftAction.trim() } : {}),
      ...(draftActor ? { actorId: draftActor } : {}),
    });
  };
  const filterByActor = (event: AuditEventView) => {
    if (!event.actorId) return;
    setDraftActor(event.actorId);
    apply({ ...filter, actorId: event.actorId });
  };
  const clear = () => {
    setDraftAction('');
    setDraftActor('');
    apply({});
  };

  const events = useMemo(() => query.data?.events ?? [], [query.data]);
  useEffect(() => {
    setActors((known) => {
      const next = new Map(known);
      for (const e of events) if (e.actorId) next.set(e.actorId, e.actorLabel);
      return next.size === known.size ? known : next;
    });
  }, [events]);
  const nextBeforeSeq = query.data?.nextBeforeSeq ?? null;

  return (
    <div className="audit-page">
      <header className="page-header">
        <h1>Audit log</h1>
        <p className="muted">Every change and every refusal in {tenant.name}, newest first, hash-chained.</p>
      </header>
      <form className="filters" onSubmit={submit} aria-label="Filter audit events">
        <label>
          Action
          <input
            name="action"
            list="audit-actions"
            value={draftAction}
            onChange={(e) => setDraftAction(e.target.value)}
            placeholder="any action"
            maxLength={200}
          />
          <datalist id="audit-actions">
            {KNOWN_ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <label>
          Actor
          <select name="actor" value={draftActor} onChange={(e) => setDraftActor(e.target.value)}>
            <option value="">anyone</option>
            {[...actors].map(([id, label]) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button primary">
          Filter
        </button>
        {(filter.action || filter.actorId) && (
          <button type="button" className="button" onClick={clear}>
            Clear
          </button>
        )}
        {query.isFetching && <span className="muted">refreshing…</span>}
      </form>

      {query.isError && <ProblemMessage problem={problemOf(query.error)} what="the audit log" />}
      {query.isPending && <p className="muted">Loading…</p>}
      {query.isSuccess && !events.length && <p className="muted">No audit event matches.</p>}
      {events.length > 0 && (
        <table className="table audit-table" data-testid="audit-table">
          <thead>
            <tr>
              <th>#</th>
              <th>Time</th>
              <th>Action</th>
              <th>Actor</th>
              <th>Resource</th>
              <th>Outcome</th>
              <th>Reason</th>
              <th>Trace id</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id} data-testid="audit-row" data-action={e.action} data-outcome={e.outcome}>
                <td className="muted">{e.seq}</td>
                <td title={e.occurredAt}>{formatTime(e.occurredAt)}</td>
                <td className="mono">{e.action}</td>
                <td>
                  {e.actorId ? (
                    <button
                      type="button"
                      className="link-button"
                      title="Show only this actor's events"
                      onClick={() => filterByActor(e)}
                    >
                      {e.actorLabel}
                    </button>
                  ) : (
                    e.actorLabel
                  )}
                  {e.role && <span className="muted"> · {e.role}</span>}
                </td>
                <td>
                  {e.resourceType}
                  {e.resourceId && (
                    <span className="mono muted" title={e.resourceId}>
                      {' '}
                      {e.resourceId.slice(0, 8)}
                    </span>
                  )}
                </td>
                <td>
                  <span className={`badge outcome-${e.outcome}`}>{e.outcome}</span>
                </td>
                <td className="reason-cell">{e.reason ?? ''}</td>
                <td className="mono trace" data-testid="audit-trace-id">
                  {e.traceId ?? '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label="Audit pages">
        <button
          type="button"
          className="button"
          disabled={!cursors.length}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          ← Newer
        </button>
        <span className="muted">Page {cursors.length + 1}</span>
        <button
          type="button"
          className="button"
          disabled={nextBeforeSeq === null || query.isPlaceholderData}
          onClick={() => nextBeforeSeq !== null && setCursors((c) => [...c, nextBeforeSeq])}
        >
          Older →
        </button>
      </nav>
    </div>
  );
}
