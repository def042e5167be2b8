/* The credential chain without the network: env precedence, static
 * profile keys, credential_process (parsing, running, errors, refresh),
 * assume-role configuration errors (mfa_serial), the SSO token cache,
 * container URL rules, STS answers, masking and wiping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/aws_config.h"
#include "aws/aws_creds.h"
#include "aws/aws_creds_int.h"
#include "aws/aws_credprocess_int.h"
#include "aws/aws_secret_int.h"
#include "aws/aws_sts_int.h"
#include "status.h"
#include "tap.h"
#include "timeutil.h"

static char tmpdir[256];
static char cfg_path[512], creds_path[512];

static const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION",
	"AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS",
	"AWS_ENDPOINT_URL_SSO", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
};

static void reset_env(void)
{
	for (size_t i = 0; i < sizeof aws_vars / sizeof *aws_vars; i++)
		unsetenv(aws_vars[i]);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("HOME", tmpdir, 1);
}

static void write_file(const char *path, const char *text, int mode)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
}

static void files(const char *config, const char *credentials)
{
	write_file(cfg_path, config, 0600);
	write_file(creds_path, credentials, 0600);
}

/* Resolves with the current files and environment. */
static int resolve(const char *profile, struct aws_credentials *out, char *err, size_t err_sz)
{
	struct aws_config *cfg = NULL;
	char lerr[512];
	memset(out, 0, sizeof *out);
	if (aws_config_load(cfg_path, creds_path, &cfg, lerr, sizeof lerr)) {
		snprintf(err, err_sz, "config: %s", lerr);
		return -1;
	}
	struct aws_creds_opts o = {.cfg = cfg, .profile = profile, .region = "eu-west-1"};
	int rc = aws_creds_resolve(&o, out, err, err_sz);
	aws_config_free(cfg);
	return rc;
}

static int contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

/* ---- mask / clear / copy ---- */

static const char *wiped_last;
static size_t wiped_n, wiped_calls, wiped_nonzero;

static void wipe_spy(const void *p, size_t n)
{
	const unsigned char *b = p;
	wiped_calls++;
	wiped_n += n;
	for (size_t i = 0; i < n; i++)
		wiped_nonzero += b[i] != 0;
	wiped_last = p;
}

