#!/usr/bin/env python3
"""Signed requests as the fake's SigV4 verifier sees them: every request
verified, the headers on the wire, session tokens, bad keys, and the one
clock-skew correction taken from the response Date header."""
import email.utils
import os
import re
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsutil import (AKID, BODY, EX_CONFIG, EX_OK, SECRET, TARGET, TOKEN, FakeAws, err,  # noqa: E402
                     header, ok_json, run_cli)

QID = {"queryId": "q-1"}
VERIFY = ["%s:%s" % (AKID, SECRET)]


def amz_epoch(s):
    import calendar
    return calendar.timegm(time.strptime(s, "%Y%m%dT%H%M%SZ"))


def signed_headers(entry):
    m = re.search(r"SignedHeaders=([^,]+)", header(entry, "Authorization"))
    return m.group(1)


class Sigv4(unittest.TestCase):
    def test_every_request_verified(self):
        rules = [{"match": {"target": "StartQuery"}, "responses": [ok_json(QID)]},
                 {"match": {"path_prefix": "/"}, "responses": [ok_json({})]}]
        bodies = ["{}", BODY, '{"queryString":"fields @message | filter @message like /é ü/"}',
                  "{" + '"k":"' + "x" * 200000 + '"}']
        with FakeAws(rules, verify=VERIFY) as fake:
            for b in bodies:
                with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".json") as f:
                    f.write(b)
                    f.flush()
                    r = run_cli(fake.url, "--target", TARGET, "--body-file", f.name)
                self.assertEqual(r.rc, EX_OK, r.stdout + r.stderr)
            for path, query in (("/", "b=2&a=1&a=%2F&c"), ("/x/./y/../z", None), ("/a%20b/", "x=%41%2b+")):
                args = ["--method", "GET", "--path", path] + (["--query", query] if query else [])
                r = run_cli(fake.url, *args)
                self.assertEqual(r.rc, EX_OK, r.stdout + r.stderr)
            r = run_cli(fake.url + "/prefix/", "--target", TARGET, "--body", "{}")
            self.assertEqual(r.rc, EX_OK, r.stdout)
            log = fake.log()
        self.assertEqual(len(log), len(bodies) + 4)
        for e in log:
            self.assertEqual(e["sigv4"], "ok", e["path"])
        self.assertEqual(log[-1]["path"], "/prefix/")
        print("# %d requests, every signature verified by the fake" % len(log))

    def test_wire_headers(self):
        with FakeAws([{"match": {}, "responses": [ok_json(QID)]}], verify=VERIFY) as fake:
            r = run_cli(fake.url, "--target", TARGET, "--body", BODY)
            e = fake.log()[0]
        self.assertEqual(r.rc, EX_OK)
        self.assertEqual(header(e, "Host"), "127.0.0.1:%d" % fake.port)
        self.assertEqual(header(e, "Content-Type"), "application/x-amz-json-1.1")
        self.assertEqual(header(e, "X-Amz-Target"), TARGET)
        self.assertRegex(header(e, "User-Agent"), r"^authlog-scan/\d+\.\d+\.\d+")
        self.assertRegex(header(e, "X-Amz-Date"), r"^\d{8}T\d{6}Z$")
        self.assertIsNone(header(e, "Expect"))
        self.assertIsNone(header(e, "X-Amz-Security-Token"))
        self.assertEqual(header(e, "Content-Length"), str(len(BODY)))
        self.assertEqual(signed_headers(e), "content-type;host;x-amz-date;x-amz-target")
        self.assertTrue(header(e, "Authorization").startswith(
            "AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/logs/aws4_request, " % (AKID, header(e, "X-Amz-Date")[:8])))
        self.assertEqual(e["body"], BODY)
        self.assertLess(abs(amz_epoch(header(e, "X-Amz-Date")) - time.time()), 60)

    def test_session_token(self):
        with FakeAws([{"match": {}, "responses": [ok_json(QID)]}],
                     verify=["%s:%s:%s" % (AKID, SECRET, TOKEN)]) as fake:
            r = run_cli(fake.url, "--target", TARGET, "--body", BODY, token=TOKEN)
            bad = run_cli(fake.url, "--target", TARGET, "--body", BODY, token=TOKEN + "x")
            none = run_cli(fake.url, "--target", TARGET, "--body", BODY)
            log = fake.log()
        self.assertEqual(r.rc, EX_OK, r.stdout)
        self.assertEqual(header(log[0], "X-Amz-Security-Token"), TOKEN)
        self.assertEqual(signed_headers(log[0]), "content-type;host;x-amz-date;x-amz-security-token;x-amz-target")
        for x in (bad, none):
            self.assertEqual(x.rc, EX_CONFIG)
            self.assertEqual((x.call["code"], x.call["attempts"]), ("UnrecognizedClientException", 1))

    def test_wrong_secret_and_unknown_key(self):
        with FakeAws([{"match": {}, "responses": [ok_json(QID)]}], verify=VERIFY) as fake:
            r = run_cli(fake.url, "--target", TARGET, "--body", BODY, creds=False,
                        env={"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET[:-1] + "X"})
            u = run_cli(fake.url, "--target", TARGET, "--body", BODY, creds=False,
                        env={"AWS_ACCESS_KEY_ID": "AKIAUNKNOWN", "AWS_SECRET_ACCESS_KEY": SECRET})
            n = len(fake.log())
        self.assertEqual(r.rc, EX_CONFIG)
        self.assertEqual((r.call["status"], r.call["code"], r.call["attempts"]), (403, "InvalidSignatureException", 1))
        self.assertEqual(u.rc, EX_CONFIG)
        self.assertEqual((u.call["code"], u.call["attempts"]), ("UnrecognizedClientException", 1))
        self.assertEqual(n, 2, "neither retried")

    def test_no_credentials(self):
        r = run_cli("http://127.0.0.1:9", "--target", TARGET, "--body", "{}", creds=False)
        self.assertEqual(r.rc, EX_CONFIG)
        self.assertEqual(r.call["kind"], "auth")

    def test_unsigned(self):
        with FakeAws([{"match": {"signed": False}, "responses": [ok_json({"roleCredentials": {}})]}],
                     verify=VERIFY) as fake:
            r = run_cli(fake.url, "--unsigned", "--method", "GET", "--path", "/federation/credentials",
                        "--query", "account_id=111122223333&role_name=ro", creds=False)
            e = fake.log()[0]
        self.assertEqual(r.rc, EX_OK, r.stdout)
        self.assertEqual(e["sigv4"], "unsigned")
        self.assertIsNone(header(e, "Authorization"))
        self.assertIsNone(header(e, "X-Amz-Date"))
        self.assertEqual(e["query_params"], {"account_id": ["111122223333"], "role_name": ["ro"]})

    def check_skew(self, offset, word):
        with FakeAws([{"match": {}, "responses": [ok_json(QID)]}], verify=VERIFY, clock_offset=offset) as fake:
            r = run_cli(fake.url, "--target", TARGET, "--body", BODY, "--repeat", "3")
            log = fake.log()
        self.assertEqual(r.rc, EX_OK, r.stdout + r.stderr)
        self.assertEqual([c["attempts"] for c in r.calls], [2, 1, 1],
                         "one correction, then the client signs right")
        self.assertEqual(r.calls[0]["delays_ms"], [], "the skew retry does not sleep")
        self.assertEqual(len(log), 4)
        self.assertIn(word, log[0]["sigv4"])
        self.assertEqual([e["sigv4"] for e in log[1:]], ["ok"] * 3)
        t0, t1 = amz_epoch(header(log[0], "X-Amz-Date")), amz_epoch(header(log[1], "X-Amz-Date"))
        self.assertLess(abs((t1 - t0) - offset), 5, "signed again at now + offset")
        self.assertEqual(header(log[0], "amz-sdk-request"), "attempt=1; max=3")
        self.assertEqual(header(log[1], "amz-sdk-request"), "attempt=2; max=3")
        self.assertEqual(header(log[0], "amz-sdk-invocation-id"), header(log[1], "amz-sdk-invocation-id"))
        self.assertRegex(r.stderr, r"warning: the local clock is 3\d{3} s (behind|ahead of) the AWS clock")
        self.assertEqual(r.stderr.count("warning"), 1)

    def test_skew_server_ahead(self):
        self.check_skew(3600, "Signature expired")

    def test_skew_server_behind(self):
        self.check_skew(-3600, "Signature not yet current")

    def test_skew_exactly_one_retry(self):
        """The service keeps refusing: one corrected retry, then give up."""
        date = email.utils.formatdate(time.time() + 1800, usegmt=True)
        msg = "Signature expired: 20261124T021937Z is now earlier than 20261124T022437Z (20261124T022937Z - 5 min.)"
        with FakeAws([{"match": {}, "responses": [err(400, "InvalidSignatureException", msg,
                                                     headers={"Date": date})]}]) as fake:
            r = run_cli(fake.url, "--target", TARGET, "--body", BODY, env={"AWS_MAX_ATTEMPTS": "5"})
            n = len(fake.log())
        self.assertEqual(r.rc, EX_CONFIG)
        self.assertEqual((r.call["attempts"], n), (2, 2))

    def test_request_time_too_skewed(self):
        date = email.utils.formatdate(time.time() - 900, usegmt=True)
        with FakeAws([{"match": {}, "responses": [err(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", headers={"Date": date}), ok_json(QID)]}]) as fake:
            r = run_cli(fake.url, "--target", TARGET, "--body", BODY)
            log = fake.log()
        self.assertEqual((r.rc, r.call["attempts"]), (EX_OK, 2))
        t0, t1 = amz_epoch(header(log[0], "X-Amz-Date")), amz_epoch(header(log[1], "X-Amz-Date"))
        self.assertLess(abs((t1 - t0) + 900), 5)

    def test_signature_error_without_skew_not_retried(self):
        with FakeAws([{"match": {}, "responses": [err(400, "InvalidSignatureException",
                                                     "The request signature we calculated does not match"),
                                                 ok_json(QID)]}]) as fake:
            r = run_cli(fake.url, "--target", TARGET, "--body", BODY)
            n = len(fake.log())
        self.assertEqual((r.rc, r.call["attempts"], n), (EX_CONFIG, 1, 1))


if __name__ == "__main__":
    unittest.main(verbosity=2)
