#!/usr/bin/env python3
"""End to end against moto_server (when installed; else exit 77 = skipped):
create a log group and stream and put events with botocore (or the AWS CLI),
then StartQuery + GetQueryResults (polled until Complete) with the C driver,
signed with static keys, and check the rows.  Also the error paths moto
really produces: ResourceNotFoundException (400 + X-Amzn-ErrorType) and the
HTML 500 of its unimplemented StopQuery.  See logs-insights-api.md section 7
for moto's differences (seconds only, @timestamp as epoch ms, Connection:
close, routing by the Authorization credential scope)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsutil import (AKID, EX_NOINPUT, EX_OK, EX_UNAVAILABLE, SECRET, clean_env, run_cli, start_moto,  # noqa: E402
                     stop)

SKIP = 77
REGION = "us-east-1"
GROUP = "/aws/eks/e2e/cluster"
STREAM = "authenticator-0123456789abcdef"
MESSAGES = [
    'time="2026-11-24T02:19:%02dZ" level=info msg="access granted" arn="arn:aws:iam::111122223333:role/node-%d"' % (i, i)
    for i in range(5)
] + ['time="2026-11-24T02:19:59Z" level=warning msg="access denied" arn="arn:aws:iam::111122223333:role/admin-test-role" error="ARN is not mapped"']


def seed(url, base_ms):
    """Creates the group and stream and puts MESSAGES, with botocore when it
    imports, else with the aws CLI."""
    env = clean_env(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION=REGION)
    events = [{"timestamp": base_ms + i * 1000, "message": m} for i, m in enumerate(MESSAGES)]
    try:
        import botocore.session
    except ImportError:
        botocore = None
    if botocore is not None:
        s = botocore.session.get_session()
        c = s.create_client("logs", region_name=REGION, endpoint_url=url,
                            aws_access_key_id=AKID, aws_secret_access_key=SECRET)
        c.create_log_group(logGroupName=GROUP)
        c.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
        c.put_log_events(logGroupName=GROUP, logStreamName=STREAM, logEvents=events)
        return "botocore"
    aws = shutil.which("aws")
    base = [aws, "--endpoint-url", url, "--region", REGION, "logs"]
    subprocess.run(base + ["create-log-group", "--log-group-name", GROUP], env=env, check=True)
    subprocess.run(base + ["create-log-stream", "--log-group-name", GROUP, "--log-stream-name", STREAM],
                   env=env, check=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(events, f)
    try:
        subprocess.run(base + ["put-log-events", "--log-group-name", GROUP, "--log-stream-name", STREAM,
                               "--log-events", "file://" + f.name], env=env, check=True)
    finally:
        os.unlink(f.name)
    return "aws cli"


class Moto(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc, cls.url, cls.logf = start_moto()
        cls.base_ms = (int(time.time()) - 600) * 1000
        cls.seeded_with = seed(cls.url, cls.base_ms)

    @classmethod
    def tearDownClass(cls):
        stop(cls.proc)
        cls.logf.close()

    def call(self, op, body, *args):
        return run_cli(self.url, "--region", REGION, "--target", "Logs_20140328." + op,
                       "--body", json.dumps(body), *args)

    def test_start_query_and_results(self):
        t0 = time.time()
        start = self.call("StartQuery", {
            "logGroupName": GROUP,
            "startTime": self.base_ms // 1000 - 60,
            "endTime": int(time.time()) + 60,
            "queryString": "fields @timestamp, @message, @logStream | sort @timestamp asc",
            "limit": 1000,
        }, "-v")
        self.assertEqual(start.rc, EX_OK, start.stdout + start.stderr)
        qid = json.loads(start.call["body"])["queryId"]
        self.assertTrue(qid)
        self.assertNotIn(SECRET, start.stdout + start.stderr)
        polls = 0
        while True:
            polls += 1
            res = self.call("GetQueryResults", {"queryId": qid})
            self.assertEqual(res.rc, EX_OK, res.stdout)
            out = json.loads(res.call["body"])
            if out["status"] in ("Complete", "Failed", "Cancelled", "Timeout", "Unknown") or polls > 60:
                break
            time.sleep(0.5)
        self.assertEqual(out["status"], "Complete")
        rows = [{f["field"]: f["value"] for f in row} for row in out["results"]]
        self.assertEqual([r["@message"] for r in rows], MESSAGES)
        self.assertTrue(all(r["@logStream"] == STREAM for r in rows))
        self.assertEqual([int(r["@timestamp"]) for r in rows],
                         [self.base_ms + i * 1000 for i in range(len(MESSAGES))], "moto: epoch ms strings")
        self.assertEqual(len({r["@ptr"] for r in rows}), len(rows))
        print("# moto (seeded with %s): StartQuery + %d GetQueryResults -> %d rows in %.0f ms; "
              "StartQuery latency %.1f ms, GetQueryResults %.1f ms"
              % (self.seeded_with, polls, len(rows), (time.time() - t0) * 1000,
                 start.call["seconds"] * 1000, res.call["seconds"] * 1000))

    def test_missing_group(self):
        r = self.call("StartQuery", {"logGroupName": "/aws/eks/nope/cluster", "startTime": 0,
                                     "endTime": int(time.time()), "queryString": "fields @message"})
        self.assertEqual(r.rc, EX_NOINPUT, r.stdout)
        self.assertEqual((r.call["status"], r.call["code"], r.call["attempts"]),
                         (400, "ResourceNotFoundException", 1))
        self.assertEqual(r.call["message"],
                         "StartQuery: ResourceNotFoundException: The specified log group does not exist. (HTTP 400)")

    def test_stop_query_html_500(self):
        r = self.call("StopQuery", {"queryId": "does-not-matter"})
        self.assertEqual(r.rc, EX_UNAVAILABLE, r.stdout)
        self.assertEqual((r.call["status"], r.call["code"], r.call["attempts"]), (500, "InternalServerError", 3))
        self.assertIn("(HTTP 500, 3 attempts)", r.call["message"])

    def test_describe_queries(self):
        r = self.call("DescribeQueries", {"logGroupName": GROUP})
        self.assertEqual(r.rc, EX_OK, r.stdout)
        self.assertIn("queries", json.loads(r.call["body"]))


if __name__ == "__main__":
    if not shutil.which("moto_server"):
        print("1..0 # SKIP moto_server is not installed (pip install 'moto[server]')")
        sys.exit(SKIP)
    sys.exit(0 if unittest.main(verbosity=2, exit=False).result.wasSuccessful() else 1)
