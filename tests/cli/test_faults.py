#!/usr/bin/env python3
"""Faults and hostile surroundings (issue 13 items 3, 4, 11, 13; issue 12
item 9), through the built binary: someone else's SQLite file is refused
and left byte-identical; write errors on stdout exit 74; out-of-range
times are usage errors; the lock file and the database path are not
followed or truncated; global options after the command name."""
import hashlib
import os
import signal
import sqlite3
import subprocess
import tempfile

from cliutil import BIN, CliTestCase, ESC, EX_CANTCREAT, EX_DATAERR, EX_USAGE, denial, main, role

EX_IOERR = 74
APPLICATION_ID = 0x41554c53  # src/store.c, README


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


class ForeignDatabase(CliTestCase):
    """Issue 13 item 3: `--db other.db` on another program's SQLite file."""

    def make(self, name, *sql):
        path = os.path.join(self.tmp, name)
        con = sqlite3.connect(path)
        for stmt in sql:
            con.execute(stmt)
        con.commit()
        con.close()
        return path

    def assert_untouched(self, path, *commands):
        before = sha256(path)
        line = self.write_lines('in.log', [denial('ARN is not mapped', arn=role('x'))])
        for cmd in commands:
            args = {'import': ['import', line], 'report': ['report'], 'sql': ['sql', 'select 1'],
                    'creator': ['creator']}[cmd]
            r = self.run_cli('--db', path, *args)
            self.assertEqual(r.rc, EX_DATAERR, r)
            self.assertEqual(len(r.error_lines()), 1, r)
            self.assertIn('not an authlog-scan database', r.err)
            self.assertEqual(sha256(path), before, '%s changed the file' % cmd)
            for suffix in ('-wal', '-shm', '-journal'):
                self.assertFalse(os.path.exists(path + suffix), '%s left %s' % (cmd, suffix))

    def test_table_events_of_another_program(self):
        path = self.make('other.db', 'CREATE TABLE events(id INTEGER PRIMARY KEY, what TEXT)',
                         "INSERT INTO events(what) VALUES ('theirs')")
        self.assert_untouched(path, 'import', 'report', 'sql', 'creator')
        con = sqlite3.connect(path)
        self.assertEqual(con.execute('PRAGMA journal_mode').fetchone()[0], 'delete')
        self.assertEqual([r[0] for r in con.execute("SELECT name FROM sqlite_master")], ['events'])
        con.close()

    def test_table_foo(self):
        path = self.make('foo.db', 'CREATE TABLE foo(x)', 'INSERT INTO foo VALUES (1)')
        self.assert_untouched(path, 'import', 'report')

    def test_another_programs_wal_database(self):
        path = self.make('wal.db', 'PRAGMA journal_mode = WAL', 'CREATE TABLE foo(x)', 'INSERT INTO foo VALUES (1)')
        self.assert_untouched(path, 'import', 'report')

    def test_another_application_id_without_tables(self):
        path = self.make('id.db', 'PRAGMA application_id = 42')
        self.assert_untouched(path, 'import', 'report')

    def test_our_tables_at_an_unknown_version(self):
        # Our table names, but a user_version we never wrote: not ours.
        path = self.make('v0.db', 'CREATE TABLE events(ts, raw, dedupe_key, import_id)',
                         'CREATE TABLE imports(source, started, imported)')
        self.assert_untouched(path, 'import')

    def test_ours_without_the_id_is_accepted_and_marked(self):
        self.import_ok(self.write_lines('a.log', [denial('ARN is not mapped', arn=role('a'))]))
        con = sqlite3.connect(self.db)
        self.assertEqual(con.execute('PRAGMA application_id').fetchone()[0], APPLICATION_ID)
        version = con.execute('PRAGMA user_version').fetchone()[0]
        con.execute('PRAGMA application_id = 0')
        con.commit()
        con.close()
        # A read-only command reads it as it is ...
        self.assertEqual(self.report_json()['totals']['denied'], 1)
        self.assertEqual(self.scalar('PRAGMA application_id'), 0)
        # ... and the next write open marks it, keeping the version.
        self.import_ok(self.write_lines('b.log', [denial('ARN is not mapped', arn=role('b'), port=40001)]))
        self.assertEqual(self.scalar('PRAGMA application_id'), APPLICATION_ID)
        self.assertEqual(self.scalar('PRAGMA user_version'), version)
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events'), 2)

    def test_ours_while_its_wal_is_ahead_of_the_file(self):
        # A read-only open probes a WAL file's owner through the main file
        # alone; while another connection's newer version sits in the WAL
        # (a migration not checkpointed yet), the report still opens it.
        self.import_ok(self.write_lines('a.log', [denial('ARN is not mapped', arn=role('a'))]))
        version = self.scalar('PRAGMA user_version')
        con = sqlite3.connect(self.db, isolation_level=None)
        con.execute('PRAGMA user_version = %d' % (version - 1))
        con.execute('PRAGMA wal_checkpoint(TRUNCATE)')
        con.execute('PRAGMA wal_autocheckpoint = 0')
        con.execute('PRAGMA user_version = %d' % version)
        self.addCleanup(con.close)
        self.assertEqual(self.report_json()['totals']['denied'], 1)

    def test_old_version_of_ours_without_the_id_is_migrated(self):
        # Version 4 (before clusters), unmarked: what the 4 -> 5 migration
        # takes, the way tests/unit/test_store.c builds it.
        self.import_ok(self.write_lines('a.log', [denial('ARN is not mapped', arn=role('a'))]))
        con = sqlite3.connect(self.db)
        con.executescript('DROP TABLE clusters; PRAGMA user_version = 4; PRAGMA application_id = 0;')
        con.close()
        r = self.run_cli('report')
        self.assertEqual(r.rc, EX_DATAERR, r)
        self.assertIn("run 'authlog-scan import' once to migrate it", r.err)
        self.import_ok(self.write_lines('b.log', [denial('ARN is not mapped', arn=role('b'), port=40001)]))
        self.assertEqual(self.scalar('PRAGMA application_id'), APPLICATION_ID)
        self.assertGreaterEqual(self.scalar('PRAGMA user_version'), 5)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'clusters'"), 1)
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events'), 2)

