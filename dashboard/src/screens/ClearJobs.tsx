import {
  Button,
  CheckboxControl,
  Modal,
  Notice,
  RadioControl,
  SelectControl,
  TextControl,
} from '@wordpress/components';
import { useState } from 'react';
import type { ClearJobsRequest } from '../api';
import ClearDone from '../components/ClearDone';
import { focusOnMount } from '../components/focus';
import { canConfirmClear, clearedJobsMessage, clearJobsLabel, newIdempotencyKey, parseId } from '../confirm';
import { BASE_STATUSES, countOf, formatNumber, STATUS_LABELS } from '../format';
import { useClearJobs, useClearPreview } from '../queries';

const AGES = [
  { value: '', label: 'Any age' },
  { value: '1d', label: 'Finished over 1 day ago' },
  { value: '7d', label: 'Finished over 7 days ago' },
  { value: '30d', label: 'Finished over 30 days ago' },
  { value: '90d', label: 'Finished over 90 days ago' },
  { value: '365d', label: 'Finished over a year ago' },
];

interface Props {
  scope: { flowId: number | null; pipelineId: number | null };
  onClose: () => void;
}

/** Clear jobs in two steps: a dry run with exact counts, then a button that names them. */
export default function ClearJobs({ scope, onClose }: Props) {
  const [type, setType] = useState<'failed' | 'all'>('failed');
  const [cleanup, setCleanup] = useState(false);
  const [flow, setFlow] = useState(scope.flowId ? String(scope.flowId) : '');
  const [pipeline, setPipeline] = useState(scope.pipelineId ? String(scope.pipelineId) : '');
  const [age, setAge] = useState('');
  const [typed, setTyped] = useState('');
  // Made when the dialog opens: a click that is retried (by the person or on a lost answer)
  // deletes once.
  const [key, setKey] = useState(newIdempotencyKey);
  const preview = useClearPreview();
  const clear = useClearJobs();

  const flowId = parseId(flow);
  const pipelineId = parseId(pipeline);
  const flowInvalid = flow.trim() !== '' && flowId === null;
  const pipelineInvalid = pipeline.trim() !== '' && pipelineId === null;
  const request: ClearJobsRequest = {
    type,
    cleanup_processed: cleanup,
    ...(age ? { older_than: age } : {}),
    ...(flowId ? { flow_id: flowId } : {}),
    ...(pipelineId ? { pipeline_id: pipelineId } : {}),
  };

  // Any change to the request makes the preview stale: it must be run again.
  const change =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      preview.reset();
      clear.reset();
      setTyped('');
    };

  const counts = preview.data;
  const done = clear.data;
  const confirmable = canConfirmClear(request, counts ?? null, typed) && !clear.isPending;

  if (done) {
    return (
      <ClearDone
        title="Clear jobs"
        message={clearedJobsMessage(done.jobs_deleted, done.processed_items_cleaned)}
        onMore={() => {
          setKey(newIdempotencyKey());
          clear.reset();
          preview.reset();
          setTyped('');
        }}
        onClose={onClose}
      />
    );
  }

  return (
    <Modal title="Clear jobs" onRequestClose={onClose} size="medium">
      <form
        className="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (!flowInvalid && !pipelineInvalid) preview.mutate(request);
        }}
      >
        <RadioControl
          label="Which jobs"
          selected={type}
          options={[
            { value: 'failed', label: 'Failed jobs (any failed status)' },
            { value: 'all', label: 'All jobs' },
          ]}
          onChange={change((value: string) => setType(value === 'all' ? 'all' : 'failed'))}
        />
        <SelectControl
          __next40pxDefaultSize
          __nextHasNoMarginBottom
          label="Older than"
          value={age}
          options={AGES}
          onChange={change(setAge)}
          help={age ? 'Only finished jobs: pending and processing jobs are never deleted by age.' : undefined}
        />
        <div className="dialog__row">
          <TextControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label="Flow ID (optional)"
            inputMode="numeric"
            value={flow}
            onChange={change(setFlow)}
            help={flowInvalid ? 'A flow ID is a whole number from 1.' : undefined}
          />
          <TextControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label="Pipeline ID (optional)"
            inputMode="numeric"
            value={pipeline}
            onChange={change(setPipeline)}
            help={pipelineInvalid ? 'A pipeline ID is a whole number from 1.' : undefined}
          />
        </div>
        <CheckboxControl
          __nextHasNoMarginBottom
          label="Also delete their processed items"
          help="Without this the deleted jobs' processed items stay, so those items are not processed again."
          checked={cleanup}
          onChange={change(setCleanup)}
        />
        <div className="dialog__actions">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button
            variant={counts ? 'secondary' : 'primary'}
            type="submit"
            isBusy={preview.isPending}
            disabled={preview.isPending || flowInvalid || pipelineInvalid}
            accessibleWhenDisabled
          >
            {counts ? 'Count again' : 'Preview'}
          </Button>
        </div>
      </form>

      {preview.isError && (
        <Notice status="error" isDismissible={false}>
          The preview failed: {preview.error.message}
        </Notice>
      )}

      {counts && (
        <section className="preview" aria-labelledby="preview-heading" aria-live="polite">
          <h2 id="preview-heading" className="detail__heading" tabIndex={-1} ref={focusOnMount}>
            {counts.jobs_matched === 0
              ? 'Nothing to delete'
              : `This would delete ${countOf(counts.jobs_matched, 'job')}${
                  cleanup ? ` and ${countOf(counts.processed_items_matched, 'processed item')}` : ''
                }`}
          </h2>
          {counts.jobs_matched > 0 && (
            <table className="plain-table plain-table--narrow">
              <caption className="screen-reader-text">Jobs to delete by status</caption>
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col" className="numeric">
                    Jobs
                  </th>
                </tr>
              </thead>
              <tbody>
                {BASE_STATUSES.filter((status) => counts.by_status[status]).map((status) => (
                  <tr key={status}>
                    <td>{STATUS_LABELS[status]}</td>
                    <td className="numeric">{formatNumber(counts.by_status[status])}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {counts.jobs_matched > 0 && type === 'all' && (
            <TextControl
              __next40pxDefaultSize
              __nextHasNoMarginBottom
              label={`Type ${formatNumber(counts.jobs_matched)} to confirm`}
              help="This deletes every job the preview counted; the number is asked so that it is read."
              value={typed}
              onChange={setTyped}
              autoComplete="off"
            />
          )}
          {clear.isError && (
            <Notice status="error" isDismissible={false}>
              The clear failed: {clear.error.message}
            </Notice>
          )}
          {counts.jobs_matched > 0 && (
            <div className="dialog__actions">
              <Button
                variant="primary"
                isDestructive
                isBusy={clear.isPending}
                disabled={!confirmable}
                accessibleWhenDisabled
                onClick={() => clear.mutate({ request, key })}
              >
                {clearJobsLabel(request, counts)}
              </Button>
            </div>
          )}
        </section>
      )}
    </Modal>
  );
}