static void test_mask_clear(void)
{
	char m[32];
	aws_credentials_mask("AKIAIOSFODNN7EXAMPLE", m, sizeof m);
	is_str(m, "AKIA\xe2\x80\xa6MPLE", "mask: first 4 and last 4");
	aws_credentials_mask("ASIAXXXXXXXXXXXXWXYZ", m, sizeof m);
	is_str(m, "ASIA\xe2\x80\xa6WXYZ", "mask: temporary key");
	aws_credentials_mask("AKIA1234567", m, sizeof m);
	is_str(m, "\xe2\x80\xa6", "mask: a key under 12 characters shows nothing");
	aws_credentials_mask(NULL, m, sizeof m);
	is_str(m, "", "mask: NULL");
	aws_credentials_mask("AKIAIOSFODNN7EXAMPLE", m, 6);
	ok(strlen(m) < 6, "mask: truncated to the buffer");

	struct aws_credentials c = {0}, d;
	c.access_key_id = strdup("AKIAIOSFODNN7EXAMPLE");
	c.secret_access_key = strdup("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	c.session_token = strdup("FwoGZXIvYXdzEXAMPLETOKEN");
	c.expiration = 1234;
	snprintf(c.source, sizeof c.source, "env");
	ok(aws_credentials_copy(&d, &c) == 0, "copy");
	is_str(d.secret_access_key, c.secret_access_key, "copy: secret");
	ok(d.secret_access_key != c.secret_access_key, "copy: deep");
	is_int(d.expiration, 1234, "copy: expiration");
	is_str(d.source, "env", "copy: source");

	aws_secret_wipe_hook = wipe_spy;
	wiped_n = wiped_calls = wiped_nonzero = 0;
	aws_credentials_clear(&c);
	is_int(wiped_calls, 3, "clear: three strings wiped");
	is_int(wiped_n, 20 + 40 + 24, "clear: every byte of them");
	is_int(wiped_nonzero, 0, "clear: zeroed before free");
	ok(!c.access_key_id && !c.secret_access_key && !c.session_token && c.expiration == 0 && !c.source[0],
	   "clear: struct zeroed");
	aws_credentials_clear(&c);
	ok(1, "clear: twice is safe");
	aws_credentials_clear(&d);
	aws_secret_wipe_hook = NULL;
}

/* ---- env ---- */

static void test_env(void)
{
	struct aws_credentials c;
	char err[1024];
	int rc;

	reset_env();
	files("[profile dev]\nregion = eu-west-1\n",
	      "[dev]\naws_access_key_id = AKIAPROFILEDEV00000\naws_secret_access_key = profilesecret\n"
	      "[default]\naws_access_key_id = AKIADEFAULT00000000\naws_secret_access_key = defaultsecret\n");
	setenv("AWS_ACCESS_KEY_ID", "AKIAENVENVENV000000", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	rc = resolve(NULL, &c, err, sizeof err);
	is_int(rc, AL_OK, "env: resolved (%s)", err);
	is_str(c.access_key_id, "AKIAENVENVENV000000", "env: keys from the environment");
	is_str(c.source, "env", "env: source");
	ok(c.session_token == NULL, "env: no token");
	is_int(c.expiration, 0, "env: no expiration");
	aws_credentials_clear(&c);

	setenv("AWS_PROFILE", "dev", 1);
	rc = resolve(NULL, &c, err, sizeof err);
	is_str(c.access_key_id, "AKIAENVENVENV000000", "env: env keys beat AWS_PROFILE (botocore)");
	aws_credentials_clear(&c);

	rc = resolve("dev", &c, err, sizeof err);
	is_int(rc, AL_OK, "env: --profile resolved");
	is_str(c.access_key_id, "AKIAPROFILEDEV00000", "env: --profile skips the env provider");
	is_str(c.source, "profile:dev (static)", "env: --profile source");
	aws_credentials_clear(&c);
	unsetenv("AWS_PROFILE");

	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	setenv("AWS_CREDENTIAL_EXPIRATION", "2099-01-02T03:04:05Z", 1);
	rc = resolve(NULL, &c, err, sizeof err);
	is_str(c.session_token, "envtoken", "env: AWS_SESSION_TOKEN");
	int64_t want;
	time_parse("2099-01-02T03:04:05Z", 20, &want);
	is_int(c.expiration, want, "env: AWS_CREDENTIAL_EXPIRATION");
	aws_credentials_clear(&c);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_CREDENTIAL_EXPIRATION");

	setenv("AWS_SECURITY_TOKEN", "legacytoken", 1);
	rc = resolve(NULL, &c, err, sizeof err);
	is_str(c.session_token, "legacytoken", "env: legacy AWS_SECURITY_TOKEN");
	aws_credentials_clear(&c);
	unsetenv("AWS_SECURITY_TOKEN");

	unsetenv("AWS_SECRET_ACCESS_KEY");
	rc = resolve(NULL, &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "env: partial keys are an error, not a fall-through");
	ok(contains(err, "AWS_SECRET_ACCESS_KEY"), "env: the message names the missing variable: %s", err);
	ok(c.access_key_id == NULL, "env: nothing returned on error");

	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	rc = resolve(NULL, &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "env: secret without key id");
	ok(contains(err, "AWS_ACCESS_KEY_ID"), "env: names AWS_ACCESS_KEY_ID: %s", err);
	unsetenv("AWS_SECRET_ACCESS_KEY");

	setenv("AWS_ACCESS_KEY_ID", "AKIAENV ENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "x", 1);
	rc = resolve(NULL, &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "env: a key with a space is refused");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");

	rc = resolve(NULL, &c, err, sizeof err);
	is_str(c.access_key_id, "AKIADEFAULT00000000", "env: nothing in env: [default] profile");
	is_str(c.source, "profile:default (static)", "env: default profile source");
	aws_credentials_clear(&c);

	setenv("AWS_PROFILE", "nosuch", 1);
	rc = resolve(NULL, &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "env: AWS_PROFILE naming a missing profile");
	ok(contains(err, "nosuch"), "env: ... is named: %s", err);
	unsetenv("AWS_PROFILE");
}

/* ---- static profile keys ---- */

static void test_static(void)
{
	struct aws_credentials c;
	char err[1024];
	int rc;

	reset_env();
	files("[profile both]\naws_access_key_id = AKIACONFIGFILE00000\naws_secret_access_key = cfgsecret\n"
	      "[profile cfgonly]\naws_access_key_id = AKIACONFIGONLY00000\naws_secret_access_key = cfgonlysecret\n"
	      "aws_session_token = cfgtoken\n"
	      "[profile half]\naws_access_key_id = AKIAHALF00000000000\n"
	      "[profile empty]\nregion = us-east-1\n"
	      "[cfgbare]\naws_access_key_id = AKIABARESECTION0000\naws_secret_access_key = x\n",
	      "[both]\naws_access_key_id = AKIACREDFILE0000000\naws_secret_access_key = credsecret\n");
	rc = resolve("both", &c, err, sizeof err);
	is_int(rc, AL_OK, "static: resolved (%s)", err);
	is_str(c.access_key_id, "AKIACREDFILE0000000", "static: the credentials file beats the config file");
	is_str(c.secret_access_key, "credsecret", "static: secret");
	aws_credentials_clear(&c);

	rc = resolve("cfgonly", &c, err, sizeof err);
	is_str(c.access_key_id, "AKIACONFIGONLY00000", "static: keys in the config file");
	is_str(c.session_token, "cfgtoken", "static: aws_session_token");
	is_str(c.source, "profile:cfgonly (static)", "static: source");
	aws_credentials_clear(&c);

	rc = resolve("half", &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "static: a key id without a secret");
	ok(contains(err, "half") && contains(err, "aws_secret_access_key"), "static: names profile and key: %s", err);

	rc = resolve("empty", &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "static: a profile without credentials falls through to nothing");
	ok(contains(err, "no AWS credentials"), "static: 'no AWS credentials': %s", err);

	rc = resolve("cfgbare", &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "static: a bare [NAME] in the config file is not a profile");
}

/* ---- credential_process ---- */

static void test_process_parse(void)
{
	struct aws_credentials c;
	char err[1024];
	int rc;
	const char *okj = "{\"Version\": 1, \"AccessKeyId\": \"ASIAPROCESS00000000\", \"SecretAccessKey\": \"procsecret\","
			  " \"SessionToken\": \"proctoken\", \"Expiration\": \"2099-05-26T12:34:56Z\"}";

	rc = aws_credprocess_parse_output(okj, strlen(okj), "p", &c, err, sizeof err);
	is_int(rc, AL_OK, "process json: ok (%s)", err);
	is_str(c.access_key_id, "ASIAPROCESS00000000", "process json: AccessKeyId");
	is_str(c.secret_access_key, "procsecret", "process json: SecretAccessKey");
	is_str(c.session_token, "proctoken", "process json: SessionToken");
	int64_t want;
	time_parse("2099-05-26T12:34:56Z", 20, &want);
	is_int(c.expiration, want, "process json: Expiration");
	aws_credentials_clear(&c);

	const char *noexp = "{\"Version\":1,\"AccessKeyId\":\"AKIAPROC\",\"SecretAccessKey\":\"s\",\"AccountId\":\"111122223333\"}";
	rc = aws_credprocess_parse_output(noexp, strlen(noexp), "p", &c, err, sizeof err);
	is_int(rc, AL_OK, "process json: no Expiration, no token");
	is_int(c.expiration, 0, "process json: never expires");
	ok(c.session_token == NULL, "process json: token NULL");
	aws_credentials_clear(&c);

	const char *frac = "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"2099-05-26T12:34:56.123+02:00\"}";
	rc = aws_credprocess_parse_output(frac, strlen(frac), "p", &c, err, sizeof err);
	is_int(c.expiration, want - 7200, "process json: Expiration with fraction and offset");
	aws_credentials_clear(&c);

	static const struct {
		const char *json, *want, *what;
	} bad[] = {
		{"{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}", "Version", "Version 2"},
		{"{\"Version\":\"1\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}", "Version", "Version as a string"},
		{"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}", "no \"Version\"", "no Version"},
		{"{\"Version\":1,\"SecretAccessKey\":\"s\"}", "AccessKeyId", "no AccessKeyId"},
		{"{\"Version\":1,\"AccessKeyId\":\"A\"}", "SecretAccessKey", "no SecretAccessKey"},
		{"{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"tomorrow\"}",
		 "Expiration", "bad Expiration"},
		{"{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"2001-01-01T00:00:00Z\"}",
		 "expired at 2001-01-01T00:00:00Z", "expired Expiration"},
		{"{\"Version\":1,\"AccessKeyId\":\"A B\",\"SecretAccessKey\":\"s\"}", "AccessKeyId", "space in the key"},
		{"{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"", "not a JSON object", "truncated JSON"},
		{"not json at all", "not a JSON object", "not JSON"},
		{"[1,2]", "not a JSON object", "a JSON array"},
		{"", "not a JSON object", "empty output"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = '\0';
		rc = aws_credprocess_parse_output(bad[i].json, strlen(bad[i].json), "myproc", &c, err, sizeof err);
		is_int(rc, AL_CONFIG, "process json: %s is refused", bad[i].what);
		ok(contains(err, "profile myproc") && contains(err, bad[i].want), "process json: %s: %s",
		   bad[i].what, err);
		ok(c.access_key_id == NULL && c.secret_access_key == NULL, "process json: %s: nothing returned",
		   bad[i].what);
	}
	/* the secret never shows up in an error */
	const char *leak = "{\"Version\":7,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"TOPSECRETVALUE\"}";
	rc = aws_credprocess_parse_output(leak, strlen(leak), "p", &c, err, sizeof err);
	ok(rc == AL_CONFIG && !contains(err, "TOPSECRETVALUE"), "process json: errors never echo the output");
}

static void test_split(void)
{
	char **argv, err[256];
	int rc = aws_credprocess_split("/usr/bin/tool --profile 'my prof' \"a \\\"q\\\" b\" x\\ y '' end",
					 &argv, err, sizeof err);
	ok(rc == 0, "split: ok");
	if (rc == 0) {
		is_str(argv[0], "/usr/bin/tool", "split: argv[0]");
		is_str(argv[1], "--profile", "split: argv[1]");
		is_str(argv[2], "my prof", "split: single quotes");
		is_str(argv[3], "a \"q\" b", "split: double quotes with escaped quotes");
		is_str(argv[4], "x y", "split: backslash-escaped space");
		is_str(argv[5], "", "split: empty quoted word");
		is_str(argv[6], "end", "split: last word");
		ok(argv[7] == NULL, "split: NULL-terminated");
		aws_credprocess_free_argv(argv);
	}
	rc = aws_credprocess_split("a \"b\\$c\" d#e", &argv, err, sizeof err);
	if (ok(rc == 0, "split: shlex keeps '\\$' inside double quotes and '#' in a word")) {
		is_str(argv[1], "b\\$c", "split: \\$ kept");
		is_str(argv[2], "d#e", "split: # kept");
		aws_credprocess_free_argv(argv);
	}
	ok(aws_credprocess_split("tool 'open", &argv, err, sizeof err) == AL_CONFIG && contains(err, "quotation"),
	   "split: unclosed quote: %s", err);
	ok(aws_credprocess_split("tool \\", &argv, err, sizeof err) == AL_CONFIG, "split: trailing backslash");
	ok(aws_credprocess_split("   ", &argv, err, sizeof err) == AL_CONFIG && contains(err, "empty"),
	   "split: empty command");
}

static int64_t fake_now;
static int64_t fake_clock(void)
{
	return fake_now;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, ch;
	if (!f)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static void test_process_run(void)
{
	struct aws_credentials c;
	char err[1024], script[600], cfg[4096], counter[600], iso[TIME_ISO_LEN];
	int rc;

	reset_env();
	snprintf(counter, sizeof counter, "%s/calls", tmpdir);
	unlink(counter);
	snprintf(script, sizeof script, "%s/creds proc.sh", tmpdir);
	/* prints its arguments' JSON; counts its calls */
	write_file(script,
		   "#!/bin/sh\n"
		   "echo x >> \"$COUNTER\"\n"
		   "case \"$1\" in\n"
		   "ok) printf '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC%s\", \"SecretAccessKey\": \"procsecret\", "
		   "\"SessionToken\": \"proctoken\", \"Expiration\": \"%s\"}\\n' \"$(wc -l < \"$COUNTER\" | tr -d ' ')\" \"$2\" ;;\n"
		   "fail) echo 'PROCSTDOUTSECRET'; echo 'token expired, run: sso-helper login' >&2; exit 3 ;;\n"
		   "badjson) echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"BADJSONSECRET\"' ;;\n"
		   "v2) echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\"}' ;;\n"
		   "esac\n",
		   0700);
	setenv("COUNTER", counter, 1);

	time_format(time(NULL) + 3600, iso);
	snprintf(cfg, sizeof cfg,
		 "[profile proc]\ncredential_process = '%s' ok %s\n"
		 "[profile procfail]\ncredential_process = '%s' fail\n"
		 "[profile procbad]\ncredential_process = '%s' badjson\n"
		 "[profile procv2]\ncredential_process = '%s' v2\n"
		 "[profile procmissing]\ncredential_process = %s/no-such-helper --flag\n"
		 "[profile procstatic]\ncredential_process = '%s' ok %s\naws_access_key_id = AKIACONFIGSTATIC000\n"
		 "aws_secret_access_key = s\n",
		 script, iso, script, script, script, tmpdir, script, iso);
	files(cfg, "[procstatic]\naws_access_key_id = AKIACREDSTATIC00000\naws_secret_access_key = s\n");

	rc = resolve("proc", &c, err, sizeof err);
	is_int(rc, AL_OK, "process: ran (%s)", err);
	is_str(c.access_key_id, "ASIAPROC1", "process: AccessKeyId from the helper");
	is_str(c.session_token, "proctoken", "process: SessionToken");
	is_str(c.source, "profile:proc (credential_process)", "process: source");
	ok(c.expiration > time(NULL) + 3000, "process: Expiration");
	aws_credentials_clear(&c);

	rc = resolve("procstatic", &c, err, sizeof err);
	is_str(c.access_key_id, "AKIACREDSTATIC00000", "process: credentials-file keys beat credential_process");
	aws_credentials_clear(&c);

	rc = resolve("procfail", &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "process: non-zero exit is an error");
	ok(contains(err, "profile procfail") && contains(err, "status 3") &&
	   contains(err, "token expired, run: sso-helper login"), "process: names profile, status, stderr: %s", err);
	ok(!contains(err, "PROCSTDOUTSECRET"), "process: stdout is never echoed");

	rc = resolve("procbad", &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "process: bad JSON is an error");
	ok(contains(err, "profile procbad") && contains(err, "JSON"), "process: bad JSON names the profile: %s", err);
	ok(!contains(err, "BADJSONSECRET"), "process: bad JSON not echoed");

	rc = resolve("procv2", &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "process: Version 2 refused");
	ok(contains(err, "profile procv2") && contains(err, "Version"), "process: %s", err);

	rc = resolve("procmissing", &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "process: a missing program");
	ok(contains(err, "profile procmissing") && contains(err, "no-such-helper"), "process: %s", err);

	/* refresh: credentials expiring in 200 s are fetched again */
	unlink(counter);
	time_format(time(NULL) + 200, iso);
	snprintf(cfg, sizeof cfg, "[profile short]\ncredential_process = '%s' ok %s\n", script, iso);
	files(cfg, "");
	struct aws_config *cf = NULL;
	struct aws_creds_provider *p = NULL;
	aws_config_load(cfg_path, creds_path, &cf, err, sizeof err);
	struct aws_creds_opts o = {.cfg = cf, .profile = "short"};
	fake_now = time(NULL);
	aws_creds_clock = fake_clock;
	rc = aws_creds_provider_new(&o, &p, err, sizeof err);
	aws_config_free(cf);
	is_int(rc, AL_OK, "refresh: provider (%s)", err);
	is_int(aws_creds_provider_kind(p), AWS_CREDS_PROCESS, "refresh: kind");
	is_int(count_lines(counter), 1, "refresh: one run at creation");
	rc = aws_creds_get(p, &c, err, sizeof err);
	is_int(count_lines(counter), 1, "refresh: not again right away (no refetch storm)");
	is_str(c.access_key_id, "ASIAPROC1", "refresh: first set");
	aws_credentials_clear(&c);
	fake_now += 60;
	rc = aws_creds_get(p, &c, err, sizeof err);
	is_int(rc, AL_OK, "refresh: get");
	is_int(count_lines(counter), 2, "refresh: fetched again with < 5 min left");
	is_str(c.access_key_id, "ASIAPROC2", "refresh: the new set is handed out");
	aws_credentials_clear(&c);
	rc = aws_creds_refresh(p, err, sizeof err);
	is_int(rc, AL_OK, "refresh: forced");
	is_int(count_lines(counter), 3, "refresh: forced refresh runs the helper");
	aws_creds_provider_free(p);

	unlink(counter);
	time_format(time(NULL) + 7200, iso);
	snprintf(cfg, sizeof cfg, "[profile long]\ncredential_process = '%s' ok %s\n", script, iso);
	files(cfg, "");
	aws_config_load(cfg_path, creds_path, &cf, err, sizeof err);
	o.cfg = cf;
	o.profile = "long";
	rc = aws_creds_provider_new(&o, &p, err, sizeof err);
	aws_config_free(cf);
	fake_now += 3000;
	aws_creds_get(p, &c, err, sizeof err);
	aws_credentials_clear(&c);
	is_int(count_lines(counter), 1, "refresh: 70 min left: cached");
	fake_now += 3900;
	aws_creds_get(p, &c, err, sizeof err);
	aws_credentials_clear(&c);
	is_int(count_lines(counter), 2, "refresh: 4 min left: fetched again");
	aws_creds_provider_free(p);

	/* no_fetch: the chain is built, the helper runs on the first get */
	unlink(counter);
	aws_config_load(cfg_path, creds_path, &cf, err, sizeof err);
	o.cfg = cf;
	o.no_fetch = 1;
	rc = aws_creds_provider_new(&o, &p, err, sizeof err);
	aws_config_free(cf);
	is_int(rc, AL_OK, "no_fetch: provider");
	is_int(count_lines(counter), 0, "no_fetch: nothing run yet");
	char desc[256];
	aws_creds_provider_describe(p, desc, sizeof desc);
	is_str(desc, "profile:long (credential_process)", "no_fetch: describe");
	rc = aws_creds_get(p, &c, NULL, 0);
	is_int(rc, AL_OK, "no_fetch: first get (NULL err buffer is fine)");
	is_int(count_lines(counter), 1, "no_fetch: the helper ran once");
	aws_credentials_clear(&c);
	aws_creds_provider_free(p);
	aws_creds_clock = NULL;
	unsetenv("COUNTER");
}

#include <netinet/in.h>
#include <sys/socket.h>

static int closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &n) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* IMDS that does not answer (a refused loopback port): "no credentials". */
static void test_imds_absent(void)
{
	struct aws_credentials c;
	struct aws_config *cf = NULL;
	struct aws_creds_provider *p = NULL;
	char err[1024], url[64], region[64];
	int rc;

	reset_env();
	files("", "");
	unsetenv("AWS_EC2_METADATA_DISABLED");
	snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
	rc = resolve(NULL, &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "no AWS credentials") && contains(err, "IMDS") && contains(err, url),
	   "imds: silent endpoint means no credentials: %s", err);

	aws_config_load(cfg_path, creds_path, &cf, err, sizeof err);
	struct aws_creds_opts o = {.cfg = cf, .no_fetch = 1};
	rc = aws_creds_provider_new(&o, &p, err, sizeof err);
	is_int(rc, AL_OK, "imds: no_fetch provider");
	is_int(aws_creds_provider_kind(p), AWS_CREDS_IMDS, "imds: kind");
	rc = aws_creds_get(p, &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "no AWS credentials"), "imds: first get: same message: %s", err);
	aws_creds_provider_free(p);
	rc = aws_creds_imds_region(&o, region, sizeof region, err, sizeof err);
	ok(rc == AL_CONFIG && region[0] == '\0', "imds: no region either: %s", err);
	aws_config_free(cf);

	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "file:///etc/passwd", 1);
	rc = resolve(NULL, &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "IMDS endpoint"), "imds: non-http endpoint refused: %s", err);
	unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "zero", 1);
	rc = resolve(NULL, &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "metadata_service_num_attempts"), "imds: bad attempts: %s", err);
	unsetenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

