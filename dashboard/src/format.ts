// How numbers, durations, times and statuses read on the page. Pure functions, tested.
import type { BaseStatus, Job } from './api';

export const BASE_STATUSES: readonly BaseStatus[] = [
  'pending',
  'processing',
  'completed',
  'completed_no_items',
  'agent_skipped',
  'failed',
  'cancelled',
];

export const STATUS_LABELS: Record<BaseStatus, string> = {
  pending: 'Pending',
  processing: 'Processing',
  completed: 'Completed',
  completed_no_items: 'Completed, no items',
  agent_skipped: 'Skipped by agent',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const numberFormat = new Intl.NumberFormat('en-US');

/** 1234567 -> "1,234,567". */
export function formatNumber(value: number): string {
  return numberFormat.format(value);
}

/** "failed - timeout" -> {base: "failed", reason: "timeout"}; the base is before the first " - ". */
export function splitStatus(status: string): { base: string; reason: string | null } {
  const at = status.indexOf(' - ');
  if (at < 0) return { base: status, reason: null };
  return { base: status.slice(0, at), reason: status.slice(at + 3) };
}

export function isBaseStatus(value: string): value is BaseStatus {
  return (BASE_STATUSES as readonly string[]).includes(value);
}

export function statusLabel(status: string): string {
  return isBaseStatus(status) ? STATUS_LABELS[status] : status;
}

/** A service timestamp ('YYYY-MM-DD HH:MM:SS', UTC) as epoch milliseconds, or null. */
export function parseServiceTime(value: string | null | undefined): number | null {
  if (!value) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(value);
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, ...number[]];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

/** Epoch milliseconds as an API time: ISO 8601 in UTC, whole seconds ("2026-11-29T14:30:00Z"). */
export function toApiTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A job's run time in whole seconds: completed_at - started_at, or null if either is missing. */
export function jobDurationSeconds(job: Pick<Job, 'started_at' | 'completed_at'>): number | null {
  const started = parseServiceTime(job.started_at);
  const completed = parseServiceTime(job.completed_at);
  if (started === null || completed === null) return null;
  return Math.max(0, Math.round((completed - started) / 1000));
}

/** 0 -> "0 s", 75 -> "1 min 15 s", 3725 -> "1 h 2 min", 90061 -> "1 d 1 h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  if (days > 0) return hours ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  return secs ? `${minutes} min ${secs} s` : `${minutes} min`;
}

/** The service's UTC timestamp as shown: "2026-11-29 14:30:00" stays, null becomes "—". */
export function formatTime(value: string | null | undefined): string {
  return value ? value.replace('T', ' ').slice(0, 19) : '—';
}

/** How long ago, for a tooltip: "5 min ago", "3 d ago", "in the future". */
export function formatAgo(value: string | null | undefined, now: number): string {
  const at = parseServiceTime(value);
  if (at === null) return '';
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 0) return 'in the future';
  if (seconds < 5) return 'just now';
  return `${formatDuration(seconds).split(' ').slice(0, 2).join(' ')} ago`;
}

/** 0.8973 -> "89.7%", null -> "—". */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  return `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;
}

/** "1 job", "2 jobs", "1,234 failed jobs": a count and a noun made plural by an s. */
export function countOf(count: number, noun: string, plural = `${noun}s`): string {
  return `${formatNumber(count)} ${count === 1 ? noun : plural}`;
}
