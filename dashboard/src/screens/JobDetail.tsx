import { Button, Modal, Notice, Spinner } from '@wordpress/components';
import { useState } from 'react';
import { ApiError } from '../api';
import type { Job } from '../api';
import Pager from '../components/Pager';
import StatusBadge from '../components/StatusBadge';
import { formatAgo, formatDuration, formatTime, jobDurationSeconds } from '../format';
import { JOB_ITEMS_PER_PAGE, useJob, useJobItems } from '../queries';

interface Props {
  jobId: number;
  live: boolean;
  onClose: () => void;
  onFilter: (filter: { flowId?: number; pipelineId?: number }) => void;
}

function Fields({ job, now, onFilter }: { job: Job; now: number; onFilter: Props['onFilter'] }) {
  return (
    <dl className="detail">
      <dt>Job</dt>
      <dd>{job.job_id}</dd>
      <dt>Status</dt>
      <dd>
        <StatusBadge status={job.status} />
        {job.status.includes(' - ') && <code className="muted detail__raw">{job.status}</code>}
      </dd>
      <dt>Pipeline</dt>
      <dd>
        {job.pipeline_id}{' '}
        <Button variant="link" onClick={() => onFilter({ pipelineId: job.pipeline_id })}>
          Show its jobs
        </Button>
      </dd>
      <dt>Flow</dt>
      <dd>
        {job.flow_id}{' '}
        <Button variant="link" onClick={() => onFilter({ flowId: job.flow_id })}>
          Show its jobs
        </Button>
      </dd>
      <dt>Started</dt>
      <dd>
        {formatTime(job.started_at)}
        {job.started_at && <span className="muted"> UTC, {formatAgo(job.started_at, now)}</span>}
      </dd>
      <dt>Completed</dt>
      <dd>
        {formatTime(job.completed_at)}
        {job.completed_at && <span className="muted"> UTC, {formatAgo(job.completed_at, now)}</span>}
      </dd>
      <dt>Duration</dt>
      <dd>{formatDuration(jobDurationSeconds(job))}</dd>
      <dt>Error message</dt>
      <dd>
        {job.error_message ? (
          <pre className="detail__error">{job.error_message}</pre>
        ) : (
          <span className="muted">None</span>
        )}
      </dd>
    </dl>
  );
}

function Items({ jobId, live }: { jobId: number; live: boolean }) {
  const [page, setPage] = useState(1);
  const items = useJobItems(jobId, page, live);
  return (
    <section aria-labelledby="items-heading">
      <h2 id="items-heading" className="detail__heading">
        Processed items {items.isFetching && <Spinner />}
      </h2>
      {items.isError && (
        <Notice status="error" isDismissible={false}>
          The processed items could not be loaded: {items.error.message}
        </Notice>
      )}
      {items.data && items.data.total === 0 && <p className="muted">This job recorded no processed items.</p>}
      {items.data && items.data.total > 0 && (
        <>
          <div className="table-scroll">
            <table className="plain-table items-table">
              <caption className="screen-reader-text">Processed items of job {jobId}</caption>
              <thead>
                <tr>
                  <th scope="col">Item</th>
                  <th scope="col">Source</th>
                  <th scope="col" className="items-table__step">
                    Flow step
                  </th>
                  <th scope="col">Processed (UTC)</th>
                </tr>
              </thead>
              <tbody>
                {items.data.items.map((item) => (
                  <tr key={item.id}>
                    <td className="break">{item.item_identifier}</td>
                    <td>{item.source_type}</td>
                    <td className="break items-table__step">
                      <code>{item.flow_step_id}</code>
                    </td>
                    <td>{formatTime(item.processed_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Processed items pages"
            page={page}
            perPage={JOB_ITEMS_PER_PAGE}
            total={items.data.total}
            onPage={setPage}
            noun="item"
          />
        </>
      )}
    </section>
  );
}

/** Every field of one job, its full error message and the items it processed. */
export default function JobDetail({ jobId, live, onClose, onFilter }: Props) {
  const job = useJob(jobId, live);
  const notFound = job.error instanceof ApiError && job.error.status === 404;
  return (
    <Modal title={`Job ${jobId}`} onRequestClose={onClose} size="large">
      {job.isPending && <Spinner />}
      {notFound && (
        <Notice status="warning" isDismissible={false}>
          There is no job {jobId}; it may have been cleared.
        </Notice>
      )}
      {job.isError && !notFound && (
        <Notice status="error" isDismissible={false}>
          The job could not be loaded: {job.error.message}
        </Notice>
      )}
      {job.data && (
        <>
          <Fields job={job.data} now={job.dataUpdatedAt} onFilter={onFilter} />
          <Items jobId={jobId} live={live} />
        </>
      )}
    </Modal>
  );
}