/* ---- assume-role configuration ---- */

static void test_assume_role_config(void)
{
	struct aws_credentials c;
	char err[1024];
	int rc;

	reset_env();
	files("[profile mfa]\nrole_arn = arn:aws:iam::111122223333:role/admin\nsource_profile = base\n"
	      "mfa_serial = arn:aws:iam::111122223333:mfa/jane\n"
	      "[profile nosource]\nrole_arn = arn:aws:iam::111122223333:role/admin\n"
	      "[profile both]\nrole_arn = arn:aws:iam::111122223333:role/admin\nsource_profile = base\n"
	      "credential_source = Environment\n"
	      "[profile badcs]\nrole_arn = arn:aws:iam::111122223333:role/admin\ncredential_source = Laptop\n"
	      "[profile envcs]\nrole_arn = arn:aws:iam::111122223333:role/admin\ncredential_source = Environment\n"
	      "[profile missingsrc]\nrole_arn = arn:aws:iam::111122223333:role/admin\nsource_profile = ghost\n"
	      "[profile loopa]\nrole_arn = arn:aws:iam::111122223333:role/a\nsource_profile = loopb\n"
	      "[profile loopb]\nrole_arn = arn:aws:iam::111122223333:role/b\nsource_profile = loopa\n"
	      "[profile nokeys]\nrole_arn = arn:aws:iam::111122223333:role/admin\nsource_profile = empty\n"
	      "[profile empty]\nregion = us-east-1\n"
	      "[profile baddur]\nrole_arn = arn:aws:iam::111122223333:role/admin\nsource_profile = base\n"
	      "duration_seconds = 60\n"
	      "[profile wifnorole]\nweb_identity_token_file = /nonexistent\n"
	      "[profile wif]\nrole_arn = arn:aws:iam::111122223333:role/irsa\n"
	      "web_identity_token_file = /nonexistent/token\n",
	      "[base]\naws_access_key_id = AKIABASE00000000000\naws_secret_access_key = basesecret\n");

	rc = resolve("mfa", &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "assume-role: mfa_serial refused");
	ok(contains(err, "profile mfa") && contains(err, "mfa_serial") && contains(err, "MFA code") &&
	   contains(err, "environment"), "assume-role: mfa message says what to do: %s", err);

	rc = resolve("nosource", &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "assume-role: role_arn alone");
	ok(contains(err, "source_profile"), "assume-role: %s", err);

	rc = resolve("both", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "both source_profile and credential_source"), "assume-role: %s", err);

	rc = resolve("badcs", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "Laptop"), "assume-role: unknown credential_source: %s", err);

	rc = resolve("envcs", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "Environment"), "assume-role: credential_source Environment without keys: %s", err);

	rc = resolve("missingsrc", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "ghost"), "assume-role: missing source profile: %s", err);

	rc = resolve("loopa", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "loop"), "assume-role: source_profile loop: %s", err);

	rc = resolve("nokeys", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "empty") && contains(err, "no credentials"),
	   "assume-role: source without credentials: %s", err);

	rc = resolve("baddur", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "duration_seconds"), "assume-role: duration_seconds range: %s", err);

	rc = resolve("wifnorole", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "role_arn"), "web identity profile without role_arn: %s", err);

	rc = resolve("wif", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "profile wif") && contains(err, "/nonexistent/token"),
	   "web identity profile: unreadable token file named: %s", err);

	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/irsa", 1);
	rc = resolve("empty", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "AWS_ROLE_ARN"), "web identity env without AWS_ROLE_ARN: %s", err);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/irsa", 1);
	rc = resolve("empty", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "/nonexistent/irsa"), "web identity env: unreadable token: %s", err);
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	unsetenv("AWS_ROLE_ARN");
}

