import { Modal, Notice, Spinner } from '@wordpress/components';
import { useState } from 'react';
import type { AuditRecord } from '../api';
import Pager from '../components/Pager';
import { formatAgo, formatNumber, formatTime } from '../format';
import { useAudit } from '../queries';

const PER_PAGE = 20;

const ACTIONS: Record<string, string> = {
  'jobs.clear': 'Cleared jobs',
  'processed_items.clear': 'Cleared processed items',
  'processed_items.delete': 'Deleted a processed item',
};

/** The request's parameters as "type: failed, cleanup_processed: true". */
export function describeParameters(parameters: Record<string, unknown>): string {
  const entries = Object.entries(parameters);
  return entries.length ? entries.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(', ') : '—';
}

/** "1,841 jobs, 1,841 processed items". */
export function describeRows(rows: Record<string, number> | null): string {
  if (!rows) return '—';
  const parts = Object.entries(rows).map(([what, n]) => `${formatNumber(n)} ${what.replace(/_/g, ' ')}`);
  return parts.length ? parts.join(', ') : '—';
}

function Row({ record, now }: { record: AuditRecord; now: number }) {
  return (
    <tr>
      <td>
        <time dateTime={`${record.created_at.replace(' ', 'T')}Z`} title={formatAgo(record.created_at, now)}>
          {formatTime(record.created_at)}
        </time>
      </td>
      <td>
        {record.username ?? <span className="muted">unknown</span>}
        <div className="muted small">
          {record.via === 'cli' ? 'command line' : `HTTP${record.app_password ? `, password “${record.app_password}”` : ''}`}
        </div>
      </td>
      <td className="break">
        {record.remote_addr ?? <span className="muted">—</span>}
        {record.process && <div className="muted small">{record.process}</div>}
      </td>
      <td>
        {ACTIONS[record.action] ?? record.action}
        <div className="muted small break">{describeParameters(record.parameters)}</div>
      </td>
      <td>
        <span className={`outcome outcome--${record.outcome}`}>{record.outcome}</span>
      </td>
      <td>{describeRows(record.rows_deleted)}</td>
    </tr>
  );
}

/** Recent destructive calls: who, when, from where, what, and how many rows went. */
export default function Audit({ onClose }: { onClose: () => void }) {
  const [page, setPage] = useState(1);
  const audit = useAudit(page, PER_PAGE);
  return (
    <Modal title="Audit" onRequestClose={onClose} size="large">
      <p className="muted">Every clear and deletion, newest first. Times are UTC.</p>
      {audit.isPending && <Spinner />}
      {audit.isError && (
        <Notice status="error" isDismissible={false}>
          The audit log could not be loaded: {audit.error.message}
        </Notice>
      )}
      {audit.data && audit.data.total === 0 && <p>Nothing has been deleted yet.</p>}
      {audit.data && audit.data.total > 0 && (
        <>
          <div className="table-scroll">
            <table className="plain-table">
              <caption className="screen-reader-text">Destructive calls, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When (UTC)</th>
                  <th scope="col">Who</th>
                  <th scope="col">From</th>
                  <th scope="col">What</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Rows deleted</th>
                </tr>
              </thead>
              <tbody>
                {audit.data.records.map((record) => (
                  <Row key={record.id} record={record} now={audit.dataUpdatedAt} />
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Audit pages"
            page={page}
            perPage={PER_PAGE}
            total={audit.data.total}
            onPage={setPage}
            noun="record"
          />
        </>
      )}
    </Modal>
  );
}
