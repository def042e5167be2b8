#!/usr/bin/env python3
"""Prints the benchmark table from the key<TAB>value file bench/run writes.

    bench/table.py bench/data/results.tsv

Timed values are "MEDIAN MIN MAX PEAK_RSS_KB" (bench/timeit.py); the
parse_bench ones "LINES SECONDS KEPT". Ratio = figure / reference: for
throughputs the share of the floor reached, for times and memory how many
times the reference it costs.
"""
import sys


def load(path):
    r = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip('\n').partition('\t')
            r[k] = v
    return r


def med(r, k):
    return float(r[k].split()[0])


def rss_mb(r, k):
    return int(r[k].split()[3]) / 1024.0


def num(x):
    if x >= 100:
        return '{:,.0f}'.format(x)
    if x >= 10:
        return '{:.1f}'.format(x)
    return '{:.2f}'.format(x)


def main():
    r = load(sys.argv[1])
    lines = {s: int(r['lines_' + s]) for s in ('100k', '1m', '10m') if 'lines_' + s in r}
    size = {s: int(r['bytes_' + s]) for s in lines}
    n1, b1 = lines['1m'], size['1m']
    rows = []  # (figure, value, reference, ratio, target, verdict)

    def row(fig, val, ref='', ratio=None, target='', ok=None):
        rows.append((fig, val, ref, '' if ratio is None else ('{:.2f}x' if ratio >= 0.1 else '{:.2g}x').format(ratio),
                     target,
                     '' if ok is None else ('ok' if ok else 'MISS')))

    wc = n1 / med(r, 'wc_1m')
    grep = n1 / med(r, 'grep_1m')
    floor_idx = n1 / med(r, 'floor_schema-idx_1m')
    floor = n1 / med(r, 'floor_schema_1m')
    floor_raw = n1 / med(r, 'floor_raw-idx_1m')

    imp = n1 / med(r, 'import_1m')
    row('import 1M lines, fresh db', num(imp) + ' lines/s', 'store floor ' + num(floor_idx) + ' lines/s',
        imp / floor_idx, '>= 1,000,000 lines/s', imp >= 1e6)
    mbs = b1 / 1e6 / med(r, 'import_1m')
    row('  same, bytes', num(mbs) + ' MB/s', 'read floor ' + num(b1 / 1e6 / med(r, 'wc_1m')) + ' MB/s',
        mbs / (b1 / 1e6 / med(r, 'wc_1m')))
    row('  (store floor, no indexes)', '', num(floor) + ' lines/s', None)
    row('  (sqlite3 .import of ts, key, line only)', '', num(floor_raw) + ' lines/s', None)
    sf = r['store_floor'].split()
    floor_c = int(sf[0]) / float(sf[1])
    row('  raw floor: ts, key, line, prepared INSERT', num(imp) + ' lines/s', num(floor_c) + ' lines/s',
        imp / floor_c, '>= 1,000,000 lines/s', floor_c >= 1e6)
    floor_k = int(sf[0]) / float(sf[2]) if len(sf) > 2 else None
    if floor_k:
        row('  key floor: ts, key only, prepared INSERT', num(imp) + ' lines/s', num(floor_k) + ' lines/s',
            imp / floor_k, '>= 1,000,000 lines/s', floor_k >= 1e6)
    # the rows import stored, inserted again by SQLite alone: lines/s of the same input
    floor_rows = n1 / float(sf[4]) if len(sf) > 4 else None
    if floor_rows:
        row('  row floor: import\'s own rows and indexes', num(imp) + ' lines/s', num(floor_rows) + ' lines/s',
            imp / floor_rows)
    imp100 = lines['100k'] / med(r, 'import_100k')
    row('import 100k lines, fresh db', num(imp100) + ' lines/s', 'store floor ' + num(floor_idx) + ' lines/s',
        imp100 / floor_idx, '>= 1,000,000 lines/s', imp100 >= 1e6)
    if 'import_10m' in r:
        imp10 = lines['10m'] / med(r, 'import_10m')
        row('import 10M lines, fresh db (1 run)', num(imp10) + ' lines/s', 'store floor ' + num(floor_idx) + ' lines/s',
            imp10 / floor_idx, '>= 1,000,000 lines/s', imp10 >= 1e6)

    if 'py_import_1m' in r:
        py = med(r, 'py_import_1m')
        row('  vs plain Python importer', num(imp) + ' lines/s', 'bench/py_import.py ' + num(n1 / py) + ' lines/s',
            py / med(r, 'import_1m'), '>= 10x', py / med(r, 'import_1m') >= 10)
        if floor_k:
            row('  (key floor vs the Python importer)', '', num(floor_k) + ' lines/s', floor_k / (n1 / py))
        if floor_rows:
            row('  (row floor vs the Python importer)', '', num(floor_rows) + ' lines/s', floor_rows / (n1 / py))

    pl, ps = r['pb_build'].split()[:2]
    pc = int(pl) / float(ps)
    split = int(r['pb_split'].split()[0]) / float(r['pb_split'].split()[1])
    row('parse+classify (no db, 1 core)', num(pc) + ' lines/s', 'read floor ' + num(wc) + ' lines/s', pc / wc,
        '>= 5,000,000 lines/s', pc >= 5e6)
    tl, ts = r['pb_parse'].split()[:2]
    tok = int(tl) / float(ts)
    row('  tokenise only (parse_line)', num(tok) + ' lines/s', 'in-memory split ' + num(split) + ' lines/s',
        tok / split)

    reimp = n1 / med(r, 'reimport_1m')
    row('re-import 1M lines (all dups)', num(reimp) + ' lines/s', 'read floor ' + num(grep) + ' lines/s', reimp / grep,
        '>= 2,000,000 lines/s', reimp >= 2e6)
    if 'pb_probe' in r:
        ql, qs = r['pb_probe'].split()[:2]
        probe = int(ql) / float(qs)
        row('  (one index seek per line instead)', '', num(probe) + ' lines/s', reimp / probe)

    floor_rss = rss_mb(r, 'floor_schema-idx_1m')
    for s in ('100k', '1m', '10m'):
        k = 'import_' + s
        if k in r:
            m = rss_mb(r, k)
            row('peak RSS, import ' + s.upper().replace('K', 'k'), num(m) + ' MB',
                'sqlite3 .import ' + num(floor_rss) + ' MB', m / floor_rss, '< 64 MB', m < 64)
    m = rss_mb(r, 'reimport_1m')
    row('peak RSS, re-import 1M', num(m) + ' MB', 'sqlite3 .import ' + num(floor_rss) + ' MB', m / floor_rss,
        '< 64 MB', m < 64)

    big, big_rows = r['big'], int(r['big_rows'])
    rep, rep_ref = med(r, 'report_big'), med(r, 'report_ref')
    tenm = big == '10m'
    row('report, %s rows' % '{:,}'.format(big_rows), '%.3f s' % rep, 'one pass over events %.3f s' % rep_ref,
        rep / rep_ref, '< 1 s on 10M rows' + ('' if tenm else ' (--full)'), (rep < 1) if tenm else None)
    sq, sq_ref = med(r, 'sql_big'), med(r, 'sql_ref')
    row('sql denials by class/principal', '%.3f s' % sq, 'same SQL in sqlite3 %.3f s' % sq_ref, sq / sq_ref)

    db1 = int(r['dbsize_1m'])
    dbf = int(r['dbsize_floor_schema-idx'])
    row('database size, 1M lines', num(db1 / 1e6) + ' MB', 'store floor ' + num(dbf / 1e6) + ' MB', db1 / dbf)

    for kind in ('granted', 'denied'):
        if 'bytes_%s_db' % kind in r:
            rows_n = int(r['bytes_%s_rows' % kind])
            per = int(r['bytes_%s_db' % kind]) / rows_n
            raw = int(r['bytes_%s_raw' % kind]) / int(r['bytes_%s_lines' % kind])
            row('bytes per stored %s line' % kind, num(per) + ' B', 'raw line ' + num(raw) + ' B', per / raw,
                '<= 0.5x raw' if kind == 'granted' else '', (per <= raw / 2) if kind == 'granted' else None)

    hdr = ('figure', 'value', 'reference (same run)', 'ratio', 'target', '')
    w = [max(len(x[i]) for x in rows + [hdr]) for i in range(6)]
    print()
    print('authlog-scan ingest benchmark: median of %s runs; %s; sqlite3 %s' % (r['runs'], r['cpu'], r['sqlite']))
    print('input: bench/gen.py --seed 1, 1M lines = %s MB (%d bytes/line); %s' % (
        num(b1 / 1e6), b1 // n1, r.get('counts_1m', '')))
    print()
    fmt = '  '.join('{:<%d}' % x if i in (0, 2, 4, 5) else '{:>%d}' % x for i, x in enumerate(w))
    print(fmt.format(*hdr).rstrip())
    print('  '.join('-' * x for x in w).rstrip())
    for x in rows:
        print(fmt.format(*x).rstrip())
    print()
    print('read floor: wc -l %s lines/s, grep -c \'access denied\' %s lines/s (file in page cache)' % (num(wc), num(grep)))
    print('store floor: sqlite3 shell .import of the same %s rows pre-split as CSV (event_rows with the ids of '
          'principal, stream and error precomputed; WAL, synchronous=NORMAL), with the indexes of src/store.c; '
          'without: %s lines/s' % ('{:,}'.format(int(r['floor_schema-idx_rows'])), num(floor)))
    print('raw floor: only (ts, dedupe_key, raw line) with the unique index, through one prepared INSERT in '
          '50,000-row transactions (bench/store_floor.c): %s lines/s, the most any schema that keeps the lines '
          'gets from SQLite on this machine (the shell .import of the same: %s lines/s)' % (num(floor_c), num(floor_raw)))
    if len(sf) > 4:
        print('row floor: the %s rows import wrote (event_rows, every column but id) inserted again, 16 rows to a prepared '
              'INSERT into a database with the same table and indexes (the per-principal one built at the end, as '
              'import does), 50,000-row transactions, close included: SQLite alone storing what import stores, from '
              'memory (each row read from 13 separately allocated values, where import reads compact batches: import '
              'can come out a little ahead of it) (bench/store_floor.c)' % '{:,}'.format(int(sf[3])))
    print('re-import: %s' % r.get('recounts_1m', ''))
    for kind in ('granted', 'denied'):
        if 'bytes_%s_objects' % kind in r:
            n = int(r['bytes_%s_rows' % kind])
            print('bytes per %s line by table and index (dbstat, %s rows): %s' % (kind, '{:,}'.format(n), ', '.join(
                '%s %s' % (name, num(int(b) / n)) for name, b in (x.split() for x in r['bytes_%s_objects' % kind].split(';')))))
    if 'py_import_1m' in r:
        print('plain Python importer: bench/py_import.py (re + sqlite3, one table, executemany, WAL), %s rows; '
              'ratio = its time / import\'s time' % '{:,}'.format(int(r['py_rows_1m'])))
    print('parse+classify, tokenise, split and the seek-per-line probe: CPU time of one thread '
          '(bench/parse_bench.c, file in memory)')


if __name__ == '__main__':
    main()
