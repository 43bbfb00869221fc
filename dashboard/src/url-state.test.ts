import type { View } from '@wordpress/dataviews';
import { describe, expect, it } from 'vitest';
import type { ViewState } from './url-state';
import {
  DEFAULT_FIELDS,
  DEFAULT_STATE,
  draftFilters,
  fromView,
  parseSearch,
  subtract,
  toFilterQuery,
  toJobsQuery,
  toSearch,
  toView,
  withDrafts,
} from './url-state';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const state = (over: Partial<ViewState>): ViewState => ({ ...DEFAULT_STATE, ...over });

describe('the query string', () => {
  it('is empty for the default view, and the default view comes from an empty one', () => {
    expect(toSearch(DEFAULT_STATE)).toBe('');
    expect(parseSearch('')).toEqual(DEFAULT_STATE);
  });

  it.each([
    ['?status=failed,agent_skipped', state({ status: ['failed', 'agent_skipped'] })],
    ['?status=failed - timeout', state({ status: ['failed - timeout'] })],
    ['?flow_id=42&pipeline_id=5', state({ flowId: 42, pipelineId: 5 })],
    ['?started_within=7d', state({ started: { op: 'inThePast', amount: 7, unit: 'days' } })],
    ['?completed_older_than=3m', state({ completed: { op: 'over', amount: 3, unit: 'months' } })],
    ['?started_after=2026-11-01T00:00:00Z', state({ started: { op: 'afterInc', at: '2026-11-01T00:00:00Z' } })],
    ['?completed_before=2026-11-02T10:30:00Z', state({ completed: { op: 'before', at: '2026-11-02T10:30:00Z' } })],
    ['?orderby=started_at&order=ASC', state({ orderby: 'started_at', order: 'ASC' })],
    ['?per_page=100&page=3', state({ perPage: 100, page: 3 })],
    ['?layout=list', state({ layout: 'list' })],
    ['?fields=status,error_message', state({ fields: ['status', 'error_message'] })],
    ['?job=1523', state({ job: 1523 })],
  ])('%s round-trips', (search, expected) => {
    expect(parseSearch(search)).toEqual(expected);
    expect(toSearch(expected)).toBe(search.replace(/ /g, '+'));
  });

  it('reads what the API reads, leniently: case, spacing, repeats', () => {
    const parsed = parseSearch('?status=FAILED,%20pending,failed&order=asc');
    expect(parsed.status).toEqual(['failed', 'pending']);
    expect(parsed.order).toBe('ASC');
  });

  it('falls back to the default for anything it cannot read', () => {
    expect(
      parseSearch(
        '?page=0&per_page=7&orderby=password&order=sideways&flow_id=-1&pipeline_id=abc&job=1e3&layout=grid&started_within=7x&completed_after=whenever',
      ),
    ).toEqual(DEFAULT_STATE);
  });

  it('normalises a time with an offset to UTC', () => {
    expect(parseSearch('?started_after=2026-11-28T22:00:00%2B01:00').started).toEqual({
      op: 'afterInc',
      at: '2026-11-28T21:00:00Z',
    });
  });

  it('keeps only known columns, and an empty list of columns', () => {
    expect(parseSearch('?fields=status,password').fields).toEqual(['status']);
    expect(parseSearch('?fields=').fields).toEqual([]);
    expect(toSearch(state({ fields: [] }))).toBe('?fields=');
  });

  it('writes a default list of columns as no parameter at all', () => {
    expect(toSearch(state({ fields: [...DEFAULT_FIELDS] }))).toBe('');
  });
});

