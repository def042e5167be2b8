#!/usr/bin/env python3
"""`authlog-scan doctor` through the built binary against a fake control
plane: tests/fake_aws.py as STS (GetCallerIdentity per session token,
AssumeRole), tests/fake_k8s.py as each cluster's API server (HTTPS with a
test CA; it checks the token as aws-iam-authenticator does and maps it by
the cluster's mode) and tests/fake_eks.py as EKS (DescribeCluster pointing
at those servers, the access-entry calls)."""
import base64
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from awsutil import SANITIZER_RE, SOURCE_ROOT, FakeAws, clean_env, start_fake, stop  # noqa: E402
from fake_k8s import make_certs  # noqa: E402

BIN = os.environ.get("AUTHLOG_BIN") or os.path.join(SOURCE_ROOT, "build", "authlog-scan")
FAKE_K8S = os.environ.get("FAKE_K8S") or os.path.join(SOURCE_ROOT, "tests", "fake_k8s.py")
FAKE_EKS = os.environ.get("FAKE_EKS") or os.path.join(SOURCE_ROOT, "tests", "fake_eks.py")
FAKE_LOGS = os.path.join(SOURCE_ROOT, "tests", "fake_logs.py")
A = "111122223333"
REGION = "eu-west-1"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
SSO = "AWSReservedSSO_Admin_0123456789abcdef"


def ident(name, arn, user_id):
    # A session token of its own: the STS fake tells the callers apart by it.
    return {"access_key_id": "ASIA" + name.upper(), "secret_access_key": "secret/" + name,
            "session_token": "token-" + name, "arn": arn, "user_id": user_id}


BUILDER = ident("builder", "arn:aws:sts::%s:assumed-role/builder/s1" % A, "AROABUILDER:s1")
JANE = ident("jane", "arn:aws:sts::%s:assumed-role/%s/jane@example.com" % (A, SSO), "AROASSO:jane@example.com")
OPS = ident("ops", "arn:aws:sts::%s:assumed-role/ops/s2" % A, "AROAOPS:s2")
NOBODY = ident("nobody", "arn:aws:sts::%s:assumed-role/nobody/s3" % A, "AROANOBODY:s3")
DEPLOY = ident("deploy", "arn:aws:sts::%s:assumed-role/deploy/s4" % A, "AROADEPLOY:s4")
NODE = ident("node", "arn:aws:sts::%s:assumed-role/NodeRole/i-0123456789abcdef0" % A,
             "AROANODE:i-0123456789abcdef0")
ASSUMED = ident("assumed", "arn:aws:sts::%s:assumed-role/admin/authlog-scan-doctor" % A,
                "AROAADMIN:authlog-scan-doctor")
TYPO = ident("typo", "arn:aws:sts::%s:assumed-role/typo/s9" % A, "AROATYPO:s9")
RECREATED = ident("recreated", "arn:aws:sts::%s:assumed-role/recreated/s5" % A, "AROANEW:s5")
# The same SSO role as JANE, with a session that IAM GetRole refuses.
JOE = ident("joe", "arn:aws:sts::%s:assumed-role/%s/joe@example.com" % (A, SSO), "AROASSO:joe@example.com")
IDENTS = [BUILDER, JANE, OPS, NOBODY, DEPLOY, NODE, ASSUMED, TYPO, RECREATED, JOE]
SSO_IAM_ARN = "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s/%s" % (A, REGION, SSO)

PATH_ROLES = """- rolearn: arn:aws:iam::%(a)s:role/ci/builder
  username: builder
  groups:
    - system:masters
- rolearn: arn:aws:iam::%(a)s:role/aws-reserved/sso.amazonaws.com/eu-west-1/%(sso)s
  username: jane
  groups:
    - system:masters
- rolearn: arn:aws:sts::%(a)s:assumed-role/typo/s9
  username: typo
  groups:
    - system:masters
""" % {"a": A, "sso": SSO}
OPS_ROLES = """- rolearn: arn:aws:iam::%s:role/ops
  username: ops
  groups:
    - system:masters
""" % A
BROKEN_ROLES = """- rolearn: arn:aws:iam::%s:role/builder
  username: {{SessionName}}
  groups:
    - system:masters
""" % A

