/* aws_config: the shared-file parser, profile/region/endpoint precedence,
 * partitions with FIPS and dual-stack (expected hosts produced with
 * botocore 1.43.11's endpoint rule sets), loopback detection and wiping. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/aws_config.h"
#include "aws/aws_secret_int.h"
#include "status.h"
#include "tap.h"

static char dir[PATH_MAX];
static char created[40][PATH_MAX + 32];
static int n_created;
static char err[512];
static struct aws_config *cfg;

static const char *path_of(const char *name)
{
	static char p[4][PATH_MAX + 32];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static void remember(const char *p)
{
	for (int i = 0; i < n_created; i++)
		if (strcmp(created[i], p) == 0)
			return;
	if (n_created < 40)
		snprintf(created[n_created++], sizeof created[0], "%s", p);
}

static const char *write_file(const char *name, const char *text)
{
	const char *p = path_of(name);
	FILE *f = fopen(p, "w");
	if (!f) {
		perror(p);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	remember(p);
	return p;
}

static void clear_env(void)
{
	static const char *const vars[] = {
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_ENDPOINT_URL_STS",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_USE_FIPS_ENDPOINT",
		"AWS_USE_DUALSTACK_ENDPOINT", "AWS_STS_REGIONAL_ENDPOINTS", "AWS_CONFIG_FILE",
		"AWS_SHARED_CREDENTIALS_FILE",
	};
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		unsetenv(vars[i]);
	setenv("HOME", path_of("nohome"), 1);
}

/* Loads the two texts (NULL = no such file); returns aws_config_load's rc. */
static int load(const char *config, const char *creds)
{
	aws_config_free(cfg);
	cfg = NULL;
	err[0] = '\0';
	return aws_config_load(config ? write_file("config", config) : path_of("missing-config"),
			       creds ? write_file("credentials", creds) : path_of("missing-creds"),
			       &cfg, err, sizeof err);
}

static void bad_file(const char *config, const char *creds, const char *want, const char *what)
{
	char full[PATH_MAX + 128];
	snprintf(full, sizeof full, "%s/%s", dir, want);
	is_int(load(config, creds), AL_CONFIG, "bad file refused: %s", what);
	is_str(err, full, "  error names file and line");
	ok(cfg == NULL, "  no config returned");
}

