/* kubeconfig_load / kubeconfig_parse / kubeconfig_default_path: the files
 * `aws eks update-kubeconfig` and eksctl write, hand-edited ones, every
 * exec command-line form doctor reads, secrets never kept, and one-line
 * errors that name FILE:LINE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeconfig.h"
#include "status.h"
#include "tap.h"

static char path[4096];
static char err[512];

static const char *fixture(const char *name)
{
	const char *root = getenv("AUTHLOG_SOURCE_ROOT");
	snprintf(path, sizeof path, "%s/fixtures/kubeconfig/%s", root ? root : ".", name);
	return path;
}

/* 1 when s occurs in any string the struct holds. */
static int kept_anywhere(const struct kubeconfig *kc, const char *s)
{
	const char *fields[] = {kc->path, kc->context, kc->cluster_name, kc->server, kc->ca_file,
				kc->tls_server_name, kc->user_name, kc->exec_api_version, kc->exec_command,
				kc->eks.cluster, kc->eks.cluster_id, kc->eks.region, kc->eks.profile,
				kc->eks.role_arn};
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
		if (fields[i] && strstr(fields[i], s))
			return 1;
	for (size_t i = 0; i < kc->exec_nargs; i++)
		if (strstr(kc->exec_args[i], s))
			return 1;
	for (size_t i = 0; i < kc->exec_nenv; i++)
		if (strstr(kc->exec_env[i].name, s) || (kc->exec_env[i].value && strstr(kc->exec_env[i].value, s)))
			return 1;
	return kc->ca_data && memmem(kc->ca_data, kc->ca_data_len, s, strlen(s)) != NULL;
}

static void test_update_kubeconfig(void)
{
	struct kubeconfig kc;
	int rc = kubeconfig_load(fixture("update-kubeconfig.yaml"), NULL, &kc, err, sizeof err);
	is_int(rc, AL_OK, "update-kubeconfig: loads (%s)", rc ? err : "");
	is_str(kc.context, "arn:aws:eks:eu-west-1:111122223333:cluster/prod", "  current-context chosen");
	ok(kc.context_from_file, "  from current-context");
	is_int(kc.context_line, 12, "  context entry line");
	ok(kc.cluster_found && kc.user_found, "  cluster and user found");
	is_str(kc.server, "https://0C3E5A1F8B6D4E2A9F7C1B3D5E7A9C2F.gr7.eu-west-1.eks.amazonaws.com", "  server");
	ok(kc.ca_data && kc.ca_data_len > 100 &&
		   memcmp(kc.ca_data, "-----BEGIN CERTIFICATE-----\n", 28) == 0,
	   "  certificate-authority-data decoded to PEM");
	ok(kc.ca_data && memmem(kc.ca_data, kc.ca_data_len, "-----END CERTIFICATE-----\n", 26), "  PEM complete");
	ok(kc.has_exec, "  exec");
	is_str(kc.exec_command, "aws", "  command");
	is_str(kc.exec_api_version, "client.authentication.k8s.io/v1beta1", "  apiVersion");
	is_int(kc.exec_nargs, 10, "  args");
	is_str(kc.exec_nargs == 10 ? kc.exec_args[9] : NULL, "arn:aws:iam::111122223333:role/eks-admin", "  last arg");
	is_int(kc.eks.kind, KUBECONFIG_EXEC_AWS_CLI, "  aws eks get-token");
	is_str(kc.eks.cluster, "prod", "  --cluster-name");
	is_str(kc.eks.region, "eu-west-1", "  --region before eks");
	is_int(kc.eks.region_source, KUBECONFIG_REGION_ARG, "  region from --region");
	is_str(kc.eks.role_arn, "arn:aws:iam::111122223333:role/eks-admin", "  --role is --role-arn");
	is_str(kc.eks.profile, "dev", "  AWS_PROFILE from env");
	ok(kc.eks.profile_from_env, "  profile_from_env");
	ok(kc.eks.cluster_id == NULL, "  no cluster id");
	kubeconfig_free(&kc);

	rc = kubeconfig_load(fixture("update-kubeconfig.yaml"), "arn:aws:eks:us-east-2:111122223333:cluster/staging",
			     &kc, err, sizeof err);
	is_int(rc, AL_OK, "update-kubeconfig --context staging");
	ok(!kc.context_from_file, "  given context");
	is_str(kc.eks.cluster, "staging", "  cluster");
	is_str(kc.eks.region, "us-east-2", "  region");
	ok(!kc.eks.role_arn && !kc.eks.profile, "  no role, no profile");
	kubeconfig_free(&kc);
}