/* ---- SSO ---- */

static void test_sso(void)
{
	struct aws_credentials c;
	char err[1024], path[1024], want[1024], dir[600], iso[TIME_ISO_LEN], json[512];
	int rc;

	reset_env();
	ok(aws_cred_source_sso_cache_path("https://d-92671207e4.awsapps.com/start", path, sizeof path) == 0,
	   "sso: cache path");
	snprintf(want, sizeof want, "%s/.aws/sso/cache/13f9d35043871d073ab260e020f0ffde092cb14b.json", tmpdir);
	is_str(path, want, "sso: legacy: sha1 hex of the start URL");
	aws_cred_source_sso_cache_path("my-sso", path, sizeof path);
	snprintf(want, sizeof want, "%s/.aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json", tmpdir);
	is_str(path, want, "sso: sso-session: sha1 hex of the session name");
	ok(aws_cred_source_sso_cache_path("x", path, 10) == AL_CONFIG, "sso: small buffer");
	unsetenv("HOME");
	ok(aws_cred_source_sso_cache_path("x", path, sizeof path) == AL_CONFIG, "sso: no HOME");
	setenv("HOME", tmpdir, 1);

	files("[profile sso]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n"
	      "region = eu-west-1\n"
	      "[sso-session my-sso]\nsso_start_url = https://d-92671207e4.awsapps.com/start\nsso_region = eu-central-1\n"
	      "[profile legacy]\nsso_start_url = https://d-92671207e4.awsapps.com/start\nsso_region = us-east-1\n"
	      "sso_account_id = 111122223333\nsso_role_name = Admin\n"
	      "[profile ssohalf]\nsso_session = my-sso\n"
	      "[profile ssonosess]\nsso_session = ghost\nsso_account_id = 1\nsso_role_name = r\n",
	      "");
	rc = resolve("sso", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "no cached SSO token") && contains(err, "aws sso login --sso-session my-sso"),
	   "sso: no cache file: tells to run aws sso login: %s", err);

	snprintf(dir, sizeof dir, "%s/.aws", tmpdir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof dir, "%s/.aws/sso", tmpdir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof dir, "%s/.aws/sso/cache", tmpdir);
	mkdir(dir, 0700);
	aws_cred_source_sso_cache_path("my-sso", path, sizeof path);
	time_format(time(NULL) - 60, iso);
	snprintf(json, sizeof json, "{\"accessToken\": \"SSOBEARERSECRET\", \"expiresAt\": \"%s\", \"region\": \"eu-central-1\"}", iso);
	write_file(path, json, 0600);
	rc = resolve("sso", &c, err, sizeof err);
	is_int(rc, AL_CONFIG, "sso: expired token");
	ok(contains(err, "expired") && contains(err, iso) && contains(err, "aws sso login"),
	   "sso: expired token: tells to run aws sso login: %s", err);
	ok(!contains(err, "SSOBEARERSECRET"), "sso: the token is never echoed");

	/* legacy profile: cache keyed by the URL, old "UTC" suffix */
	aws_cred_source_sso_cache_path("https://d-92671207e4.awsapps.com/start", path, sizeof path);
	time_format(time(NULL) - 10, iso);
	iso[19] = '\0';
	snprintf(json, sizeof json, "{\"accessToken\": \"T\", \"expiresAt\": \"%sUTC\"}", iso);
	write_file(path, json, 0600);
	rc = resolve("legacy", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "expired") && contains(err, "aws sso login --profile legacy"),
	   "sso: legacy profile reads the URL-keyed cache (expiresAt ...UTC): %s", err);

	write_file(path, "{\"expiresAt\": \"2099-01-01T00:00:00Z\"}", 0600);
	rc = resolve("legacy", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "accessToken"), "sso: cache without accessToken: %s", err);

	rc = resolve("ssohalf", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "sso_account_id"), "sso: incomplete profile: %s", err);
	rc = resolve("ssonosess", &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "ghost"), "sso: missing sso-session section: %s", err);
}