# 100,000 rows of CSV: about 590 KB, more than any pipe or stdio buffer holds.
MANY_ROWS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT x FROM c'


class WriteErrors(CliTestCase):
    """Issue 13 item 4: output that does not reach its file is exit 74."""

    def setUp(self):
        super().setUp()
        self.import_ok(self.write_lines('a.log', [denial('ARN is not mapped', arn=role('a'))]))

    def run_to(self, stdout, *args, ignore_sigpipe=False):
        return subprocess.run([BIN] + list(args), stdout=stdout, stderr=subprocess.PIPE, env=self.env,
                              stdin=subprocess.DEVNULL, timeout=60,
                              preexec_fn=(lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN))
                              if ignore_sigpipe else None)

    def assert_write_error(self, p):
        err = p.stderr.decode()
        self.assertEqual(p.returncode, EX_IOERR, err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith('authlog-scan: write error: '), err)

    def test_dev_full(self):
        with open('/dev/full', 'wb') as full:
            for args in (['report'], ['report', '--format', 'json'], ['sql', 'select 1'],
                         ['sql', '--format', 'csv', MANY_ROWS], ['creator'], ['queries']):
                with self.subTest(args=args):
                    self.assert_write_error(self.run_to(full, *args))

    def test_closed_pipe_with_sigpipe_ignored(self):
        # `sql ... | head -c 10` with SIGPIPE ignored: EPIPE, exit 74, quiet
        # (the reader left on purpose).
        p = subprocess.Popen([BIN, 'sql', '--format', 'csv', MANY_ROWS], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env, stdin=subprocess.DEVNULL,
                             preexec_fn=lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN))
        self.assertEqual(p.stdout.read(10), b'x\r\n1\r\n2\r\n3'[:10])
        p.stdout.close()
        err = p.stderr.read().decode()
        p.stderr.close()
        self.assertEqual(p.wait(timeout=60), EX_IOERR, err)
        self.assertEqual(err, '')

    def test_closed_pipe_with_sigpipe_default(self):
        p = subprocess.Popen([BIN, 'sql', '--format', 'csv', MANY_ROWS], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env, stdin=subprocess.DEVNULL)
        p.stdout.read(10)
        p.stdout.close()
        err = p.stderr.read().decode()
        p.stderr.close()
        self.assertEqual(p.wait(timeout=60), -signal.SIGPIPE, err)
        self.assertEqual(err, '')

    def test_full_filesystem(self):
        # A 64 KiB tmpfs (needs root and mount; the sub-case is dropped
        # where tmpfs cannot be mounted): the output is cut, so exit 74.
        mnt = tempfile.mkdtemp(dir=self.tmp)
        if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt],
                          stderr=subprocess.DEVNULL).returncode != 0:
            return
        self.addCleanup(subprocess.run, ['umount', mnt])
        with open(os.path.join(mnt, 'out.csv'), 'wb') as out:
            self.assert_write_error(self.run_to(out, 'sql', '--format', 'csv', MANY_ROWS))
        self.assertEqual(os.path.getsize(os.path.join(mnt, 'out.csv')), 65536)

    def test_broken_stderr(self):
        with open('/dev/full', 'wb') as full:
            p = subprocess.run([BIN, 'import', self.write_lines('b.log', [])], stdout=subprocess.DEVNULL,
                               stderr=full, env=self.env, timeout=60)
        self.assertEqual(p.returncode, EX_IOERR)

    def test_a_failure_keeps_its_own_status(self):
        with open('/dev/full', 'wb') as full:
            p = self.run_to(full, 'report', '--top', 'x')
        self.assertEqual(p.returncode, EX_USAGE, p.stderr)

    def test_output_that_fits_is_fine(self):
        with open(os.path.join(self.tmp, 'out'), 'wb') as out:
            p = self.run_to(out, 'sql', '--format', 'csv', MANY_ROWS)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(os.path.getsize(os.path.join(self.tmp, 'out')), len('x\r\n') + sum(len(str(i)) + 2 for i in range(1, 100001)))


