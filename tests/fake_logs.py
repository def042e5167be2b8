#!/usr/bin/env python3
"""fake_logs.py: a stateful CloudWatch Logs Insights simulation (Python 3 stdlib;
botocore only to check signatures, when it is importable).

usage:
  python3 tests/fake_logs.py --port-file PATH [options]
  python3 tests/fake_logs.py --self-test

It binds 127.0.0.1:0, writes the port to PATH (atomically) and answers the awsJson1_1
operations the fetcher uses, with the wire shapes of the CloudWatch Logs API reference
(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/):

  StartQuery         logGroupName / logGroupNames; startTime, endTime (epoch seconds,
                     inclusive: events in [start*1000, end*1000] ms, as AWS and moto);
                     queryString; limit (1-100000, the 2026 maximum; 1-10000 with
                     --legacy-limit, as a partition or emulator without the change:
                     a larger one is an InvalidParameterException naming limit; the
                     default 10000 when absent). The query runs at once on the data
                     set; `fields`, `display`, `filter F like /re/`, `filter F like "s"`,
                     `filter F =~ /re/`, `sort @timestamp asc|desc` and `limit N` are
                     `filter F = "s"`, `filter F in ["s", ...]` are
                     understood, '#' comments skipped, anything else is a
                     MalformedQueryException. At most limit rows, fewer when the query's
                     own `limit` says so. LimitExceededException when --max-concurrent
                     queries are still running.
  GetQueryResults    queryId; nextToken, maxItems (0-10000, 0 or absent: 10000) page a
                     Complete query's rows: nextToken in the answer while rows remain
                     (an unknown token is an InvalidParameterException); with
                     --legacy-limit, every row at once and nextToken/maxItems refused.
                     Scheduled, then Running (with part of the rows, as the service
                     does), then Complete on the --polls-th poll and not before
                     --latency-ms after StartQuery. Rows are [{field, value}] lists in
                     the order of `fields`, @ptr last; every value is a string;
                     @timestamp "2022-12-26 20:46:48.123" (or epoch ms with
                     --timestamp-format epoch-ms, as moto); statistics bytesScanned,
                     recordsScanned (events of the group in the range) and
                     recordsMatched (after the filters, before the limit), as doubles.
  StopQuery          {"success": true} for a running query; InvalidParameterException
                     for one that has ended; ResourceNotFoundException for an unknown id.
  DescribeLogGroups  logGroupNamePrefix, limit, nextToken.
  DescribeLogStreams logGroupName or logGroupIdentifier (one of them), logStreamNamePrefix,
                     orderBy LogStreamName (default) | LastEventTime (not with a prefix),
                     descending, limit 1-50 (default 50), nextToken (one this fake handed
                     out): streams with logStreamName, creationTime, firstEventTimestamp,
                     lastEventTimestamp, lastIngestionTime, arn, storedBytes (0, as the
                     deprecated field is); a missing group is ResourceNotFoundException.
  DescribeQueries    the queries, newest first (status filter).
  FilterLogEvents    logGroupName or logGroupIdentifier, logStreamNamePrefix or logStreamNames
                     (at most 100; not both), startTime/endTime (epoch ms, both inclusive),
                     filterPattern (at most 1,024 characters: "" = every event; terms and
                     "quoted phrases", all of them, or any of them when each is prefixed
                     with ?), limit (1-10,000, default 10,000), nextToken. Each page reads
                     at most --filter-scan events of the chosen streams (in time order) and
                     returns those that match, at most limit events or 1 MB: pages can be
                     partial or empty while nextToken says more remain (as the service's).
                     Events: logStreamName, timestamp, message, ingestionTime, eventId.
                     More than --filter-tps calls (default 5) in any second: 400
                     ThrottlingException "Rate exceeded" (state: filter_max_per_s,
                     filter_throttled, and filter_log: [arrival time, status] of every
                     call). A page takes --latency-per-mb-ms per MB of the chosen
                     streams' events it reads, as a query's scan does.

Amazon EKS, on the same port (AWS_ENDPOINT_URL sends a client's EKS calls here too):
every group /aws/eks/NAME/cluster is a cluster NAME, answered by tests/fake_eks.py's
Eks (imported, not copied): GET /clusters/NAME is DescribeCluster, an unknown cluster
404 ResourceNotFoundException, an unknown path 404 UnknownOperationException; SigV4
checked for the service "eks" with --verify-sigv4.
  --eks-mode [CLUSTER=]MODE    authenticationMode: API, API_AND_CONFIG_MAP (default),
                               CONFIG_MAP, or none (no accessConfig, as old clusters)
  --eks-logging [CLUSTER=]TYPES  enabled log types, comma-separated, "" for none
                               (default api,audit,authenticator)
  --eks-deny                   DescribeCluster is 403 AccessDeniedException
  (CLUSTER= limits a setting to that cluster; the options repeat)

Data (repeatable, in any mix):
  --events FILE|DIR    *.jsonl: {"group", "stream", "ts" (epoch ms), "message"} per line;
                       other files: one authenticator line per line, stream = the file
                       name without .log, or a stern prefix "<stream> <container> line";
                       @timestamp from the line's time="..." (lines without one take the
                       previous line's time), a millisecond counter inside each second.
                       A directory loads every file in it.
  --group NAME         log group of text files and generated events (/aws/eks/demo/cluster)
  --shift-to EPOCH|now move text-file events so the newest is at that time (time="..."
                       inside the lines is rewritten to match)
  --generate N:START:END[:GROUP]
                       N authenticator records evenly over [START, END] (epoch seconds,
                       or -3h / -90m relative to now), about 3 % denials, spread over 4
                       streams, plus 1 noise line (kube-apiserver stream, or a
                       non-record authenticator line) per 10 records
  --creation-time EPOCH  creationTime of the groups (default: a day before the oldest event)
  --retention-days N   retentionInDays of the groups: StartQuery refuses a range that ends
                       more than N days ago, as one that ends before the creation

Behaviour:
  --polls N (default 3), --latency-ms MS (default 0), --max-concurrent N (default 100,
                       the 2026 account quota)
  --legacy-limit       StartQuery limit at most 10,000 and no GetQueryResults paging
  --audit-ratio R      add kube-apiserver-audit-* streams that are R (0.99) of each group's
                       bytes (see add_audit)
  --group-class C      STANDARD (default) or INFREQUENT_ACCESS (logGroupClass; no field index)
  --index-since EPOCH  events older than this were ingested before the @logStream index
                       (default 0: every event is indexed)

Cost model: a query scans every event of its groups in its time range (bytesScanned,
recordsScanned), except, on a STANDARD group, the events of streams that a `filter
@logStream = "x"` or `filter @logStream in ["x", ...]` leaves out, when ingested after
--index-since: those count in estimatedBytesSkipped / estimatedRecordsSkipped instead.
`like` and regular expressions never use the index.
  --latency-per-mb-ms MS  more query time per MB scanned (big windows take longer)
  --rtt-ms MS          every answer waits this long (the network round trip)
  --timestamp-format aws|epoch-ms
  --no-statistics      GetQueryResults without "statistics" (as moto)
  --faults JSON|@FILE  a list of scripted faults, each
      {"op": "StartQuery"|"GetQueryResults"|"StopQuery"|"DescribeLogGroups"|"*",
       "kind": "throttle" | "limit" | "unavailable" (503 ServiceUnavailableException) |
               "http500" (HTML) | "http502" | "reset" (TCP RST) | "malformed" (truncated JSON) |
               "empty" ({} with 200) | "access_denied" | "not_found" | "expired_token" |
               "invalid_param" | "delay" | "query_failed" | "query_cancelled" |
               "query_timeout" | "query_unknown" (StartQuery: the query ends so) |
               "query_stuck" (StartQuery: the query stays Running, however long it
               is polled, until StopQuery) | "hang" (no answer at all: the request
               is held until the client hangs up or the fake stops),
       "count": N (default 1, -1 = always), "skip": K (let K matching calls pass first),
       "every": M (only every M-th matching call), "delay_ms": MS, "message": "...",
       "start_ge": S, "start_lt": S (only requests whose startTime is >= / < S),
       "group": G (only StartQuery / FilterLogEvents requests of log group G)}
  --verify-sigv4 AKID:SECRET[:TOKEN]  check every request's SigV4 with botocore (skipped,
                       with a note in the log, when botocore is not importable)
  --log FILE           one JSON line per request: {"time", "op", "request", "status",
                       "fault", "sigv4", "query_id", "scope"}; scope is the SigV4
                       credential scope the request was signed with, [access key id,
                       date, region, service] (null when unsigned)
  --region R           the region in @log ARNs (us-east-1); --account A (111122223333)

Control (unsigned, for tests): GET /_fake/state -> {"running", "max_running", "calls":
  {op: n}, "filter_max_per_s", "filter_throttled", "filter_log", "stream_bytes": {group: {stream: bytes}}, "queries": [{id, group, start, end,
  status, rows, polls, stopped, matched, pages (after the first), bytes, skipped, query}]};
  POST /_fake/events with a JSON list of {"group", "stream", "ts", "message"} adds events.

Embedding: LogsSim(args).handle(target, body_bytes, headers) -> (status, headers, body)
is the whole service without the HTTP server, for tests/fake_aws.py to delegate the
Logs_20140328.* targets to.
"""