static void test_parse(void)
{
	is_int(load("# top comment\n"
		    "; another one\n"
		    "[default]\n"
		    "region = us-west-2\n"
		    "Output=json\n"
		    "  # indented comment\n"
		    "\n"
		    "[profile dev]   # trailing comment\n"
		    "REGION   =   eu-west-1   \n"
		    "Role_Arn: arn:aws:iam::123456789012:role/dev\n"
		    "endpoint_url = http://localhost:4566\n"
		    "note = a # not a comment\n"
		    "empty =\n"
		    "services = local\n"
		    "[profile \"spaced name\"]\n"
		    "region = ap-south-1\n"
		    "[profile two words]\n"
		    "region = x\n"
		    "[profile]\n"
		    "region = x\n"
		    "[plain]\n"
		    "region = y\n"
		    "[sso-session corp]\n"
		    "sso_start_url = https://corp.awsapps.com/start\n"
		    "sso_region = us-east-1\n"
		    "[services local]\n"
		    "cloudwatch_logs =\n"
		    "  endpoint_url = http://127.0.0.1:5123\n"
		    "  Other = 1\n"
		    "\n"
		    "  # comment inside\n"
		    "sts =\n"
		    "    endpoint_url=http://127.0.0.1:5124\n",
		    NULL), 0, "config file parses");
	is_str(err, "", "  no error");
	is_str(aws_config_get(cfg, "default", "region"), "us-west-2", "default region");
	is_str(aws_config_get(cfg, "default", "OUTPUT"), "json", "keys are case-insensitive");
	is_str(aws_config_get(cfg, "dev", "region"), "eu-west-1", "whitespace around = trimmed");
	is_str(aws_config_get(cfg, "dev", "role_arn"), "arn:aws:iam::123456789012:role/dev",
	       "':' delimiter, value keeps later ':'");
	is_str(aws_config_get(cfg, "dev", "endpoint_url"), "http://localhost:4566",
	       "split at the first '='");
	is_str(aws_config_get(cfg, "dev", "note"), "a # not a comment", "no inline comments");
	is_str(aws_config_get(cfg, "dev", "empty"), "", "empty value");
	is_str(aws_config_get(cfg, "dev", "absent"), NULL, "absent key");
	is_str(aws_config_get(cfg, "nope", "region"), NULL, "absent profile");
	is_str(aws_config_get(cfg, "spaced name", "region"), "ap-south-1", "quoted profile name");
	ok(!aws_config_profile_exists(cfg, "two"), "[profile two words] ignored");
	ok(!aws_config_profile_exists(cfg, "plain"), "bare [plain] in config ignored");
	ok(!aws_config_profile_exists(cfg, "profile"), "[profile] ignored");
	ok(aws_config_profile_exists(cfg, "dev"), "dev exists");
	ok(aws_config_profile_exists(cfg, "default"), "default exists");
	ok(!aws_config_profile_exists(cfg, "Dev"), "profile names are case-sensitive");
	is_str(aws_config_sso_session_get(cfg, "corp", "sso_region"), "us-east-1", "sso-session");
	is_str(aws_config_sso_session_get(cfg, "corp", "nope"), NULL, "sso-session absent key");
	is_str(aws_config_service_get(cfg, "dev", "cloudwatch_logs", "endpoint_url"),
	       "http://127.0.0.1:5123", "services: nested cloudwatch_logs");
	is_str(aws_config_service_get(cfg, "dev", "CloudWatch_Logs", "other"), "1",
	       "services: nested keys case-insensitive");
	is_str(aws_config_service_get(cfg, "dev", "sts", "endpoint_url"), "http://127.0.0.1:5124",
	       "services: blank and comment lines inside the block");
	is_str(aws_config_service_get(cfg, "default", "sts", "endpoint_url"), NULL,
	       "services: profile without services key");
	is_str(aws_config_service_get(cfg, "dev", "logs", "endpoint_url"), NULL,
	       "services: 'logs' is not the key (cloudwatch_logs is)");

	is_int(load("\xEF\xBB\xBF[default]\r\nregion = eu-north-1\r\n"
		    "credential_process = /usr/bin/helper\r\n"
		    "    --flag\r\n"
		    "\r\n"
		    "    # skipped\r\n"
		    "    value\r\n"
		    "region = eu-south-2\r\n"
		    "[default]\r\n"
		    "output = text\r\n",
		    NULL), 0, "BOM, CRLF, continuation, duplicates");
	is_str(aws_config_get(cfg, "default", "credential_process"),
	       "/usr/bin/helper\n--flag\n\nvalue", "continuation lines joined with newlines");
	is_str(aws_config_get(cfg, "default", "region"), "eu-south-2", "later duplicate key wins");
	is_str(aws_config_get(cfg, "default", "output"), "text", "repeated section merges");
	is_int(load("[default]\nregion = eu-west-1\n\trole_arn = x\n", NULL), 0, "indented key");
	is_str(aws_config_get(cfg, "default", "region"), "eu-west-1\nrole_arn = x",
	       "  an indented line continues the key above (configparser)");
	is_str(aws_config_get(cfg, "default", "role_arn"), NULL, "  and is not a key");

	is_int(load("[profile default]\nregion = a\noutput = x\n[default]\nregion = b\n", NULL), 0,
	       "[profile default] then [default]");
	is_str(aws_config_get(cfg, "default", "region"), "b", "  [default] last: wins");
	is_str(aws_config_get(cfg, "default", "output"), NULL, "  and replaces the whole section");
	is_int(load("[default]\nregion = b\n[profile default]\nregion = a\noutput = x\n", NULL), 0,
	       "[default] then [profile default]");
	is_str(aws_config_get(cfg, "default", "region"), "a", "  [profile default] last: wins");

	/* credentials file: [NAME] verbatim, and its keys beat the config file's */
	is_int(load("[default]\nregion = us-east-1\naws_access_key_id = CONFIGKEY\n"
		    "[profile ci]\nregion = eu-west-1\n",
		    "[default]\naws_access_key_id = CREDSKEY\nregion = eu-central-1\n"
		    "[ci]\naws_access_key_id = CIKEY\n"
		    "[profile odd]\naws_access_key_id = ODD\n"),
	       0, "config + credentials");
	is_str(aws_config_get(cfg, "default", "aws_access_key_id"), "CREDSKEY",
	       "credentials file wins for the same key");
	is_str(aws_config_get(cfg, "default", "region"), "eu-central-1",
	       "credentials file wins for region too (botocore merges it)");
	is_str(aws_config_file_get(cfg, AWS_CONFIG_FILE_CONFIG, "default", "aws_access_key_id"),
	       "CONFIGKEY", "per-file lookup: config");
	is_str(aws_config_file_get(cfg, AWS_CONFIG_FILE_CREDENTIALS, "ci", "aws_access_key_id"),
	       "CIKEY", "per-file lookup: credentials");
	is_str(aws_config_get(cfg, "ci", "region"), "eu-west-1", "config keys still seen");
	ok(aws_config_profile_exists(cfg, "profile odd"), "credentials [profile odd] is literal");
	ok(!aws_config_profile_exists(cfg, "odd"), "  not 'odd'");

	is_int(load(NULL, NULL), 0, "both files missing is fine");
	ok(cfg && !aws_config_profile_exists(cfg, "default"), "  empty config");
	is_int(load("", ""), 0, "empty files are fine");
	is_str(aws_config_get(NULL, "default", "region"), NULL, "NULL config is empty");
}

static void test_bad_files(void)
{
	bad_file("[default]\nregion us-east-1\n", NULL, "config:2: expected 'key = value'",
		 "line without =");
	bad_file("# c\nregion = x\n", NULL,
		 "config:2: expected a [section] header before 'key = value'", "key before section");
	bad_file("[default\n", NULL, "config:1: expected ']' to close the section header",
		 "unterminated header");
	bad_file("[ ]\n", NULL, "config:1: empty section name", "empty header");
	bad_file("[default] x\n", NULL, "config:1: unexpected text after ']'", "text after ]");
	bad_file("[default]\n = v\n", NULL, "config:2: expected 'key = value'", "empty key");
	bad_file("[services s]\ncloudwatch_logs =\n  endpoint_url\n", NULL,
		 "config:3: expected 'key = value'", "nested line without =");
	bad_file("[plain]\njunk\n", NULL, "config:2: expected 'key = value'",
		 "ignored sections are still checked");
	bad_file("[default]\nregion = us-east-1\n", "[default]\r\n\r\naws_secret_access_key\r\n",
		 "credentials:3: expected 'key = value'", "credentials file named");
	FILE *nul = fopen(write_file("config", ""), "w");
	fwrite("[default]\nregion = a\0b\n", 1, 24, nul);
	fclose(nul);
	aws_config_free(cfg);
	cfg = NULL;
	is_int(aws_config_load(path_of("config"), NULL, &cfg, err, sizeof err), AL_CONFIG, "NUL byte refused");
	ok(strstr(err, "config:2: NUL byte") != NULL, "  message: %s", err);
	mkdir(path_of("adir"), 0700);
	remember(path_of("adir"));
	aws_config_free(cfg);
	cfg = NULL;
	is_int(aws_config_load(path_of("adir"), NULL, &cfg, err, sizeof err), AL_CONFIG,
	       "a directory is an error");
	ok(strstr(err, "adir: is a directory") != NULL, "  message: %s", err);
}

