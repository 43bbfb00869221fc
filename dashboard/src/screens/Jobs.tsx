import { Button, Notice, Spinner, ToggleControl } from '@wordpress/components';
import { DataViews } from '@wordpress/dataviews';
import type { Action, Field, Filter, View } from '@wordpress/dataviews';
import { createContext, lazy, Suspense, useContext, useEffect, useMemo, useState } from 'react';
import type { BaseStatus, Job } from '../api';
import Forbidden from '../components/Forbidden';
import StatusBadge from '../components/StatusBadge';
import Summary from '../components/Summary';
import {
  BASE_STATUSES,
  countOf,
  formatAgo,
  formatDuration,
  formatTime,
  jobDurationSeconds,
  STATUS_LABELS,
} from '../format';
import { useDocumentVisible, useMediaQuery, useViewState } from '../history';
import { isForbidden, useJobs, useSummary } from '../queries';
import type { ViewState } from '../url-state';
import {
  DEFAULT_STATE,
  draftFilters,
  fromView,
  PER_PAGE_SIZES,
  TIME_OPERATORS,
  toView,
  withDrafts,
} from '../url-state';

const JobDetail = lazy(() => import('./JobDetail'));
const ClearJobs = lazy(() => import('./ClearJobs'));
const ClearProcessedItems = lazy(() => import('./ClearProcessedItems'));
const Audit = lazy(() => import('./Audit'));

const NARROW = '(max-width: 600px)';

/** When the shown jobs were fetched: what "5 min ago" counts from. */
const FetchedAt = createContext(0);
/** Whether the rows are in the list layout, where values need their label beside them. */
const InList = createContext(false);

function Label({ children }: { children: string }) {
  return useContext(InList) ? <span className="muted">{children} </span> : null;
}

function Time({ value, label }: { value: string | null; label: string }) {
  const fetchedAt = useContext(FetchedAt);
  if (!value) return null;
  return (
    <span>
      <Label>{label}</Label>
      <time dateTime={`${value.replace(' ', 'T')}Z`} title={`${value} UTC, ${formatAgo(value, fetchedAt)}`}>
        {formatTime(value)}
      </time>
    </span>
  );
}

const fields: Field<Job>[] = [
  {
    id: 'job_id',
    label: 'Job',
    type: 'integer',
    enableHiding: false,
    filterBy: false,
    render: ({ item }) => <span className="job-id">Job {item.job_id}</span>,
  },
  {
    id: 'status',
    label: 'Status',
    type: 'text',
    elements: BASE_STATUSES.map((status) => ({ value: status, label: STATUS_LABELS[status] })),
    filterBy: { operators: ['isAny'], isPrimary: true },
    render: ({ item }) => <StatusBadge status={item.status} />,
  },
  {
    id: 'pipeline_id',
    label: 'Pipeline',
    type: 'integer',
    filterBy: { operators: ['is'] },
    render: ({ item }) => <>Pipeline {item.pipeline_id}</>,
  },
  {
    id: 'flow_id',
    label: 'Flow',
    type: 'integer',
    filterBy: { operators: ['is'] },
    render: ({ item }) => <>Flow {item.flow_id}</>,
  },
  {
    id: 'started_at',
    label: 'Started (UTC)',
    type: 'datetime',
    filterBy: { operators: [...TIME_OPERATORS] },
    render: ({ item }) => <Time value={item.started_at} label="Started" />,
  },
  {
    id: 'completed_at',
    label: 'Completed (UTC)',
    type: 'datetime',
    filterBy: { operators: [...TIME_OPERATORS] },
    render: ({ item }) => <Time value={item.completed_at} label="Completed" />,
  },
  {
    id: 'duration',
    label: 'Duration',
    enableSorting: false,
    filterBy: false,
    getValue: ({ item }) => jobDurationSeconds(item),
    render: ({ item }) => {
      const seconds = jobDurationSeconds(item);
      return seconds === null ? null : (
        <span className="numeric">
          <Label>Took</Label>
          {formatDuration(seconds)}
        </span>
      );
    },
  },
  {
    id: 'error_message',
    label: 'Error',
    type: 'text',
    enableSorting: false,
    filterBy: false,
    render: ({ item }) =>
      item.error_message ? (
        <span className="error-cut" title={item.error_message}>
          {item.error_message}
        </span>
      ) : null,
  },
];

type Dialog = 'clear-jobs' | 'clear-items' | 'audit' | null;