describe('the DataViews view', () => {
  const full = state({
    status: ['failed'],
    flowId: 42,
    pipelineId: 5,
    started: { op: 'inThePast', amount: 7, unit: 'days' },
    completed: { op: 'before', at: '2026-11-02T10:30:00Z' },
    orderby: 'completed_at',
    order: 'ASC',
    perPage: 50,
    page: 2,
  });

  it('carries filters, sort and page', () => {
    const view = toView(full, false);
    expect(view.type).toBe('table');
    expect(view.page).toBe(2);
    expect(view.perPage).toBe(50);
    expect(view.sort).toEqual({ field: 'completed_at', direction: 'asc' });
    expect(view.filters).toEqual([
      { field: 'status', operator: 'isAny', value: ['failed'] },
      { field: 'flow_id', operator: 'is', value: 42 },
      { field: 'pipeline_id', operator: 'is', value: 5 },
      { field: 'started_at', operator: 'inThePast', value: { value: 7, unit: 'days' } },
      { field: 'completed_at', operator: 'before', value: '2026-11-02T10:30:00Z' },
    ]);
  });

  it('comes back to the same state', () => {
    expect(fromView(toView(full, false), full, false)).toEqual(full);
  });

  it('uses the list layout on narrow screens without taking it as a choice', () => {
    const view = toView(full, true);
    expect(view.type).toBe('list');
    expect(fromView(view, full, true).layout).toBe('table');
    expect(fromView({ ...toView(full, false), type: 'list' } as View, full, false).layout).toBe('list');
  });

  it('keeps the page when only the page changes', () => {
    expect(fromView({ ...toView(full, false), page: 4 }, full, false).page).toBe(4);
  });

  it.each([
    ['a filter', (view: View) => ({ ...view, filters: [] })],
    ['the sort', (view: View) => ({ ...view, sort: { field: 'job_id', direction: 'desc' as const } })],
    ['the page size', (view: View) => ({ ...view, perPage: 10 })],
  ])('goes back to page 1 when %s changes', (_what, change) => {
    expect(fromView(change(toView(full, false)) as View, full, false).page).toBe(1);
  });

  it('reads the filters DataViews writes', () => {
    const next = fromView(
      {
        ...toView(DEFAULT_STATE, false),
        filters: [
          { field: 'status', operator: 'isAny', value: ['failed', 'pending'] },
          { field: 'flow_id', operator: 'is', value: '17' },
          { field: 'started_at', operator: 'afterInc', value: '2026-11-01T00:00:00.000Z' },
          { field: 'completed_at', operator: 'over', value: { value: 2, unit: 'weeks' } },
        ],
      },
      DEFAULT_STATE,
      false,
    );
    expect(next.status).toEqual(['failed', 'pending']);
    expect(next.flowId).toBe(17);
    expect(next.started).toEqual({ op: 'afterInc', at: '2026-11-01T00:00:00Z' });
    expect(next.completed).toEqual({ op: 'over', amount: 2, unit: 'weeks' });
  });

  it('drops a filter whose value is not filled in yet', () => {
    const next = fromView(
      {
        ...toView(DEFAULT_STATE, false),
        filters: [
          { field: 'flow_id', operator: 'is', value: undefined },
          { field: 'started_at', operator: 'inThePast', value: { value: '', unit: 'days' } },
          { field: 'completed_at', operator: 'before', value: undefined },
        ],
      },
      DEFAULT_STATE,
      false,
    );
    expect(next).toEqual(DEFAULT_STATE);
  });

  it('keeps the job title column out of the visible-columns list', () => {
    const next = fromView({ ...toView(DEFAULT_STATE, false), fields: ['job_id', 'status'] }, DEFAULT_STATE, false);
    expect(next.fields).toEqual(['status']);
  });
});

describe('the API query', () => {
  it('asks for the page the view shows', () => {
    expect(toJobsQuery(state({ page: 3, perPage: 25 }), NOW)).toEqual({
      orderby: 'job_id',
      order: 'DESC',
      per_page: 25,
      offset: 50,
    });
  });

  it('turns filters into the API parameters', () => {
    expect(
      toFilterQuery(
        state({
          status: ['failed', 'agent_skipped'],
          flowId: 42,
          pipelineId: 5,
          started: { op: 'afterInc', at: '2026-11-01T00:00:00Z' },
          completed: { op: 'before', at: '2026-11-02T00:00:00Z' },
        }),
        NOW,
      ),
    ).toEqual({
      status: 'failed,agent_skipped',
      flow_id: 42,
      pipeline_id: 5,
      started_after: '2026-11-01T00:00:00Z',
      completed_before: '2026-11-02T00:00:00Z',
    });
  });

  it('resolves relative windows against now', () => {
    expect(toFilterQuery(state({ started: { op: 'inThePast', amount: 7, unit: 'days' } }), NOW)).toEqual({
      started_after: '2026-11-22T12:00:00Z',
    });
    expect(toFilterQuery(state({ completed: { op: 'over', amount: 1, unit: 'months' } }), NOW)).toEqual({
      completed_before: '2026-10-29T12:00:00Z',
    });
  });

  it('subtracts calendar months and years', () => {
    expect(new Date(subtract(Date.UTC(2026, 2, 31), 1, 'months')).toISOString()).toBe('2026-03-03T00:00:00.000Z');
    expect(new Date(subtract(Date.UTC(2024, 1, 29), 1, 'years')).toISOString()).toBe('2023-03-01T00:00:00.000Z');
    expect(new Date(subtract(NOW, 2, 'weeks')).toISOString()).toBe('2026-11-15T12:00:00.000Z');
  });
});

describe('draft filters', () => {
  it('keeps a filter whose value is not filled in yet, until it is', () => {
    const changed = {
      ...toView(DEFAULT_STATE, false),
      filters: [
        { field: 'status', operator: 'isAny' as const, value: ['failed'] },
        { field: 'started_at', operator: 'inThePast' as const, value: undefined },
      ],
    };
    const next = fromView(changed, DEFAULT_STATE, false);
    const drafts = draftFilters(changed, next);
    expect(drafts).toEqual([{ field: 'started_at', operator: 'inThePast', value: undefined }]);
    expect(withDrafts(toView(next, false), drafts).filters).toEqual(changed.filters);

    const filled = { field: 'started_at', operator: 'inThePast' as const, value: { value: 3, unit: 'days' } };
    const later = fromView({ ...changed, filters: [changed.filters[0]!, filled] }, next, false);
    expect(draftFilters({ ...changed, filters: [changed.filters[0]!, filled] }, later)).toEqual([]);
    expect(withDrafts(toView(later, false), drafts).filters).toContainEqual(filled);
  });
});
