// The jobs view's state lives in the URL's query string, so that a view is bookmarkable and the
// back button walks back through it. This module converts between three shapes of that state:
// the query string, DataViews' `View`, and the API's query parameters. Pure, tested.
import type { Filter, View } from '@wordpress/dataviews';
import type { Query } from './api';
import { toApiTime } from './format';

export const SORT_FIELDS = [
  'job_id',
  'flow_id',
  'pipeline_id',
  'status',
  'started_at',
  'completed_at',
] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export const PER_PAGE_SIZES = [10, 25, 50, 100] as const;

/** The columns a person can show or hide; `job_id` is the title column, always shown. */
export const HIDEABLE_FIELDS = [
  'status',
  'pipeline_id',
  'flow_id',
  'started_at',
  'completed_at',
  'duration',
  'error_message',
] as const;

export type Unit = 'days' | 'weeks' | 'months' | 'years';
const UNIT_CODES: Record<Unit, string> = { days: 'd', weeks: 'w', months: 'm', years: 'y' };

/** A time window on `started_at` or `completed_at`, with DataViews' operator names. */
export type TimeFilter =
  | { op: 'afterInc'; at: string }
  | { op: 'before'; at: string }
  | { op: 'inThePast'; amount: number; unit: Unit }
  | { op: 'over'; amount: number; unit: Unit };

export type TimeField = 'started' | 'completed';
export const TIME_OPERATORS = ['inThePast', 'over', 'afterInc', 'before'] as const;

export interface ViewState {
  page: number;
  perPage: number;
  orderby: SortField;
  order: 'ASC' | 'DESC';
  status: string[];
  flowId: number | null;
  pipelineId: number | null;
  started: TimeFilter | null;
  completed: TimeFilter | null;
  layout: 'table' | 'list';
  /** Visible columns, or null for the default set. */
  fields: string[] | null;
  /** The job whose detail is open. */
  job: number | null;
}

export const DEFAULT_STATE: ViewState = {
  page: 1,
  perPage: 25,
  orderby: 'job_id',
  order: 'DESC',
  status: [],
  flowId: null,
  pipelineId: null,
  started: null,
  completed: null,
  layout: 'table',
  fields: null,
  job: null,
};

export const DEFAULT_FIELDS: readonly string[] = HIDEABLE_FIELDS;

// The query string ---------------------------------------------------------------------------

function positiveInt(value: string | null): number | null {
  if (value === null || !/^\d{1,10}$/.test(value)) return null;
  const number = Number(value);
  return number >= 1 && number <= 2 ** 31 - 1 ? number : null;
}

/** A time the API accepts, normalised to "YYYY-MM-DDTHH:MM:SSZ"; null if it is not a time. */
export function normaliseTime(value: string | null | undefined): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : toApiTime(ms);
}

function parseAmount(value: string | null): { amount: number; unit: Unit } | null {
  const match = value ? /^(\d{1,4})([dwmy])$/.exec(value) : null;
  if (!match) return null;
  const amount = Number(match[1]);
  const unit = (Object.keys(UNIT_CODES) as Unit[]).find((u) => UNIT_CODES[u] === match[2]);
  return amount >= 1 && unit ? { amount, unit } : null;
}

function parseTimeFilter(params: URLSearchParams, prefix: TimeField): TimeFilter | null {
  const within = parseAmount(params.get(`${prefix}_within`));
  if (within) return { op: 'inThePast', ...within };
  const olderThan = parseAmount(params.get(`${prefix}_older_than`));
  if (olderThan) return { op: 'over', ...olderThan };
  const after = normaliseTime(params.get(`${prefix}_after`));
  if (after) return { op: 'afterInc', at: after };
  const before = normaliseTime(params.get(`${prefix}_before`));
  if (before) return { op: 'before', at: before };
  return null;
}

function writeTimeFilter(params: URLSearchParams, prefix: TimeField, filter: TimeFilter | null) {
  if (!filter) return;
  switch (filter.op) {
    case 'inThePast':
      params.set(`${prefix}_within`, `${filter.amount}${UNIT_CODES[filter.unit]}`);
      break;
    case 'over':
      params.set(`${prefix}_older_than`, `${filter.amount}${UNIT_CODES[filter.unit]}`);
      break;
    case 'afterInc':
      params.set(`${prefix}_after`, filter.at);
      break;
    case 'before':
      params.set(`${prefix}_before`, filter.at);
      break;
  }
}