import argparse
import base64
import bisect
import calendar
import json
import os
import random
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_ROWS = 100000   # StartQuery limit since 2026-05-15
LEGACY_ROWS = 10000  # before, and with --legacy-limit
PAGE_MAX = 10000     # GetQueryResults maxItems
TIME_RE = re.compile(r'time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"')
STERN_RE = re.compile(r'^(authenticator-\S+|kube-apiserver-\S+) \S+ (.*)$')


def iso(ts_s):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts_s))


def parse_iso(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def aws_ts(ms):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + ".%03d" % (ms % 1000)


def rel_time(s, now):
    s = str(s)
    m = re.fullmatch(r'-(\d+)([smhd])', s)
    if m:
        return int(now - int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)])
    if s == "now":
        return int(now)
    return int(s)


# ---- the data set --------------------------------------------------------------

class Group:
    def __init__(self, name):
        self.name = name
        self.ts = []      # sorted epoch ms
        self.ev = []      # (ts, seq, stream, message, ptr), same order
        self.creation = None


class Data:
    def __init__(self, account):
        self.groups = {}
        self.seq = 0
        self.account = account
        self.lock = threading.Lock()

    def group(self, name):
        g = self.groups.get(name)
        if g is None:
            g = self.groups[name] = Group(name)
        return g

    def ptr(self, group, stream, seq):
        # ~100 base64 characters like the real thing, unique per event, stable
        raw = ("%s:%s\x00%s\x00%d" % (self.account, group, stream, seq)).encode()
        return base64.b64encode(b"\x0a\x54" + raw + b"\x10\x01" + struct.pack(">Q", seq)).decode()

    def add_many(self, events):
        """events: iterable of (group, stream, ts_ms, message[, bytes])."""
        with self.lock:
            per = {}
            for ev in events:
                group, stream, ts, msg = ev[:4]
                self.seq += 1
                e = (ts, self.seq, stream, msg, self.ptr(group, stream, self.seq))
                if len(ev) > 4:
                    e += (ev[4],)
                per.setdefault(group, []).append(e)
            for name, evs in per.items():
                g = self.group(name)
                evs.sort(key=lambda e: (e[0], e[1]))
                if not g.ev or evs[0][0] >= g.ts[-1]:
                    g.ev.extend(evs)
                    g.ts.extend(e[0] for e in evs)
                else:
                    g.ev = sorted(g.ev + evs, key=lambda e: (e[0], e[1]))
                    g.ts = [e[0] for e in g.ev]

    def count(self):
        return sum(len(g.ev) for g in self.groups.values())


def event_bytes(e):
    """What an event weighs in a scan: its declared size (the audit events
    stand in for big ones), else its message plus the fields around it."""
    return e[5] if len(e) > 5 else len(e[3]) + 26


def add_audit(data, ratio):
    """kube-apiserver-audit-* streams beside each group's events, so that
    they are `ratio` of the group's bytes (an EKS group with audit logging
    on is ~99 % audit): one audit event every 10 events, each declared as
    big as the ratio needs (its message stays short)."""
    if not ratio:
        return
    adds = []
    for name, g in data.groups.items():
        if not g.ev:
            continue
        other = sum(event_bytes(e) for e in g.ev)
        picks = g.ev[::10]
        size = max(1, int(other * ratio / (1 - ratio) / len(picks)))
        for k, e in enumerate(picks):
            msg = ('{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"%08x",'
                   '"stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/namespaces/default/pods"}' % k)
            adds.append((name, "kube-apiserver-audit-%032x" % (k % 2), e[0], msg, size))
    data.add_many(adds)


def load_text(path, group, out):
    stream_default = os.path.basename(path)
    if stream_default.endswith(".log"):
        stream_default = stream_default[:-4]
    last_s = None
    per_second = {}
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line:
                continue
            stream = stream_default
            m = STERN_RE.match(line)
            if m:
                stream, line = m.group(1), m.group(2)
            t = TIME_RE.search(line)
            if t:
                last_s = parse_iso(t.group(1))
            if last_s is None:
                continue
            n = per_second.get(last_s, 0)
            per_second[last_s] = n + 1
            out.append([group, stream, last_s * 1000 + min(n, 999), line])


def load_jsonl(path, out, default_group):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                e = json.loads(line)
                out.append((e.get("group", default_group), e["stream"], int(e["ts"]), e["message"]))


