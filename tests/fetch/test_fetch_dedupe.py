"""The dedupe key does not depend on how a line was fetched: (log group, stream, line) with
the row's second, not Logs Insights' @ptr (FilterLogEvents names the same event by an
eventId). A database keyed on @ptr (schema 9) is rekeyed on its first write open, so a scan
over what it already holds stores nothing twice."""
import sqlite3

from fetchutil import DEMO_SINCE, DEMO_UNTIL, FetchTestCase, demo_records, fixture, main


class Dedupe(FetchTestCase):
    def keys(self):
        return dict((r['id'], r['dedupe_key']) for r in self.query('SELECT id, dedupe_key FROM event_rows'))

    def test_database_keyed_on_ptr_is_rekeyed(self):
        self.fake('--events', fixture('demo'), '--polls', '1')
        self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report')
        n = demo_records()
        self.assert_exactly_once(n)
        keys = self.keys()
        # as version 9 left it: other keys on the rows with a @ptr
        con = sqlite3.connect(self.db)
        con.execute("UPDATE event_rows SET dedupe_key = dedupe_key + 77 WHERE ptr IS NOT NULL AND ptr != ''")
        con.execute('PRAGMA user_version = 9')
        con.commit()
        con.close()
        self.assertNotEqual(self.keys(), keys)
        r = self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report')
        self.assertEqual(self.scalar('PRAGMA user_version'), 11)
        self.assertEqual(self.keys(), keys)  # the SQL key is the one the C ingest makes
        self.assert_exactly_once(n)
        self.assertRegex(r.err, r': 0 new rows, %d already stored' % n)


if __name__ == '__main__':
    main()