static void test_eksctl(void)
{
	struct kubeconfig kc;
	int rc = kubeconfig_load(fixture("eksctl-authenticator.yaml"), NULL, &kc, err, sizeof err);
	is_int(rc, AL_OK, "eksctl aws-iam-authenticator: loads (%s)", rc ? err : "");
	is_int(kc.eks.kind, KUBECONFIG_EXEC_AUTHENTICATOR, "  aws-iam-authenticator token");
	is_str(kc.eks.cluster, "ops", "  -i");
	is_str(kc.eks.role_arn, "arn:aws:iam::111122223333:role/ci/deployer", "  -r");
	is_str(kc.eks.region, "us-west-2", "  region");
	is_int(kc.eks.region_source, KUBECONFIG_REGION_ENV_DEFAULT_REGION, "  from AWS_DEFAULT_REGION");
	is_str(kc.eks.profile, "ops", "  AWS_PROFILE");
	is_int(kc.exec_nenv, 3, "  three env entries");
	is_str(kc.exec_nenv ? kc.exec_env[0].value : NULL, "regional", "  AWS_STS_REGIONAL_ENDPOINTS kept");
	kubeconfig_free(&kc);
}

static void test_mixed(void)
{
	struct kubeconfig kc;
	const char *f = fixture("mixed.yaml");
	char dir[4096];
	snprintf(dir, sizeof dir, "%.*s/certs/dev-ca.crt", (int)(strrchr(f, '/') - f), f);

	int rc = kubeconfig_load(f, NULL, &kc, err, sizeof err);
	is_int(rc, AL_OK, "mixed: dev loads (%s)", rc ? err : "");
	is_str(kc.ca_file, dir, "  certificate-authority relative to the file");
	ok(!kc.ca_data, "  no CA data");
	is_str(kc.tls_server_name, "a1b2c3d4e5f60718293a4b5c6d7e8f90.gr7.eu-central-1.eks.amazonaws.com", "  tls-server-name");
	is_int(kc.eks.kind, KUBECONFIG_EXEC_AWS_CLI, "  /usr/local/bin/aws is the AWS CLI");
	is_str(kc.eks.cluster, "dev", "  cluster");
	is_str(kc.eks.region, "eu-central-1", "  --region=R wins over env AWS_REGION");
	is_int(kc.eks.region_source, KUBECONFIG_REGION_ARG, "  from --region");
	is_str(kc.eks.role_arn,
	       "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_0123456789abcdef",
	       "  --role-arn as written");
	is_str(kc.eks.profile, "sso-dev", "  profile");
	is_int(kc.exec_nenv, 3, "  env entries");
	is_str(kc.exec_nenv == 3 ? kc.exec_env[1].name : NULL, "AWS_SECRET_ACCESS_KEY", "  secret's name kept");
	ok(kc.exec_nenv == 3 && kc.exec_env[1].value == NULL, "  secret's value not kept");
	ok(!kept_anywhere(&kc, "wJalrXUtnFEMI"), "  the secret is nowhere in the struct");
	kubeconfig_free(&kc);

	rc = kubeconfig_load(f, "legacy", &kc, err, sizeof err);
	is_int(rc, AL_OK, "mixed: legacy (static token)");
	ok(kc.user_has_token && !kc.has_exec, "  token seen, no exec");
	ok(kc.insecure_skip_tls_verify, "  insecure-skip-tls-verify");
	ok(!kept_anywhere(&kc, "k8s-aws-v1."), "  the token is not kept");
	is_int(kc.eks.kind, KUBECONFIG_EXEC_NONE, "  no plugin");
	kubeconfig_free(&kc);

	rc = kubeconfig_load(f, "certs", &kc, err, sizeof err);
	is_int(rc, AL_OK, "mixed: client certificate user");
	ok(kc.user_has_client_cert && !kc.user_has_token, "  client cert seen");
	ok(!kept_anywhere(&kc, "LS0tLS1CRUdJTiBFQyBQUklW"), "  the key is not kept");
	kubeconfig_free(&kc);

	rc = kubeconfig_load(f, "gke", &kc, err, sizeof err);
	is_int(rc, AL_OK, "mixed: another plugin");
	is_int(kc.eks.kind, KUBECONFIG_EXEC_OTHER, "  other");
	ok(!kc.eks.cluster && !kc.eks.region, "  nothing read from its args");
	kubeconfig_free(&kc);

	rc = kubeconfig_load(f, "dangling", &kc, err, sizeof err);
	is_int(rc, AL_OK, "mixed: a context naming no cluster or user is kept");
	ok(!kc.cluster_found && !kc.user_found && !kc.server, "  found flags 0");
	is_str(kc.cluster_name, "nowhere", "  its cluster name");
	kubeconfig_free(&kc);

	rc = kubeconfig_load(f, "nope", &kc, err, sizeof err);
	is_int(rc, AL_CONFIG, "mixed: unknown --context");
	snprintf(dir, sizeof dir, "%s:20: contexts: no context named 'nope'", f);
	is_str(err, dir, "  message names the contexts line");
	kubeconfig_free(&kc);
}

