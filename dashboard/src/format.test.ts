import { describe, expect, it } from 'vitest';
import {
  countOf,
  formatAgo,
  formatDuration,
  formatNumber,
  formatRate,
  formatTime,
  jobDurationSeconds,
  parseServiceTime,
  splitStatus,
  statusLabel,
  toApiTime,
} from './format';

describe('formatNumber', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1234, '1,234'],
    [1234567, '1,234,567'],
  ])('%d -> %s', (value, text) => expect(formatNumber(value)).toBe(text));
});

describe('formatDuration', () => {
  it.each([
    [null, '—'],
    [undefined, '—'],
    [Number.NaN, '—'],
    [0, '0 s'],
    [59, '59 s'],
    [59.6, '1 min'],
    [60, '1 min'],
    [75, '1 min 15 s'],
    [3600, '1 h'],
    [3725, '1 h 2 min'],
    [86400, '1 d'],
    [90061, '1 d 1 h'],
  ])('%s s -> %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));
});

describe('statuses', () => {
  it('splits a compound status on the first " - "', () => {
    expect(splitStatus('failed - timeout')).toEqual({ base: 'failed', reason: 'timeout' });
    expect(splitStatus('agent_skipped - low - relevance')).toEqual({
      base: 'agent_skipped',
      reason: 'low - relevance',
    });
    expect(splitStatus('completed_no_items')).toEqual({ base: 'completed_no_items', reason: null });
  });

  it('labels base statuses and leaves others as they are', () => {
    expect(statusLabel('completed_no_items')).toBe('Completed, no items');
    expect(statusLabel('mystery')).toBe('mystery');
  });
});

describe('times', () => {
  it('reads the service timestamp as UTC', () => {
    expect(parseServiceTime('2024-01-02 14:30:00')).toBe(Date.UTC(2024, 0, 2, 14, 30, 0));
    expect(parseServiceTime(null)).toBeNull();
    expect(parseServiceTime('yesterday')).toBeNull();
  });

  it('writes API times as ISO 8601 UTC in whole seconds', () => {
    expect(toApiTime(Date.UTC(2026, 10, 29, 7, 0, 0, 123))).toBe('2026-11-29T07:00:00Z');
  });

  it('computes a job duration from its two timestamps', () => {
    expect(jobDurationSeconds({ started_at: '2024-01-02 14:30:00', completed_at: '2024-01-02 14:30:15' })).toBe(15);
    expect(jobDurationSeconds({ started_at: '2024-01-02 14:30:00', completed_at: null })).toBeNull();
    expect(jobDurationSeconds({ started_at: null, completed_at: '2024-01-02 14:30:15' })).toBeNull();
  });

  it('shows a missing time as a dash', () => {
    expect(formatTime(null)).toBe('—');
    expect(formatTime('2024-01-02 14:30:00')).toBe('2024-01-02 14:30:00');
  });

  it('says how long ago', () => {
    const now = Date.UTC(2024, 0, 2, 15, 0, 0);
    expect(formatAgo('2024-01-02 14:55:00', now)).toBe('5 min ago');
    expect(formatAgo('2024-01-02 14:59:58', now)).toBe('just now');
    expect(formatAgo('2024-01-01 13:00:00', now)).toBe('1 d ago');
    expect(formatAgo('2024-01-02 16:00:00', now)).toBe('in the future');
    expect(formatAgo(null, now)).toBe('');
  });
});

describe('formatRate and countOf', () => {
  it('shows a rate as a percentage with one decimal', () => {
    expect(formatRate(0.8973)).toBe('89.7%');
    expect(formatRate(1)).toBe('100.0%');
    expect(formatRate(null)).toBe('—');
  });

  it('makes the noun plural unless the count is one', () => {
    expect(countOf(1, 'job')).toBe('1 job');
    expect(countOf(0, 'job')).toBe('0 jobs');
    expect(countOf(1234, 'failed job')).toBe('1,234 failed jobs');
  });
});
