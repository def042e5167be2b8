#!/usr/bin/env python3
"""Secrets never printed: run the driver with -v / -v -v through successes,
retries, errors, a service that echoes the session token, and unsigned calls
carrying IMDS / SSO / container tokens; grep every byte it printed (stdout
and stderr) for the secret key and the tokens.  Each case also checks that
the secret really went over the wire, so the grep means something."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsutil import (AKID, BODY, EX_CONFIG, EX_OK, SECRET, TARGET, TOKEN, FakeAws, err,  # noqa: E402
                     header, ok_json, run_cli)

IMDS_TOKEN = "AQAEAImdsV2TokenValue-abcdefghijklmnopqrstuvwxyz0123456789=="
SSO_TOKEN = "aoaAAAAAGSsoBearerTokenValue0123456789abcdefghijklmnop"
POD_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eks-pod-identity-token-value.c2lnbmF0dXJl"


class Secrets(unittest.TestCase):
    def assert_clean(self, r, *secrets):
        out = r.stdout + r.stderr
        for s in secrets:
            self.assertNotIn(s, out, "a secret was printed")
            # and no long piece of it either (a truncated copy is a leak too)
            for i in range(0, len(s) - 16, 8):
                self.assertNotIn(s[i:i + 16], out, "a piece of a secret was printed")

    def test_signed_calls_verbose(self):
        echo = ("The request signature we calculated does not match the signature you provided. "
                "The Canonical String for this request should have been 'POST\n/\n\n"
                "x-amz-security-token:%s\n' and the secret %s" % (TOKEN, SECRET))
        rules = [
            {"match": {"target": "StartQuery"}, "responses": [err(400, "ThrottlingException"), {"reset": True},
                                                              err(500, "InternalFailure"), ok_json({"queryId": "q"})]},
            {"match": {"target": "StopQuery"}, "responses": [err(400, "InvalidSignatureException", echo)]},
        ]
        with FakeAws(rules, verify=["%s:%s:%s" % (AKID, SECRET, TOKEN)]) as fake:
            ok = run_cli(fake.url, "--target", TARGET, "--body", BODY, "-v", "-v", token=TOKEN,
                         env={"AWS_MAX_ATTEMPTS": "4"})
            bad = run_cli(fake.url, "--target", "Logs_20140328.StopQuery", "--body", '{"queryId":"q"}',
                          "-v", "-v", token=TOKEN)
            log = fake.log()
        self.assertEqual(ok.rc, EX_OK, ok.stdout)
        # 3 or 4: a reset on a reused keep-alive connection is re-sent by
        # libcurl itself on a fresh connection, unseen by the retry loop
        self.assertIn(ok.call["attempts"], (3, 4))
        self.assertEqual(bad.rc, EX_CONFIG)
        self.assertTrue(all(header(e, "X-Amz-Security-Token") == TOKEN for e in log), "the token was sent")
        self.assertTrue(all(e["sigv4"] == "ok" for e in log))
        for r in (ok, bad):
            self.assert_clean(r, SECRET, TOKEN)
            self.assertIn("Authorization: [redacted]", r.stderr)
            self.assertIn("X-Amz-Security-Token: [redacted]", r.stderr)
            self.assertIn("x-amz-security-token:[redacted]", r.stderr, "canonical request redacted")
            self.assertIn("AKIDEXAMPLE", r.stderr + r.stdout + "AKIDEXAMPLE")
        self.assertIn("[redacted]", bad.call["message"])
        self.assertIn("[redacted]", bad.call["body"], "the error body handed back is scrubbed too")

    def test_unsigned_tokens_verbose(self):
        rules = [
            {"match": {"method": "PUT", "path": "/latest/api/token"}, "responses": [{"body": IMDS_TOKEN}]},
            {"match": {"path_prefix": "/latest/meta-data/", "header": {"x-aws-ec2-metadata-token": IMDS_TOKEN}},
             "responses": [{"body": "role"}]},
            {"match": {"path": "/federation/credentials", "header": {"x-amz-sso_bearer_token": SSO_TOKEN}},
             "responses": [ok_json({"roleCredentials": {}})]},
            {"match": {"path": "/v1/credentials", "header": {"Authorization": POD_TOKEN}},
             "responses": [ok_json({})]},
        ]
        with FakeAws(rules) as fake:
            runs = [
                run_cli(fake.url, "--unsigned", "--method", "PUT", "--path", "/latest/api/token",
                        "--header", "x-aws-ec2-metadata-token-ttl-seconds: 21600", "-v", creds=False),
                run_cli(fake.url, "--unsigned", "--method", "GET", "--path",
                        "/latest/meta-data/iam/security-credentials/", "--header",
                        "X-aws-ec2-metadata-token: " + IMDS_TOKEN, "-v", "-v", creds=False),
                run_cli(fake.url, "--unsigned", "--method", "GET", "--path", "/federation/credentials",
                        "--query", "account_id=1&role_name=r", "--header", "x-amz-sso_bearer_token: " + SSO_TOKEN,
                        "-v", creds=False),
                run_cli(fake.url, "--unsigned", "--method", "GET", "--path", "/v1/credentials",
                        "--header", "Authorization: " + POD_TOKEN, "-v", creds=False),
            ]
            log = fake.log()
        for r in runs:
            self.assertEqual(r.rc, EX_OK, r.stdout + r.stderr)
        self.assertEqual([e["status"] for e in log], [200] * 4, "every token reached the fake")
        self.assertEqual(log[0]["method"], "PUT")
        self.assertIsNone(header(log[0], "Content-Type"), "no Content-Type invented for an empty PUT")
        self.assertEqual(header(log[0], "Content-Length"), "0")
        # stdout carries the IMDS token body on purpose (the response body); stderr must not
        self.assertNotIn(IMDS_TOKEN, runs[0].stderr)
        self.assert_clean(runs[1], IMDS_TOKEN)
        self.assert_clean(runs[2], SSO_TOKEN)
        self.assert_clean(runs[3], POD_TOKEN)
        for r in runs[1:]:
            self.assertIn("[redacted]", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
