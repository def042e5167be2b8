#!/usr/bin/env python3
"""Faults and hostile surroundings (issue 13 items 3, 4, 11, 13; issue 12
item 9), through the built binary: someone else's SQLite file is refused
and left byte-identical; write errors on stdout exit 74; out-of-range
times are usage errors; the lock file and the database path are not
followed or truncated; global options after the command name."""
import hashlib
import os
import sqlite3

from cliutil import BIN, CliTestCase, EX_CANTCREAT, EX_DATAERR, EX_USAGE, denial, main, role

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

if __name__ == '__main__':
    main()