static void test_paths(void)
{
	char p[PATH_MAX + 64], want[PATH_MAX + 64];
	clear_env();
	unsetenv("HOME");
	is_int(aws_config_default_path(AWS_CONFIG_FILE_CONFIG, p, sizeof p), -1, "no HOME: no path");
	aws_config_free(cfg);
	cfg = NULL;
	is_int(aws_config_load(NULL, NULL, &cfg, err, sizeof err), 0, "no HOME: empty config");

	setenv("HOME", path_of("home"), 1);
	mkdir(path_of("home"), 0700);
	mkdir(path_of("home/.aws"), 0700);
	remember(path_of("home"));
	remember(path_of("home/.aws"));
	write_file("home/.aws/config", "[default]\nregion = from-home-config\n");
	write_file("home/.aws/credentials", "[default]\naws_access_key_id = HOMEKEY\n");
	is_int(aws_config_default_path(AWS_CONFIG_FILE_CREDENTIALS, p, sizeof p), 0, "HOME path");
	snprintf(want, sizeof want, "%s/home/.aws/credentials", dir);
	is_str(p, want, "  $HOME/.aws/credentials");
	is_int(aws_config_default_path(AWS_CONFIG_FILE_CONFIG, p, 8), -1, "  too small a buffer");
	aws_config_free(cfg);
	cfg = NULL;
	is_int(aws_config_load(NULL, NULL, &cfg, err, sizeof err), 0, "load from HOME");
	is_str(aws_config_get(cfg, "default", "region"), "from-home-config", "  config");
	is_str(aws_config_get(cfg, "default", "aws_access_key_id"), "HOMEKEY", "  credentials");

	write_file("altconfig", "[default]\nregion = from-env-config\n");
	write_file("home/altcreds", "[default]\naws_access_key_id = ENVKEY\n");
	setenv("AWS_CONFIG_FILE", path_of("altconfig"), 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/altcreds", 1);
	is_int(aws_config_default_path(AWS_CONFIG_FILE_CREDENTIALS, p, sizeof p), 0, "~ expanded");
	snprintf(want, sizeof want, "%s/home/altcreds", dir);
	is_str(p, want, "  to $HOME");
	aws_config_free(cfg);
	cfg = NULL;
	is_int(aws_config_load(NULL, NULL, &cfg, err, sizeof err), 0, "load from env paths");
	is_str(aws_config_get(cfg, "default", "region"), "from-env-config", "  AWS_CONFIG_FILE");
	is_str(aws_config_get(cfg, "default", "aws_access_key_id"), "ENVKEY",
	       "  AWS_SHARED_CREDENTIALS_FILE");
	aws_config_free(cfg);
	cfg = NULL;
	is_int(aws_config_load(path_of("missing-config"), NULL, &cfg, err, sizeof err), 0,
	       "explicit path beats AWS_CONFIG_FILE");
	is_str(aws_config_get(cfg, "default", "region"), NULL, "  (the missing one was read)");
	clear_env();
}

static void test_profile(void)
{
	char name[64];
	enum aws_profile_source src;
	clear_env();
	load("[default]\n[profile cli]\n[profile env]\n", "[legacy]\n");
	is_int(aws_config_select_profile(cfg, NULL, name, sizeof name, &src, err, sizeof err), 0,
	       "no profile named");
	is_str(name, "default", "  default");
	is_int(src, AWS_PROFILE_FROM_DEFAULT, "  source default");
	setenv("AWS_DEFAULT_PROFILE", "legacy", 1);
	aws_config_select_profile(cfg, NULL, name, sizeof name, &src, err, sizeof err);
	is_str(name, "legacy", "AWS_DEFAULT_PROFILE (credentials-only profile)");
	is_str(aws_profile_source_name(src), "AWS_DEFAULT_PROFILE", "  source name");
	setenv("AWS_PROFILE", "env", 1);
	aws_config_select_profile(cfg, NULL, name, sizeof name, &src, err, sizeof err);
	is_str(name, "env", "AWS_PROFILE beats AWS_DEFAULT_PROFILE");
	is_int(src, AWS_PROFILE_FROM_ENV, "  source env");
	is_int(aws_config_select_profile(cfg, "cli", name, sizeof name, &src, err, sizeof err), 0,
	       "--profile");
	is_str(name, "cli", "  --profile beats AWS_PROFILE");
	is_str(aws_profile_source_name(src), "--profile", "  source name");
	is_int(aws_config_select_profile(cfg, "ghost", name, sizeof name, &src, err, sizeof err), AL_CONFIG,
	       "unknown --profile refused");
	is_str(err, "the config profile (ghost) could not be found (from --profile)", "  message");
	setenv("AWS_PROFILE", "ghost2", 1);
	is_int(aws_config_select_profile(cfg, "", name, sizeof name, &src, err, sizeof err), AL_CONFIG,
	       "unknown AWS_PROFILE refused (empty --profile ignored)");
	is_str(name, "ghost2", "  name still reported");
	setenv("AWS_PROFILE", "", 1);
	aws_config_select_profile(cfg, NULL, name, sizeof name, &src, err, sizeof err);
	is_str(name, "legacy", "empty AWS_PROFILE counts as unset");
	clear_env();
	load(NULL, NULL);
	is_int(aws_config_select_profile(cfg, NULL, name, sizeof name, &src, err, sizeof err), 0,
	       "missing implicit default is fine");
	is_int(aws_config_select_profile(cfg, "default", name, sizeof name, &src, err, sizeof err),
	       AL_CONFIG, "missing explicit default is not (botocore ProfileNotFound)");
	is_int(aws_config_select_profile(cfg, "cli", name, 3, &src, err, sizeof err), AL_CONFIG,
	       "name buffer too small");
}

static void test_region(void)
{
	char r[64];
	enum aws_region_source src;
	clear_env();
	load("[default]\nregion = eu-west-1\n[profile bad]\nregion = evil.com/x\n"
	     "[profile blank]\nregion =\n", NULL);
	is_int(aws_config_region(cfg, "default", NULL, r, sizeof r, &src, err, sizeof err), 0,
	       "profile region");
	is_str(r, "eu-west-1", "  value");
	is_int(src, AWS_REGION_FROM_PROFILE, "  source profile");
	setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
	aws_config_region(cfg, "default", NULL, r, sizeof r, &src, err, sizeof err);
	is_str(r, "ap-south-1", "AWS_DEFAULT_REGION beats profile");
	is_str(aws_region_source_name(src), "AWS_DEFAULT_REGION", "  source name");
	setenv("AWS_REGION", "eu-west-3", 1);
	aws_config_region(cfg, "default", NULL, r, sizeof r, &src, err, sizeof err);
	is_str(r, "eu-west-3", "AWS_REGION beats AWS_DEFAULT_REGION");
	is_int(src, AWS_REGION_FROM_ENV, "  source AWS_REGION");
	aws_config_region(cfg, "default", "us-gov-west-1", r, sizeof r, &src, err, sizeof err);
	is_str(r, "us-gov-west-1", "--region beats all");
	is_str(aws_region_source_name(src), "--region", "  source name");
	setenv("AWS_REGION", "", 1);
	aws_config_region(cfg, "default", "", r, sizeof r, &src, err, sizeof err);
	is_int(src, AWS_REGION_FROM_DEFAULT_ENV, "empty --region and AWS_REGION are unset");
	clear_env();
	is_int(aws_config_region(cfg, "blank", NULL, r, sizeof r, &src, err, sizeof err), AL_CONFIG,
	       "empty profile region: none");
	is_int(src, AWS_REGION_NONE, "  AWS_REGION_NONE (caller: IMDS hook, then exit 78)");
	is_str(r, "", "  region cleared");
	ok(strstr(err, "no AWS region") && strstr(err, "profile blank"), "  message: %s", err);
	is_int(aws_config_region(cfg, "ghost", NULL, r, sizeof r, &src, err, sizeof err), AL_CONFIG,
	       "no region anywhere");
	is_int(aws_config_region(cfg, "bad", NULL, r, sizeof r, &src, err, sizeof err), AL_CONFIG,
	       "invalid region refused");
	is_int(src, AWS_REGION_FROM_PROFILE, "  source still reported");
	is_str(err, "invalid AWS region 'evil.com/x' (from profile)", "  message");
	setenv("AWS_REGION", "us-east-1\nx", 1);
	aws_config_region(cfg, "default", NULL, r, sizeof r, &src, err, sizeof err);
	is_str(err, "invalid AWS region 'us-east-1?x' (from AWS_REGION)", "control bytes masked");
	clear_env();
	ok(aws_region_valid("us-east-1") && aws_region_valid("a") && aws_region_valid("X9"),
	   "valid region names");
	ok(!aws_region_valid("") && !aws_region_valid("-us") && !aws_region_valid("us-") &&
	   !aws_region_valid("us_east") && !aws_region_valid(NULL) &&
	   !aws_region_valid("a234567890123456789012345678901234567890123456789012345678901234"),
	   "invalid region names");
	is_int(aws_config_region(cfg, "default", "us-east-1", r, 4, &src, err, sizeof err), AL_CONFIG,
	       "region buffer too small");
}

/* Expected URLs from botocore's EndpointProvider (logs and sts rule sets). */
static const struct {
	const char *region;
	int fips, ds;
	const char *logs, *sts, *partition;
} hosts[] = {
	{"us-east-1", 0, 0, "logs.us-east-1.amazonaws.com", "sts.us-east-1.amazonaws.com", "aws"},
	{"us-east-1", 0, 1, "logs.us-east-1.api.aws", "sts.us-east-1.api.aws", "aws"},
	{"us-east-1", 1, 0, "logs-fips.us-east-1.amazonaws.com", "sts-fips.us-east-1.amazonaws.com", "aws"},
	{"us-east-1", 1, 1, "logs-fips.us-east-1.api.aws", "sts-fips.us-east-1.api.aws", "aws"},
	{"eu-west-3", 0, 0, "logs.eu-west-3.amazonaws.com", "sts.eu-west-3.amazonaws.com", "aws"},
	{"cn-north-1", 0, 0, "logs.cn-north-1.amazonaws.com.cn", "sts.cn-north-1.amazonaws.com.cn", "aws-cn"},
	{"cn-north-1", 0, 1, "logs.cn-north-1.api.amazonwebservices.com.cn",
	 "sts.cn-north-1.api.amazonwebservices.com.cn", "aws-cn"},
	{"cn-north-1", 1, 0, "logs-fips.cn-north-1.amazonaws.com.cn",
	 "sts-fips.cn-north-1.amazonaws.com.cn", "aws-cn"},
	{"cn-northwest-1", 1, 1, "logs-fips.cn-northwest-1.api.amazonwebservices.com.cn",
	 "sts-fips.cn-northwest-1.api.amazonwebservices.com.cn", "aws-cn"},
	{"us-gov-west-1", 0, 0, "logs.us-gov-west-1.amazonaws.com", "sts.us-gov-west-1.amazonaws.com", "aws-us-gov"},
	{"us-gov-west-1", 0, 1, "logs.us-gov-west-1.api.aws", "sts.us-gov-west-1.api.aws", "aws-us-gov"},
	{"us-gov-west-1", 1, 0, "logs.us-gov-west-1.amazonaws.com", "sts.us-gov-west-1.amazonaws.com", "aws-us-gov"},
	{"us-gov-east-1", 1, 1, "logs-fips.us-gov-east-1.api.aws", "sts-fips.us-gov-east-1.api.aws", "aws-us-gov"},
	{"us-iso-east-1", 0, 0, "logs.us-iso-east-1.c2s.ic.gov", "sts.us-iso-east-1.c2s.ic.gov", "aws-iso"},
	{"us-iso-east-1", 0, 1, "logs.us-iso-east-1.api.aws.ic.gov", "sts.us-iso-east-1.api.aws.ic.gov", "aws-iso"},
	{"us-iso-east-1", 1, 0, "logs-fips.us-iso-east-1.c2s.ic.gov", "sts-fips.us-iso-east-1.c2s.ic.gov", "aws-iso"},
	{"us-iso-east-1", 1, 1, "logs-fips.us-iso-east-1.api.aws.ic.gov",
	 "sts-fips.us-iso-east-1.api.aws.ic.gov", "aws-iso"},
	{"us-isob-east-1", 0, 0, "logs.us-isob-east-1.sc2s.sgov.gov", "sts.us-isob-east-1.sc2s.sgov.gov", "aws-iso-b"},
	{"us-isob-east-1", 0, 1, "logs.us-isob-east-1.api.aws.scloud", "sts.us-isob-east-1.api.aws.scloud", "aws-iso-b"},
	{"us-isob-east-1", 1, 0, "logs-fips.us-isob-east-1.sc2s.sgov.gov",
	 "sts-fips.us-isob-east-1.sc2s.sgov.gov", "aws-iso-b"},
	{"us-isob-east-1", 1, 1, "logs-fips.us-isob-east-1.api.aws.scloud",
	 "sts-fips.us-isob-east-1.api.aws.scloud", "aws-iso-b"},
	{"eu-isoe-west-1", 0, 0, "logs.eu-isoe-west-1.cloud.adc-e.uk", "sts.eu-isoe-west-1.cloud.adc-e.uk", "aws-iso-e"},
	{"eu-isoe-west-1", 0, 1, "logs.eu-isoe-west-1.api.cloud-aws.adc-e.uk",
	 "sts.eu-isoe-west-1.api.cloud-aws.adc-e.uk", "aws-iso-e"},
	{"eu-isoe-west-1", 1, 0, "logs-fips.eu-isoe-west-1.cloud.adc-e.uk",
	 "sts-fips.eu-isoe-west-1.cloud.adc-e.uk", "aws-iso-e"},
	{"eu-isoe-west-1", 1, 1, "logs-fips.eu-isoe-west-1.api.cloud-aws.adc-e.uk",
	 "sts-fips.eu-isoe-west-1.api.cloud-aws.adc-e.uk", "aws-iso-e"},
	{"us-isof-south-1", 0, 0, "logs.us-isof-south-1.csp.hci.ic.gov", "sts.us-isof-south-1.csp.hci.ic.gov", "aws-iso-f"},
	{"us-isof-south-1", 0, 1, "logs.us-isof-south-1.api.aws.hci.ic.gov",
	 "sts.us-isof-south-1.api.aws.hci.ic.gov", "aws-iso-f"},
	{"us-isof-south-1", 1, 0, "logs-fips.us-isof-south-1.csp.hci.ic.gov",
	 "sts-fips.us-isof-south-1.csp.hci.ic.gov", "aws-iso-f"},
	{"us-isof-south-1", 1, 1, "logs-fips.us-isof-south-1.api.aws.hci.ic.gov",
	 "sts-fips.us-isof-south-1.api.aws.hci.ic.gov", "aws-iso-f"},
	{"eusc-de-east-1", 0, 0, "logs.eusc-de-east-1.amazonaws.eu", "sts.eusc-de-east-1.amazonaws.eu", "aws-eusc"},
	{"eusc-de-east-1", 0, 1, "logs.eusc-de-east-1.api.amazonwebservices.eu",
	 "sts.eusc-de-east-1.api.amazonwebservices.eu", "aws-eusc"},
	{"eusc-de-east-1", 1, 0, "logs-fips.eusc-de-east-1.amazonaws.eu", "sts-fips.eusc-de-east-1.amazonaws.eu", "aws-eusc"},
	{"eusc-de-east-1", 1, 1, "logs-fips.eusc-de-east-1.api.amazonwebservices.eu",
	 "sts-fips.eusc-de-east-1.api.amazonwebservices.eu", "aws-eusc"},
	{"xx-foo-1", 0, 0, "logs.xx-foo-1.amazonaws.com", "sts.xx-foo-1.amazonaws.com", "aws"},
	{"xx-foo-1", 1, 1, "logs-fips.xx-foo-1.api.aws", "sts-fips.xx-foo-1.api.aws", "aws"},
	{"aws-global", 0, 0, "logs.aws-global.amazonaws.com", "sts.amazonaws.com", "aws"},
	{"aws-global", 1, 0, "logs-fips.aws-global.amazonaws.com", "sts-fips.aws-global.amazonaws.com", "aws"},
};

static int endpoint(enum aws_service svc, const char *profile, const char *region,
		    const char *cli, struct aws_endpoint *ep)
{
	err[0] = '\0';
	return aws_config_endpoint(cfg, profile, svc, region, cli, ep, err, sizeof err);
}

static void test_default_endpoints(void)
{
	struct aws_endpoint ep;
	char want[300];
	clear_env();
	load(NULL, NULL);
	for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++) {
		if (hosts[i].fips)
			setenv("AWS_USE_FIPS_ENDPOINT", "true", 1);
		else
			unsetenv("AWS_USE_FIPS_ENDPOINT");
		if (hosts[i].ds)
			setenv("AWS_USE_DUALSTACK_ENDPOINT", "TRUE", 1);
		else
			unsetenv("AWS_USE_DUALSTACK_ENDPOINT");
		is_int(endpoint(AWS_SVC_LOGS, "default", hosts[i].region, NULL, &ep), 0,
		       "logs %s fips=%d ds=%d", hosts[i].region, hosts[i].fips, hosts[i].ds);
		snprintf(want, sizeof want, "https://%s", hosts[i].logs);
		is_str(ep.url, want, "  url");
		is_str(ep.host, hosts[i].logs, "  host");
		is_str(ep.partition, hosts[i].partition, "  partition");
		ok(ep.https && !ep.loopback && ep.source == AWS_ENDPOINT_DEFAULT && !ep.port &&
		   ep.fips == hosts[i].fips && ep.dualstack == hosts[i].ds, "  flags");
		is_int(endpoint(AWS_SVC_STS, "default", hosts[i].region, NULL, &ep), 0, "sts %s",
		       hosts[i].region);
		snprintf(want, sizeof want, "https://%s", hosts[i].sts);
		is_str(ep.url, want, "  url");
		is_str(ep.signing_region, strcmp(hosts[i].sts, "sts.amazonaws.com") == 0
			       ? "us-east-1" : hosts[i].region, "  signing region");
	}
	clear_env();

	/* the profile keys, and the environment beating them */
	load("[default]\nuse_fips_endpoint = true\nuse_dualstack_endpoint = True\n"
	     "[profile yes]\nuse_fips_endpoint = 1\n", NULL);
	endpoint(AWS_SVC_LOGS, "default", "us-west-2", NULL, &ep);
	is_str(ep.host, "logs-fips.us-west-2.api.aws", "profile use_fips/use_dualstack");
	endpoint(AWS_SVC_LOGS, "yes", "us-west-2", NULL, &ep);
	is_str(ep.host, "logs.us-west-2.amazonaws.com", "only 'true' is true (botocore)");
	setenv("AWS_USE_FIPS_ENDPOINT", "false", 1);
	endpoint(AWS_SVC_LOGS, "default", "us-west-2", NULL, &ep);
	is_str(ep.host, "logs.us-west-2.api.aws", "AWS_USE_FIPS_ENDPOINT=false beats profile");
	clear_env();

	/* STS legacy global endpoint */
	load(NULL, NULL);
	setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy", 1);
	endpoint(AWS_SVC_STS, "default", "us-east-1", NULL, &ep);
	is_str(ep.url, "https://sts.amazonaws.com", "legacy: us-east-1 uses sts.amazonaws.com");
	is_str(ep.signing_region, "us-east-1", "  signing region us-east-1");
	endpoint(AWS_SVC_STS, "default", "eu-west-3", NULL, &ep);
	is_str(ep.url, "https://sts.amazonaws.com", "legacy: eu-west-3 too");
	is_str(ep.signing_region, "us-east-1", "  signed for us-east-1");
	endpoint(AWS_SVC_STS, "default", "ap-east-1", NULL, &ep);
	is_str(ep.host, "sts.ap-east-1.amazonaws.com", "legacy: newer regions stay regional");
	endpoint(AWS_SVC_STS, "default", "cn-north-1", NULL, &ep);
	is_str(ep.host, "sts.cn-north-1.amazonaws.com.cn", "legacy: China regional");
	endpoint(AWS_SVC_LOGS, "default", "us-east-1", NULL, &ep);
	is_str(ep.host, "logs.us-east-1.amazonaws.com", "legacy: only STS is affected");
	setenv("AWS_USE_FIPS_ENDPOINT", "true", 1);
	endpoint(AWS_SVC_STS, "default", "us-east-1", NULL, &ep);
	is_str(ep.host, "sts-fips.us-east-1.amazonaws.com", "legacy + FIPS: regional FIPS");
	clear_env();
	load("[default]\nsts_regional_endpoints = legacy\n[profile r]\nsts_regional_endpoints = nope\n",
	     NULL);
	endpoint(AWS_SVC_STS, "default", "us-west-2", NULL, &ep);
	is_str(ep.host, "sts.amazonaws.com", "profile sts_regional_endpoints = legacy");
	setenv("AWS_STS_REGIONAL_ENDPOINTS", "regional", 1);
	endpoint(AWS_SVC_STS, "default", "us-west-2", NULL, &ep);
	is_str(ep.host, "sts.us-west-2.amazonaws.com", "  env regional beats it");
	clear_env();
	is_int(endpoint(AWS_SVC_STS, "r", "us-west-2", NULL, &ep), AL_CONFIG, "bad sts_regional_endpoints");
	is_str(err, "invalid sts_regional_endpoints 'nope': expected legacy or regional", "  message");
	is_int(endpoint(AWS_SVC_LOGS, "default", NULL, NULL, &ep), AL_CONFIG, "no region, no default URL");
	is_int(endpoint(AWS_SVC_LOGS, "default", "a/b", NULL, &ep), AL_CONFIG, "invalid region refused");
	is_int(endpoint((enum aws_service)7, "default", "us-east-1", NULL, &ep), AL_CONFIG, "bad service");
}

