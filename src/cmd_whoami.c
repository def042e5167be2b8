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
#include "aws/aws_session.h"
#include "aws/aws_sts.h"
#include "cli.h"
#include "status.h"
#include "timeutil.h"

static const char usage_text[] =
	"usage: authlog-scan whoami [--profile P] [--region R] [--allow-insecure-endpoint]\n"
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
	"  --allow-insecure-endpoint  sign requests for a plain http:// STS endpoint\n"
	"                that is not loopback (refused by default: the signature and\n"
	"                the session token would cross the network in clear)\n"
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

static void print_endpoint(const char *label, const struct aws_session *s, enum aws_service svc,
			   struct aws_endpoint *ep, int *ok)
{
	char err[512];
	if (aws_session_endpoint(s, svc, NULL, ep, err, sizeof err)) {
		line(label, "(invalid: %s)", err);
		*ok = 0;
		return;
	}
	line(label, "%s (%s%s)", ep->url, ep->origin,
	     ep->variant_ignored ? "; FIPS/dual-stack ignored for a custom endpoint" : "");
}

static void print_access_key(const struct aws_credentials *creds)
{
	char mask[32];
	aws_credentials_mask(creds->access_key_id, mask, sizeof mask);
	if (!creds->expiration) {
		line("access key", "%s (%s)", mask, creds->session_token ? "temporary" : "long-term");
		return;
	}
	char iso[TIME_ISO_LEN];
	time_format(creds->expiration, iso);
	long left = (long)((creds->expiration - (int64_t)time(NULL)) / 60);
	if (left < 120)
		line("access key", "%s (temporary, expires %s, in %ld min)", mask, iso, left);
	else if (left < 48 * 60)
		line("access key", "%s (temporary, expires %s, in %ld h)", mask, iso, left / 60);
	else
		line("access key", "%s (temporary, expires %s, in %ld days)", mask, iso, left / 1440);
}

/* What was found locally: printed whatever happens next. The STS
 * endpoint goes to sts (ok: it is valid). */
static void print_local(const struct aws_session *s, struct aws_endpoint *sts, int *ok)
{
	struct aws_endpoint logs;
	if (s->prov) {
		char chain[512];
		aws_creds_provider_describe(s->prov, chain, sizeof chain);
		line("credentials", "%s", chain);
	} else {
		line("credentials", "(none)");
	}
	if (s->creds_rc == AL_OK)
		print_access_key(&s->creds);
	else if (s->prov)
		line("access key", "(not obtained)");
	line("profile", "%s (%s)", s->profile, aws_profile_source_name(s->psrc));
	if (s->have_region) {
		line("region", "%s (%s)", s->region, aws_region_source_name(s->rsrc));
		print_endpoint("logs", s, AWS_SVC_LOGS, &logs, ok);
		print_endpoint("sts", s, AWS_SVC_STS, sts, ok);
	} else {
		line("region", "(none)");
	}
	fflush(stdout);
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

/* STS GetCallerIdentity with the session's credentials. */
static int ask_sts(const struct aws_session *s, const struct aws_endpoint *sts)
{
	struct aws_client *client = NULL;
	struct aws_caller_identity id;
	char err[1024];
	if (aws_client_new(&s->copts, &client) != 0 || !client) {
		cli_error("whoami", "cannot create the HTTP client");
		return AL_SOFTWARE;
	}
	int rc = aws_sts_caller_identity(client, sts->url, sts->signing_region, &s->creds, &id, err, sizeof err);
	if (rc != AL_OK)
		cli_error("whoami", "STS at %s: %s", sts->url, err);
	else
		print_identity(&id);
	aws_client_free(client);
	return rc;
}

int cmd_whoami(int argc, char **argv)
{
	static const struct option opts[] = {
		{"profile", required_argument, NULL, 'p'},
		{"region", required_argument, NULL, 'r'},
		{"allow-insecure-endpoint", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct aws_session_opts so = {.verbose = cli.verbose, .inspect = 1};
	struct aws_session s;
	struct aws_endpoint sts;
	char err[1024];
	int c, rc, endpoints_ok = 1;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		rc = AL_OK;
		switch (c) {
		case 'p': rc = cli_option_once("whoami", "--profile", &so.profile, optarg, NULL); break;
		case 'r': rc = cli_option_once("whoami", "--region", &so.region, optarg, NULL); break;
		case 'k': so.allow_insecure_endpoint = 1; break;
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("whoami", c, argv);
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error("whoami", "unexpected argument '%s'", argv[optind]);
	if (so.profile && !*so.profile)
		return cli_usage_error("whoami", "--profile needs a name");

	rc = aws_session_open(&s, &so, err, sizeof err);
	if (rc) {
		cli_error("whoami", "%s", err);
		goto out;
	}
	print_local(&s, &sts, &endpoints_ok);
	if (s.creds_rc != AL_OK) {
		cli_error("whoami", "%s", s.creds_err);
		rc = s.creds_rc;
	} else if (!s.have_region) {
		cli_error("whoami", "%s", s.region_err);
		rc = AL_CONFIG;
	} else if (!endpoints_ok) {
		cli_error("whoami", "cannot call STS: its endpoint is invalid");
		rc = AL_CONFIG;
	} else {
		rc = ask_sts(&s, &sts);
	}
out:
	aws_session_close(&s);
	return rc;
}