/* ---- container ---- */

static void test_container(void)
{
	static const struct {
		const char *url;
		int ok;
	} cases[] = {
		{"http://127.0.0.1:8080/creds", 1},
		{"http://127.1.2.3/creds", 1},
		{"http://localhost/creds", 1},
		{"http://LOCALHOST:9/creds", 1},
		{"http://[::1]:8080/creds", 1},
		{"http://169.254.170.2/v2/credentials/abc", 1},
		{"http://169.254.170.23/v1/credentials", 1},
		{"http://[fd00:ec2::23]/v1/credentials", 1},
		{"http://[fd00:ec2:0::23]/v1/credentials", 1},
		{"https://example.com/creds", 1},
		{"http://example.com/creds", 0},
		{"http://169.254.169.254/latest", 0},
		{"http://10.0.0.1/creds", 0},
		{"http://127.0.0.1@evil.example/creds", 0},
		{"ftp://127.0.0.1/creds", 0},
		{"http://", 0},
		{"http://[fd00:ec2::24]/x", 0},
	};
	char err[512];
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int r = aws_cred_source_container_url_check(cases[i].url, err, sizeof err);
		ok((r == 0) == cases[i].ok, "container: %s %s%s%s", cases[i].url, cases[i].ok ? "allowed" : "refused",
		   r ? ": " : "", r ? err : "");
	}
	aws_cred_source_container_url_check("http://example.com/x", err, sizeof err);
	ok(contains(err, "example.com") && contains(err, "169.254.170.23") && contains(err, "loopback"),
	   "container: refusal lists the allowed hosts: %s", err);

	struct aws_credentials c;
	int rc;
	reset_env();
	files("", "");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://metadata.example.com/creds", 1);
	rc = resolve(NULL, &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "AWS_CONTAINER_CREDENTIALS_FULL_URI") && contains(err, "metadata.example.com"),
	   "container: chain refuses a plain-http remote FULL_URI: %s", err);
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2/creds", 1);
	rc = resolve(NULL, &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "RELATIVE_URI"), "container: RELATIVE_URI wins and must start with '/': %s", err);
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");

	rc = resolve(NULL, &c, err, sizeof err);
	ok(rc == AL_CONFIG && contains(err, "no AWS credentials") && contains(err, "AWS_EC2_METADATA_DISABLED"),
	   "no source at all: AL_CONFIG with a clear message: %s", err);
}