class GlobalOptionsAfterTheCommand(CliTestCase):
    """Issue 12 item 9: --color (and --db, -q, -v) after the command name."""

    def setUp(self):
        super().setUp()
        self.import_ok(self.write_lines('a.log', [denial('ARN is not mapped', arn=role('a'))]))

    def test_color(self):
        self.assertIn(ESC, self.ok('report', '--color=always').out)
        self.assertIn(ESC, self.ok('report', '--color', 'always').out)
        self.assertNotIn(ESC, self.ok('--color=always', 'report', '--color=never').out)
        r = self.run_cli('report', '--color=sometimes')
        self.assertEqual(r.rc, EX_USAGE, r)
        self.assertEqual(r.error_lines(), ["authlog-scan: report: --color must be auto, always or never, not 'sometimes'"])
        r = self.run_cli('report', '--color')
        self.assertEqual(r.rc, EX_USAGE, r)
        self.assertIn("option '--color' needs a value", r.err)

    def test_db_quiet_verbose(self):
        other = os.path.join(self.tmp, 'other.db')
        r = self.ok('import', '--db', other, '-q', self.write_lines('b.log', [denial('x', arn=role('b'))]))
        self.assertEqual(r.err, '')
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events', db=other), 1)
        r = self.ok('import', self.write_lines('c.log', []), '-v', '--db=' + other)
        self.assertIn('read as lines', r.err)

    def test_after_double_dash_it_is_an_argument(self):
        r = self.ok('explain', '--', '--color=always')
        self.assertNotIn(ESC, r.out)
        self.assertIn('class:', r.out)


