"""The job rollups of migration 0011: per-cell counts, duration sums and duration histograms that
triggers on datamachine_jobs keep, so that a summary reads cells, not jobs.

A cell is (tier, pipeline_id, flow_id, bucket, base_status, duration_bucket):
- tier ALL_TIME holds all jobs together, FLOW_ALL_TIME each flow's (pipeline_id, flow_id), each
  in one bucket ('');
- the time tiers hold all jobs together (pipeline_id = flow_id = 0), by the day ('YYYY-MM-DD')
  or the hour ('YYYY-MM-DD HH') their `started_at` or their `completed_at` falls in (jobs
  without that time are in none);
- duration_bucket is the id of the duration_buckets() range holding the job's whole seconds from
  started_at to completed_at, or UNTIMED when it lacks either.

Everything here is written per dialect; this module is the one place that SQL lives, and the
one place a cell is defined (in SQL for the triggers and the migration, in Python for the bulk
writers; tests/test_counts.py holds the two to the same cells).
"""
from bisect import bisect_right

from . import steps

ALL_TIME, FLOW_ALL_TIME, STARTED_DAY, STARTED_HOUR, COMPLETED_DAY, COMPLETED_HOUR = range(6)
TIME_TIERS = {  # tier: (job column, length of its bucket text)
    STARTED_DAY: ('started_at', 10), STARTED_HOUR: ('started_at', 13),
    COMPLETED_DAY: ('completed_at', 10), COMPLETED_HOUR: ('completed_at', 13),
}
UNTIMED = -32768
LONGEST = 10 ** 12  # seconds; no two DATETIMEs are further apart

TABLE = 'datamachine_job_rollups'
BUCKETS_TABLE = 'datamachine_duration_buckets'
KEY = ('tier', 'pipeline_id', 'flow_id', 'bucket', 'base_status', 'duration_bucket')
TRIGGERS = ('datamachine_jobs_rollup_insert', 'datamachine_jobs_rollup_delete',
            'datamachine_jobs_rollup_update')
# The columns a cell depends on; an update that changes none of them leaves the rollups alone.
TRACKED = ('pipeline_id', 'flow_id', 'status', 'started_at', 'completed_at')


def duration_bucket(seconds):
    """The id of the bucket holding a duration in whole seconds."""
    return BUCKETS[bisect_right(LOWS, seconds) - 1][0]


def duration_buckets():
    """[(id, low, value)]: contiguous integer ranges [low, next low) covering every duration,
    each with the value a percentile falling in it reports.

    Ranges grow geometrically so that `value` is within 1% of every duration in its range:
    for a range starting at `low`, value = floor(low * 1.01) and the range ends at
    floor(value / 0.99). Below 100 seconds each range is one second wide, so exact. Negative
    durations (a completed_at before started_at) mirror the positive ones.
    """
    positive, low = [], 0
    while low <= LONGEST:
        value = low * 101 // 100
        high = value * 100 // 99
        positive.append((low, high, value))
        low = high + 1
    buckets = [(index, low, value) for index, (low, _, value) in enumerate(positive)]
    for index, (_, high, value) in enumerate(positive[1:], start=1):
        buckets.append((-index, -high, -value))
    buckets.append((-len(positive), -LONGEST * 10, -LONGEST * 10))  # everything below
    return sorted(buckets, key=lambda bucket: bucket[1])


BUCKETS = duration_buckets()
LOWS = [low for _, low, _ in BUCKETS]


def _duration(dialect, job):
    if dialect == 'mysql':
        return f'TIMESTAMPDIFF(SECOND, {job}.started_at, {job}.completed_at)'
    return (f"CAST(strftime('%s', {job}.completed_at) AS INTEGER) - "
            f"CAST(strftime('%s', {job}.started_at) AS INTEGER)")