export default function Jobs() {
  const [state, setState] = useViewState();
  const narrow = useMediaQuery(NARROW);
  const visible = useDocumentVisible();
  const [autoRefresh, setAutoRefresh] = useState(false);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [drafts, setDrafts] = useState<Filter[]>([]);
  const live = autoRefresh && visible;

  const jobs = useJobs(state, live);
  const summary = useSummary(state, live);
  const view = useMemo(() => withDrafts(toView(state, narrow), drafts), [state, narrow, drafts]);
  const total = jobs.data?.total ?? 0;
  const totalPages = Math.max(1, Math.ceil(total / state.perPage));

  // A clear, or jobs that went away, can leave the view past its last page: go to the last one.
  useEffect(() => {
    if (jobs.data && !jobs.isPlaceholderData && state.page > totalPages) {
      setState({ ...state, page: totalPages }, { replace: true });
    }
  }, [jobs.data, jobs.isPlaceholderData, state, totalPages, setState]);

  const update = (next: Partial<ViewState>) => setState({ ...state, page: 1, ...next });
  const openJob = (job: Job) => setState({ ...state, job: job.job_id });

  const actions: Action<Job>[] = [
    {
      id: 'details',
      label: 'View details',
      isPrimary: true,
      callback: ([job]) => job && openJob(job),
    },
    {
      id: 'only-flow',
      label: 'Show only this flow',
      callback: ([job]) => job && update({ flowId: job.flow_id }),
    },
    {
      id: 'only-pipeline',
      label: 'Show only this pipeline',
      callback: ([job]) => job && update({ pipelineId: job.pipeline_id }),
    },
  ];

  if (isForbidden(jobs.error) || isForbidden(summary.error)) return <Forbidden />;

  const closeDialog = () => setDialog(null);
  const scope = { flowId: state.flowId, pipelineId: state.pipelineId };

  return (
    <>
      <Summary
        summary={summary.data}
        loading={summary.isFetching && !summary.isPending}
        activeStatuses={state.status}
        activeFlow={state.flowId}
        onStatus={(status: BaseStatus) =>
          update({ status: state.status.length === 1 && state.status[0] === status ? [] : [status] })
        }
        onFlow={(flowId) => update({ flowId: state.flowId === flowId ? null : flowId })}
      />
      {summary.isError && !summary.data && (
        <Notice
          status="error"
          isDismissible={false}
          actions={[{ label: 'Try again', onClick: () => void summary.refetch() }]}
        >
          The summary could not be loaded: {summary.error.message}
        </Notice>
      )}

      <section className="jobs" aria-labelledby="jobs-heading">
        <div className="jobs__bar">
          <h2 id="jobs-heading" className="section-heading">
            Jobs
          </h2>
          <p className="jobs__total" data-testid="jobs-total" aria-live="polite">
            {jobs.data ? countOf(total, 'job') : jobs.isError ? 'Not loaded' : 'Loading jobs…'}
            {jobs.isFetching && jobs.data && <Spinner />}
          </p>
          <div className="jobs__tools">
            <ToggleControl
              __nextHasNoMarginBottom
              label="Auto-refresh"
              help={autoRefresh ? (visible ? 'Every 5 s' : 'Paused while the page is hidden') : undefined}
              checked={autoRefresh}
              onChange={setAutoRefresh}
            />
            <Button variant="secondary" onClick={() => setDialog('audit')}>
              Audit
            </Button>
            <Button variant="secondary" onClick={() => setDialog('clear-items')}>
              Clear processed items
            </Button>
            <Button variant="secondary" isDestructive onClick={() => setDialog('clear-jobs')}>
              Clear jobs
            </Button>
          </div>
        </div>
        {jobs.isError && !isForbidden(jobs.error) && (
          <Notice
            status="error"
            isDismissible={false}
            actions={[{ label: 'Try again', onClick: () => void jobs.refetch() }]}
          >
            The jobs could not be loaded: {jobs.error.message}
          </Notice>
        )}
        <FetchedAt.Provider value={jobs.dataUpdatedAt}>
          <InList.Provider value={view.type === 'list'}>
            <DataViews<Job>
              view={view}
              onChangeView={(changed: View) => {
                const next = fromView(changed, state, narrow);
                setDrafts(draftFilters(changed, next));
                setState(next);
              }}
              fields={fields}
              data={jobs.data?.jobs ?? []}
              getItemId={(job) => String(job.job_id)}
              isLoading={jobs.isPending}
              paginationInfo={{ totalItems: total, totalPages }}
              defaultLayouts={{ table: { layout: { density: 'compact' } }, list: {} }}
              config={{ perPageSizes: [...PER_PAGE_SIZES] }}
              search={false}
              actions={actions}
              onClickItem={openJob}
              empty={jobs.isError ? null : <p className="muted">No jobs match these filters.</p>}
              onReset={
                drafts.length === 0 && JSON.stringify({ ...state, job: null }) === JSON.stringify(DEFAULT_STATE)
                  ? false
                  : () => {
                      setDrafts([]);
                      setState({ ...DEFAULT_STATE });
                    }
              }
            />
          </InList.Provider>
        </FetchedAt.Provider>
      </section>

      <Suspense fallback={<Spinner />}>
        {state.job !== null && (
          <JobDetail
            jobId={state.job}
            live={live}
            onClose={() => setState({ ...state, job: null })}
            onFilter={(next) => update({ ...next, job: null })}
          />
        )}
        {dialog === 'clear-jobs' && <ClearJobs scope={scope} onClose={closeDialog} />}
        {dialog === 'clear-items' && <ClearProcessedItems scope={scope} onClose={closeDialog} />}
        {dialog === 'audit' && <Audit onClose={closeDialog} />}
      </Suspense>
    </>
  );
}
