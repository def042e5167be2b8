#!/usr/bin/env python3
"""export --format jsonl: every line parses as one JSON object whose keys and
values equal the events view's row (read here with sqlite3), --since
filters by time, and --after-id with the last id printed gives exactly the
rest."""
import json
import re
import sqlite3

from cliutil import CliTestCase, denial, fixture_files, grant, main

LAST_RE = re.compile(r'^exported (\d+) events, last id (\d+)$', re.M)


class Export(CliTestCase):
    def events(self, where='1', params=()):
        con = sqlite3.connect('file:%s?mode=ro' % self.db, uri=True)
        con.text_factory = lambda b: b.decode('utf-8', 'replace')
        try:
            cur = con.execute('SELECT * FROM events WHERE %s ORDER BY id' % where, params)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur]
        finally:
            con.close()

    def export(self, *args):
        r = self.ok('export', '--format', 'jsonl', *args)
        self.assertTrue(r.out == '' or r.out.endswith('\n'))
        rows = [json.loads(line) for line in r.out.split('\n')[:-1]]
        for row in rows:
            self.assertIsInstance(row, dict)
        m = LAST_RE.search(r.err)
        self.assertIsNotNone(m, r.err)
        self.assertEqual(int(m.group(1)), len(rows))
        return rows, int(m.group(2))

    def setUp(self):
        super().setUp()
        self.import_ok('--cluster', 'lab', *fixture_files('eras'))
        self.import_ok(*fixture_files('classes'))
        # hostile text: quotes, backslashes, control bytes, bidi, invalid UTF-8
        hostile = self.write('hostile.log', (
            denial(error='bad "quoted" \\ back\x01slash \u202e', ts='2030-01-01T00:00:00Z') + '\n'
            + grant('arn:aws:iam::111122223333:role/a"b', 'u\\x', ts='2030-01-01T00:00:01Z') + '\n'
        ).encode('utf-8') + b'time="2030-01-01T00:00:02Z" level=warning msg="access denied" arn="\xff\xfe"\n')
        self.import_ok(hostile)

    def test_round_trip_equals_sql(self):
        rows, last = self.export()
        want = self.events()
        self.assertGreater(len(want), 50)
        self.assertEqual(rows, want)
        self.assertEqual(last, want[-1]['id'])
        self.assertEqual(list(rows[0].keys()), list(want[0].keys()))
        # the documented columns, each one present
        for col in ('id', 'ts', 'log_group', 'log_stream', 'ptr', 'cluster', 'kind', 'outcome', 'error_class',
                    'principal_arn', 'expected', 'raw', 'dedupe_key', 'import_id'):
            self.assertIn(col, rows[0])

    def test_resume_after_id(self):
        every, _ = self.export()
        first, last = self.export('--since', '2000-01-01T00:00:00Z')
        half = len(every) // 2
        cut = every[half - 1]['id']
        rest, last2 = self.export('--after-id', str(cut))
        self.assertEqual(rest, every[half:])
        self.assertEqual(last2, every[-1]['id'])
        again, last3 = self.export('--after-id', str(last2))
        self.assertEqual(again, [])
        self.assertEqual(last3, last2)

    def test_since(self):
        rows, _ = self.export('--since', '2030-01-01T00:00:01Z')
        self.assertEqual(rows, self.events('ts >= ?', ('2030-01-01T00:00:01Z',)))
        self.assertEqual(len(rows), 2)

    def test_usage(self):
        for args, text in ((('--format', 'csv'), '--format must be jsonl'),
                           (('--after-id', '-3'), '--after-id must be'),
                           (('--since', 'soon'), 'is not a time')):
            r = self.run_cli('export', *args)
            self.assertEqual(r.rc, 64, r)
            self.assertIn(text, r.err)


if __name__ == '__main__':
    main()