def _bucket_text(dialect, column, length):
    if dialect == 'mysql':  # %% for PyMySQL, which formats every statement peewee runs
        pattern = '%%Y-%%m-%%d' if length == 10 else '%%Y-%%m-%%d %%H'
        return f"DATE_FORMAT(j.{column}, '{pattern}')"
    return f'substr(j.{column}, 1, {length})'


def cells_select(dialect, rows):
    """SELECT of one cell row per (job, tier) for the jobs `rows` yields, with the job's sign as
    n and its signed duration as seconds."""
    duration = _duration(dialect, 'r')
    bucket = (f'COALESCE((SELECT b.id FROM {BUCKETS_TABLE} b WHERE b.low <= j.seconds '
              f'ORDER BY b.low DESC LIMIT 1), {UNTIMED})')
    texts = ' '.join(f'WHEN {tier} THEN {_bucket_text(dialect, column, length)}'
                     for tier, (column, length) in TIME_TIERS.items())
    present = ' OR '.join(
        f'(t.tier = {tier} AND j.{column} IS NOT NULL)'
        for tier, (column, _) in TIME_TIERS.items())
    return (
        f'SELECT t.tier, '
        f'CASE WHEN t.per_flow = 1 THEN j.pipeline_id ELSE 0 END AS pipeline_id, '
        f'CASE WHEN t.per_flow = 1 THEN j.flow_id ELSE 0 END AS flow_id, '
        f"CASE t.tier {texts} ELSE '' END AS bucket, "
        f'j.base_status, {bucket} AS duration_bucket, '
        f'j.sign AS n, '
        f'COALESCE(j.seconds, 0) * j.sign AS seconds '
        f'FROM (SELECT r.*, {duration} AS seconds FROM ({rows}) r) j '
        f'CROSS JOIN ({_tiers()}) t '
        f'WHERE t.tier IN ({ALL_TIME}, {FLOW_ALL_TIME}) OR {present}')


def _tiers():
    """(tier, per_flow) pairs."""
    pairs = [(ALL_TIME, 0), (FLOW_ALL_TIME, 1)] + [(tier, 0) for tier in TIME_TIERS]
    first, *rest = pairs
    return ' UNION ALL '.join([f'SELECT {first[0]} AS tier, {first[1]} AS per_flow']
                              + [f'SELECT {tier}, {per_flow}' for tier, per_flow in rest])


def upsert(dialect, select, grouped=False):
    """Add the cell rows of `select` into the rollups, summing n and seconds per cell; `grouped`
    sums them in the SELECT first (many jobs at once)."""
    key = ', '.join(KEY)
    rows = (f'SELECT {key}, SUM(n) AS n, SUM(seconds) AS seconds FROM ({select}) c '
            f'GROUP BY {key}') if grouped else f'SELECT * FROM ({select}) c'
    if dialect == 'mysql':
        # In key order: concurrent writers lock the cells they share in one order.
        return (f'INSERT INTO {TABLE} ({key}, n, seconds) {rows} ORDER BY {key} '
                f'ON DUPLICATE KEY UPDATE n = {TABLE}.n + VALUES(n), '
                f'seconds = {TABLE}.seconds + VALUES(seconds)')
    return (f'INSERT INTO {TABLE} ({key}, n, seconds) {rows} '
            f'{"" if grouped else "WHERE 1 "}ON CONFLICT ({key}) DO UPDATE SET '
            'n = n + excluded.n, seconds = seconds + excluded.seconds')


def _row(prefix, sign):
    return (f'SELECT {prefix}.pipeline_id AS pipeline_id, {prefix}.flow_id AS flow_id, '
            f'{prefix}.base_status AS base_status, {prefix}.started_at AS started_at, '
            f'{prefix}.completed_at AS completed_at, {sign} AS sign')


def rebuild_sql(dialect):
    """The upsert adding the cells of every job (into empty rollups, by the migration)."""
    jobs = ('SELECT pipeline_id, flow_id, base_status, started_at, completed_at, 1 AS sign '
            'FROM datamachine_jobs')
    return upsert(dialect, cells_select(dialect, jobs), grouped=True)


