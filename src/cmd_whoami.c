/* authlog-scan whoami — which credentials, region and endpoints the AWS
 * client would use, then STS GetCallerIdentity and the IAM ARN that
 * aws-auth / access entries must contain.  Never prints a secret. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arn.h"
#include "aws/aws_config.h"
#include "aws/aws_creds.h"
#include "aws/aws_request.h"
#include "cli.h"
#include "status.h"
#include "timeutil.h"

static const char usage_text[] =
	"usage: authlog-scan whoami [--profile P] [--region R]\n"
	"\n"
	"Show the AWS identity authlog-scan would use: where the credentials come\n"
	"from (env, profile:NAME (static | credential_process | assume-role | sso |\n"
	"web-identity), web-identity, container, imds), the access key id (masked),\n"
	"the region and the CloudWatch Logs and STS endpoints; then ask STS\n"
	"GetCallerIdentity and print the caller ARN, the account and the IAM ARN\n"
	"that aws-auth mapRoles/mapUsers or an EKS access entry must contain.\n"
	"\n"
	"  --profile P   use profile P of ~/.aws/config and ~/.aws/credentials\n"
	"                (AWS_PROFILE otherwise; environment keys are then ignored)\n"
	"  --region R    region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's\n"
	"                region, or the EC2 instance's)\n"
	"\n"
	"Exit status: 0 identity confirmed, 69 STS unreachable (the local part is\n"
	"still printed), 77 access denied, 78 no credentials, no region or a bad\n"
	"configuration.\n";

static void line(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(const char *label, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%-12s ", label);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

static void print_endpoint(const char *label, const struct aws_config *cfg, const char *profile,
			   enum aws_service svc, const char *region, struct aws_endpoint *ep, int *ok)
{
	char err[512];
	if (aws_config_endpoint(cfg, profile, svc, region, NULL, ep, err, sizeof err)) {
		line(label, "(invalid: %s)", err);
		*ok = 0;
		return;
	}
	line(label, "%s (%s%s)", ep->url, ep->origin,
	     ep->variant_ignored ? "; FIPS/dual-stack ignored for a custom endpoint" : "");
}

static void print_identity(const struct aws_caller_identity *id)
{
	struct arn_info *a = calloc(1, sizeof *a);
	line("caller arn", "%s", id->arn);
	line("account", "%s", id->account);
	line("user id", "%s", id->user_id);
	if (!a || arn_parse(id->arn, strlen(id->arn), a) != 0) {
		line("iam arn", "(not an IAM principal ARN)");
		free(a);
		return;
	}
	switch (a->type) {
	case PRINCIPAL_ROLE:
	case PRINCIPAL_ASSUMED_ROLE:
		line("iam arn", "%s", a->canonical);
		line("", "-> aws-auth mapRoles rolearn / access entry principalArn%s",
		     a->sso ? " (IAM Identity Center role: no path)" : "");
		break;
	case PRINCIPAL_USER:
		line("iam arn", "%s", a->canonical);
		line("", "-> aws-auth mapUsers userarn / access entry principalArn");
		break;
	case PRINCIPAL_ROOT:
		line("iam arn", "%s", a->canonical);
		line("", "-> the account root: use an IAM role or user for the cluster instead");
		break;
	case PRINCIPAL_FEDERATED:
		line("iam arn", "%s", a->canonical);
		line("", "-> a federated user cannot be mapped: use an IAM role");
		break;
	case PRINCIPAL_NONE:
		line("iam arn", "(not an IAM principal ARN)");
		break;
	}
	free(a);
}

int cmd_whoami(int argc, char **argv)
{
	static const struct option opts[] = {
		{"profile", required_argument, NULL, 'p'},
		{"region", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *opt_profile = NULL, *opt_region = NULL;
	struct aws_config *cfg = NULL;
	struct aws_creds_provider *prov = NULL;
	struct aws_client *client = NULL;
	struct aws_credentials creds = {0};
	struct aws_endpoint logs_ep, sts_ep;
	struct aws_caller_identity id;
	enum aws_profile_source psrc;
	enum aws_region_source rsrc = AWS_REGION_NONE;
	char profile[256], region[64], err[1024], region_err[512], creds_err[1024], mask[32];
	int c, rc, creds_rc, have_region, endpoints_ok = 1;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': opt_profile = optarg; break;
		case 'r': opt_region = optarg; break;
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("whoami", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("whoami", "unexpected argument '%s'", argv[optind]);
	if (opt_profile && !*opt_profile)
		return cli_usage_error("whoami", "--profile needs a name");

	if (aws_config_load(NULL, NULL, &cfg, err, sizeof err)) {
		cli_error("whoami", "%s", err);
		return AL_CONFIG;
	}
	if (aws_config_select_profile(cfg, opt_profile, profile, sizeof profile, &psrc, err, sizeof err)) {
		cli_error("whoami", "%s", err);
		rc = AL_CONFIG;
		goto out;
	}
	have_region = aws_config_region(cfg, profile, opt_region, region, sizeof region, &rsrc, region_err,
					sizeof region_err) == 0;

	/* HTTP and retry settings shared by the credential calls and ours */
	struct aws_client_opts copts;
	if (aws_client_opts_from_config(cfg, profile, &copts, err, sizeof err)) {
		cli_error("whoami", "%s", err);
		rc = AL_CONFIG;
		goto out;
	}
	copts.verbose = copts.http.verbose = cli.verbose > 0;

	struct aws_creds_opts co = {
		.cfg = cfg,
		.profile = opt_profile,
		.region = have_region ? region : NULL,
		.client = &copts,
		.verbose = cli.verbose > 0,
		.no_fetch = 1, /* so the source shows even when fetching from it fails */
	};
	creds_rc = aws_creds_provider_new(&co, &prov, creds_err, sizeof creds_err);
	if (creds_rc == AL_OK)
		creds_rc = aws_creds_get(prov, &creds, creds_err, sizeof creds_err);
	if (!have_region && rsrc == AWS_REGION_NONE && creds_rc == AL_OK &&
	    aws_creds_provider_kind(prov) == AWS_CREDS_IMDS &&
	    aws_creds_imds_region(&co, region, sizeof region, err, sizeof err) == AL_OK) {
		have_region = 1;
		rsrc = AWS_REGION_FROM_IMDS;
	}

	/* ---- the local part: printed whatever happens next ---- */
	if (prov) {
		char chain[512];
		aws_creds_provider_describe(prov, chain, sizeof chain);
		line("credentials", "%s", chain);
	} else {
		line("credentials", "(none)");
	}
	if (creds_rc != AL_OK) {
		if (prov)
			line("access key", "(not obtained)");
	} else {
		aws_credentials_mask(creds.access_key_id, mask, sizeof mask);
		if (creds.expiration) {
			char iso[TIME_ISO_LEN];
			time_format(creds.expiration, iso);
			long left = (long)((creds.expiration - (int64_t)time(NULL)) / 60);
			if (left < 120)
				line("access key", "%s (temporary, expires %s, in %ld min)", mask, iso, left);
			else if (left < 48 * 60)
				line("access key", "%s (temporary, expires %s, in %ld h)", mask, iso, left / 60);
			else
				line("access key", "%s (temporary, expires %s, in %ld days)", mask, iso, left / 1440);
		} else {
			line("access key", "%s (%s)", mask, creds.session_token ? "temporary" : "long-term");
		}
	}
	line("profile", "%s (%s)", profile, aws_profile_source_name(psrc));
	if (have_region) {
		line("region", "%s (%s)", region, aws_region_source_name(rsrc));
		print_endpoint("logs", cfg, profile, AWS_SVC_LOGS, region, &logs_ep, &endpoints_ok);
		print_endpoint("sts", cfg, profile, AWS_SVC_STS, region, &sts_ep, &endpoints_ok);
	} else {
		line("region", "(none)");
	}
	fflush(stdout);

	if (creds_rc != AL_OK) {
		cli_error("whoami", "%s", creds_err);
		rc = creds_rc;
		goto out;
	}
	if (!have_region) {
		cli_error("whoami", "%s", region_err);
		rc = AL_CONFIG;
		goto out;
	}
	if (!endpoints_ok) {
		cli_error("whoami", "cannot call STS: its endpoint is invalid");
		rc = AL_CONFIG;
		goto out;
	}
	if (aws_client_new(&copts, &client) != 0 || !client) {
		cli_error("whoami", "cannot create the HTTP client");
		rc = AL_SOFTWARE;
		goto out;
	}
	rc = aws_sts_caller_identity(client, sts_ep.url, sts_ep.signing_region, &creds, &id, err, sizeof err);
	if (rc != AL_OK) {
		cli_error("whoami", "STS at %s: %s", sts_ep.url, err);
		goto out;
	}
	print_identity(&id);
out:
	aws_credentials_clear(&creds);
	if (client)
		aws_client_free(client);
	aws_creds_provider_free(prov);
	aws_config_free(cfg);
	return rc;
}
