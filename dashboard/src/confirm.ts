// What a destructive button says, and when it may be pressed. Pure, tested.
import type { ClearJobsRequest, ClearPreview } from './api';
import { countOf } from './format';

/** "Delete 1,234 failed jobs and 2,345 processed items" for a previewed clear. */
export function clearJobsLabel(request: Pick<ClearJobsRequest, 'type' | 'cleanup_processed'>, preview: ClearPreview): string {
  const jobs = countOf(preview.jobs_matched, request.type === 'failed' ? 'failed job' : 'job');
  if (!request.cleanup_processed) return `Delete ${jobs}`;
  return `Delete ${jobs} and ${countOf(preview.processed_items_matched, 'processed item')}`;
}

/** Whether the typed text is the number asked for, with or without thousands separators. */
export function typedNumberMatches(typed: string, expected: number): boolean {
  const digits = typed.trim().replace(/[\s,.'’_]/g, '');
  return /^\d+$/.test(digits) && Number(digits) === expected;
}

/**
 * Whether the confirm button of a clear may be pressed: there is something to delete and, for
 * a clear of every job, the operator typed the number of jobs it will delete.
 */
export function canConfirmClear(
  request: Pick<ClearJobsRequest, 'type'>,
  preview: ClearPreview | null,
  typed: string,
): boolean {
  if (!preview || preview.jobs_matched === 0) return false;
  return request.type !== 'all' || typedNumberMatches(typed, preview.jobs_matched);
}

/** The sentence for a finished clear, from the counts the service reports. */
export function clearedJobsMessage(jobsDeleted: number, itemsCleaned: number): string {
  const jobs = countOf(jobsDeleted, 'job');
  return itemsCleaned ? `Deleted ${jobs} and ${countOf(itemsCleaned, 'processed item')}.` : `Deleted ${jobs}.`;
}

/** "Delete 345 processed items of flow 42". */
export function clearItemsLabel(count: number, scope: 'flow' | 'pipeline', id: number): string {
  return `Delete ${countOf(count, 'processed item')} of ${scope} ${id}`;
}

/** Parse an id typed into a field: a whole number from 1, or null. */
export function parseId(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,10}$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value >= 1 && value <= 2 ** 31 - 1 ? value : null;
}

/** A random UUID v4 for an Idempotency-Key; crypto.randomUUID exists only on secure origins. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