JOB_COLUMNS = 'pipeline_id, flow_id, base_status, started_at, completed_at, duration_seconds'


def cells_of(jobs, sign):
    """The cells (KEY..., n, seconds) of `jobs`, rows of JOB_COLUMNS, added up, in key order:
    what the triggers would add (sign 1) or take away (sign -1), for writers that defer them
    (services.counting). Computed here rather than by an INSERT ... SELECT, which is three times
    slower on SQLite and on MariaDB locks the jobs it reads and the next one, which a concurrent
    batch may hold."""
    cells, lows = {}, LOWS

    def add(key, seconds):
        cell = cells.get(key)
        if cell is None:
            cells[key] = [sign, seconds]
        else:
            cell[0] += sign
            cell[1] += seconds

    for pipeline_id, flow_id, base, started, completed, seconds in jobs:
        if seconds is None:
            bucket, seconds = UNTIMED, 0
        else:
            seconds = int(seconds)
            bucket = BUCKETS[bisect_right(lows, seconds) - 1][0]
        seconds *= sign
        add((ALL_TIME, 0, 0, '', base, bucket), seconds)
        add((FLOW_ALL_TIME, pipeline_id, flow_id, '', base, bucket), seconds)
        if started is not None:
            started = started if isinstance(started, str) else started.isoformat(' ')
            add((STARTED_DAY, 0, 0, started[:10], base, bucket), seconds)
            add((STARTED_HOUR, 0, 0, started[:13], base, bucket), seconds)
        if completed is not None:
            completed = completed if isinstance(completed, str) else completed.isoformat(' ')
            add((COMPLETED_DAY, 0, 0, completed[:10], base, bucket), seconds)
            add((COMPLETED_HOUR, 0, 0, completed[:13], base, bucket), seconds)
    return sorted((*key, n, total) for key, (n, total) in cells.items())


def upsert_values(dialect, table=TABLE):
    """INSERT of one cell (KEY..., n, seconds) given as parameters, added to the cell's sums."""
    columns = ', '.join(KEY + ('n', 'seconds'))
    marks = ', '.join(['%s' if dialect == 'mysql' else '?'] * (len(KEY) + 2))
    if dialect == 'mysql':
        return (f'INSERT INTO {table} ({columns}) VALUES ({marks}) '
                'ON DUPLICATE KEY UPDATE n = n + VALUES(n), seconds = seconds + VALUES(seconds)')
    return (f'INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT ({", ".join(KEY)}) '
            'DO UPDATE SET n = n + excluded.n, seconds = seconds + excluded.seconds')


# True unless a bulk writer defers the triggers for its transaction (as in migration 0005).
GUARDS = {'sqlite': 'NOT EXISTS (SELECT 1 FROM datamachine_count_deferrals)',
          'mysql': '@datamachine_defer_counts IS NULL'}