/** Read a view from a query string ("?status=failed&page=2"); anything unreadable is the default. */
export function parseSearch(search: string): ViewState {
  const params = new URLSearchParams(search);
  const orderby = params.get('orderby');
  const order = params.get('order')?.toUpperCase();
  const perPage = Number(params.get('per_page'));
  const fields = params.get('fields');
  const status = (params.get('status') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s, i, all) => s && all.indexOf(s) === i);
  return {
    page: positiveInt(params.get('page')) ?? DEFAULT_STATE.page,
    perPage: (PER_PAGE_SIZES as readonly number[]).includes(perPage) ? perPage : DEFAULT_STATE.perPage,
    orderby: (SORT_FIELDS as readonly string[]).includes(orderby ?? '')
      ? (orderby as SortField)
      : DEFAULT_STATE.orderby,
    order: order === 'ASC' || order === 'DESC' ? order : DEFAULT_STATE.order,
    status,
    flowId: positiveInt(params.get('flow_id')),
    pipelineId: positiveInt(params.get('pipeline_id')),
    started: parseTimeFilter(params, 'started'),
    completed: parseTimeFilter(params, 'completed'),
    layout: params.get('layout') === 'list' ? 'list' : 'table',
    fields:
      fields === null
        ? null
        : fields.split(',').filter((f) => (HIDEABLE_FIELDS as readonly string[]).includes(f)),
    job: positiveInt(params.get('job')),
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Write a view as a query string ("?status=failed&page=2", or "" for the default view). */
export function toSearch(state: ViewState): string {
  const params = new URLSearchParams();
  if (state.status.length) params.set('status', state.status.join(','));
  if (state.flowId !== null) params.set('flow_id', String(state.flowId));
  if (state.pipelineId !== null) params.set('pipeline_id', String(state.pipelineId));
  writeTimeFilter(params, 'started', state.started);
  writeTimeFilter(params, 'completed', state.completed);
  if (state.orderby !== DEFAULT_STATE.orderby) params.set('orderby', state.orderby);
  if (state.order !== DEFAULT_STATE.order) params.set('order', state.order);
  if (state.perPage !== DEFAULT_STATE.perPage) params.set('per_page', String(state.perPage));
  if (state.page !== DEFAULT_STATE.page) params.set('page', String(state.page));
  if (state.layout !== DEFAULT_STATE.layout) params.set('layout', state.layout);
  if (state.fields !== null && !sameList(state.fields, DEFAULT_FIELDS)) {
    params.set('fields', state.fields.join(','));
  }
  if (state.job !== null) params.set('job', String(state.job));
  // Commas and colons are legal in a query string: keep lists and times readable.
  const search = params.toString().replace(/%2C/g, ',').replace(/%3A/g, ':');
  return search ? `?${search}` : '';
}

// DataViews' View ----------------------------------------------------------------------------

function timeToFilter(field: string, filter: TimeFilter | null): Filter[] {
  if (!filter) return [];
  const value =
    filter.op === 'inThePast' || filter.op === 'over'
      ? { value: filter.amount, unit: filter.unit }
      : filter.at;
  return [{ field, operator: filter.op, value }];
}

/** The DataViews view for a state; `narrow` screens get the list layout whatever was chosen. */
export function toView(state: ViewState, narrow: boolean): View {
  const filters: Filter[] = [
    ...(state.status.length ? [{ field: 'status', operator: 'isAny' as const, value: state.status }] : []),
    ...(state.flowId !== null ? [{ field: 'flow_id', operator: 'is' as const, value: state.flowId }] : []),
    ...(state.pipelineId !== null
      ? [{ field: 'pipeline_id', operator: 'is' as const, value: state.pipelineId }]
      : []),
    ...timeToFilter('started_at', state.started),
    ...timeToFilter('completed_at', state.completed),
  ];
  const common = {
    page: state.page,
    perPage: state.perPage,
    sort: { field: state.orderby, direction: state.order === 'ASC' ? ('asc' as const) : ('desc' as const) },
    filters,
    fields: [...(state.fields ?? DEFAULT_FIELDS)],
    titleField: 'job_id',
  };
  return narrow || state.layout === 'list'
    ? { ...common, type: 'list' }
    : { ...common, type: 'table', layout: { density: 'compact' } };
}

function filterToTime(filter: Filter | undefined): TimeFilter | null {
  if (!filter) return null;
  const { operator, value } = filter;
  if (operator === 'inThePast' || operator === 'over') {
    const amount = Number(value?.value);
    const unit = value?.unit as Unit;
    if (!Number.isInteger(amount) || amount < 1 || !(unit in UNIT_CODES)) return null;
    return { op: operator, amount, unit };
  }
  if (operator === 'afterInc' || operator === 'before') {
    const at = normaliseTime(typeof value === 'string' ? value : null);
    return at ? { op: operator, at } : null;
  }
  return null;
}

function filterId(value: unknown): number | null {
  return positiveInt(value === undefined || value === null ? null : String(value));
}

/**
 * The state after DataViews changed the view. A change of filters, sort or page size goes back
 * to page 1; the layout a narrow screen forces is not taken as the person's choice.
 */
export function fromView(view: View, previous: ViewState, narrow: boolean): ViewState {
  const byField = new Map((view.filters ?? []).map((f) => [f.field, f]));
  const statusValue = byField.get('status')?.value;
  const next: ViewState = {
    ...previous,
    perPage: view.perPage ?? previous.perPage,
    orderby: (SORT_FIELDS as readonly string[]).includes(view.sort?.field ?? '')
      ? (view.sort!.field as SortField)
      : previous.orderby,
    order: view.sort ? (view.sort.direction === 'asc' ? 'ASC' : 'DESC') : previous.order,
    status: Array.isArray(statusValue) ? statusValue.map(String) : [],
    flowId: filterId(byField.get('flow_id')?.value),
    pipelineId: filterId(byField.get('pipeline_id')?.value),
    started: filterToTime(byField.get('started_at')),
    completed: filterToTime(byField.get('completed_at')),
    layout: narrow ? previous.layout : view.type === 'list' ? 'list' : 'table',
    fields: view.fields ? view.fields.filter((f) => f !== 'job_id') : previous.fields,
  };
  if (next.fields && sameList(next.fields, DEFAULT_FIELDS)) next.fields = null;
  const samePlace =
    next.perPage === previous.perPage &&
    next.orderby === previous.orderby &&
    next.order === previous.order &&
    filterKey(next) === filterKey(previous);
  next.page = samePlace ? Math.max(1, view.page ?? previous.page) : 1;
  return next;
}

const FILTER_FIELDS: Record<string, (state: ViewState) => boolean> = {
  status: (state) => state.status.length > 0,
  flow_id: (state) => state.flowId !== null,
  pipeline_id: (state) => state.pipelineId !== null,
  started_at: (state) => state.started !== null,
  completed_at: (state) => state.completed !== null,
};

/**
 * The filters of a view that a state cannot hold yet: just added, their value not filled in.
 * DataViews must get them back or it closes the filter the person is filling in.
 */
export function draftFilters(view: View, state: ViewState): Filter[] {
  return (view.filters ?? []).filter((filter) => {
    const held = FILTER_FIELDS[filter.field];
    return held !== undefined && !held(state);
  });
}

/** A state's view plus the drafts of filters it cannot hold, each field once. */
export function withDrafts(view: View, drafts: Filter[]): View {
  const fields = new Set((view.filters ?? []).map((filter) => filter.field));
  const extra = drafts.filter((filter) => !fields.has(filter.field));
  return extra.length ? { ...view, filters: [...(view.filters ?? []), ...extra] } : view;
}

// The API's query parameters -----------------------------------------------------------------

/** The filter part of a state, as a stable string: a query key, and a test of sameness. */
export function filterKey(state: ViewState): string {
  return JSON.stringify([state.status, state.flowId, state.pipelineId, state.started, state.completed]);
}

/** `now` minus an amount of calendar units, in epoch milliseconds (months and years by calendar). */
export function subtract(now: number, amount: number, unit: Unit): number {
  const date = new Date(now);
  switch (unit) {
    case 'days':
      return now - amount * 86_400_000;
    case 'weeks':
      return now - amount * 7 * 86_400_000;
    case 'months':
      date.setUTCMonth(date.getUTCMonth() - amount);
      return date.getTime();
    case 'years':
      date.setUTCFullYear(date.getUTCFullYear() - amount);
      return date.getTime();
  }
}

function timeQuery(prefix: TimeField, filter: TimeFilter | null, now: number): Query {
  if (!filter) return {};
  switch (filter.op) {
    case 'afterInc':
      return { [`${prefix}_after`]: filter.at };
    case 'before':
      return { [`${prefix}_before`]: filter.at };
    case 'inThePast':
      return { [`${prefix}_after`]: toApiTime(subtract(now, filter.amount, filter.unit)) };
    case 'over':
      return { [`${prefix}_before`]: toApiTime(subtract(now, filter.amount, filter.unit)) };
  }
}

/** The filters as API parameters, shared by `GET jobs` and `GET jobs/summary`. */
export function toFilterQuery(state: ViewState, now: number): Query {
  return {
    ...(state.status.length ? { status: state.status.join(',') } : {}),
    ...(state.flowId !== null ? { flow_id: state.flowId } : {}),
    ...(state.pipelineId !== null ? { pipeline_id: state.pipelineId } : {}),
    ...timeQuery('started', state.started, now),
    ...timeQuery('completed', state.completed, now),
  };
}

/** `GET jobs` parameters for a state: its filters, sort and page. */
export function toJobsQuery(state: ViewState, now: number): Query {
  return {
    ...toFilterQuery(state, now),
    orderby: state.orderby,
    order: state.order,
    per_page: state.perPage,
    offset: (state.page - 1) * state.perPage,
  };
}
