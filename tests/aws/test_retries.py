#!/usr/bin/env python3
"""Standard retry mode against tests/fake_aws.py: what is retried and what is
not, amz-sdk-request / amz-sdk-invocation-id on every attempt, backoff delays
within the full-jitter bounds, max attempts, the retry quota, timeouts,
resets and malformed bodies.  Every request is also checked by the fake's
SigV4 verifier."""
import os
import re
import statistics
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsutil import (AKID, BODY, EX_CONFIG, EX_DATAERR, EX_NOINPUT, EX_NOPERM, EX_OK,  # noqa: E402
                     EX_UNAVAILABLE, SECRET, TARGET, FakeAws, err, free_port, header, ok_json,
                     run_cli)

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
VERIFY = ["%s:%s" % (AKID, SECRET)]
QID = {"queryId": "4c63d184-d73f-13d1-86cf-09fc92fd55f3"}


def rule(*responses, target="StartQuery"):
    return [{"match": {"target": target}, "responses": list(responses)}]


def start_query(fake, *args, **kw):
    return run_cli(fake.url, "--target", TARGET, "--body", BODY, *args, **kw)


class Retries(unittest.TestCase):
    def check_attempt_headers(self, log, max_attempts):
        ids = {header(e, "amz-sdk-invocation-id") for e in log}
        self.assertEqual(len(ids), 1, "one invocation id across the retries")
        self.assertRegex(ids.pop(), UUID4)
        self.assertEqual([header(e, "amz-sdk-request") for e in log],
                         ["attempt=%d; max=%d" % (i + 1, max_attempts) for i in range(len(log))])
        for e in log:
            self.assertEqual(e["sigv4"], "ok")

    def check_delays(self, delays, base_ms):
        for i, d in enumerate(delays):
            self.assertGreaterEqual(d, 0)
            self.assertLess(d, min(20000, base_ms * 2 ** i), "delay %d = %d ms" % (i + 1, d))

    def test_throttling_then_success(self):
        with FakeAws(rule(err(400, "ThrottlingException", "Rate exceeded"),
                          err(400, "ThrottlingException", "Rate exceeded"),
                          err(400, "ThrottlingException", "Rate exceeded"),
                          ok_json(QID)), verify=VERIFY) as fake:
            r = start_query(fake, env={"AWS_MAX_ATTEMPTS": "4"})
            log = fake.log()
        self.assertEqual(r.rc, EX_OK, r.stderr)
        self.assertEqual(r.call["attempts"], 4)
        self.assertEqual(r.call["status"], 200)
        self.assertEqual(len(log), 4)
        self.check_attempt_headers(log, 4)
        self.assertEqual(len(r.call["delays_ms"]), 3)
        self.check_delays(r.call["delays_ms"], 1000)
        print("# throttling x3 then 200: delays %s ms" % r.call["delays_ms"])

    def test_throttling_delays_really_slept(self):
        """With real sleeping, the gaps the fake sees are at least the delays."""
        with FakeAws(rule(err(400, "ThrottlingException"), err(400, "Throttling"), ok_json(QID)),
                     verify=VERIFY) as fake:
            r = start_query(fake, env={"AUTHLOG_TEST_REAL_SLEEP": "1"})
            log = fake.log()
        self.assertEqual(r.rc, EX_OK, r.stderr)
        gaps = [(log[i + 1]["time"] - log[i]["time"]) * 1000 for i in range(len(log) - 1)]
        for gap, d in zip(gaps, r.call["delays_ms"]):
            self.assertGreaterEqual(gap + 5, d)
            self.assertLess(gap, d + 500)
        print("# real sleep: delays %s ms, gaps seen by the fake %s ms"
              % (r.call["delays_ms"], [round(g, 1) for g in gaps]))

    def test_5xx_then_success(self):
        with FakeAws(rule(err(500, "InternalFailure"), {"status": 502, "body": "Bad Gateway"},
                          ok_json(QID)), verify=VERIFY) as fake:
            r = start_query(fake)
            log = fake.log()
        self.assertEqual(r.rc, EX_OK, r.stderr)
        self.assertEqual(r.call["attempts"], 3)
        self.check_attempt_headers(log, 3)
        self.check_delays(r.call["delays_ms"], 50)

    def test_503_exhausts_attempts(self):
        with FakeAws(rule(err(503, "ServiceUnavailableException", "The service cannot complete the request.")),
                     verify=VERIFY) as fake:
            r = start_query(fake)
            log = fake.log()
        self.assertEqual(r.rc, EX_UNAVAILABLE)
        self.assertEqual(len(log), 3)
        self.assertEqual(r.call["kind"], "server")
        self.assertEqual(r.call["message"],
                         "StartQuery: ServiceUnavailableException: The service cannot complete the "
                         "request. (HTTP 503, 3 attempts)")

    def test_transient_codes_retried(self):
        for code in ("RequestTimeout", "RequestTimeoutException", "InternalError", "PriorRequestNotComplete",
                     "TooManyRequestsException", "RequestLimitExceeded", "SlowDown"):
            with self.subTest(code=code):
                with FakeAws(rule(err(400, code), ok_json(QID))) as fake:
                    r = start_query(fake)
                self.assertEqual((r.rc, r.call["attempts"]), (EX_OK, 2), code)

    def test_bare_429_retried_as_throttling(self):
        with FakeAws(rule({"status": 429, "body": ""}, ok_json(QID))) as fake:
            r = start_query(fake)
        self.assertEqual((r.rc, r.call["attempts"]), (EX_OK, 2))
        self.check_delays(r.call["delays_ms"], 1000)

    def test_limit_exceeded_is_throttling(self):
        msg = "Account maximum query concurrency limit of [10] reached."
        with FakeAws(rule(err(400, "LimitExceededException", msg))) as fake:
            r = start_query(fake)
            n = len(fake.log())
        self.assertEqual(r.rc, EX_UNAVAILABLE)
        self.assertEqual(n, 3)
        self.assertEqual(r.call["kind"], "limit")
        self.check_delays(r.call["delays_ms"], 1000)

    def test_retry_after_header(self):
        with FakeAws(rule(err(400, "ThrottlingException", headers={"x-amz-retry-after": "3000"}),
                          ok_json(QID))) as fake:
            r = start_query(fake)
        self.assertEqual(r.rc, EX_OK)
        self.assertEqual(r.call["delays_ms"], [3000])

    def test_malformed_json_success_body(self):
        with FakeAws(rule({"status": 200, "body": '{"queryId": "4c63'})) as fake:
            r = start_query(fake)
            n = len(fake.log())
        self.assertEqual(r.rc, EX_UNAVAILABLE)
        self.assertEqual(r.call["kind"], "bad-response")
        self.assertEqual(n, 1)
        self.assertIn("not valid JSON", r.call["message"])

    def test_malformed_json_error_body(self):
        with FakeAws(rule({"status": 400, "body": '{"__type": "Thrott'})) as fake:
            r = start_query(fake)
            n = len(fake.log())
        self.assertEqual(r.rc, EX_DATAERR)
        self.assertEqual((r.call["code"], n), ("BadRequest", 1))

    def test_html_5xx_body(self):
        html = "<!doctype html>\n<title>500 Internal Server Error</title>\n<h1>oops</h1>"
        with FakeAws(rule({"status": 500, "body": html, "headers": {"Content-Type": "text/html"}},
                          ok_json(QID))) as fake:
            r = start_query(fake)
        self.assertEqual((r.rc, r.call["attempts"]), (EX_OK, 2))

    def test_coral_200_error_trap(self):
        body = {"Output": {"__type": "com.amazon.coral.service#UnknownOperationException"}, "Version": "1.0"}
        with FakeAws(rule(ok_json(body))) as fake:
            r = start_query(fake)
        self.assertEqual(r.rc, EX_DATAERR)
        self.assertEqual(r.call["code"], "UnknownOperationException")

    def test_connection_reset_then_success(self):
        for first in ({"reset": True}, {"close": True}, {"status": 200, "json": QID, "truncate": 5}):
            with self.subTest(first=first):
                with FakeAws(rule(first, ok_json(QID)), verify=VERIFY) as fake:
                    r = start_query(fake, "-v")
                    log = fake.log()
                self.assertEqual(r.rc, EX_OK, r.stderr)
                self.assertEqual(r.call["attempts"], 2)
                self.assertEqual(len(log), 2)
                self.check_attempt_headers(log, 3)
                self.check_delays(r.call["delays_ms"], 50)
                self.assertIn("connection reset", r.stderr)

    def test_timeout_then_retry(self):
        with FakeAws(rule({"status": 200, "json": QID, "delay_ms": 3000}, ok_json(QID))) as fake:
            r = start_query(fake, "--timeout-ms", "400", "-v")
            n = len(fake.log())
        self.assertEqual(r.rc, EX_OK, r.stderr)
        self.assertEqual((r.call["attempts"], n), (2, 2))
        self.assertIn("timeout", r.stderr)
        self.assertLess(r.call["wall_ms"], 2500)
        print("# slow response: timed out at 400 ms and retried, %.0f ms in all" % r.call["wall_ms"])

    def test_connection_refused(self):
        r = run_cli("http://127.0.0.1:%d" % free_port(), "--target", TARGET, "--body", BODY)
        self.assertEqual(r.rc, EX_UNAVAILABLE)
        self.assertEqual((r.call["kind"], r.call["attempts"]), ("transport", 3))
        self.assertIn("(3 attempts)", r.call["message"])

    def test_never_retried(self):
        cases = [
            (400, "AccessDeniedException",
             "User: arn:aws:sts::111122223333:assumed-role/x/y is not authorized to perform: logs:StartQuery",
             EX_NOPERM),
            (403, "AccessDenied", "denied", EX_NOPERM),
            (400, "ValidationException", "1 validation error detected", EX_DATAERR),
            (400, "InvalidParameterException", "bad", EX_DATAERR),
            (400, "MalformedQueryException", "bad query", EX_DATAERR),
            (400, "ResourceNotFoundException", "The specified log group does not exist.", EX_NOINPUT),
            (400, "UnrecognizedClientException", "The security token included in the request is invalid.",
             EX_CONFIG),
            (400, "ExpiredTokenException", "The security token included in the request is expired", EX_CONFIG),
            (400, "InvalidSignatureException", "The request signature we calculated does not match", EX_CONFIG),
        ]
        for status, code, msg, rc in cases:
            with self.subTest(code=code):
                with FakeAws(rule(err(status, code, msg), ok_json(QID))) as fake:
                    r = start_query(fake)
                    n = len(fake.log())
                self.assertEqual(r.rc, rc, r.stdout)
                self.assertEqual((r.call["attempts"], n), (1, 1))
                self.assertEqual(r.call["code"], code)
                self.assertEqual(r.call["message"], "StartQuery: %s: %s (HTTP %d)" % (code, msg, status))
                self.assertEqual(r.call["delays_ms"], [])

    def test_max_attempts(self):
        for env, args, want in (({"AWS_MAX_ATTEMPTS": "5"}, [], 5), ({"AWS_MAX_ATTEMPTS": "1"}, [], 1),
                                ({"AWS_MAX_ATTEMPTS": "5"}, ["--max-attempts", "2"], 2), ({}, [], 3)):
            with self.subTest(env=env, args=args):
                with FakeAws(rule(err(400, "ThrottlingException")), verify=VERIFY) as fake:
                    r = start_query(fake, *args, env=env)
                    log = fake.log()
                self.assertEqual(r.rc, EX_UNAVAILABLE)
                self.assertEqual((r.call["attempts"], len(log)), (want, want))
                self.check_attempt_headers(log, want)
                self.assertEqual(len(r.call["delays_ms"]), want - 1)

    def test_retry_quota(self):
        """500 tokens, 5 per retry: 50 calls of 3 attempts each drain it; the
        51st call gets no retry."""
        with FakeAws(rule(err(500, "InternalFailure"))) as fake:
            r = start_query(fake, "--repeat", "52")
            n = len(fake.log())
        attempts = [c["attempts"] for c in r.calls]
        self.assertEqual(attempts, [3] * 50 + [1, 1])
        self.assertIn("retry quota exhausted", r.calls[50]["message"])
        self.assertEqual(n, 50 * 3 + 2)
        delays = [d for c in r.calls for d in c["delays_ms"]]
        print("# quota: %d retries before the bucket emptied; transient delays mean %.1f ms, max %d ms"
              % (len(delays), statistics.mean(delays), max(delays)))

    def test_keep_alive(self):
        with FakeAws(rule(ok_json(QID))) as fake:
            r = start_query(fake, "--repeat", "20")
            log = fake.log()
        self.assertEqual(r.rc, EX_OK)
        self.assertEqual(len({tuple(e["client"]) for e in log}), 1, "one connection for 20 calls")
        self.assertEqual(len({header(e, "amz-sdk-invocation-id") for e in log}), 20,
                         "a new invocation id per call")


if __name__ == "__main__":
    unittest.main(verbosity=2)
