/* authlog-scan clusters discover — the account's EKS clusters in a
 * region, as fleet file sections to paste (the work is discover.c). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "discover.h"
#include "msg.h"
#include "status.h"

static const char usage_text[] =
	"usage: authlog-scan clusters SUBCOMMAND [ARGS]\n"
	"\n"
	"The fleet's clusters. Run 'authlog-scan clusters SUBCOMMAND --help' for one.\n"
	"\n"
	"  discover   list the account's EKS clusters in a region (ListClusters,\n"
	"             DescribeCluster) and print [cluster NAME] sections to paste\n"
	"             into the fleet file (~/.config/authlog-scan/clusters)\n";

static const char discover_usage[] =
	"usage: authlog-scan clusters discover [--region R] [--profile P] [--json]\n"
	"                                      [--allow-insecure-endpoint]\n"
	"\n"
	"List the EKS clusters of the account in one region (EKS ListClusters, every\n"
	"page, then DescribeCluster for each) and print one fleet file section per\n"
	"cluster, to paste into ~/.config/authlog-scan/clusters:\n"
	"\n"
	"  [cluster NAME]\n"
	"  region = R\n"
	"  profile = P            (when --profile is given)\n"
	"  account = 111122223333 (from the cluster's ARN)\n"
	"  # authentication mode, Kubernetes version and status\n"
	"  # whether the authenticator log is on; when not, the command that turns it on\n"
	"\n"
	"A listed name that is not an EKS cluster name gets no section, only a comment\n"
	"(escaped) saying it was skipped. It changes nothing on AWS. Needs\n"
	"eks:ListClusters and eks:DescribeCluster.\n"
	"\n"
	"  --region R    region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's)\n"
	"  --profile P   AWS profile (else the SDK chain: AWS_PROFILE, env keys, ...);\n"
	"                written into every section\n"
	"  --json        one JSON object instead (README: clusters discover)\n"
	"  --allow-insecure-endpoint  sign requests for a plain http:// EKS endpoint\n"
	"                that is not loopback (refused by default)\n"
	"\n"
	"Exit status: 0 every cluster described, 64 usage, 69 EKS unreachable,\n"
	"77 eks:ListClusters or eks:DescribeCluster denied (the sections are printed\n"
	"all the same, saying which), 78 no credentials or no region.\n";

static int discover(int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_INSECURE };
	static const struct option opts[] = {
		{"region", required_argument, NULL, 'r'},
		{"profile", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, OPT_JSON},
		{"allow-insecure-endpoint", no_argument, NULL, OPT_INSECURE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char cmd[] = "clusters discover";
	struct discover_opts o = {.verbose = cli.verbose};
	struct discover_result r;
	struct buf out = BUF_INIT;
	char err[1024];
	int c, rc, json = 0;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		rc = AL_OK;
		switch (c) {
		case 'r': rc = cli_option_once(cmd, "--region", &o.region, optarg, NULL); break;
		case 'p': rc = cli_option_once(cmd, "--profile", &o.profile, optarg, NULL); break;
		case OPT_JSON: json = 1; break;
		case OPT_INSECURE: o.allow_insecure_endpoint = 1; break;
		case 'h': fputs(discover_usage, stdout); return AL_OK;
		default: return cli_bad_option(cmd, c, argv);
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if ((o.region && !*o.region) || (o.profile && !*o.profile))
		return cli_usage_error(cmd, "--%s needs a value", o.region && !*o.region ? "region" : "profile");

	rc = discover_run(&o, &r, err, sizeof(err));
	if (rc == AL_USAGE) {
		rc = cli_usage_error(cmd, "%s", err);
	} else if (rc != AL_OK) {
		cli_error(cmd, "%s", err);
	} else if ((json ? discover_format_json(&r, &out) : discover_format_text(&r, &out)) != 0) {
		cli_error(cmd, "out of memory");
		rc = AL_SOFTWARE;
	} else {
		fwrite(out.data, 1, out.len, stdout);
		if ((rc = discover_exit_code(&r, err, sizeof(err))) != AL_OK)
			cli_error(cmd, "%s", err);
	}
	buf_free(&out);
	discover_result_free(&r);
	return rc;
}

int cmd_clusters(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return AL_OK;
	}
	if (argc >= 2 && strcmp(argv[1], "discover") == 0) {
		optind = 0; /* glibc: re-initialise getopt for the subcommand's options */
		return discover(argc - 1, argv + 1);
	}
	char tmp[MSG_QUOTE_MAX + 1];
	if (argc < 2)
		return cli_usage_error("clusters", "a subcommand is needed: discover");
	return cli_usage_error("clusters", "unknown subcommand '%s' (there is: discover)",
			       msg_printable(argv[1], tmp, sizeof(tmp)));
}