static void test_partitions(void)
{
	static const struct {
		const char *region, *name;
	} t[] = {
		{"us-east-1", "aws"}, {"il-central-1", "aws"}, {"mx-central-1", "aws"},
		{"cn-northwest-1", "aws-cn"}, {"us-gov-east-1", "aws-us-gov"},
		{"us-iso-west-1", "aws-iso"}, {"us-isob-east-1", "aws-iso-b"},
		{"eu-isoe-west-1", "aws-iso-e"}, {"us-isof-east-1", "aws-iso-f"},
		{"eusc-de-east-1", "aws-eusc"}, {"eusc-fr-east-1", "aws"},
		{"aws-global", "aws"}, {"aws-cn-global", "aws-cn"}, {"aws-us-gov-global", "aws-us-gov"},
		{"aws-iso-b-global", "aws-iso-b"}, {"aws-iso-global", "aws-iso"},
		{"nowhere", "aws"}, {"us-gov-west", "aws"}, {"cn-north-x", "aws"},
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		is_str(aws_partition_for_region(t[i].region)->name, t[i].name, "partition of %s",
		       t[i].region);
	is_str(aws_partition_for_region(NULL)->name, "aws", "partition of NULL");
	is_str(aws_partition_for_region("us-gov-west-1")->dns_suffix, "amazonaws.com",
	       "GovCloud suffix");
	is_str(aws_partition_for_region("cn-north-1")->dualstack_suffix,
	       "api.amazonwebservices.com.cn", "China dual-stack suffix");
}

static void test_endpoint_precedence(void)
{
	struct aws_endpoint ep;
	clear_env();
	load("[default]\nregion = us-east-1\nservices = local\nendpoint_url = http://127.0.0.9:1\n"
	     "[profile global]\nendpoint_url = https://proxy.example.com:8443/aws\n"
	     "[profile ign]\nservices = local\nignore_configured_endpoint_urls = true\n"
	     "[profile dangling]\nservices = nowhere\n"
	     "[profile badurl]\nendpoint_url = ftp://x\n"
	     "[services local]\ncloudwatch_logs =\n  endpoint_url = http://127.0.0.1:5123\n"
	     "sts =\n  endpoint_url = http://[::1]:5124/\n",
	     "[default]\n");

	is_int(endpoint(AWS_SVC_LOGS, "default", "us-east-1", NULL, &ep), 0, "services section");
	is_str(ep.url, "http://127.0.0.1:5123", "  logs from [services local] cloudwatch_logs");
	is_int(ep.source, AWS_ENDPOINT_FROM_SERVICES, "  source");
	is_str(ep.origin, "[services local] cloudwatch_logs", "  origin");
	ok(ep.loopback && !ep.https && ep.port == 5123, "  loopback, http, port");
	is_str(ep.host, "127.0.0.1", "  host");
	is_str(ep.signing_region, "us-east-1", "  signing region unchanged");
	is_str(ep.partition, "aws", "  partition still from the region");
	endpoint(AWS_SVC_STS, "default", "us-east-1", NULL, &ep);
	is_str(ep.url, "http://[::1]:5124/", "  sts from [services local] sts");
	is_str(ep.host, "::1", "  IPv6 host without brackets");
	ok(ep.loopback && ep.port == 5124, "  ::1 is loopback");

	endpoint(AWS_SVC_LOGS, "global", "us-east-1", NULL, &ep);
	is_str(ep.url, "https://proxy.example.com:8443/aws", "profile endpoint_url");
	is_int(ep.source, AWS_ENDPOINT_FROM_PROFILE, "  source");
	is_str(ep.host, "proxy.example.com", "  host");
	ok(ep.https && !ep.loopback && ep.port == 8443, "  https, not loopback, port");

	setenv("AWS_ENDPOINT_URL", "http://localhost:4566", 1);
	endpoint(AWS_SVC_LOGS, "default", "us-east-1", NULL, &ep);
	is_str(ep.url, "http://localhost:4566", "AWS_ENDPOINT_URL beats the services section");
	is_int(ep.source, AWS_ENDPOINT_FROM_ENV, "  source");
	ok(ep.loopback, "  localhost is loopback");
	endpoint(AWS_SVC_LOGS, "global", "us-east-1", NULL, &ep);
	is_str(ep.url, "http://localhost:4566", "AWS_ENDPOINT_URL beats profile endpoint_url");

	setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://127.0.0.2:9000", 1);
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.3:9001", 1);
	endpoint(AWS_SVC_LOGS, "default", "us-east-1", NULL, &ep);
	is_str(ep.url, "http://127.0.0.2:9000", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS beats AWS_ENDPOINT_URL");
	is_int(ep.source, AWS_ENDPOINT_FROM_ENV_SERVICE, "  source");
	is_str(ep.origin, "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "  origin");
	endpoint(AWS_SVC_STS, "default", "us-east-1", NULL, &ep);
	is_str(ep.url, "http://127.0.0.3:9001", "AWS_ENDPOINT_URL_STS for sts");
	is_str(ep.origin, "AWS_ENDPOINT_URL_STS", "  origin");
	unsetenv("AWS_ENDPOINT_URL_STS");
	endpoint(AWS_SVC_STS, "default", "us-east-1", NULL, &ep);
	is_str(ep.url, "http://localhost:4566", "  sts ignores the logs variable");

	endpoint(AWS_SVC_LOGS, "default", "us-east-1", "https://vpce-1.logs.us-east-1.vpce.amazonaws.com",
		 &ep);
	is_str(ep.url, "https://vpce-1.logs.us-east-1.vpce.amazonaws.com", "--endpoint-url beats all");
	is_int(ep.source, AWS_ENDPOINT_FROM_CLI, "  source");
	is_str(aws_endpoint_source_name(ep.source), "--endpoint-url", "  source name");

	/* the ignore switch: env and config endpoints go, --endpoint-url stays */
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	endpoint(AWS_SVC_LOGS, "default", "us-east-1", NULL, &ep);
	is_str(ep.url, "https://logs.us-east-1.amazonaws.com", "ignore: env and config skipped");
	is_int(ep.source, AWS_ENDPOINT_DEFAULT, "  source default");
	endpoint(AWS_SVC_LOGS, "global", "us-east-1", NULL, &ep);
	is_str(ep.url, "https://logs.us-east-1.amazonaws.com", "ignore: profile endpoint_url skipped");
	endpoint(AWS_SVC_LOGS, "default", "us-east-1", "http://127.0.0.1:1", &ep);
	is_str(ep.url, "http://127.0.0.1:1", "ignore: --endpoint-url still applies");
	unsetenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	endpoint(AWS_SVC_LOGS, "ign", "us-east-1", NULL, &ep);
	is_str(ep.url, "https://logs.us-east-1.amazonaws.com",
	       "profile ignore_configured_endpoint_urls = true");
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", 1);
	endpoint(AWS_SVC_LOGS, "ign", "us-east-1", NULL, &ep);
	is_str(ep.url, "http://127.0.0.1:5123", "  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false beats it");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");

	/* services section present but without this service: profile endpoint_url */
	load("[default]\nservices = s\nendpoint_url = http://127.0.0.1:7\n"
	     "[services s]\nsts =\n  endpoint_url = http://127.0.0.1:8\n", NULL);
	endpoint(AWS_SVC_LOGS, "default", "us-east-1", NULL, &ep);
	is_str(ep.url, "http://127.0.0.1:7", "services without the service: profile endpoint_url");
	is_str(ep.origin, "profile default endpoint_url", "  origin");
	endpoint(AWS_SVC_STS, "default", "us-east-1", NULL, &ep);
	is_str(ep.url, "http://127.0.0.1:8", "  services section still wins for sts");

	/* custom URL and FIPS/dual-stack: botocore drops the variants */
	setenv("AWS_USE_FIPS_ENDPOINT", "true", 1);
	setenv("AWS_USE_DUALSTACK_ENDPOINT", "true", 1);
	endpoint(AWS_SVC_LOGS, "default", "us-east-1", NULL, &ep);
	is_str(ep.url, "http://127.0.0.1:7", "custom endpoint with FIPS: custom wins");
	ok(ep.variant_ignored && !ep.fips && !ep.dualstack, "  variant_ignored set");
	clear_env();

	load("[default]\nservices = nowhere\n[profile badurl]\nendpoint_url = ftp://x\n", NULL);
	is_int(endpoint(AWS_SVC_LOGS, "default", "us-east-1", NULL, &ep), AL_CONFIG,
	       "services names a missing section");
	is_str(err, "profile default: the services section 'nowhere' does not exist", "  message");
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5", 1);
	is_int(endpoint(AWS_SVC_LOGS, "default", "us-east-1", NULL, &ep), 0,
	       "  not looked at when the environment wins");
	clear_env();
	is_int(endpoint(AWS_SVC_LOGS, "badurl", "us-east-1", NULL, &ep), AL_CONFIG, "bad profile URL");
	is_str(err, "invalid endpoint URL 'ftp://x' (from profile badurl endpoint_url): "
	       "the scheme must be http:// or https://", "  message names the source");

	static const struct {
		const char *url, *why;
	} bad[] = {
		{"http://", "no host"},
		{"http://user:pw@host", "user information is not allowed"},
		{"http://host/path?x=1", "a query or fragment is not allowed"},
		{"http://host#frag", "a query or fragment is not allowed"},
		{"http://ho st", "contains a space or control character"},
		{"http://host\n", "contains a space or control character"},
		{"http://host:0", "bad port"},
		{"http://host:65536", "bad port"},
		{"http://host:", "bad port"},
		{"http://host:80x", "bad port"},
		{"http://[::1", "bad IPv6 address"},
		{"http://[nothex]:80", "bad IPv6 address"},
		{"http://[::1]x", "bad URL"},
		{"http://ho%st", "bad character in the host name"},
		{"localhost:4566", "the scheme must be http:// or https://"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		is_int(endpoint(AWS_SVC_LOGS, "default", "us-east-1", bad[i].url, &ep), AL_CONFIG,
		       "bad URL refused: %s", bad[i].why);
		ok(strstr(err, bad[i].why) && strstr(err, "(from --endpoint-url)"), "  %s", err);
	}
	endpoint(AWS_SVC_LOGS, "default", "us-east-1", "HTTPS://Moto.Local:5000", &ep);
	ok(ep.https && strcmp(ep.host, "moto.local") == 0 && ep.port == 5000,
	   "scheme case-insensitive, host lower-cased");
	is_int(endpoint(AWS_SVC_LOGS, "default", NULL, "http://127.0.0.1:5000", &ep), 0,
	       "custom URL needs no region");
	is_str(ep.signing_region, "", "  signing region empty");
}

static void test_loopback(void)
{
	static const struct {
		const char *host;
		int want;
	} t[] = {
		{"127.0.0.1", 1}, {"127.255.255.254", 1}, {"127.1.2.3", 1}, {"localhost", 1},
		{"LocalHost", 1}, {"localhost.", 1}, {"::1", 1}, {"[::1]", 1},
		{"0:0:0:0:0:0:0:1", 1}, {"::ffff:127.0.0.1", 1}, {"128.0.0.1", 0},
		{"126.255.255.255", 0}, {"10.0.0.1", 0}, {"169.254.170.2", 0}, {"::2", 0},
		{"::ffff:10.0.0.1", 0}, {"localhost.example.com", 0}, {"mylocalhost", 0},
		{"127.0.0.1.nip.io", 0}, {"127.1", 0}, {"", 0}, {"[]", 0}, {"example.com", 0},
		{"fd00:ec2::23", 0},
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		is_int(aws_host_is_loopback(t[i].host), t[i].want, "loopback(%s) = %d", t[i].host,
		       t[i].want);
	is_int(aws_host_is_loopback(NULL), 0, "loopback(NULL) = 0");
}

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define TOKEN "IQoJb3JpZ2luX2VjEXAMPLETOKENvalue0123456789abcdefghijklmnopqrstuv"
#define OLD_SECRET "an-older-secret-that-was-replaced"
static int wiped_secret, wiped_token, wiped_old, wiped_nonzero;

static void wipe_seen(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			wiped_nonzero++;
	wiped_secret += n == strlen(SECRET);
	wiped_token += n == strlen(TOKEN);
	wiped_old += n == strlen(OLD_SECRET);
}

static void test_wipe(void)
{
	clear_env();
	load(NULL, NULL);
	aws_secret_wipe_hook = wipe_seen;
	is_int(load(NULL, "[default]\naws_access_key_id = AKIDEXAMPLE\n"
			  "aws_secret_access_key = " OLD_SECRET "\n"
			  "aws_secret_access_key = " SECRET "\n"
			  "aws_session_token = " TOKEN "\n"), 0, "credentials with secrets");
	is_int(wiped_old, 1, "replaced duplicate secret wiped at once");
	is_str(aws_config_get(cfg, "default", "aws_secret_access_key"), SECRET, "secret readable");
	ok(wiped_secret == 0 && wiped_token == 0, "live secrets not wiped yet");
	aws_config_free(cfg);
	cfg = NULL;
	ok(wiped_secret >= 1, "secret wiped on free");
	ok(wiped_token >= 1, "session token wiped on free");
	is_int(wiped_nonzero, 0, "every wiped buffer was all zero");
	aws_secret_wipe_hook = NULL;
}

int main(void)
{
	snprintf(dir, sizeof dir, "%s/test_aws_config.XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	clear_env();
	test_parse();
	test_bad_files();
	test_paths();
	test_profile();
	test_region();
	test_default_endpoints();
	test_partitions();
	test_endpoint_precedence();
	test_loopback();
	test_wipe();
	aws_config_free(cfg);
	for (int i = n_created; i-- > 0;)
		remove(created[i]);
	rmdir(dir);
	return tap_done();
}
