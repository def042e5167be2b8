"""The default concurrency: 8 queries at once (under a tenth of the account's 100, which its
dashboards share), never more; --concurrency still sets it."""
import time

from fetchutil import FetchTestCase, main


def iso(t):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))


class Concurrency(FetchTestCase):
    def test_default_is_eight(self):
        t = int(time.time()) - 60
        window = ('--since', iso(t - 12 * 3600), '--until', iso(t))
        fake = self.fake('--generate', '1200:%d:%d' % (t - 12 * 3600 + 1, t - 1), '--polls', '1',
                         '--latency-ms', '400')
        self.scan_ok('--cluster', 'demo', *window, '--no-report')
        self.assertEqual(fake.state()['max_running'], 8)
        self.assertEqual(self.event_count(), 1200)
        fake.stop()
        fake = self.fake('--generate', '1200:%d:%d' % (t - 12 * 3600 + 1, t - 1), '--polls', '1',
                         '--latency-ms', '400')
        self.scan_ok('--cluster', 'demo', *window, '--no-report', '--concurrency', '3', '--db', self.db + '.2')
        self.assertEqual(fake.state()['max_running'], 3)


if __name__ == '__main__':
    main()
