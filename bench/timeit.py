#!/usr/bin/env python3
"""Run a command several times; print its median wall time and peak RSS.

    bench/timeit.py [--runs N] [--setup SHELL-CMD] [--stdin FILE]
                    [--stdout FILE] [--stderr FILE] -- CMD [ARG...]

Prints one line: "MEDIAN_S MIN_S MAX_S MAXRSS_KB" where MAXRSS_KB is the
largest peak RSS of the runs: `/usr/bin/time -f %M` ("Maximum resident
set size" of -v) when /usr/bin/time exists, else ru_maxrss from wait4()
of the command (exact per process unlike getrusage(RUSAGE_CHILDREN), but
Linux carries the RSS of the spawning Python, ~10-15 MB, into it through
exec, so it overstates small figures). --setup runs
before every run and is not timed. stdout goes to --stdout (default
/dev/null), stderr to --stderr (default: ours). A non-zero exit fails the run.
"""
import argparse
import os
import tempfile
import statistics
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--setup')
    ap.add_argument('--stdin', default='/dev/null')
    ap.add_argument('--stdout', default='/dev/null')
    ap.add_argument('--stderr', help='file for the stderr of the last run (default: ours)')
    ap.add_argument('cmd', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == '--' else a.cmd
    if not cmd:
        ap.error('no command')
    walls, rss = [], 0
    gnu_time = '/usr/bin/time' if os.access('/usr/bin/time', os.X_OK) else None
    rss_file = tempfile.NamedTemporaryFile(prefix='timeit-', suffix='.rss', delete=False).name
    if gnu_time:
        cmd = [gnu_time, '-f', '%M', '-o', rss_file] + cmd
    for _ in range(a.runs):
        if a.setup:
            subprocess.run(a.setup, shell=True, check=True)
        fin = os.open(a.stdin, os.O_RDONLY)
        fout = os.open(a.stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        actions = [(os.POSIX_SPAWN_DUP2, fin, 0), (os.POSIX_SPAWN_DUP2, fout, 1)]
        ferr = None
        if a.stderr:
            ferr = os.open(a.stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            actions.append((os.POSIX_SPAWN_DUP2, ferr, 2))
        t0 = time.perf_counter()
        pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=actions)
        _, status, ru = os.wait4(pid, 0)
        walls.append(time.perf_counter() - t0)
        for fd in (fin, fout, ferr):
            if fd is not None:
                os.close(fd)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            os.unlink(rss_file)
            sys.exit('timeit: %s exited with %d' % (' '.join(cmd), code))
        if gnu_time:
            with open(rss_file) as f:
                rss = max(rss, int(f.read().split()[-1]))
        else:
            rss = max(rss, ru.ru_maxrss)
    os.unlink(rss_file)
    print('%.6f %.6f %.6f %d' % (statistics.median(walls), min(walls), max(walls), rss))


if __name__ == '__main__':
    main()