CLUSTERS = [
    {"name": "paths", "authenticationMode": "CONFIG_MAP", "logging": ["authenticator"],
     "aws_auth": {"mapRoles": PATH_ROLES}},
    {"name": "apionly", "authenticationMode": "API", "logging": ["authenticator"],
     "access_entries": [
         {"principalArn": "arn:aws:iam::%s:role/team/deploy" % A, "type": "STANDARD", "username": "deploy",
          "kubernetesGroups": ["deployers"],
          "policies": [{"policyArn": VIEW, "accessScope": {"type": "namespace", "namespaces": ["dev"]}}]},
         {"principalArn": "arn:aws:iam::%s:role/NodeRole" % A, "type": "STANDARD", "username": "node",
          "kubernetesGroups": ["nodes"]},
         {"principalArn": "arn:aws:iam::%s:role/admin" % A, "type": "STANDARD", "username": "admin",
          "policies": [{"policyArn": VIEW, "accessScope": {"type": "cluster"}}]}],
     "aws_auth": {"mapRoles": OPS_ROLES}},
    {"name": "broken", "authenticationMode": "CONFIG_MAP", "logging": ["authenticator"],
     "aws_auth": {"mapRoles": BROKEN_ROLES}},
    {"name": "quiet", "authenticationMode": "CONFIG_MAP", "logging": ["api"],
     "aws_auth": {"mapRoles": OPS_ROLES}},
    {"name": "both", "authenticationMode": "API_AND_CONFIG_MAP", "logging": ["authenticator"],
     "access_entries": [{"principalArn": "arn:aws:iam::%s:role/recreated" % A, "type": "STANDARD",
                         "principalId": "AROAOLD",
                         "policies": [{"policyArn": VIEW, "accessScope": {"type": "cluster"}}]}],
     "aws_auth": {"mapRoles": OPS_ROLES}},
]


def xml_identity(i):
    return ("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
            "<GetCallerIdentityResult><Arn>%s</Arn><UserId>%s</UserId><Account>%s</Account>"
            "</GetCallerIdentityResult></GetCallerIdentityResponse>" % (i["arn"], i["user_id"], A))


def sts_rules():
    rules = [{"match": {"action": "AssumeRole", "body_contains": "role%2Fforbidden"},
              "responses": [{"status": 403, "error": "AccessDenied",
                             "message": "User is not authorized to perform: sts:AssumeRole"}]},
             {"match": {"action": "AssumeRole", "body_contains": "role%2Fadmin"},
              "responses": [{"json": {"AssumeRoleResponse": {"AssumeRoleResult": {
                  "AssumedRoleUser": {"Arn": ASSUMED["arn"]},
                  "Credentials": {"AccessKeyId": ASSUMED["access_key_id"],
                                  "SecretAccessKey": ASSUMED["secret_access_key"],
                                  "SessionToken": ASSUMED["session_token"], "Expiration": 4102444800}}}}}]}]
    # IAM GetRole: JANE may read her role, anyone else is refused as IAM
    # refuses (a query-protocol XML error).  The permissions boundary's ARN
    # comes first: the parser must take the role's own <Arn>.
    rules.append({"match": {"action": "GetRole", "body_contains": "RoleName=" + SSO,
                            "header": {"x-amz-security-token": JANE["session_token"]}},
                  "responses": [{"headers": {"Content-Type": "text/xml"}, "body":
                                 "<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                                 "<GetRoleResult><Role><Path>/aws-reserved/sso.amazonaws.com/%s/</Path>"
                                 "<PermissionsBoundary><PermissionsBoundaryType>Policy</PermissionsBoundaryType>"
                                 "<PermissionsBoundaryArn>arn:aws:iam::%s:policy/boundary</PermissionsBoundaryArn>"
                                 "</PermissionsBoundary><RoleId>AROASSO</RoleId><RoleName>%s</RoleName>"
                                 "<Arn>%s</Arn><CreateDate>2026-01-02T03:04:05Z</CreateDate></Role>"
                                 "</GetRoleResult><ResponseMetadata><RequestId>r-1</RequestId>"
                                 "</ResponseMetadata></GetRoleResponse>" % (REGION, A, SSO, SSO_IAM_ARN)}]})
    rules.append({"match": {"action": "GetRole"},
                  "responses": [{"status": 403, "query_error": "AccessDenied",
                                 "message": "User is not authorized to perform: iam:GetRole"}]})
    for i in IDENTS:
        rules.append({"match": {"action": "GetCallerIdentity",
                                "header": {"x-amz-security-token": i["session_token"]}},
                      "responses": [{"body": xml_identity(i), "headers": {"Content-Type": "text/xml"}}]})
    return rules


