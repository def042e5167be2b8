#!/usr/bin/env python3
"""`authlog-scan clusters discover` through the built binary against
tests/fake_eks.py (ListClusters paged two at a time, DescribeCluster, every
signature checked with botocore for the one key the test expects): the
sections parse as the fleet file's INI, each cluster's mode and logging are
said, the command that turns a log on runs as printed, hostile names from
the API are skipped and escaped, the profile's credentials and the region
sign every request, and the failures exit with one line and the status
doctor and whoami use."""
import configparser
import json
import os
import shlex
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from awsutil import SANITIZER_RE, SOURCE_ROOT, FakeEks, clean_env, free_port  # noqa: E402

BIN = os.environ.get("AUTHLOG_BIN") or os.path.join(SOURCE_ROOT, "build", "authlog-scan")
EX_OK, EX_USAGE, EX_UNAVAILABLE, EX_NOPERM, EX_CONFIG = 0, 64, 69, 77, 78
A = "111122223333"
REGION = "eu-west-1"
# The profile's keys; the environment holds other ones, which the fake refuses.
DEV_KEY, DEV_SECRET = "AKIDDEVPROFILE", "dev/secret+key"
ENV_KEY, ENV_SECRET = "AKIDENVIRONMENT", "env-secret"
HOSTILE = "evil\x1b]0;pwned\x07\u202e"
INJECT = "x;touch${IFS}p"
ENABLE = ("aws eks update-cluster-config --name %s --region %s --logging "
          "'{\"clusterLogging\":[{\"types\":[\"authenticator\"],\"enabled\":true}]}'")

CLUSTERS = [
    {"name": "prod", "authenticationMode": "API_AND_CONFIG_MAP", "logging": ["api", "authenticator"]},
    {"name": "apionly", "authenticationMode": "API", "logging": ["authenticator"], "version": "1.32"},
    {"name": "quiet", "authenticationMode": "CONFIG_MAP", "logging": ["audit"]},
    {"name": "legacy", "version": "1.22"},  # no accessConfig: CONFIG_MAP, defaulted; no log type on
    {"name": "staging_2", "authenticationMode": "API_AND_CONFIG_MAP", "logging": ["authenticator"],
     "status": "UPDATING"},
    {"name": "secret", "authenticationMode": "API", "logging": ["authenticator"]},
]
# Listed after the real clusters: a hostile name, a shell injection, a
# number, "prod" again, and a cluster deleted before DescribeCluster.
EXTRA = [HOSTILE, INJECT, 7, "prod", "deleted"]


