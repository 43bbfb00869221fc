import { Spinner } from '@wordpress/components';
import type { BaseStatus, Summary as SummaryData } from '../api';
import { BASE_STATUSES, countOf, formatDuration, formatNumber, formatRate, STATUS_LABELS } from '../format';
import { statusIntent } from './StatusBadge';

/** The flows with the most failures first, at most `limit`; flows without failures are left out. */
export function flowsByFailures(summary: SummaryData, limit: number) {
  return (summary.groups ?? [])
    .filter((group) => group.flow_id !== undefined && group.by_status.failed > 0)
    .sort((a, b) => b.by_status.failed - a.by_status.failed || b.total - a.total)
    .slice(0, limit);
}

interface Props {
  summary: SummaryData | undefined;
  loading: boolean;
  activeStatuses: string[];
  activeFlow: number | null;
  onStatus: (status: BaseStatus) => void;
  onFlow: (flowId: number) => void;
}

/** At a glance, for the current filters: counts by base status, success rate, durations, flows. */
export default function Summary({ summary, loading, activeStatuses, activeFlow, onStatus, onFlow }: Props) {
  const flows = summary ? flowsByFailures(summary, 5) : [];
  return (
    <section className="summary" aria-labelledby="summary-heading" data-testid="summary">
      <h2 id="summary-heading" className="section-heading">
        At a glance {loading && <Spinner />}
      </h2>
      <div className="summary__grid">
        <ul className="summary__counts" aria-label="Jobs by status">
          {BASE_STATUSES.map((status) => {
            const count = summary?.by_status[status] ?? 0;
            const active = activeStatuses.length === 1 && activeStatuses[0] === status;
            return (
              <li key={status}>
                <button
                  type="button"
                  className={`summary__count summary__count--${statusIntent(status)}`}
                  aria-pressed={active}
                  data-testid={`count-${status}`}
                  onClick={() => onStatus(status)}
                  title={active ? 'Show every status' : `Show only ${STATUS_LABELS[status].toLowerCase()} jobs`}
                >
                  <span className="summary__number">{summary ? formatNumber(count) : '…'}</span>
                  <span className="summary__label">{STATUS_LABELS[status]}</span>
                </button>
              </li>
            );
          })}
        </ul>
        <dl className="summary__stats">
          <div>
            <dt>Jobs</dt>
            <dd>{summary ? formatNumber(summary.total) : '…'}</dd>
          </div>
          <div>
            <dt>Success rate</dt>
            <dd title="Completed, completed without items or skipped, over finished jobs">
              {summary ? formatRate(summary.success_rate) : '…'}
            </dd>
          </div>
          <div>
            <dt>Duration p50</dt>
            <dd>{summary ? formatDuration(summary.duration_seconds.p50) : '…'}</dd>
          </div>
          <div>
            <dt>Duration p95</dt>
            <dd>{summary ? formatDuration(summary.duration_seconds.p95) : '…'}</dd>
          </div>
        </dl>
        <div className="summary__flows">
          <h3>Flows with most failures</h3>
          {summary && flows.length === 0 && <p className="muted">No failed jobs.</p>}
          <ol>
            {flows.map((group) => (
              <li key={group.flow_id}>
                <button
                  type="button"
                  className="summary__flow"
                  onClick={() => onFlow(group.flow_id!)}
                  aria-pressed={activeFlow === group.flow_id}
                  title={activeFlow === group.flow_id ? 'Show every flow' : 'Show only this flow'}
                >
                  Flow {group.flow_id}
                </button>
                <span>
                  {countOf(group.by_status.failed, 'failure')} of {formatNumber(group.total)}
                  <span className="muted"> · {formatRate(group.success_rate)} success</span>
                </span>
              </li>
            ))}
          </ol>
        </div>
      </div>
    </section>
  );
}