def configmap(cluster, fmt="yaml"):
    data = next(c for c in CLUSTERS if c["name"] == cluster)["aws_auth"]
    if fmt == "json":
        return json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "aws-auth", "namespace": "kube-system"}, "data": data})
    out = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n"
    for k, v in data.items():
        out += "  %s: |\n" % k + "".join("    " + line + "\n" for line in v.splitlines())
    return out


class Doctor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="test_doctor.")
        d = cls.tmp.name
        ca = make_certs(os.path.join(d, "tls"))[0]
        with open(ca, "rb") as f:
            ca_b64 = base64.b64encode(f.read()).decode()
        cls.procs = []
        cls.sts = FakeAws(sts_rules()).__enter__()
        # CloudWatch Logs: the fake API servers post their authenticator lines to it
        port_file = os.path.join(d, "logs.port")
        cls.logs_log = os.path.join(d, "logs.jsonl")
        proc, port = start_fake([sys.executable, FAKE_LOGS, "--port-file", port_file, "--polls", "1",
                                 "--region", REGION, "--log", cls.logs_log], clean_env(), port_file)
        cls.procs.append(proc)
        cls.logs_url = "http://127.0.0.1:%d" % port
        data = {"account": A, "region": REGION, "identities": IDENTS, "sts_endpoints": [cls.sts.url],
                "clusters": [dict(c) for c in CLUSTERS]}
        k8s_data = os.path.join(d, "k8s.json")
        with open(k8s_data, "w") as f:
            json.dump(data, f)
        for c in data["clusters"]:
            port_file = os.path.join(d, "k8s-%s.port" % c["name"])
            proc, port = start_fake([sys.executable, FAKE_K8S, "--port-file", port_file, "--data", k8s_data,
                                     "--cluster", c["name"], "--tls-dir", os.path.join(d, "tls"),
                                     "--logs-url", cls.logs_url],
                                    clean_env(), port_file)
            cls.procs.append(proc)
            c["extra"] = {"endpoint": "https://127.0.0.1:%d" % port, "certificateAuthority": {"data": ca_b64}}
        eks_data = os.path.join(d, "eks.json")
        with open(eks_data, "w") as f:
            json.dump(data, f)
        port_file = os.path.join(d, "eks.port")
        proc, port = start_fake([sys.executable, FAKE_EKS, "--port-file", port_file, "--data", eks_data],
                                clean_env(), port_file)
        cls.procs.append(proc)
        cls.eks_url = "http://127.0.0.1:%d" % port
        for c in CLUSTERS:
            for fmt in ("yaml", "json"):
                with open(os.path.join(d, "%s.%s" % (c["name"], fmt)), "w") as f:
                    f.write(configmap(c["name"], fmt))

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            stop(p)
        cls.sts.__exit__(None, None, None)
        cls.tmp.cleanup()

    def doctor(self, who, *args, fmt="json", stdin=None, db=None, env_extra=None):
        env = clean_env(HOME=self.tmp.name, AWS_ACCESS_KEY_ID=who["access_key_id"],
                        AWS_SECRET_ACCESS_KEY=who["secret_access_key"], AWS_SESSION_TOKEN=who["session_token"],
                        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                        AWS_ENDPOINT_URL_STS=self.sts.url, AWS_ENDPOINT_URL_IAM=self.sts.url,
                        AWS_ENDPOINT_URL_EKS=self.eks_url,
                        AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=self.logs_url, AWS_EC2_METADATA_DISABLED="true",
                        AUTHLOG_SCAN_TIME_SCALE="0.01",
                        AUTHLOG_DB=db or os.path.join(self.tmp.name, "shared", "authlog.db"))
        env.pop("KUBECONFIG", None)
        env.update(env_extra or {})
        argv = [BIN, "doctor", "--region", REGION, "--format", fmt] + list(args)
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, input=stdin)
        if SANITIZER_RE.search(p.stderr):
            raise AssertionError("sanitizer report:\n" + p.stderr)
        return p

    def json_run(self, who, *args, rc=1, stdin=None, db=None):
        p = self.doctor(who, *args, stdin=stdin, db=db)
        self.assertEqual(p.returncode, rc, p.stdout + p.stderr)
        return json.loads(p.stdout)

    def cm(self, cluster, fmt="yaml"):
        return os.path.join(self.tmp.name, "%s.%s" % (cluster, fmt))

    def test_role_mapped_with_its_path(self):
        out = self.json_run(BUILDER, "--cluster", "paths", "--aws-auth", self.cm("paths"))
        v = out["verdict"]
        self.assertEqual((v["status"], v["class"]), ("denied", "mapping_has_path"))
        self.assertIn("role/builder is mapped in aws-auth with its path /ci/", v["cause"])
        self.assertEqual(out["identity"]["principal_arn"], "arn:aws:iam::%s:role/builder" % A)
        self.assertEqual((out["token"]["accepted"], out["token"]["http_status"]), (False, 401))
        self.assertIn("path_in_arn", [p["kind"] for p in out["aws_auth"]["problems"]])
        self.assertTrue(any("arn:aws:iam::%s:role/builder" % A in f and "iamidentitymapping" in f
                            for f in v["fix"]), v["fix"])

    def test_sso_role_with_its_reserved_path(self):
        out = self.json_run(JANE, "--cluster", "paths", "--aws-auth", self.cm("paths", "json"))
        v = out["verdict"]
        self.assertEqual((v["status"], v["class"]), ("denied", "mapping_has_path"))
        self.assertIn("aws-reserved/sso.amazonaws.com/", v["cause"])
        self.assertEqual(out["identity"]["principal_arn"], "arn:aws:iam::%s:role/%s" % (A, SSO))
        self.assertEqual(out["aws_auth"]["source"], "file")

    def test_api_mode_role_only_in_aws_auth(self):
        out = self.json_run(OPS, "--cluster", "apionly", "--aws-auth", "-", stdin=configmap("apionly"))
        v = out["verdict"]
        self.assertEqual((v["status"], v["class"]), ("denied", "configmap_ignored"))
        self.assertEqual(out["aws_auth"]["source"], "stdin")
        self.assertEqual([m["kind"] for m in out["aws_auth"]["matches"]], ["exact_match"])
        self.assertTrue(any(f.startswith("aws eks create-access-entry --cluster-name apionly --region eu-west-1 ")
                            for f in v["fix"]), v["fix"])

    def test_api_mode_no_entry(self):
        out = self.json_run(NOBODY, "--cluster", "apionly")
        v = out["verdict"]
        self.assertEqual((v["status"], v["class"]), ("denied", "no_access_entry"))
        self.assertIsNone(out["access_entry"])
        self.assertEqual(out["cluster"]["authentication_mode"], "API")
        self.assertTrue(any("create-access-entry" in f for f in v["fix"]), v["fix"])

    def get_role_calls(self, who):
        return [e for e in self.sts.log() if "Action=GetRole&" in e["body"] and
                dict((k.lower(), v) for k, v in e["headers"]).get("x-amz-security-token") == who["session_token"]]

    def test_sso_role_no_entry_get_role_allowed(self):
        # EKS refuses the path-less ARN of an SSO role: the fix names the
        # role's IAM ARN, path included, as GetRole gives it.
        out = self.json_run(JANE, "--cluster", "apionly")
        v = out["verdict"]
        self.assertEqual((v["status"], v["class"]), ("denied", "no_access_entry"))
        self.assertEqual(out["identity"]["principal_arn"], "arn:aws:iam::%s:role/%s" % (A, SSO))
        create = [f for f in v["fix"] if "create-access-entry" in f]
        self.assertEqual(len(create), 1, v["fix"])
        words = shlex.split(create[0])  # as a shell would run it
        self.assertEqual(words[words.index("--principal-arn") + 1], SSO_IAM_ARN)
        self.assertFalse(any("aws iam get-role" in f for f in v["fix"]), v["fix"])
        calls = self.get_role_calls(JANE)
        self.assertTrue(calls)
        self.assertEqual(calls[-1]["body"], "Action=GetRole&Version=2010-05-08&RoleName=" + SSO)
        auth = dict((k.lower(), val) for k, val in calls[-1]["headers"])["authorization"]
        self.assertRegex(auth, r"Credential=ASIAJANE/\d{8}/%s/iam/aws4_request" % REGION)

    def test_sso_role_no_entry_get_role_denied(self):
        out = self.json_run(JOE, "--cluster", "apionly")
        v = out["verdict"]
        self.assertEqual((v["status"], v["class"]), ("denied", "no_access_entry"))
        self.assertTrue(self.get_role_calls(JOE))
        getrole = "\"$(aws iam get-role --role-name %s --query Role.Arn --output text)\"" % SSO
        self.assertTrue(any("create-access-entry" in f and "--principal-arn " + getrole in f for f in v["fix"]),
                        v["fix"])
        self.assertFalse(any(SSO_IAM_ARN in f for f in v["fix"]), v["fix"])
        p = self.doctor(JOE, "--cluster", "apionly", fmt="text")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("iam:GetRole was not allowed (", p.stdout)
        self.assertIn(getrole, p.stdout)

    def test_correct_access_entry_is_ok(self):
        out = self.json_run(DEPLOY, "--cluster", "apionly", rc=0)
        self.assertEqual((out["verdict"]["status"], out["verdict"]["class"]), ("ok", "ok"))
        self.assertEqual((out["token"]["accepted"], out["token"]["http_status"], out["token"]["username"]),
                         (True, 201, "deploy"))
        self.assertIn("system:authenticated", out["token"]["groups"])
        e = out["access_entry"]
        self.assertEqual((e["principal_arn"], e["type"]), ("arn:aws:iam::%s:role/team/deploy" % A, "STANDARD"))
        self.assertEqual([p["policy_arn"] for p in e["access_policies"]], [VIEW])
        self.assertEqual(out["verdict"]["fix"], [])

    def test_role_arn_assumed_role_has_access(self):
        out = self.json_run(NOBODY, "--cluster", "apionly", "--role-arn", "arn:aws:iam::%s:role/admin" % A, rc=0)
        self.assertEqual(out["identity"]["caller_arn"], ASSUMED["arn"])
        self.assertIn("AssumeRole", out["identity"]["source"])
        self.assertEqual(out["verdict"]["status"], "ok")

    def test_assume_role_refused(self):
        out = self.json_run(NOBODY, "--cluster", "apionly", "--role-arn", "arn:aws:iam::%s:role/forbidden" % A)
        v = out["verdict"]
        self.assertEqual((v["status"], v["class"]), ("denied", "credentials_failed"))
        self.assertIn("AccessDenied", v["cause"])
        self.assertEqual(v["fix"], ["aws sts assume-role --role-session-name authlog-scan-doctor --role-arn "
                                    "arn:aws:iam::%s:role/forbidden" % A])
        self.assertFalse(out["token"]["accepted"])
        self.assertIsNone(out["token"]["http_status"])

    def test_expired_sso_session(self):
        cfg = os.path.join(self.tmp.name, "sso-config")
        with open(cfg, "w") as f:
            f.write("[profile dev]\nsso_session = corp\nsso_account_id = %s\nsso_role_name = Admin\n"
                    "region = %s\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
                    "sso_region = %s\n" % (A, REGION, REGION))
        p = self.doctor({"access_key_id": None, "secret_access_key": None, "session_token": None},
                        "--cluster", "paths", "--profile", "dev", env_extra={"AWS_CONFIG_FILE": cfg})
        self.assertEqual(p.returncode, 1, p.stderr)
        v = json.loads(p.stdout)["verdict"]
        self.assertEqual(v["class"], "credentials_failed")
        self.assertEqual(v["fix"], ["aws sso login --profile dev", "aws sts get-caller-identity --profile dev"])

    def test_broken_aws_auth_yaml(self):
        out = self.json_run(BUILDER, "--cluster", "broken", "--aws-auth", self.cm("broken"))
        v = out["verdict"]
        self.assertEqual((v["status"], v["class"]), ("denied", "not_mapped"))
        self.assertIn("mapRoles does not parse", v["cause"])
        kinds = [p["kind"] for p in out["aws_auth"]["problems"]]
        self.assertIn("invalid_yaml", kinds)
        self.assertIn("unquoted_template", kinds)
        self.assertEqual(v["fix"], ["kubectl edit configmap aws-auth -n kube-system"])

    def test_node_role_with_standard_entry(self):
        out = self.json_run(NODE, "--cluster", "apionly", rc=0)
        self.assertEqual(out["access_entry"]["type"], "STANDARD")
        self.assertIn("node role with a STANDARD access entry", out["access_entry"]["problem"])
        fix = out["verdict"]["fix"]
        self.assertTrue(fix[0].startswith("aws eks delete-access-entry --cluster-name apionly"), fix)
        self.assertTrue(any("--type EC2_LINUX" in f for f in fix), fix)

    def test_authenticator_logging_off(self):
        out = self.json_run(NOBODY, "--cluster", "quiet")
        v = out["verdict"]
        self.assertEqual((v["status"], v["class"]), ("denied", "logging_disabled"))
        self.assertIs(out["cluster"]["authenticator_logging"], False)
        self.assertIsNone(out["log"])
        self.assertEqual(v["fix"], ["aws eks update-cluster-config --name quiet --region eu-west-1 --logging "
                                    "'{\"clusterLogging\":[{\"types\":[\"authenticator\"],\"enabled\":true}]}'"])

    def test_json_shape(self):
        out = self.json_run(BUILDER, "--cluster", "paths", "--aws-auth", self.cm("paths"))
        self.assertEqual(list(out), ["identity", "cluster", "token", "access_entry", "aws_auth", "log", "verdict"])
        shape = {"identity": {"source": str, "caller_arn": str, "principal_arn": str, "account": str},
                 "cluster": {"name": str, "region": str, "authentication_mode": str, "authenticator_logging": bool,
                             "endpoint": str},
                 "token": {"accepted": bool, "http_status": int, "username": type(None), "groups": type(None)},
                 "aws_auth": {"source": str, "matches": list, "problems": list},
                 "verdict": {"status": str, "class": str, "cause": str, "fix": list}}
        for k, fields in shape.items():
            self.assertEqual(list(out[k]), list(fields), k)
            for f, t in fields.items():
                self.assertIsInstance(out[k][f], t, "%s.%s" % (k, f))
        for p in out["aws_auth"]["problems"]:
            self.assertIsInstance(p["kind"], str)
            self.assertIsInstance(p["detail"], str)
        self.assertTrue(all(isinstance(f, str) for f in out["verdict"]["fix"]))
        self.assertTrue(out["cluster"]["endpoint"].startswith("https://127.0.0.1:"))

    def test_text_verdict_first_then_fix(self):
        p = self.doctor(BUILDER, "--cluster", "paths", "--aws-auth", self.cm("paths"), fmt="text")
        self.assertEqual(p.returncode, 1, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "DENIED: role/builder is mapped in aws-auth with its path /ci/, which never "
                                   "matches [mapping_has_path]")
        self.assertIn("fix:", lines)
        for line in lines[lines.index("fix:") + 1:]:
            self.assertRegex(line, r"^  (eksctl|aws|kubectl) ")

    def import_lines(self, db, lines):
        path = os.path.join(self.tmp.name, "lines.log")
        with open(path, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        p = subprocess.run([BIN, "--db", db, "-q", "import", "--log-group", "/aws/eks/paths/cluster", path],
                           env=clean_env(HOME=self.tmp.name), capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)

    def logs_calls(self, op):
        with open(self.logs_log) as f:
            return [e for e in map(json.loads, f) if e.get("op") == op]

    def test_logs_fetched_and_precedence(self):
        db = os.path.join(self.tmp.name, "logs.db")
        args = ("--cluster", "paths", "--aws-auth", self.cm("paths"))
        # a refusal a second ago ("STS response", "access denied" reach the fake Logs at
        # once; the window ends at the current second)
        self.json_run(BUILDER, *args, "--no-logs", db=db)
        time.sleep(1.1)
        before = len(self.logs_calls("StartQuery"))
        out = self.json_run(BUILDER, *args, db=db)
        queries = self.logs_calls("StartQuery")[before:]
        self.assertEqual(len(queries), 1)
        self.assertEqual(queries[0]["request"].get("logGroupName"), "/aws/eks/paths/cluster", queries[0])
        log = out["log"]
        self.assertGreaterEqual(log["records"], 2)
        self.assertGreaterEqual(log["denials"], 1)
        self.assertEqual(list(log["classes"]), ["not_mapped"])
        # not_mapped in the log ranks below the mapping class found
        self.assertEqual(out["verdict"]["class"], "mapping_has_path")
        p = self.doctor(BUILDER, *args, fmt="text", db=db)
        self.assertRegex(p.stdout, r"\nlogs +\d+ records, \d+ denials, not_mapped \d+ "
                                   r"\(fetched from CloudWatch Logs\)\n")
        before = len(self.logs_calls("StartQuery"))
        self.assertIsNone(self.json_run(BUILDER, *args, "--no-logs", db=db)["log"])
        self.assertEqual(len(self.logs_calls("StartQuery")), before)
        # a denial without an ARN saying the token itself failed ranks above it
        now = time.gmtime(time.time() - 60)
        self.import_lines(db, ['time="%s" level=warning msg="access denied" client="127.0.0.1:5000" '
                               'error="input token was not properly formatted: X-Amz-Date parameter is expired '
                               '(15 minute expiration) %s" method=POST path=/authenticate'
                               % (time.strftime("%Y-%m-%dT%H:%M:%SZ", now),
                                  time.strftime("%Y-%m-%d %H:%M:%S +0000 UTC", time.gmtime(time.time() - 1200)))])
        out = self.json_run(BUILDER, *args, db=db)
        self.assertEqual(out["log"]["classes"].get("token_expired"), 1, out["log"])
        self.assertEqual((out["verdict"]["status"], out["verdict"]["class"]), ("denied", "token_expired"))
        # --since after the records: none counted
        out = self.json_run(BUILDER, *args, "--since", time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                     time.gmtime(time.time() + 3600)), db=db)
        self.assertEqual((out["log"]["records"], out["verdict"]["class"]), (0, "mapping_has_path"))

    def kubeconfig(self, name, *exec_args):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write("apiVersion: v1\nkind: Config\ncurrent-context: ctx\n"
                    "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n"
                    "contexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u\n"
                    "users:\n- name: u\n  user:\n    exec:\n"
                    "      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n"
                    "      args: [%s]\n" % ", ".join(json.dumps(a) for a in exec_args))
        return path

    def test_kubeconfig_gives_cluster_and_role(self):
        # what `aws eks update-kubeconfig --role-arn` writes: --role
        kc = self.kubeconfig("kc-admin", "--region", REGION, "eks", "get-token", "--cluster-name", "apionly",
                             "--output", "json", "--role", "arn:aws:iam::%s:role/admin" % A)
        out = self.json_run(NOBODY, "--kubeconfig", kc, rc=0)
        self.assertEqual((out["cluster"]["name"], out["identity"]["caller_arn"]), ("apionly", ASSUMED["arn"]))
        # a flag overrides the kubeconfig
        out = self.json_run(NOBODY, "--kubeconfig", kc, "--role-arn", "arn:aws:iam::%s:role/forbidden" % A)
        self.assertEqual(out["verdict"]["class"], "credentials_failed")
        p = self.doctor(NOBODY, "--kubeconfig", os.path.join(self.tmp.name, "missing"))
        self.assertEqual(p.returncode, 66)
        self.assertRegex(p.stderr, r"^authlog-scan: doctor: .*missing: No such file")

    def test_wrong_arn_in_aws_auth(self):
        out = self.json_run(TYPO, "--cluster", "paths", "--aws-auth", self.cm("paths"))
        v = out["verdict"]
        self.assertEqual((v["status"], v["class"]), ("denied", "mapping_wrong_arn"))
        self.assertIn("assumed-role/typo/s9 (assumed_role_arn)", v["cause"])

    def test_no_cause_found_is_unknown(self):
        # CONFIG_MAP, logging on, aws-auth not given, nothing in the logs
        p = self.doctor(NOBODY, "--cluster", "paths", "--no-logs", fmt="text")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertTrue(p.stdout.startswith("UNKNOWN: role/nobody is refused and no cause was found (checked: "
                                            "the token) [unknown]\n"), p.stdout)
        self.assertIn("aws-auth was not seen: pass --aws-auth FILE", p.stdout)
        self.assertNotIn("\nfix:", p.stdout)

    def test_both_modes_no_entry(self):
        out = self.json_run(NOBODY, "--cluster", "both", "--aws-auth", self.cm("both"))
        self.assertEqual(out["verdict"]["class"], "no_access_entry")
        # mapped in aws-auth, which this mode reads: accepted
        out = self.json_run(OPS, "--cluster", "both", "--aws-auth", self.cm("both"), rc=0)
        self.assertEqual(out["verdict"]["status"], "ok")

    def test_recreated_principal(self):
        out = self.json_run(RECREATED, "--cluster", "both")
        v = out["verdict"]
        self.assertEqual((v["status"], v["class"]), ("denied", "not_mapped"))
        self.assertIn("deleted and re-created", v["cause"])
        self.assertEqual(out["access_entry"]["principal_arn"], "arn:aws:iam::%s:role/recreated" % A)
        self.assertTrue(v["fix"][0].startswith("aws eks delete-access-entry --cluster-name both"), v["fix"])

    def test_aws_auth_read_through_the_api(self):
        out = self.json_run(NOBODY, "--cluster", "apionly", "--role-arn", "arn:aws:iam::%s:role/admin" % A, rc=0)
        self.assertEqual(out["aws_auth"]["source"], "api")

    def eks_with(self, **extra):
        d = tempfile.mkdtemp(dir=self.tmp.name)
        with open(os.path.join(self.tmp.name, "eks.json")) as f:
            data = json.load(f)
        data.update(extra)
        with open(os.path.join(d, "eks.json"), "w") as f:
            json.dump(data, f)
        port_file = os.path.join(d, "port")
        proc, port = start_fake([sys.executable, FAKE_EKS, "--port-file", port_file, "--data",
                                 os.path.join(d, "eks.json")], clean_env(), port_file)
        self.addCleanup(stop, proc)
        return "http://127.0.0.1:%d" % port

    def test_denied_eks_calls_exit_77(self):
        for op, cluster in (("DescribeCluster", "paths"), ("ListAccessEntries", "apionly"),
                            ("ListAssociatedAccessPolicies", "apionly")):
            url = self.eks_with(deny=[op])
            self.eks_url, saved = url, self.eks_url
            try:
                p = self.doctor(DEPLOY, "--cluster", cluster)
            finally:
                self.eks_url = saved
            self.assertEqual(p.returncode, 77, p.stderr)
            self.assertRegex(p.stderr, r"^authlog-scan: doctor: eks:%s denied: " % op)
            self.assertEqual(p.stdout, "")

    def test_eks_unreachable_exit_69(self):
        saved = self.eks_url
        self.eks_url = "http://127.0.0.1:1"
        try:
            p = self.doctor(DEPLOY, "--cluster", "paths")
        finally:
            self.eks_url = saved
        self.assertEqual(p.returncode, 69, p.stderr)

    def test_usage_and_config_errors(self):
        p = self.doctor(NOBODY)
        self.assertEqual(p.returncode, 78)
        self.assertRegex(p.stderr, r"^authlog-scan: doctor: no cluster")
        p = self.doctor(NOBODY, "--cluster", "paths", "--bogus")
        self.assertEqual(p.returncode, 64)
        p = self.doctor(NOBODY, "--cluster", "nosuch")
        self.assertEqual(p.returncode, 78, p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
