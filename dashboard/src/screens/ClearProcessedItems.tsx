import { Button, Modal, Notice, RadioControl, Spinner, TextControl } from '@wordpress/components';
import { useState } from 'react';
import ClearDone from '../components/ClearDone';
import { focusOnMount } from '../components/focus';
import { clearItemsLabel, newIdempotencyKey, parseId } from '../confirm';
import { countOf } from '../format';
import { useClearProcessedItems, useProcessedItemCount } from '../queries';

interface Props {
  scope: { flowId: number | null; pipelineId: number | null };
  onClose: () => void;
}

/** Forget what one flow or pipeline processed, so it starts over: count first, then delete. */
export default function ClearProcessedItems({ scope, onClose }: Props) {
  const [kind, setKind] = useState<'flow' | 'pipeline'>(
    scope.flowId === null && scope.pipelineId !== null ? 'pipeline' : 'flow',
  );
  const initial = kind === 'flow' ? scope.flowId : scope.pipelineId;
  const [target, setTarget] = useState(initial ? String(initial) : '');
  const [counted, setCounted] = useState<number | null>(null);
  const [key, setKey] = useState(newIdempotencyKey);
  const count = useProcessedItemCount(kind, counted);
  const clear = useClearProcessedItems();

  const targetId = parseId(target);
  const invalid = target.trim() !== '' && targetId === null;
  const reset = () => {
    setCounted(null);
    clear.reset();
  };

  if (clear.data) {
    return (
      <ClearDone
        title="Clear processed items"
        message={`Deleted ${countOf(clear.data.items_deleted, 'processed item')} of ${kind} ${counted}.`}
        onMore={() => {
          setKey(newIdempotencyKey());
          reset();
        }}
        onClose={onClose}
      />
    );
  }

  return (
    <Modal title="Clear processed items" onRequestClose={onClose}>
      <form
        className="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (targetId !== null) {
            setCounted(targetId);
            if (counted === targetId) void count.refetch();
          }
        }}
      >
        <p className="muted">
          Processed items stop a flow from processing the same item twice. Deleting them makes the
          flow or pipeline process every item again.
        </p>
        <RadioControl
          label="Of a"
          selected={kind}
          options={[
            { value: 'flow', label: 'Flow' },
            { value: 'pipeline', label: 'Pipeline' },
          ]}
          onChange={(value) => {
            setKind(value === 'pipeline' ? 'pipeline' : 'flow');
            reset();
          }}
        />
        <TextControl
          __next40pxDefaultSize
          __nextHasNoMarginBottom
          label={kind === 'flow' ? 'Flow ID' : 'Pipeline ID'}
          inputMode="numeric"
          value={target}
          onChange={(value) => {
            setTarget(value);
            reset();
          }}
          help={invalid ? 'An ID is a whole number from 1.' : undefined}
          required
        />
        <div className="dialog__actions">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button
            variant={counted === null ? 'primary' : 'secondary'}
            type="submit"
            disabled={targetId === null}
            accessibleWhenDisabled
          >
            {counted === null ? 'Count' : 'Count again'}
          </Button>
        </div>
      </form>
      {count.isFetching && <Spinner />}
      {count.isError && (
        <Notice status="error" isDismissible={false}>
          Counting failed: {count.error.message}
        </Notice>
      )}
      {counted !== null && count.data !== undefined && (
        <section className="preview" aria-live="polite" aria-labelledby="items-count-heading">
          <h2 id="items-count-heading" className="detail__heading" tabIndex={-1} ref={focusOnMount}>
            {count.data === 0
              ? `The ${kind} ${counted} has no processed items`
              : `The ${kind} ${counted} has ${countOf(count.data, 'processed item')}`}
          </h2>
          {clear.isError && (
            <Notice status="error" isDismissible={false}>
              The clear failed: {clear.error.message}
            </Notice>
          )}
          {count.data > 0 && (
            <div className="dialog__actions">
              <Button
                variant="primary"
                isDestructive
                isBusy={clear.isPending}
                disabled={clear.isPending}
                accessibleWhenDisabled
                onClick={() => clear.mutate({ request: { clear_type: kind, target_id: counted }, key })}
              >
                {clearItemsLabel(count.data, kind, counted)}
              </Button>
            </div>
          )}
        </section>
      )}
    </Modal>
  );
}
