import { describe, expect, it } from 'vitest';
import {
  canConfirmClear,
  clearedJobsMessage,
  clearItemsLabel,
  clearJobsLabel,
  newIdempotencyKey,
  parseId,
  typedNumberMatches,
} from './confirm';

const preview = (jobs: number, items: number) => ({
  jobs_matched: jobs,
  processed_items_matched: items,
  by_status: { pending: 0, processing: 0, completed: 0, completed_no_items: 0, agent_skipped: 0, failed: jobs, cancelled: 0 },
});

describe('clearJobsLabel', () => {
  it('names the numbers the dry run counted', () => {
    expect(clearJobsLabel({ type: 'failed', cleanup_processed: true }, preview(1234, 2345))).toBe(
      'Delete 1,234 failed jobs and 2,345 processed items',
    );
    expect(clearJobsLabel({ type: 'all', cleanup_processed: true }, preview(1, 1))).toBe(
      'Delete 1 job and 1 processed item',
    );
  });

  it('leaves processed items out when they stay', () => {
    expect(clearJobsLabel({ type: 'all', cleanup_processed: false }, preview(20, 40))).toBe('Delete 20 jobs');
  });
});

describe('typedNumberMatches', () => {
  it.each([
    ['1234', 1234, true],
    ['1,234', 1234, true],
    [' 1 234 ', 1234, true],
    ['1.234', 1234, true],
    ['1235', 1234, false],
    ['', 0, false],
    ['12a34', 1234, false],
    ['-1234', 1234, false],
  ])('%j for %d -> %s', (typed, expected, result) => expect(typedNumberMatches(typed, expected)).toBe(result));
});

describe('canConfirmClear', () => {
  it('needs a preview with something to delete', () => {
    expect(canConfirmClear({ type: 'failed' }, null, '')).toBe(false);
    expect(canConfirmClear({ type: 'failed' }, preview(0, 0), '')).toBe(false);
    expect(canConfirmClear({ type: 'failed' }, preview(3, 0), '')).toBe(true);
  });

  it('needs the number of jobs typed to clear all jobs', () => {
    expect(canConfirmClear({ type: 'all' }, preview(1234, 0), '')).toBe(false);
    expect(canConfirmClear({ type: 'all' }, preview(1234, 0), '123')).toBe(false);
    expect(canConfirmClear({ type: 'all' }, preview(1234, 0), '1,234')).toBe(true);
  });
});

describe('messages', () => {
  it('reports what was deleted', () => {
    expect(clearedJobsMessage(12, 24)).toBe('Deleted 12 jobs and 24 processed items.');
    expect(clearedJobsMessage(1, 0)).toBe('Deleted 1 job.');
  });

  it('names the processed items of a flow or pipeline', () => {
    expect(clearItemsLabel(345, 'flow', 42)).toBe('Delete 345 processed items of flow 42');
    expect(clearItemsLabel(1, 'pipeline', 1234)).toBe('Delete 1 processed item of pipeline 1234');
  });
});

describe('parseId', () => {
  it.each([
    ['42', 42],
    [' 7 ', 7],
    ['0', null],
    ['-1', null],
    ['4.2', null],
    ['', null],
    ['99999999999', null],
  ])('%j -> %s', (text, id) => expect(parseId(text)).toBe(id));
});

describe('newIdempotencyKey', () => {
  it('makes a fresh UUID v4 each time', () => {
    const a = newIdempotencyKey();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newIdempotencyKey()).not.toBe(a);
  });
});