/* ---- STS answers ---- */

static void test_sts_parse(void)
{
	struct aws_credentials c;
	struct aws_caller_identity id;
	char err[512];
	const char *j = "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"AssumedRoleUser\":{\"Arn\":\"x\"},"
			"\"Credentials\":{\"AccessKeyId\":\"ASIASTS000000000000\",\"Expiration\":1.7999999E9,"
			"\"SecretAccessKey\":\"stssecret\",\"SessionToken\":\"ststoken\"}},"
			"\"ResponseMetadata\":{\"RequestId\":\"r\"}}}";
	int rc = aws_sts_parse_credentials("AssumeRole", j, strlen(j), &c, err, sizeof err);
	is_int(rc, AL_OK, "sts: JSON (%s)", err);
	is_str(c.access_key_id, "ASIASTS000000000000", "sts: AccessKeyId");
	is_str(c.session_token, "ststoken", "sts: SessionToken");
	is_int(c.expiration, 1799999900, "sts: numeric Expiration (epoch seconds, E notation)");
	aws_credentials_clear(&c);

	const char *j2 = "{\"AssumeRoleWithWebIdentityResponse\":{\"AssumeRoleWithWebIdentityResult\":{\"Credentials\":"
			 "{\"AccessKeyId\":\"ASIAWEB\",\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\","
			 "\"Expiration\":\"2026-11-24T03:23:30.661967Z\"}}}}";
	rc = aws_sts_parse_credentials("AssumeRoleWithWebIdentity", j2, strlen(j2), &c, err, sizeof err);
	is_int(rc, AL_OK, "sts: web identity JSON with an ISO Expiration");
	is_int(c.expiration, 1795490610, "sts: ISO Expiration");
	aws_credentials_clear(&c);

	const char *x = "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
			"<AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>s</SubjectFromWebIdentityToken>"
			"<Credentials><AccessKeyId>ASIAXML</AccessKeyId><SecretAccessKey>a+b/c&amp;d</SecretAccessKey>"
			"<SessionToken>tok</SessionToken><Expiration>2026-11-24T03:23:30Z</Expiration></Credentials>"
			"</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
	rc = aws_sts_parse_credentials("AssumeRoleWithWebIdentity", x, strlen(x), &c, err, sizeof err);
	is_int(rc, AL_OK, "sts: XML answer (moto, botocore style)");
	is_str(c.secret_access_key, "a+b/c&d", "sts: XML entities decoded");
	aws_credentials_clear(&c);

	const char *bad = "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"Credentials\":{\"AccessKeyId\":\"A\"}}}}";
	rc = aws_sts_parse_credentials("AssumeRole", bad, strlen(bad), &c, err, sizeof err);
	ok(rc != AL_OK && contains(err, "SecretAccessKey"), "sts: missing field: %s", err);
	rc = aws_sts_parse_credentials("AssumeRole", "{oops", 5, &c, err, sizeof err);
	ok(rc != AL_OK && contains(err, "JSON"), "sts: bad JSON: %s", err);

	const char *gj = "{\"GetCallerIdentityResponse\":{\"GetCallerIdentityResult\":{\"Account\":\"111122223333\","
			 "\"Arn\":\"arn:aws:sts::111122223333:assumed-role/dev/s\",\"UserId\":\"AROAX:s\"}}}";
	rc = aws_sts_parse_caller_identity(gj, strlen(gj), &id, err, sizeof err);
	is_int(rc, AL_OK, "caller identity: JSON");
	is_str(id.arn, "arn:aws:sts::111122223333:assumed-role/dev/s", "caller identity: Arn");
	is_str(id.account, "111122223333", "caller identity: Account");
	is_str(id.user_id, "AROAX:s", "caller identity: UserId");
	const char *gx = "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/jane</Arn>"
			 "<UserId>AIDAX</UserId><Account>111122223333</Account></GetCallerIdentityResult>"
			 "</GetCallerIdentityResponse>";
	rc = aws_sts_parse_caller_identity(gx, strlen(gx), &id, err, sizeof err);
	ok(rc == AL_OK && strcmp(id.arn, "arn:aws:iam::111122223333:user/jane") == 0, "caller identity: XML");
	rc = aws_sts_parse_caller_identity("{}", 2, &id, err, sizeof err);
	ok(rc != AL_OK && contains(err, "Arn"), "caller identity: empty answer: %s", err);
}

static void test_kind_names(void)
{
	is_str(aws_creds_kind_name(AWS_CREDS_PROCESS), "credential_process", "kind name: credential_process");
	is_str(aws_creds_kind_name(AWS_CREDS_ASSUME_ROLE), "assume-role", "kind name: assume-role");
	is_str(aws_creds_kind_name(AWS_CREDS_WEB_IDENTITY), "web-identity", "kind name: web-identity");
	is_str(aws_creds_kind_name(AWS_CREDS_IMDS), "imds", "kind name: imds");
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_aws_creds.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(cfg_path, sizeof cfg_path, "%s/config", tmpdir);
	snprintf(creds_path, sizeof creds_path, "%s/credentials", tmpdir);

	test_mask_clear();
	test_env();
	test_static();
	test_process_parse();
	test_split();
	test_process_run();
	test_assume_role_config();
	test_sso();
	test_container();
	test_imds_absent();
	test_sts_parse();
	test_kind_names();

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return tap_done();
}
