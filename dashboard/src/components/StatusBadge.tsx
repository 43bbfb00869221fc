import { Badge } from '@wordpress/ui';
import type { ComponentProps } from 'react';
import { splitStatus, statusLabel } from '../format';

type Intent = ComponentProps<typeof Badge>['intent'];

const INTENTS: Record<string, Intent> = {
  pending: 'draft',
  processing: 'informational',
  completed: 'stable',
  completed_no_items: 'stable',
  agent_skipped: 'low',
  failed: 'high',
  cancelled: 'draft',
};

/** A job's status: a badge coloured by its base status, and the compound reason beside it. */
export default function StatusBadge({ status }: { status: string }) {
  const { base, reason } = splitStatus(status);
  return (
    <span className="status" title={status}>
      <Badge intent={INTENTS[base] ?? 'none'}>{statusLabel(base)}</Badge>
      {reason && <span className="status__reason">{reason}</span>}
    </span>
  );
}

export function statusIntent(base: string): Intent {
  return INTENTS[base] ?? 'none';
}