def shift_events(events, to_s):
    newest = max(e[2] for e in events)
    delta_ms = to_s * 1000 - newest
    delta_ms -= delta_ms % 1000  # whole seconds: the ms counters stay as they are
    for e in events:
        e[2] += delta_ms
        e[3] = TIME_RE.sub('time="%s"' % iso(e[2] // 1000), e[3], count=1)


ROLES = ["node-role-a", "node-role-b", "ci-deployer", "ops-admin", "github-actions", "argocd"]


def generate(n, start_s, end_s, group, seed=1):
    rnd = random.Random(seed)
    streams = ["authenticator-%032x" % rnd.getrandbits(128) for _ in range(4)]
    span_ms = max(1, (end_s - start_s) * 1000)
    out = []
    for i in range(n):
        ts = start_s * 1000 + (span_ms * i) // n
        t = iso(ts // 1000)
        stream = streams[i % 4]
        port = 10000 + i % 50000
        role = ROLES[rnd.randrange(len(ROLES))]
        arn = "arn:aws:iam::111122223333:role/%s" % role
        if rnd.random() < 0.03:
            msg = ('time="%s" level=warning msg="access denied" arn="%s" client="127.0.0.1:%d" '
                   'error="ARN is not mapped" method=POST path=/authenticate' % (t, arn, port))
        else:
            msg = ('time="%s" level=info msg="access granted" arn="%s" client="127.0.0.1:%d" '
                   'groups="[system:masters]" method=POST path=/authenticate '
                   'uid="aws-iam-authenticator:111122223333:AROAEXAMPLE%06d" username="%s-%d"'
                   % (t, arn, port, i % 1000000, role, i))
        out.append((group, stream, ts, msg))
        if i % 10 == 9:  # noise the filters must drop
            if i % 20 == 9:
                out.append((group, "kube-apiserver-%032x" % 7, ts,
                            'I1228 00:00:00.000000 1 httplog.go:132] "HTTP" verb="GET" URI="/healthz" '
                            'latency="1ms" resp=200 n=%d' % i))
            else:
                out.append((group, stream, ts, 'time="%s" level=info msg="listening on https://127.0.0.1:21362/authenticate" n=%d' % (t, i)))
    return out


# ---- the query language, the part the bundled queries use ----------------------

class Malformed(Exception):
    pass


def split_pipeline(q):
    lines = [l for l in q.splitlines() if not l.lstrip().startswith("#")]
    q = "\n".join(lines)
    parts, cur, i = [], [], 0
    while i < len(q):
        ch = q[i]
        if ch in '/"\'':
            # a regex or string literal: '|' inside does not split
            j = i + 1
            while j < len(q) and q[j] != ch:
                j += 2 if q[j] == "\\" else 1
            if j >= len(q):
                raise Malformed("unterminated %s literal" % ch)
            cur.append(q[i:j + 1])
            i = j + 1
            continue
        if ch == "|":
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur).strip())
    return [p for p in parts if p]


FILTER_RE = re.compile(r'^(@?\w+)\s+(like|=~)\s+(/(?:[^/\\]|\\.)*/|"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')$', re.S)
STRING = r'"(?:[^"\\]|\\.)*"'
EQ_RE = re.compile(r'^(@?\w+)\s*=\s*(%s)$' % STRING, re.S)
IN_RE = re.compile(r'^(@?\w+)\s+in\s+\[\s*(%s(?:\s*,\s*%s)*)\s*\]$' % (STRING, STRING), re.S)


def unquote(lit):
    return re.sub(r'\\(.)', r'\1', lit[1:-1])


class Query:
    def __init__(self, text, max_rows=MAX_ROWS):
        self.fields = None
        self.filters = []
        self.streams = None  # the @logStream values of = / in filters: index-eligible
        self.order = "desc"
        self.limit = None
        for cmd in split_pipeline(text):
            word, _, rest = cmd.partition(" ")
            word = word.strip().lower()
            rest = rest.strip()
            if word in ("fields", "display"):
                self.fields = [f.strip() for f in rest.split(",") if f.strip()]
            elif word == "filter":
                m = EQ_RE.match(rest) or IN_RE.match(rest)
                if m:
                    # equality: what a field index serves (the set of values)
                    values = {unquote(v) for v in re.findall(STRING, m.group(2))}
                    self.filters.append((m.group(1), values))
                    if m.group(1) == "@logStream":
                        self.streams = values if self.streams is None else self.streams & values
                    continue
                m = FILTER_RE.match(rest)
                if not m:
                    raise Malformed("unsupported filter: %s" % rest)
                field, lit = m.group(1), m.group(3)
                if lit[0] == "/":
                    pat = re.compile(lit[1:-1])
                else:
                    pat = re.compile(re.escape(lit[1:-1].replace('\\"', '"')))
                self.filters.append((field, pat))
            elif word == "sort":
                m = re.fullmatch(r"@timestamp(\s+(asc|desc))?", rest)
                if not m:
                    raise Malformed("unsupported sort: %s" % rest)
                self.order = m.group(2) or "desc"
            elif word == "limit":
                if not rest.isdigit() or not 1 <= int(rest) <= max_rows:
                    raise Malformed("limit must be 1 to %d" % max_rows)
                self.limit = int(rest)
            else:
                raise Malformed("unsupported command: %s" % word)
        if self.fields is None:
            self.fields = ["@timestamp", "@message"]


# ---- the service -----------------------------------------------------------------

def err(status, code, message, headers=None):
    h = {"X-Amzn-ErrorType": code, "Content-Type": "application/x-amz-json-1.1"}
    h.update(headers or {})
    return status, h, json.dumps({"__type": code, "message": message}).encode()


def ok(obj):
    return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(obj).encode()


class QueryRun:
    pass


class LogsSim:
    def __init__(self, a, data):
        self.a = a
        self.data = data
        self.lock = threading.Lock()
        self.queries = {}
        self.order = []
        self.calls = {}
        self.max_running = 0
        self.faults = a.faults_list
        self.fault_seen = [0] * len(self.faults)
        self.fault_used = [0] * len(self.faults)
        self.filter_calls = []  # times of the FilterLogEvents calls answered in the last second
        self.filter_max_per_s = 0
        self.filter_throttled = 0
        self.filter_log = []  # [arrival time, status] of every FilterLogEvents call, for benchmarks

    # -- faults
    def take_fault(self, op, body):
        with self.lock:
            for i, f in enumerate(self.faults):
                if f.get("op", "*") not in ("*", op):
                    continue
                st = body.get("startTime")
                if "start_ge" in f and not (isinstance(st, int) and st >= f["start_ge"]):
                    continue
                if "start_lt" in f and not (isinstance(st, int) and st < f["start_lt"]):
                    continue
                if "group" in f and f["group"] not in (body.get("logGroupNames") or [body.get("logGroupName")]):
                    continue
                self.fault_seen[i] += 1
                if self.fault_seen[i] <= f.get("skip", 0):
                    continue
                every = f.get("every", 1)
                if (self.fault_seen[i] - f.get("skip", 0) - 1) % every:
                    continue
                count = f.get("count", 1)
                if count >= 0 and self.fault_used[i] >= count:
                    continue
                self.fault_used[i] += 1
                return f
        return None

    def running(self, now):
        n = 0
        for q in self.queries.values():
            self.advance(q, now, poll=False)
            if q.status in ("Scheduled", "Running"):
                n += 1
        return n

    def advance(self, q, now, poll):
        """Scheduled on the first poll (when --polls >= 3), Running after, the final
        status on the --polls-th poll once --latency-ms has passed; a query nobody
        polls ends by itself 30 s after that (it frees its slot, as on AWS)."""
        if q.status not in ("Scheduled", "Running"):
            return
        if poll:
            q.polls += 1
        if q.final == "Running":  # stuck: only StopQuery ends it
            q.status = "Running" if poll or q.status == "Running" else q.status
        elif (q.polls >= self.a.polls and now >= q.ready_at) or now >= q.ready_at + 30:
            q.status = q.final
        elif poll:
            q.status = "Scheduled" if q.polls == 1 and self.a.polls >= 3 else "Running"

    # -- operations
    def start_query(self, body, now):
        names = body.get("logGroupNames") or ([body["logGroupName"]] if body.get("logGroupName") else None)
        if body.get("logGroupName") and body.get("logGroupNames"):
            return err(400, "InvalidParameterException", "Only one of logGroupName or logGroupNames can be specified")
        if not names:
            return err(400, "InvalidParameterException", "A log group must be specified")
        st, en = body.get("startTime"), body.get("endTime")
        if not isinstance(st, int) or not isinstance(en, int) or st < 0 or en < 0:
            return err(400, "InvalidParameterException", "startTime and endTime must be non-negative integers")
        if en < st:
            return err(400, "InvalidParameterException", "End time should not be before the start time")
        qs = body.get("queryString")
        if not isinstance(qs, str) or not qs or len(qs) > 10000:
            return err(400, "InvalidParameterException", "queryString must be 1 to 10000 characters")
        limit = body.get("limit")
        max_rows = LEGACY_ROWS if self.a.legacy_limit else MAX_ROWS
        if limit is not None and (not isinstance(limit, int) or not 1 <= limit <= max_rows):
            return err(400, "InvalidParameterException",
                       "1 validation error detected: Value '%s' at 'limit' failed to satisfy constraint: "
                       "Member must have value less than or equal to %d" % (limit, max_rows))
        groups = []
        for n in names:
            g = self.data.groups.get(n)
            if g is None:
                return err(400, "ResourceNotFoundException", "The specified log group does not exist.")
            groups.append(g)
        for g in groups:
            creation = g.creation if g.creation is not None else self.a.creation_default(g)
            expired = self.a.retention_days and en < now - self.a.retention_days * 86400
            if en * 1000 < creation or expired:
                return err(400, "InvalidParameterException",
                           "Query's end date and time is either before the log group creation time or "
                           "exceeds the log group log retention settings")
        try:
            q = Query(qs, max_rows)
        except (Malformed, re.error) as e:
            return err(400, "MalformedQueryException", str(e))
        # run it: the data is append-only, so no lock is needed to read it
        lo, hi = st * 1000, en * 1000
        matched, scanned, nbytes, skipped, nskipped = [], 0, 0, 0, 0
        indexed = q.streams is not None and self.a.group_class == "STANDARD"
        for g in groups:
            i, j = bisect.bisect_left(g.ts, lo), bisect.bisect_right(g.ts, hi)
            evs = g.ev[i:j]
            for e in evs:
                size = event_bytes(e)
                # The @logStream index skips other streams' events, except those
                # ingested before it existed; `like` never uses it
                if indexed and e[2] not in q.streams and e[0] >= self.a.index_since * 1000:
                    skipped += size
                    nskipped += 1
                    continue
                scanned += 1
                nbytes += size
                ok_ = True
                for field, pat in q.filters:
                    v = e[3] if field == "@message" else e[2] if field == "@logStream" else g.name if field == "@log" else ""
                    if not (v in pat if isinstance(pat, set) else pat.search(v)):
                        ok_ = False
                        break
                if ok_:
                    matched.append((e, g.name))
        matched.sort(key=lambda x: (x[0][0], x[0][1]), reverse=(q.order == "desc"))
        cap = min(x for x in (q.limit, limit or LEGACY_ROWS) if x)
        rows = matched[:cap]
        r = QueryRun()
        r.id = str(uuid.uuid4())
        r.group = ",".join(names)
        r.query = qs
        r.start, r.end = st, en
        r.fields = q.fields
        r.rows = rows
        r.stats = {"recordsMatched": float(len(matched)), "recordsScanned": float(scanned),
                   "bytesScanned": float(nbytes), "estimatedRecordsSkipped": float(nskipped),
                   "estimatedBytesSkipped": float(skipped)}
        r.status = "Scheduled"
        r.polls = 0
        r.started = now
        r.ready_at = now + (self.a.latency_ms + nbytes / 1e6 * self.a.latency_per_mb_ms) / 1000.0
        r.final = "Complete"
        r.stopped = False
        r.pages = 0
        # Admission and registration under one lock: checked apart, two
        # parallel StartQuery calls could both take the last slot.
        with self.lock:
            if self.running(now) >= self.a.max_concurrent:
                return err(400, "LimitExceededException",
                           "Account maximum query concurrency limit of [%d] reached." % self.a.max_concurrent)
            self.queries[r.id] = r
            self.order.append(r.id)
            self.max_running = max(self.max_running, self.running(now))
        return r

    def render_rows(self, r, rows):
        out = []
        for e, gname in rows:
            ts, seq, stream, msg, ptr = e
            row = []
            for f in r.fields:
                if f == "@timestamp":
                    v = str(ts) if self.a.timestamp_format == "epoch-ms" else aws_ts(ts)
                elif f == "@message":
                    v = msg
                elif f == "@logStream":
                    v = stream
                elif f == "@log":
                    v = "%s:%s" % (self.data.account, gname)
                elif f == "@ptr":
                    continue
                else:
                    continue  # a field the events do not have: the service leaves it out
                row.append({"field": f, "value": v})
            row.append({"field": "@ptr", "value": ptr})
            out.append(row)
        return out

    def get_query_results(self, body, now):
        qid = body.get("queryId")
        token, max_items = body.get("nextToken"), body.get("maxItems")
        if self.a.legacy_limit and (token is not None or max_items is not None):
            return err(400, "InvalidParameterException", "nextToken and maxItems are not supported")
        if max_items is not None and (not isinstance(max_items, int) or not 0 <= max_items <= PAGE_MAX):
            return err(400, "InvalidParameterException", "maxItems must be 0 to %d" % PAGE_MAX)
        page = max_items or PAGE_MAX
        with self.lock:
            r = self.queries.get(qid)
            if r is None:
                return err(400, "ResourceNotFoundException", "Query does not exist.")
            if token is not None:
                m = re.fullmatch(r"page/%s/(\d+)" % re.escape(qid), str(token))
                if not m or r.status != "Complete" or int(m.group(1)) > len(r.rows):
                    return err(400, "InvalidParameterException", "The specified nextToken is invalid.")
                first = int(m.group(1))
                r.pages += 1
            else:
                self.advance(r, now, poll=True)
                first = 0
            status = r.status
        more = None
        if status == "Complete":
            rows, stats = r.rows, r.stats
            if not self.a.legacy_limit:
                rows = r.rows[first:first + page]
                if first + page < len(r.rows):
                    more = "page/%s/%d" % (qid, first + page)
        elif status == "Running":
            # partial, as the service does while it runs: only the final set counts
            rows = r.rows[: len(r.rows) // 2]
            stats = {k: float(int(v) // 2) for k, v in r.stats.items()}
        else:
            rows, stats = [], {k: 0.0 for k in r.stats}
        if status in ("Failed", "Cancelled", "Timeout", "Unknown"):
            rows = []
        out = {"results": self.render_rows(r, rows), "statistics": stats, "status": status}
        if more:
            out["nextToken"] = more
        if self.a.no_statistics:
            del out["statistics"]  # as moto
        return ok(out)

    def stop_query(self, body, now):
        qid = body.get("queryId")
        with self.lock:
            r = self.queries.get(qid)
            if r is None:
                return err(400, "ResourceNotFoundException", "Query does not exist.")
            self.advance(r, now, poll=False)
            if r.status not in ("Scheduled", "Running"):
                return err(400, "InvalidParameterException", "Query is not running.")
            r.status = "Cancelled"
            r.stopped = True
        return ok({"success": True})

    def describe_log_groups(self, body, now):
        prefix = body.get("logGroupNamePrefix", "")
        limit = int(body.get("limit") or 50)
        names = sorted(n for n in self.data.groups if n.startswith(prefix))
        start = int(body.get("nextToken") or 0)
        page = names[start:start + limit]
        out = {"logGroups": [{"logGroupName": n,
                              "creationTime": self.a.creation_default(self.data.groups[n]),
                              "arn": "arn:aws:logs:%s:%s:log-group:%s:*" % (self.a.region, self.data.account, n),
                              "storedBytes": sum(event_bytes(e) for e in self.data.groups[n].ev),
                              "logGroupClass": self.a.group_class,
                              "metricFilterCount": 0,
                              **({"retentionInDays": self.a.retention_days} if self.a.retention_days else {})}
                             for n in page]}
        if start + limit < len(names):
            out["nextToken"] = str(start + limit)
        return ok(out)

    def group_of(self, body):
        """(name, group, None) for the group a request names by name or ARN, else (name, None, the error)."""
        if body.get("logGroupName") and body.get("logGroupIdentifier"):
            return None, None, err(400, "InvalidParameterException",
                                   "LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        name = body.get("logGroupName") or body.get("logGroupIdentifier") or ""
        if name.startswith("arn:"):
            name = name.split(":log-group:", 1)[-1].rstrip("*").rstrip(":")
        g = self.data.groups.get(name)
        if g is None:
            return name, None, err(400, "ResourceNotFoundException", "The specified log group does not exist.")
        return name, g, None

    def describe_log_streams(self, body, now):
        name, g, bad = self.group_of(body)
        if bad:
            return bad
        limit = body.get("limit", 50)
        if not isinstance(limit, int) or not 1 <= limit <= 50:
            return err(400, "InvalidParameterException",
                       "1 validation error detected: Value '%s' at 'limit' failed to satisfy constraint: "
                       "Member must have value less than or equal to 50" % limit)
        prefix = body.get("logStreamNamePrefix")
        order = body.get("orderBy", "LogStreamName")
        if order not in ("LogStreamName", "LastEventTime"):
            return err(400, "InvalidParameterException", "orderBy must be LogStreamName or LastEventTime")
        if order == "LastEventTime" and prefix:
            return err(400, "InvalidParameterException",
                       "Cannot order by LastEventTime with a logStreamNamePrefix.")
        streams = {}
        for e in g.ev:
            first, last = streams.get(e[2], (e[0], e[0]))
            streams[e[2]] = (min(first, e[0]), max(last, e[0]))
        names = [n for n in streams if not prefix or n.startswith(prefix)]
        if order == "LogStreamName":
            names.sort(reverse=bool(body.get("descending")))
        else:
            names.sort(key=lambda n: streams[n][1], reverse=bool(body.get("descending")))
        start = 0
        if body.get("nextToken") is not None:
            m = re.fullmatch(r"streams/(\d+)", str(body["nextToken"]))
            if not m or int(m.group(1)) > len(names):
                return err(400, "InvalidParameterException", "The specified nextToken is invalid.")
            start = int(m.group(1))
        page = names[start:start + limit]
        out = {"logStreams": [{"logStreamName": n, "creationTime": streams[n][0],
                               "firstEventTimestamp": streams[n][0], "lastEventTimestamp": streams[n][1],
                               "lastIngestionTime": streams[n][1] + 500, "uploadSequenceToken": "1",
                               "arn": "arn:aws:logs:%s:%s:log-group:%s:log-stream:%s"
                               % (self.a.region, self.data.account, name, n),
                               "storedBytes": 0} for n in page]}
        if start + limit < len(names):
            out["nextToken"] = "streams/%d" % (start + limit)
        return ok(out)

    def filter_log_events(self, body, now):
        with self.lock:
            self.filter_calls = [t for t in self.filter_calls if t > now - 1.0]
            if len(self.filter_calls) >= self.a.filter_tps:
                self.filter_throttled += 1
                self.filter_log.append([now, 400])
                return err(400, "ThrottlingException", "Rate exceeded")
            self.filter_calls.append(now)
            self.filter_log.append([now, 200])
            self.filter_max_per_s = max(self.filter_max_per_s, len(self.filter_calls))
        _, g, bad = self.group_of(body)
        if bad:
            return bad
        prefix, names = body.get("logStreamNamePrefix"), body.get("logStreamNames")
        if prefix is not None and names is not None:
            return err(400, "InvalidParameterException",
                       "Cannot specify both logStreamNamePrefix and logStreamNames")
        if names is not None and not 1 <= len(names) <= 100:
            return err(400, "InvalidParameterException", "logStreamNames: 1 to 100 names")
        pattern = body.get("filterPattern") or ""
        if len(pattern) > 1024:
            return err(400, "InvalidParameterException", "filterPattern: at most 1024 characters")
        terms = re.findall(r'(\??)(?:"((?:[^"\\]|\\.)*)"|(\S+))', pattern)
        any_of = [t[1] or t[2] for t in terms if t[0]]
        all_of = [t[1] or t[2] for t in terms if not t[0]]
        limit = body.get("limit", 10000)
        if not isinstance(limit, int) or not 1 <= limit <= 10000:
            return err(400, "InvalidParameterException", "limit: 1 to 10000")
        start, end = body.get("startTime"), body.get("endTime")
        lo = bisect.bisect_left(g.ts, start) if isinstance(start, int) else 0
        hi = bisect.bisect_right(g.ts, end) if isinstance(end, int) else len(g.ts)
        at = lo
        tok = body.get("nextToken")
        if tok is not None:
            m = re.fullmatch(r"filter/(\d+)/(\d+)/(\d+)", str(tok))
            if not m or int(m.group(2)) != lo or int(m.group(3)) != hi or not lo <= int(m.group(1)) <= hi:
                return err(400, "InvalidParameterException", "The specified nextToken is invalid.")
            at = int(m.group(1))

        def chosen(stream):
            return (prefix is None or stream.startswith(prefix)) and (names is None or stream in names)

        def matches(msg):
            return all(t in msg for t in all_of) and (not any_of or any(t in msg for t in any_of))

        events, size, scanned, read = [], 0, 0, 0
        while at < hi and scanned < self.a.filter_scan and len(events) < limit:
            e = g.ev[at]
            if chosen(e[2]):
                scanned += 1
                read += event_bytes(e)
                if matches(e[3]):
                    weight = len(e[3].encode()) + 200
                    if events and size + weight > 1048576:
                        break
                    size += weight
                    events.append({"logStreamName": e[2], "timestamp": e[0], "message": e[3],
                                   "ingestionTime": e[0] + 500, "eventId": "%056d" % e[1]})
            at += 1
        if self.a.latency_per_mb_ms:
            # the page's reading takes time as a query's scan does
            time.sleep(read / 1e6 * self.a.latency_per_mb_ms / 1000.0)
        out = {"events": events, "searchedLogStreams": []}
        if at < hi:
            out["nextToken"] = "filter/%d/%d/%d" % (at, lo, hi)
        return ok(out)

    def eks(self, path, query):
        """An EKS GET, answered by fake_eks.Eks over this data's clusters:
        -> (op, status, headers, body bytes)."""
        import fake_eks  # here, not at the top: fake_eks imports this module
        clusters = []
        for gname in sorted(self.data.groups):
            m = re.fullmatch(r"/aws/eks/([0-9A-Za-z][0-9A-Za-z_-]*)/cluster", gname)
            if m:
                mode = eks_setting(self.a.eks_mode, m.group(1), "API_AND_CONFIG_MAP")
                types = eks_setting(self.a.eks_logging, m.group(1), "api,audit,authenticator")
                clusters.append({"name": m.group(1), "authenticationMode": None if mode == "none" else mode,
                                 "logging": [t for t in types.split(",") if t]})
        sim = fake_eks.Eks({"account": self.data.account, "region": self.a.region, "clusters": clusters,
                            "deny": ["DescribeCluster"] if self.a.eks_deny else []})
        op, status, headers, body = sim.handle(path, query)
        with self.lock:
            self.calls[op or "?"] = self.calls.get(op or "?", 0) + 1
        return op, status, dict(headers, **{"Content-Type": "application/json"}), json.dumps(body).encode()

    def describe_queries(self, body, now):
        with self.lock:
            qs = [self.queries[i] for i in reversed(self.order)]
            for q in qs:
                self.advance(q, now, poll=False)
        st = body.get("status")
        return ok({"queries": [{"queryId": q.id, "status": q.status, "logGroupName": q.group,
                                "createTime": int(q.started * 1000)} for q in qs if not st or q.status == st]})

    def state(self):
        now = time.time()
        with self.lock:
            running = self.running(now)
            streams = {}
            for name, g in self.data.groups.items():
                per = streams[name] = {}
                for e in g.ev:
                    per[e[2]] = per.get(e[2], 0) + event_bytes(e)
            return {"running": running, "max_running": self.max_running, "calls": dict(self.calls),
                    "filter_max_per_s": self.filter_max_per_s, "filter_throttled": self.filter_throttled,
                    "filter_log": list(self.filter_log),
                    "stream_bytes": streams,
                    "queries": [{"id": q.id, "group": q.group, "start": q.start, "end": q.end,
                                 "status": q.status, "rows": len(q.rows), "polls": q.polls,
                                 "stopped": q.stopped, "matched": q.stats["recordsMatched"],
                                 "pages": q.pages, "bytes": q.stats["bytesScanned"],
                                 "skipped": q.stats["estimatedBytesSkipped"], "query": q.query}
                                for q in (self.queries[i] for i in self.order)]}

    def handle(self, target, body_bytes, now=None):
        """-> (status, headers, payload, info) with info = {"op", "fault", "query_id"}."""
        now = time.time() if now is None else now
        op = (target or "").rpartition(".")[2]
        info = {"op": op, "fault": None, "query_id": None}
        with self.lock:
            self.calls[op] = self.calls.get(op, 0) + 1
        if not target or not target.startswith("Logs_20140328."):
            return err(400, "UnknownOperationException", "Unknown operation %s" % target) + (info,)
        try:
            body = json.loads(body_bytes.decode("utf-8")) if body_bytes else {}
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return err(400, "SerializationException", "Start of structure or map found where not expected.") + (info,)
        f = self.take_fault(op, body)
        final = None
        if f:
            info["fault"] = f["kind"]
            k = f["kind"]
            msg = f.get("message")
            if k == "delay":
                time.sleep(f.get("delay_ms", 100) / 1000.0)
            elif k == "throttle":
                return err(400, "ThrottlingException", msg or "Rate exceeded") + (info,)
            elif k == "limit":
                return err(400, "LimitExceededException", msg or "Account maximum query concurrency limit of [4] reached.") + (info,)
            elif k == "unavailable":
                return err(503, "ServiceUnavailableException", msg or "The service cannot complete the request.") + (info,)
            elif k in ("http500", "http502"):
                return (int(k[4:]), {"Content-Type": "text/html; charset=utf-8"},
                        b"<!doctype html><title>%d Internal Server Error</title>" % int(k[4:]), info)
            elif k == "reset":
                return (None, None, None, info)
            elif k == "malformed":
                real = self.dispatch(op, body, now)
                if isinstance(real, QueryRun):
                    real = ok({"queryId": real.id})
                return (200, {"Content-Type": "application/x-amz-json-1.1"}, real[2][: max(1, len(real[2]) // 2)], info)
            elif k == "empty":
                return (200, {"Content-Type": "application/x-amz-json-1.1"}, b"{}", info)
            elif k == "access_denied":
                return err(400, "AccessDeniedException", msg or (
                    "User: arn:aws:sts::111122223333:assumed-role/authlog/x is not authorized to perform: "
                    "logs:%s on resource: arn:aws:logs:%s:111122223333:log-group:%s:log-stream: because no "
                    "identity-based policy allows the logs:%s action" % (
                        op, self.a.region, body.get("logGroupName", "*"), op))) + (info,)
            elif k == "not_found":
                return err(400, "ResourceNotFoundException", msg or "The specified log group does not exist.") + (info,)
            elif k == "expired_token":
                return err(400, "ExpiredTokenException", msg or "The security token included in the request is expired") + (info,)
            elif k == "invalid_param":
                return err(400, "InvalidParameterException", msg or "Invalid parameter") + (info,)
            elif k == "hang":
                return ("hang", None, None, info)
            elif k.startswith("query_"):
                final = {"query_failed": "Failed", "query_cancelled": "Cancelled", "query_timeout": "Timeout",
                         "query_unknown": "Unknown", "query_stuck": "Running"}[k]
        res = self.dispatch(op, body, now)
        if isinstance(res, QueryRun):
            if final:
                res.final = final
            info["query_id"] = res.id
            res = ok({"queryId": res.id})
        elif op != "StartQuery":
            info["query_id"] = body.get("queryId")
        return res + (info,)

    def dispatch(self, op, body, now):
        fn = {"StartQuery": self.start_query, "GetQueryResults": self.get_query_results,
              "StopQuery": self.stop_query, "DescribeLogGroups": self.describe_log_groups,
              "DescribeLogStreams": self.describe_log_streams,
              "DescribeQueries": self.describe_queries, "FilterLogEvents": self.filter_log_events}.get(op)
        if fn is None:
            return err(400, "UnknownOperationException", "Unknown operation %s" % op)
        return fn(body, now)


def eks_setting(specs, cluster, default):
    """The last of [CLUSTER=]VALUE specs that applies to cluster."""
    value = default
    for spec in specs:
        name, eq, v = spec.partition("=")
        if not eq:
            value = spec
        elif name == cluster:
            value = v
    return value


# ---- SigV4 check with botocore -----------------------------------------------------

def make_verifier(specs):
    if not specs:
        return None
    try:
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials
    except ImportError:
        return lambda *a: "not-checked (botocore is not importable)"
    keys = {}
    for spec in specs:
        p = spec.split(":", 2)
        keys[p[0]] = (p[1], p[2] if len(p) > 2 and p[2] else None)

    def verify(method, url, header_pairs, body):
        hdr = {}
        for n, v in header_pairs:
            hdr.setdefault(n.lower(), v)
        auth = hdr.get("authorization", "")
        m = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                         r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})", auth)
        if not m:
            return "IncompleteSignatureException: malformed Authorization"
        akid, date8, region, service, signed, sig = m.groups()
        if akid not in keys:
            return "UnrecognizedClientException: unknown key"
        secret, token = keys[akid]
        if token is not None and hdr.get("x-amz-security-token") != token:
            return "UnrecognizedClientException: wrong session token"
        amz_date = hdr.get("x-amz-date", "")
        if amz_date[:8] != date8:
            return "InvalidSignatureException: scope date"
        try:
            t = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            return "IncompleteSignatureException: X-Amz-Date"
        if abs(t - time.time()) > 300:
            return "InvalidSignatureException: Signature expired"
        names = signed.split(";")
        if "host" not in names:
            return "InvalidSignatureException: host not signed"
        req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body,
                                             headers={n: hdr[n] for n in names if n in hdr})
        req.context["timestamp"] = amz_date
        creds = botocore.credentials.Credentials(akid, secret, token)
        signer = botocore.auth.SigV4Auth(creds, service, region)
        creq = signer.canonical_request(req)
        want = signer.signature(signer.string_to_sign(req, creq), req)
        return "ok" if want == sig else "InvalidSignatureException: signature mismatch"
    return verify


# ---- HTTP ------------------------------------------------------------------------

def credential_scope(headers):
    """[akid, date, region, service] of the Authorization header's Credential=, or None."""
    m = re.search(r"Credential=([^/,]+)/(\d{8})/([^/,]+)/([^/,]+)/aws4_request", headers.get("Authorization") or "")
    return list(m.groups()) if m else None


class QuietHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 that logs nothing and takes a client that hangs
    up as the end of the connection: the base of every fake here."""
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, BrokenPipeError, socket.timeout, OSError):
            self.close_connection = True


class Handler(QuietHandler):
    server_version = "fake_logs/1"

    def send(self, status, headers, payload):
        self.send_response_only(status)
        self.send_header("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def do_GET(self):
        if self.path == "/_fake/state":
            self.send(200, {"Content-Type": "application/json"}, json.dumps(self.server.sim.state()).encode())
            return
        import fake_eks  # see LogsSim.eks
        url = urllib.parse.urlsplit(self.path)
        bad = fake_eks.check_signature(self.server.verify, "GET", self.path, self.headers)
        if bad:
            op, (status, headers, body) = None, bad
            payload = json.dumps(body).encode()
            headers = dict(headers, **{"Content-Type": "application/json"})
        else:
            op, status, headers, payload = self.server.sim.eks(
                url.path, urllib.parse.parse_qs(url.query, keep_blank_values=True))
        if not self.headers.get("Authorization"):
            sig = "unsigned"
        elif bad:
            sig = bad[1]["x-amzn-ErrorType"]
        else:
            sig = "ok" if self.server.verify else "not-checked"
        self.server.log({"time": time.time(), "op": op, "request": {"method": "GET", "path": url.path},
                         "status": status, "fault": None, "sigv4": sig, "query_id": None,
                         "scope": credential_scope(self.headers)})
        self.send(status, headers, payload)

    def do_POST(self):
        sim = self.server.sim
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if self.path == "/_fake/events":
            evs = json.loads(body)
            sim.data.add_many((e.get("group", sim.a.group), e["stream"], int(e["ts"]), e["message"]) for e in evs)
            self.send(200, {"Content-Type": "application/json"}, b'{"ok":true}')
            return
        header_pairs = list(self.headers.items())
        sig = "unsigned"
        if self.headers.get("Authorization"):
            sig = "not-checked"
            if self.server.verify:
                url = "http://%s%s" % (self.headers.get("Host"), self.path)
                sig = self.server.verify("POST", url, header_pairs, body)
                if sig != "ok" and not sig.startswith("not-checked"):
                    code, _, message = sig.partition(": ")
                    self.server.log({"time": time.time(), "op": None, "status": 403, "sigv4": sig})
                    self.send(*err(403 if code == "InvalidSignatureException" else 400, code, message)[:3])
                    return
        status, headers, payload, info = sim.handle(self.headers.get("X-Amz-Target"), body)
        if sim.a.rtt_ms:
            time.sleep(sim.a.rtt_ms / 1000.0)
        try:
            req = json.loads(body) if body else None
        except ValueError:
            req = None
        self.server.log({"time": time.time(), "op": info["op"], "request": req, "status": status,
                         "fault": info["fault"], "sigv4": sig, "query_id": info["query_id"],
                         "scope": credential_scope(self.headers)})
        if status == "hang":
            self.hang()
            return
        if status is None:  # reset
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            self.connection.close()
            return
        self.send(status, headers, payload)


    def hang(self):
        """Holds the request unanswered until the client hangs up (its end
        of the connection reads as EOF) or the server shuts down."""
        import select
        self.close_connection = True
        while not self.server.stopping.is_set():
            r, _, _ = select.select([self.connection], [], [], 0.1)
            if r:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return
                except OSError:
                    return


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        pass

    def log(self, entry):
        if not self.log_path:
            return
        with self.log_lock:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")


def build(argv=None):
    ap = argparse.ArgumentParser(description="CloudWatch Logs Insights simulation (see the docstring)")
    ap.add_argument("--port-file")
    ap.add_argument("--events", action="append", default=[])
    ap.add_argument("--group", default="/aws/eks/demo/cluster")
    ap.add_argument("--shift-to")
    ap.add_argument("--generate", action="append", default=[])
    ap.add_argument("--creation-time", type=int)
    ap.add_argument("--retention-days", type=int)
    ap.add_argument("--polls", type=int, default=3)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--latency-per-mb-ms", type=float, default=0.0)
    ap.add_argument("--rtt-ms", type=float, default=0.0)
    ap.add_argument("--max-concurrent", type=int, default=100)
    ap.add_argument("--legacy-limit", action="store_true")
    ap.add_argument("--filter-scan", type=int, default=2000)
    ap.add_argument("--filter-tps", type=int, default=5)
    ap.add_argument("--audit-ratio", type=float, default=0.0)
    ap.add_argument("--group-class", choices=["STANDARD", "INFREQUENT_ACCESS"], default="STANDARD")
    ap.add_argument("--index-since", type=int, default=0)
    ap.add_argument("--timestamp-format", choices=["aws", "epoch-ms"], default="aws")
    ap.add_argument("--no-statistics", action="store_true")
    ap.add_argument("--faults", default="[]")
    ap.add_argument("--verify-sigv4", action="append", default=[])
    ap.add_argument("--log")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--account", default="111122223333")
    ap.add_argument("--eks-mode", action="append", default=[])
    ap.add_argument("--eks-logging", action="append", default=[])
    ap.add_argument("--eks-deny", action="store_true")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args(argv)
    faults = a.faults
    if faults.startswith("@"):
        with open(faults[1:], encoding="utf-8") as f:
            faults = f.read()
    a.faults_list = json.loads(faults)
    now = time.time()
    data = Data(a.account)
    text = []
    for path in a.events:
        paths = [os.path.join(path, n) for n in sorted(os.listdir(path))] if os.path.isdir(path) else [path]
        for p in paths:
            if os.path.isdir(p):
                continue
            if p.endswith(".jsonl"):
                other = []
                load_jsonl(p, other, a.group)
                data.add_many(other)
            elif not p.endswith(".py"):
                load_text(p, a.group, text)
    if text and a.shift_to:
        shift_events(text, rel_time(a.shift_to, now))
    data.add_many((e[0], e[1], e[2], e[3]) for e in text)
    for spec in a.generate:
        parts = spec.split(":")
        n, st, en = int(parts[0]), rel_time(parts[1], now), rel_time(parts[2], now)
        data.add_many(generate(n, st, en, parts[3] if len(parts) > 3 else a.group, seed=len(data.groups) + 1))
    if not data.groups:
        data.group(a.group)
    add_audit(data, a.audit_ratio)

    def creation_default(g):
        if a.creation_time is not None:
            return a.creation_time * 1000
        return (g.ts[0] if g.ts else int(now * 1000)) - 86400 * 1000
    a.creation_default = creation_default
    return a, data


def self_test():
    a, data = build(["--polls", "1"])
    data.add_many([("/aws/eks/demo/cluster", "authenticator-x", 1672000000000 + i * 1000,
                    'time="%s" level=info msg="access granted" n=%d' % (iso(1672000000 + i), i)) for i in range(20)]
                  + [("/aws/eks/demo/cluster", "kube-apiserver-x", 1672000005000, 'msg="access granted"')])
    sim = LogsSim(a, data)
    q = 'fields @timestamp, @ptr, @message\n# comment | not a pipe\n| filter @logStream like /authenticator/\n| filter @message like /access (granted|denied)/ | sort @timestamp asc | limit 5'
    st, h, body, info = sim.handle("Logs_20140328.StartQuery", json.dumps(
        {"logGroupName": "/aws/eks/demo/cluster", "startTime": 1672000000, "endTime": 1672000010,
         "queryString": q}).encode())
    qid = json.loads(body)["queryId"]
    st, h, body, info = sim.handle("Logs_20140328.GetQueryResults", json.dumps({"queryId": qid}).encode())
    res = json.loads(body)
    ok_ = (res["status"] == "Complete" and len(res["results"]) == 5
           and res["statistics"]["recordsMatched"] == 11.0 and res["statistics"]["recordsScanned"] == 12.0
           and res["results"][0][0] == {"field": "@timestamp", "value": "2022-12-25 20:26:40.000"})
    print("ok" if ok_ else "FAIL", "start/get: status %s, %d rows, %s" % (res["status"], len(res["results"]), res["statistics"]))
    st, h, body, info = sim.handle("Logs_20140328.StopQuery", json.dumps({"queryId": qid}).encode())
    ok2 = st == 400 and json.loads(body)["__type"] == "InvalidParameterException"
    print("ok" if ok2 else "FAIL", "StopQuery on an ended query: %s" % body)
    try:
        Query("fields @message | stats count(*) by bin(1h)")
        ok3 = False
    except Malformed:
        ok3 = True
    print("ok" if ok3 else "FAIL", "stats is refused as malformed")
    data.add_many([("/aws/eks/demo/cluster", "authenticator-%02d" % i, 1672000000000 + i, "x") for i in range(60)])
    seen, token, pages = [], None, 0
    while True:
        req = {"logGroupName": "/aws/eks/demo/cluster", "logStreamNamePrefix": "authenticator"}
        if token:
            req["nextToken"] = token
        st, h, body, info = sim.handle("Logs_20140328.DescribeLogStreams", json.dumps(req).encode())
        page = json.loads(body)
        pages += 1
        seen += [s_["logStreamName"] for s_ in page["logStreams"]]
        token = page.get("nextToken")
        if not token:
            break
    ok4 = pages == 2 and len(seen) == 61 and seen == sorted(seen) and "kube-apiserver-x" not in seen
    print("ok" if ok4 else "FAIL", "DescribeLogStreams: %d pages, %d streams by prefix" % (pages, len(seen)))
    st, h, body, info = sim.handle("Logs_20140328.DescribeLogStreams", json.dumps(
        {"logGroupName": "/aws/eks/demo/cluster", "logStreamNamePrefix": "a", "orderBy": "LastEventTime"}).encode())
    ok5 = st == 400 and json.loads(body)["__type"] == "InvalidParameterException"
    op, st, h, body = sim.eks("/clusters/demo", {})
    cl = json.loads(body)["cluster"]
    ok6 = (st == 200 and cl["accessConfig"]["authenticationMode"] == "API_AND_CONFIG_MAP"
           and cl["logging"]["clusterLogging"][0] == {"types": ["api", "audit", "authenticator"], "enabled": True})
    op, st, h, body = sim.eks("/nothing/here", {})
    ok7 = st == 404 and h["x-amzn-ErrorType"] == "UnknownOperationException"
    print("ok" if ok5 and ok6 and ok7 else "FAIL", "orderBy with a prefix refused; EKS DescribeCluster and an unknown path")
    # FilterLogEvents: 20 "access granted" of authenticator-x among 60 "x" of other streams,
    # read 7 events a page: partial and empty pages on to the end; a 6th call in a second throttled
    a.filter_scan, a.filter_tps = 7, 100
    got, token, sizes = [], None, []
    while True:
        req = {"logGroupName": "/aws/eks/demo/cluster", "logStreamNamePrefix": "authenticator",
               "filterPattern": '?"access granted" ?"access denied"', "startTime": 1672000000000,
               "endTime": 1672000019000}
        if token:
            req["nextToken"] = token
        st, h, body, info = sim.handle("Logs_20140328.FilterLogEvents", json.dumps(req).encode())
        page = json.loads(body)
        sizes.append(len(page["events"]))
        got += [e["message"] for e in page["events"]]
        token = page.get("nextToken")
        if not token:
            break
    ok8 = (len(got) == 20 and all("access granted" in m for m in got) and 0 in sizes
           and len(set(sizes)) > 1)
    print("ok" if ok8 else "FAIL", "FilterLogEvents: %d events in pages of %s" % (len(got), sizes))
    a.filter_tps, sim.filter_calls = 5, []
    codes = [sim.handle("Logs_20140328.FilterLogEvents", json.dumps(
        {"logGroupName": "/aws/eks/demo/cluster", "logStreamNamePrefix": "authenticator"}).encode())[0]
        for _ in range(6)]
    ok9 = codes == [200] * 5 + [400]
    print("ok" if ok9 else "FAIL", "FilterLogEvents: more than 5 a second throttled: %s" % codes)
    return 0 if ok_ and ok2 and ok3 and ok4 and ok5 and ok6 and ok7 and ok8 and ok9 else 1


def main():
    if "--self-test" in sys.argv:
        return self_test()
    a, data = build()
    if not a.port_file:
        raise SystemExit("fake_logs: --port-file is required")
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.sim = LogsSim(a, data)
    httpd.verify = make_verifier(a.verify_sigv4)
    httpd.log_path = a.log
    httpd.log_lock = threading.Lock()
    return serve(httpd, a.port_file)


def serve(httpd, port_file):
    """Writes the port to port_file (atomically: the tests poll for it),
    serves until SIGTERM or SIGINT, returns the exit status. The other
    fakes serve through this too."""
    import signal
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % httpd.server_address[1])
    os.replace(tmp, port_file)

    httpd.stopping = threading.Event()

    def stop(signum, frame):
        httpd.stopping.set()
        threading.Thread(target=httpd.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        httpd.serve_forever(poll_interval=0.1)
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