class Discover(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="test_discover.")
        d = cls.tmp.name
        cls.config = os.path.join(d, "config")
        with open(cls.config, "w") as f:
            f.write("[profile dev]\nregion = us-west-2\n")
        cls.creds = os.path.join(d, "credentials")
        with open(cls.creds, "w") as f:
            f.write("[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (DEV_KEY, DEV_SECRET))
        data = {"account": A, "region": REGION, "page_size": 2, "deny": ["DescribeCluster:secret"],
                "clusters": CLUSTERS, "list_extra": EXTRA}
        cls.fake = FakeEks(data, ["%s:%s" % (DEV_KEY, DEV_SECRET), "%s:%s" % (ENV_KEY, ENV_SECRET)]).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.fake.__exit__(None, None, None)
        cls.tmp.cleanup()

    def run_bin(self, *args, url=None, env_extra=None, **env_over):
        env = clean_env(HOME=self.tmp.name, AWS_ACCESS_KEY_ID=ENV_KEY, AWS_SECRET_ACCESS_KEY=ENV_SECRET,
                        AWS_CONFIG_FILE=self.config, AWS_SHARED_CREDENTIALS_FILE=self.creds,
                        AWS_ENDPOINT_URL_EKS=url or self.fake.url, AWS_EC2_METADATA_DISABLED="true",
                        AWS_MAX_ATTEMPTS="1")
        env.update(env_extra or {})
        for k, v in env_over.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        p = subprocess.run([BIN] + list(args), env=env, capture_output=True, timeout=60)
        out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        if SANITIZER_RE.search(err):
            raise AssertionError("sanitizer report:\n" + err)
        return p.returncode, out, err, p.stdout

    def discover(self, *args, rc=EX_NOPERM, **kw):
        got, out, err, raw = self.run_bin("clusters", "discover", *args, **kw)
        self.assertEqual(got, rc, out + err)
        return out, err, raw

    def sections(self, text):
        """The output read as the fleet file is: INI, '#' comments."""
        ini = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",))
        ini.read_string(text)
        return {s[len("cluster "):]: dict(ini[s]) for s in ini.sections()}, ini.sections()

    def test_sections_with_profile(self):
        n = len(self.fake.log())
        out, err, raw = self.discover("--region", REGION, "--profile", "dev")
        got, names = self.sections(out)
        self.assertEqual(names, ["cluster " + c for c in sorted(["prod", "apionly", "quiet", "legacy", "staging_2",
                                                               "secret"])])
        for name in ("prod", "apionly", "quiet", "legacy", "staging_2"):
            self.assertEqual(got[name], {"region": REGION, "profile": "dev", "account": A}, name)
        # DescribeCluster denied for one: its section says so, without an account
        self.assertEqual(got["secret"], {"region": REGION, "profile": "dev"})
        self.assertIn("[cluster secret]\nregion = eu-west-1\nprofile = dev\n# DescribeCluster failed "
                      "(eks:DescribeCluster denied: DescribeCluster: AccessDeniedException:", out)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertRegex(err, r"^authlog-scan: clusters discover: DescribeCluster failed for 1 of 6 clusters .*: "
                              r"secret: eks:DescribeCluster denied: ")

        block = {c: out.split("[cluster %s]\n" % c)[1].split("\n\n")[0] for c in got}
        self.assertIn("# authentication mode API_AND_CONFIG_MAP; Kubernetes 1.31, ACTIVE\n# authenticator log on",
                      block["prod"])
        self.assertIn("# authentication mode API; Kubernetes 1.32, ACTIVE\n", block["apionly"])
        self.assertIn("; Kubernetes 1.31, UPDATING\n", block["staging_2"])
        self.assertIn("# authentication mode CONFIG_MAP (the answer has none", block["legacy"])
        for name in ("quiet", "legacy"):
            self.assertIn("# authenticator log OFF: nothing is logged", block[name])
            cmd = [l[len("#   "):] for l in block[name].splitlines() if l.startswith("#   ")]
            self.assertEqual(cmd, [ENABLE % (name, REGION) + " --profile dev"])
            argv = shlex.split(cmd[0])  # runs as printed
            self.assertEqual(argv[:4] + argv[-2:], ["aws", "eks", "update-cluster-config", "--name", "--profile", "dev"])
            self.assertEqual(json.loads(argv[argv.index("--logging") + 1]),
                             {"clusterLogging": [{"types": ["authenticator"], "enabled": True}]})
        for name in ("prod", "apionly", "staging_2"):
            self.assertNotIn("update-cluster-config", block[name])

        # the names that are not cluster names: skipped, said, escaped
        self.assertNotIn(b"\x1b", raw)
        self.assertNotIn(b"\x07", raw)
        self.assertNotIn("\u202e".encode(), raw)
        self.assertIn('# skipped "evil\\x1b]0;pwned\\x07\\u{202E}": ListClusters listed it, but ', out)
        self.assertIn('# skipped "%s": ListClusters listed it, but an EKS cluster name is made of' % INJECT, out)
        self.assertIn("# skipped deleted: ListClusters listed it, but DescribeCluster no longer finds it", out)
        self.assertEqual(out.count("[cluster prod]"), 1)  # listed twice, one section

        calls = self.fake.log()[n:]
        lists = [c for c in calls if c["op"] == "ListClusters"]
        self.assertEqual(len(lists), 6)  # 11 names, two a page
        self.assertEqual(lists[0]["query"], "maxResults=100")
        self.assertTrue(all("nextToken=" in c["query"] for c in lists[1:]), lists)
        self.assertEqual(sorted(c["path"] for c in calls if c["op"] == "DescribeCluster"),
                         sorted("/clusters/" + c for c in list(got) + ["deleted"]))
        # the profile's credentials signed every request, for the region given
        self.assertTrue(calls)
        self.assertEqual({(c["access_key"], c["scope_region"], c["sigv4"]) for c in calls},
                         {(DEV_KEY, REGION, "ok")})

    def test_region_from_the_profile_and_env_keys(self):
        # without --profile: the environment's keys; the region is the profile's
        # only when the profile is chosen, so AWS_PROFILE picks it
        n = len(self.fake.log())
        out, _, _ = self.discover(env_extra={"AWS_PROFILE": "dev"}, AWS_ACCESS_KEY_ID=None,
                                  AWS_SECRET_ACCESS_KEY=None)
        got, _ = self.sections(out)
        self.assertEqual(got["prod"], {"region": "us-west-2", "account": A})  # no --profile: no profile key
        self.assertIn(ENABLE % ("quiet", "us-west-2") + "\n", out)
        calls = self.fake.log()[n:]
        self.assertEqual({(c["access_key"], c["scope_region"]) for c in calls}, {(DEV_KEY, "us-west-2")})
        n = len(self.fake.log())
        self.discover("--region", "ap-south-1")
        calls = self.fake.log()[n:]
        self.assertEqual({(c["access_key"], c["scope_region"], c["sigv4"]) for c in calls},
                         {(ENV_KEY, "ap-south-1", "ok")})

    def test_json(self):
        out, err, _ = self.discover("--region", REGION, "--profile", "dev", "--json")
        doc = json.loads(out)
        self.assertEqual(set(doc), {"schema_version", "region", "profile", "clusters", "invalid_names", "gone"})
        self.assertEqual((doc["schema_version"], doc["region"], doc["profile"]), (1, REGION, "dev"))
        self.assertEqual(doc["invalid_names"], [HOSTILE, INJECT])  # exact, in the order listed
        self.assertEqual(doc["gone"], ["deleted"])
        by = {c["name"]: c for c in doc["clusters"]}
        self.assertEqual(list(by), sorted(by))
        keys = {"name", "region", "account", "arn", "status", "version", "auth_mode", "auth_mode_defaulted",
                "authenticator_logging", "enable_logging", "error"}
        self.assertTrue(all(set(c) == keys for c in doc["clusters"]), doc["clusters"])
        self.assertEqual(by["prod"], {"name": "prod", "region": REGION, "account": A,
                                      "arn": "arn:aws:eks:%s:%s:cluster/prod" % (REGION, A), "status": "ACTIVE",
                                      "version": "1.31", "auth_mode": "API_AND_CONFIG_MAP",
                                      "auth_mode_defaulted": False, "authenticator_logging": True,
                                      "enable_logging": None, "error": None})
        self.assertEqual((by["apionly"]["auth_mode"], by["legacy"]["auth_mode"], by["legacy"]["auth_mode_defaulted"]),
                         ("API", "CONFIG_MAP", True))
        self.assertEqual(by["quiet"]["authenticator_logging"], False)
        self.assertEqual(by["quiet"]["enable_logging"], ENABLE % ("quiet", REGION) + " --profile dev")
        s = by["secret"]
        self.assertEqual((s["account"], s["auth_mode"], s["authenticator_logging"], s["enable_logging"]),
                         (None, None, None, None))
        self.assertIn("AccessDeniedException", s["error"])
        self.assertEqual(len(err.splitlines()), 1)

    def test_list_denied(self):
        with FakeEks({"account": A, "region": REGION, "deny": ["ListClusters"], "clusters": CLUSTERS},
                     ["%s:%s" % (ENV_KEY, ENV_SECRET)]) as fake:
            out, err, _ = self.discover("--region", REGION, url=fake.url)
            self.assertEqual(out, "")
            self.assertEqual(len(err.splitlines()), 1, err)
            self.assertRegex(err, r"^authlog-scan: clusters discover: eks:ListClusters denied: ListClusters: "
                                  r"AccessDeniedException: .*not authorized to perform: eks:ListClusters")
            self.assertEqual([c["op"] for c in fake.log()], ["ListClusters"])

    def test_all_described_and_none(self):
        with FakeEks({"account": A, "region": REGION, "clusters": CLUSTERS[:2]},
                     ["%s:%s" % (ENV_KEY, ENV_SECRET)]) as fake:
            out, err, _ = self.discover("--region", REGION, url=fake.url, rc=EX_OK)
            self.assertEqual(err, "")
            self.assertEqual(sorted(self.sections(out)[0]), ["apionly", "prod"])
            self.assertNotIn("skipped", out)
        with FakeEks({"account": A, "region": REGION, "clusters": []}, ["%s:%s" % (ENV_KEY, ENV_SECRET)]) as fake:
            out, err, _ = self.discover("--region", REGION, url=fake.url, rc=EX_OK)
            self.assertEqual(out, "# EKS clusters in eu-west-1: none\n")
            out, err, _ = self.discover("--region", REGION, "--json", url=fake.url, rc=EX_OK)
            self.assertEqual(json.loads(out)["clusters"], [])

    def test_failures(self):
        # no region
        _, err, _ = self.discover(rc=EX_CONFIG, AWS_CONFIG_FILE=os.devnull)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("clusters discover: ", err)
        # no credentials
        _, err, _ = self.discover("--region", REGION, rc=EX_CONFIG, AWS_ACCESS_KEY_ID=None,
                                  AWS_SECRET_ACCESS_KEY=None, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        self.assertEqual(len(err.splitlines()), 1, err)
        # nothing listens
        out, err, _ = self.discover("--region", REGION, url="http://127.0.0.1:%d" % free_port(), rc=EX_UNAVAILABLE)
        self.assertEqual((out, len(err.splitlines())), ("", 1), err)
        # a signed request to plain http that is not loopback is refused before it is sent
        _, err, _ = self.discover("--region", REGION, url="http://192.0.2.1:9", rc=EX_CONFIG)
        self.assertEqual(len(err.splitlines()), 1, err)

    def test_usage(self):
        for args in (["clusters"], ["clusters", "nosuch"], ["clusters", "discover", "extra"],
                     ["clusters", "discover", "--bogus"], ["clusters", "discover", "--profile", ""],
                     ["clusters", "discover", "--profile", "-x"], ["clusters", "discover", "--profile", " dev"],
                     ["clusters", "discover", "--profile", "de\nv"]):
            rc, out, err, _ = self.run_bin(*args)
            self.assertEqual(rc, EX_USAGE, (args, out, err))
            self.assertEqual(out, "")
            self.assertTrue(err.startswith("authlog-scan: clusters"), err)
            self.assertNotIn("\nv'", err)
        rc, out, err, _ = self.run_bin("clusters", "--help")
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("discover", out)
        rc, out, err, _ = self.run_bin("clusters", "discover", "--help")
        self.assertEqual((rc, err), (0, ""))
        for opt in ("--region", "--profile", "--json", "eks:ListClusters", "Exit status"):
            self.assertIn(opt, out)
        rc, out, _, _ = self.run_bin("--help")
        self.assertIn("clusters", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