def trigger_sql(dialect):
    """CREATE TRIGGER statements keeping the rollups, skipped while a bulk writer defers them."""
    guard = GUARDS[dialect]
    insert, delete, update = TRIGGERS
    add = upsert(dialect, cells_select(dialect, _row('NEW', 1)))
    take = upsert(dialect, cells_select(dialect, _row('OLD', -1)))
    move = upsert(dialect, cells_select(
        dialect, f'{_row("OLD", -1)} UNION ALL {_row("NEW", 1)}'))
    if dialect == 'sqlite':
        changed = ' OR '.join(f'old.{c} IS NOT new.{c}' for c in TRACKED)
        return [
            f'CREATE TRIGGER {insert} AFTER INSERT ON datamachine_jobs WHEN {guard} '
            f'BEGIN {add}; END',
            f'CREATE TRIGGER {delete} AFTER DELETE ON datamachine_jobs WHEN {guard} '
            f'BEGIN {take}; END',
            f'CREATE TRIGGER {update} AFTER UPDATE ON datamachine_jobs '
            f'WHEN ({changed}) AND {guard} BEGIN {move}; END',
        ]
    changed = ' OR '.join(f'NOT (OLD.{c} <=> NEW.{c})' for c in TRACKED)
    declare = 'DECLARE old_bucket, new_bucket INT; '
    return [
        f'CREATE TRIGGER {insert} AFTER INSERT ON datamachine_jobs FOR EACH ROW '
        f'BEGIN {declare}IF {guard} THEN {_mysql_cells(None, "NEW")} END IF; END',
        f'CREATE TRIGGER {delete} AFTER DELETE ON datamachine_jobs FOR EACH ROW '
        f'BEGIN {declare}IF {guard} THEN {_mysql_cells("OLD", None)} END IF; END',
        f'CREATE TRIGGER {update} AFTER UPDATE ON datamachine_jobs FOR EACH ROW '
        f'BEGIN {declare}IF ({changed}) AND {guard} THEN {_mysql_cells("OLD", "NEW")} '
        'END IF; END',
    ]


def _mysql_cells(old, new):
    """MariaDB trigger statements taking `old`'s cells away and adding `new`'s (either may be
    None): one single-row upsert per cell, which MariaDB runs several times faster than the
    INSERT ... SELECT over derived tables the SQLite triggers use. Cells are locked tier by tier,
    and within a tier the smaller key first, so that two writers moving jobs between the same
    cells in opposite directions cannot deadlock."""
    statements = []
    for row, variable in ((old, 'old_bucket'), (new, 'new_bucket')):
        if row:
            seconds = _duration('mysql', row)
            statements.append(
                f'SET {variable} = COALESCE((SELECT b.id FROM {BUCKETS_TABLE} b '
                f'WHERE b.low <= {seconds} ORDER BY b.low DESC LIMIT 1), {UNTIMED});')
    for tier in (ALL_TIME, FLOW_ALL_TIME, *TIME_TIERS):
        take = old and _mysql_cell(tier, old, 'old_bucket', -1)
        add = new and _mysql_cell(tier, new, 'new_bucket', 1)
        if take and add:
            statements.append(f'IF {add[0]} AND {take[0]} THEN '
                              f'IF ({take[1]}) < ({add[1]}) THEN {take[2]} {add[2]} '
                              f'ELSE {add[2]} {take[2]} END IF; '
                              f'ELSEIF {take[0]} THEN {take[2]} ELSEIF {add[0]} THEN {add[2]} '
                              'END IF;')
        else:
            present, _, statement = take or add
            statements.append(f'IF {present} THEN {statement} END IF;')
    return ' '.join(statements)


def _mysql_cell(tier, row, bucket, sign):
    """(the condition for `row` to have a cell in `tier`, the cell's key, its upsert)."""
    present, text = 'TRUE', "''"
    pipeline, flow = '0', '0'
    if tier == FLOW_ALL_TIME:
        pipeline, flow = f'{row}.pipeline_id', f'{row}.flow_id'
    elif tier in TIME_TIERS:
        column, length = TIME_TIERS[tier]
        present = f'{row}.{column} IS NOT NULL'
        text = _bucket_text('mysql', column, length).replace('j.', f'{row}.')
    key = f'{tier}, {pipeline}, {flow}, {text}, {row}.base_status, {bucket}'
    seconds = f'COALESCE({_duration("mysql", row)}, 0) * {sign}'
    return present, key, (f'INSERT INTO {TABLE} ({", ".join(KEY)}, n, seconds) '
                          f'VALUES ({key}, {sign}, {seconds}) ON DUPLICATE KEY UPDATE '
                          'n = n + VALUES(n), seconds = seconds + VALUES(seconds);')


def drop_triggers(db):
    steps.drop_triggers(db, TRIGGERS)