static void expect_error(const char *name, int want_rc, const char *want_tail)
{
	struct kubeconfig kc;
	char want[4200];
	const char *f = fixture(name);
	int rc = kubeconfig_load(f, NULL, &kc, err, sizeof err);
	is_int(rc, want_rc, "%s: refused", name);
	snprintf(want, sizeof want, "%s%s", f, want_tail);
	is_str(err, want, "  message");
	ok(!strchr(err, '\n'), "  one line");
	kubeconfig_free(&kc);
}

static void test_errors(void)
{
	expect_error("bad-duplicate.yaml", AL_CONFIG, ":7: clusters: duplicate name 'c'");
	expect_error("bad-yaml.yaml", AL_CONFIG,
		     ":8:4: invalid YAML: did not find expected key while parsing a block mapping");
	expect_error("bad-ca.yaml", AL_CONFIG, ":8: certificate-authority-data: not base64");
	expect_error("no-current-context.yaml", AL_CONFIG, ":7: current-context: not set; pass --context");
	expect_error("does-not-exist.yaml", AL_NOINPUT, ": No such file or directory");
}

/* A kubeconfig with one context whose user runs cmd with args (a YAML
 * flow list) and env (flow list of {name, value}). */
static int with_exec(struct kubeconfig *kc, const char *cmd, const char *args, const char *env)
{
	char text[2048];
	snprintf(text, sizeof text,
		 "current-context: c\n"
		 "contexts:\n- name: c\n  context: {cluster: k, user: u}\n"
		 "clusters:\n- name: k\n  cluster: {server: 'https://k.example'}\n"
		 "users:\n- name: u\n  user:\n    exec:\n      command: %s\n      args: %s\n      env: %s\n",
		 cmd, args, env);
	return kubeconfig_parse(text, strlen(text), "/etc/kube/config", NULL, kc, err, sizeof err);
}