class TimeRange(CliTestCase):
    """Issue 13 item 11: a time an option names is 1970-01-01T00:00:00Z to
    9998-12-31T23:59:59Z; beyond, or overflowing, it is a usage error."""

    OUT = ['9999-12-31T23:59:59Z', '9999-01-01T00:00:00Z', '99999999999d', '99999999999w', '1969-12-31T23:59:59Z',
           '1969-12-31T23:59:59+00:00', '1970-01-01T00:30:00+01:00', '9999999999999999', '0000-01-01T00:00:00Z']

    def setUp(self):
        super().setUp()
        self.import_ok(self.write_lines('a.log', [denial('ARN is not mapped', arn=role('a'))]))

    def assert_out_of_range(self, cmd, opt, value, r):
        self.assertEqual(r.rc, EX_USAGE, r)
        self.assertEqual(r.error_lines(), ["authlog-scan: %s: %s: '%s' is out of range (times run from 1970-01-01 "
                                           "to 9998-12-31 UTC)" % (cmd, opt, value)])
        self.assertEqual(r.out, '')

    def test_report(self):
        for opt in ('--since', '--until'):
            for value in self.OUT:
                with self.subTest(opt=opt, value=value):
                    self.assert_out_of_range('report', opt, value,
                                             self.run_cli('report', '--exit-code', opt, value))

    def test_scan(self):
        # Refused while reading the options: no credentials, region or
        # endpoint are needed to get there.
        for opt in ('--since', '--until'):
            for value in self.OUT:
                with self.subTest(opt=opt, value=value):
                    self.assert_out_of_range('scan', opt, value,
                                             self.run_cli('scan', '--log-group', '/aws/eks/a/cluster', opt, value))
                    self.assert_out_of_range('scan', opt, value,
                                             self.run_cli('--log-group', '/aws/eks/a/cluster', opt, value))

    def test_the_edges_are_accepted(self):
        self.assertEqual(self.report_json('--since', '9998-12-31T23:59:59Z')['totals']['denied'], 0)
        self.assertEqual(self.report_json('--until', '1970-01-01T00:00:00Z')['totals']['denied'], 0)
        self.assertEqual(self.report_json('--since', '1970-01-01T00:00:00Z', '--until', '9998-12-31T23:59:59Z')
                         ['totals']['denied'], 1)
        self.assertEqual(self.report_json('--since', '15000d')['totals']['denied'], 1)