static void test_exec_forms(void)
{
	struct kubeconfig kc;

	is_int(with_exec(&kc, "aws-iam-authenticator", "[token, -iprod, -r=arn:aws:iam::1:role/a]", "[]"), AL_OK,
	       "authenticator -iX -r=A");
	is_str(kc.eks.cluster, "prod", "  -iprod");
	is_str(kc.eks.role_arn, "arn:aws:iam::1:role/a", "  -r=A");
	kubeconfig_free(&kc);

	is_int(with_exec(&kc, "heptio-authenticator-aws", "[token, --cluster-id=old, --role, x, -r, y]", "null"),
	       AL_OK, "heptio-authenticator-aws, the last -r wins");
	is_int(kc.eks.kind, KUBECONFIG_EXEC_AUTHENTICATOR, "  authenticator");
	is_str(kc.eks.cluster, "old", "  --cluster-id=");
	is_str(kc.eks.role_arn, "y", "  last role");
	kubeconfig_free(&kc);

	is_int(with_exec(&kc, "'C:\\Program Files\\Amazon\\AWSCLIV2\\aws.exe'",
			 "[--profile, p1, eks, get-token, --cluster-id, 0a1b2c3d-1111-2222-3333-444455556666]",
			 "[{name: AWS_PROFILE, value: envp}, {name: AWS_DEFAULT_REGION, value: us-east-1},"
			 " {name: AWS_REGION, value: ap-south-1}]"),
	       AL_OK, "aws.exe with --profile and --cluster-id (Outposts)");
	is_int(kc.eks.kind, KUBECONFIG_EXEC_AWS_CLI, "  aws.exe is the AWS CLI");
	is_str(kc.eks.cluster_id, "0a1b2c3d-1111-2222-3333-444455556666", "  cluster id");
	ok(!kc.eks.cluster, "  no cluster name");
	is_str(kc.eks.profile, "p1", "  --profile wins over AWS_PROFILE");
	ok(!kc.eks.profile_from_env, "  not from env");
	is_str(kc.eks.region, "ap-south-1", "  AWS_REGION before AWS_DEFAULT_REGION");
	is_int(kc.eks.region_source, KUBECONFIG_REGION_ENV_AWS_REGION, "  region source");
	kubeconfig_free(&kc);

	is_int(with_exec(&kc, "aws", "[sts, get-caller-identity, --region, r]", "[]"), AL_OK,
	       "aws without eks get-token");
	is_int(kc.eks.kind, KUBECONFIG_EXEC_OTHER, "  other");
	ok(!kc.eks.region, "  nothing read");
	kubeconfig_free(&kc);

	is_int(with_exec(&kc, "aws", "[eks, get-token, --output, --cluster-name, --cluster-name, real]", "[]"),
	       AL_OK, "an option's value is not read as an option");
	is_str(kc.eks.cluster, "real", "  cluster");
	kubeconfig_free(&kc);

	is_int(with_exec(&kc, "aws", "[eks, get-token, --cluster-name]", "[]"), AL_OK,
	       "an option without its value at the end");
	ok(!kc.eks.cluster, "  no cluster");
	kubeconfig_free(&kc);

	is_int(with_exec(&kc, "aws", "[eks, {a: b}]", "[]"), AL_CONFIG, "an arg that is not a string");
	is_str(err, "/etc/kube/config:13: exec.args: item 2 is not a string", "  message");
	kubeconfig_free(&kc);

	is_int(with_exec(&kc, "aws", "[]", "[{value: x}]"), AL_CONFIG, "an env entry without a name");
	is_str(err, "/etc/kube/config:14: exec.env: item 1 has no name", "  message");
	kubeconfig_free(&kc);

	is_int(with_exec(&kc, "aws", "[]", "[{name: MY_SESSION_TOKEN, value: s3cr3t}, {name: DB_PASSWORD, value: p}]"),
	       AL_OK, "env values named like secrets");
	ok(kc.exec_nenv == 2 && !kc.exec_env[0].value && !kc.exec_env[1].value, "  not kept");
	kubeconfig_free(&kc);

	const char *list = "current-context: c\ncontexts: {c: 1}\n";
	is_int(kubeconfig_parse(list, strlen(list), "k", NULL, &kc, err, sizeof err), AL_CONFIG,
	       "contexts that is not a list");
	is_str(err, "k:2: contexts: not a list", "  message");
	kubeconfig_free(&kc);

	is_int(kubeconfig_parse("", 0, "k", NULL, &kc, err, sizeof err), AL_CONFIG, "an empty file");
	kubeconfig_free(&kc);
}

static void test_default_path(void)
{
	char out[64];
	enum kubeconfig_path_source src;

	setenv("KUBECONFIG", "::/a/one:/b/two", 1);
	setenv("HOME", "/home/u", 1);
	is_int(kubeconfig_default_path("/flag", out, sizeof out, &src, err, sizeof err), AL_OK, "--kubeconfig");
	is_str(out, "/flag", "  the flag");
	is_int(src, KUBECONFIG_FROM_FLAG, "  source flag");
	is_int(kubeconfig_default_path(NULL, out, sizeof out, &src, err, sizeof err), AL_OK, "$KUBECONFIG");
	is_str(out, "/a/one", "  its first non-empty entry");
	is_str(kubeconfig_path_source_name(src), "$KUBECONFIG", "  source name");
	setenv("KUBECONFIG", ":", 1);
	is_int(kubeconfig_default_path("", out, sizeof out, &src, err, sizeof err), AL_OK, "HOME");
	is_str(out, "/home/u/.kube/config", "  ~/.kube/config");
	is_int(src, KUBECONFIG_FROM_HOME, "  source home");
	unsetenv("HOME");
	unsetenv("KUBECONFIG");
	is_int(kubeconfig_default_path(NULL, out, sizeof out, &src, err, sizeof err), AL_CONFIG, "no HOME");
	is_str(err, "no kubeconfig: HOME is not set; use --kubeconfig", "  message");
	is_int(kubeconfig_default_path("/a/path/longer/than/sixty/four/bytes/.............................", out,
				       sizeof out, &src, err, sizeof err),
	       AL_CONFIG, "too long");
	is_str(out, "", "  out emptied");
}

int main(void)
{
	test_update_kubeconfig();
	test_eksctl();
	test_mixed();
	test_errors();
	test_exec_forms();
	test_default_path();
	return tap_done();
}