class LockAndPath(CliTestCase):
    """Issue 13 item 13: the lock file is not truncated through another
    name, and a dangling symlink as the database is not followed."""

    def scan(self, db):
        # The lock is taken before credentials or the network are needed:
        # these runs end at the lock (or the store) either way.
        env = dict(self.env, AWS_ACCESS_KEY_ID='AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY='secret', AWS_REGION='us-east-1')
        return self.run_cli('--db', db, 'scan', '--log-group', '/aws/eks/a/cluster',
                            '--endpoint-url', 'http://127.0.0.1:9', env=env)

    def victim(self):
        path = self.write('victim.txt', 'precious\n')
        return path, os.stat(path)

    def assert_victim(self, path, st):
        with open(path) as f:
            self.assertEqual(f.read(), 'precious\n')
        self.assertEqual(os.stat(path).st_mtime_ns, st.st_mtime_ns)

    def test_hard_linked_lock_file(self):
        victim, st = self.victim()
        db = os.path.join(self.tmp, 'x.db')
        os.link(victim, db + '.lock')
        r = self.scan(db)
        self.assertEqual(r.rc, EX_CANTCREAT, r)
        self.assertEqual(r.error_lines(), ['authlog-scan: scan: the lock file %s.lock has 2 links (it is also another '
                                           'file): refusing to write it; remove it' % db])
        self.assert_victim(victim, st)
        self.assertFalse(os.path.exists(db))

    def test_symlinked_lock_file(self):
        victim, st = self.victim()
        db = os.path.join(self.tmp, 'y.db')
        os.symlink(victim, db + '.lock')
        r = self.scan(db)
        self.assertEqual(r.rc, EX_CANTCREAT, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertIn('cannot open the lock file %s.lock' % db, r.err)
        self.assert_victim(victim, st)

    def test_lock_file_that_is_not_a_file(self):
        db = os.path.join(self.tmp, 'z.db')
        os.mkfifo(db + '.lock')
        r = self.scan(db)
        self.assertEqual(r.rc, EX_CANTCREAT, r)
        self.assertIn('is not a plain file', r.err)

    def test_dangling_symlink_as_the_database(self):
        target = os.path.join(self.tmp, 'elsewhere', 'target.db')
        db = os.path.join(self.tmp, 'link.db')
        os.symlink(target, db)
        line = self.write_lines('a.log', [denial('ARN is not mapped', arn=role('a'))])
        for args in (['import', line], ['sql', 'select 1']):
            r = self.run_cli('--db', db, *args)
            self.assertNotEqual(r.rc, 0, r)
            self.assertEqual(len(r.error_lines()), 1, r)
        r = self.run_cli('--db', db, 'import', line)
        self.assertEqual(r.rc, EX_CANTCREAT, r)
        self.assertIn('%s is a symbolic link to a file that does not exist' % db, r.err)
        r = self.scan(db)
        self.assertEqual(r.rc, EX_CANTCREAT, r)
        self.assertIn('symbolic link to a file that does not exist', r.err)
        self.assertFalse(os.path.exists(os.path.dirname(target)))
        self.assertFalse(os.path.lexists(target))
        # A relative dangling link too.
        os.symlink('target2.db', os.path.join(self.tmp, 'rel.db'))
        r = self.run_cli('--db', os.path.join(self.tmp, 'rel.db'), 'import', line)
        self.assertEqual(r.rc, EX_CANTCREAT, r)
        self.assertFalse(os.path.lexists(os.path.join(self.tmp, 'target2.db')))

    def test_symlink_to_an_existing_database_is_used(self):
        real = os.path.join(self.tmp, 'real.db')
        self.import_ok(self.write_lines('a.log', [denial('ARN is not mapped', arn=role('a'))]),
                       extra=('--db', real))
        link = os.path.join(self.tmp, 'link.db')
        os.symlink(real, link)
        self.import_ok(self.write_lines('b.log', [denial('ARN is not mapped', arn=role('b'), port=40001)]),
                       extra=('--db', link))
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events', db=real), 2)


class ImportStatus(CliTestCase):
    """imports.status (schema version 8, issue 13 item 15): how each import
    ended; tests/crash/test_sigint.py interrupts imports."""

    def test_from_version_7(self):
        self.import_ok(self.write_lines('a.log', [denial('ARN is not mapped', arn=role('a'))]))
        con = sqlite3.connect(self.db)
        con.executescript("ALTER TABLE imports DROP COLUMN status;"
                          "INSERT INTO imports(source, started) VALUES ('killed', '2026-01-01T00:00:00Z');"
                          "PRAGMA user_version = 7;")
        con.close()
        self.import_ok(self.write_lines('b.log', [denial('ARN is not mapped', arn=role('b'), port=40001)]))
        self.assertEqual(self.scalar('PRAGMA user_version'), 11)
        rows = self.query('SELECT source, status, finished IS NOT NULL AS finished FROM imports ORDER BY id')
        self.assertEqual([(r['status'], r['finished']) for r in rows],
                         [('complete', 1), (None, 0), ('complete', 1)])
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'imports_first_event'"), 1)

    def test_set_back_to_version_7_by_hand(self):
        self.import_ok(self.write_lines('a.log', [denial('ARN is not mapped', arn=role('a'))]))
        con = sqlite3.connect(self.db)
        con.executescript('PRAGMA user_version = 7;')
        con.close()
        self.import_ok(self.write_lines('b.log', [denial('ARN is not mapped', arn=role('b'), port=40001)]))
        self.assertEqual(self.scalar('PRAGMA user_version'), 11)
        self.assertEqual(self.scalar("SELECT group_concat(status) FROM imports"), 'complete,complete')


if __name__ == '__main__':
    main()
