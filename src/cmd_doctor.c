/* authlog-scan doctor — why is this identity refused by this EKS cluster,
 * and the one command that fixes it (the diagnosis is doctor.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "doctor.h"
#include "status.h"

static const char usage_text[] =
	"usage: authlog-scan doctor [--cluster NAME] [--region R] [--profile P] [--role-arn ARN]\n"
	"                           [--kubeconfig FILE] [--context NAME] [--aws-auth FILE|-]\n"
	"                           [--since DURATION] [--no-logs] [--format text|json]\n"
	"\n"
	"Ask the cluster itself whether this identity is accepted and, when it is\n"
	"not, say why from its access entries, the aws-auth ConfigMap and the\n"
	"authenticator log, with one fix. Steps: identity (STS GetCallerIdentity;\n"
	"AssumeRole first with a role ARN) -> cluster (EKS DescribeCluster) ->\n"
	"token (made as `aws eks get-token` makes it, sent as a SelfSubjectReview)\n"
	"-> mappings -> logs (fetched into the database as scan does) -> verdict.\n"
	"It changes nothing on AWS or the cluster.\n"
	"\n"
	"  --cluster NAME     the EKS cluster (else the kubeconfig context's exec)\n"
	"  --region R         its region (else the exec's, then the SDK chain's)\n"
	"  --profile P        AWS profile (else the exec's AWS_PROFILE / --profile)\n"
	"  --role-arn ARN     assume this role first, as `aws eks get-token --role-arn`\n"
	"  --kubeconfig FILE  else the first file of $KUBECONFIG, else ~/.kube/config\n"
	"  --context NAME     else current-context\n"
	"  --aws-auth FILE|-  the aws-auth ConfigMap as `kubectl get configmap aws-auth\n"
	"                     -n kube-system -o yaml|json` prints it (a refused identity\n"
	"                     cannot read it through the API)\n"
	"  --since DURATION   the log records read (default 1h): fetched from CloudWatch\n"
	"                     Logs into the database as `scan` does, then read from it\n"
	"  --no-logs          skip the logs step\n"
	"  --format text|json the report (json: one object)\n"
	"\n"
	"Exit status: 0 accepted, 1 refused (credentials_failed included), 64 usage,\n"
	"69 AWS or the cluster unreachable, 77 an EKS call the diagnosis needs was\n"
	"denied (the message names it), 78 no credentials, region or cluster.\n";

int cmd_doctor(int argc, char **argv)
{
	enum { OPT_CLUSTER = 256, OPT_REGION, OPT_PROFILE, OPT_ROLE, OPT_KUBECONFIG, OPT_CONTEXT, OPT_AWS_AUTH,
	       OPT_SINCE, OPT_NO_LOGS, OPT_FORMAT };
	static const struct option opts[] = {
		{"cluster", required_argument, NULL, OPT_CLUSTER},
		{"region", required_argument, NULL, OPT_REGION},
		{"profile", required_argument, NULL, OPT_PROFILE},
		{"role-arn", required_argument, NULL, OPT_ROLE},
		{"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
		{"context", required_argument, NULL, OPT_CONTEXT},
		{"aws-auth", required_argument, NULL, OPT_AWS_AUTH},
		{"since", required_argument, NULL, OPT_SINCE},
		{"no-logs", no_argument, NULL, OPT_NO_LOGS},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct doctor_opts o = {.verbose = cli.verbose};
	struct doctor_result r;
	struct buf out = BUF_INIT;
	const char *since = "1h";
	int json = 0, c, rc;
	char err[1024] = "";

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		rc = AL_OK;
		switch (c) {
		case OPT_CLUSTER: rc = cli_option_once("doctor", "--cluster", &o.cluster, optarg, NULL); break;
		case OPT_REGION: rc = cli_option_once("doctor", "--region", &o.region, optarg, NULL); break;
		case OPT_PROFILE: rc = cli_option_once("doctor", "--profile", &o.profile, optarg, NULL); break;
		case OPT_ROLE: rc = cli_option_once("doctor", "--role-arn", &o.role_arn, optarg, NULL); break;
		case OPT_KUBECONFIG: o.kubeconfig = optarg; break;
		case OPT_CONTEXT: o.context = optarg; break;
		case OPT_AWS_AUTH: o.aws_auth = optarg; break;
		case OPT_SINCE: since = optarg; break;
		case OPT_NO_LOGS: o.no_logs = 1; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
				return cli_usage_error("doctor", "--format: '%s' is not text or json", optarg);
			json = strcmp(optarg, "json") == 0;
			break;
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("doctor", c, argv);
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error("doctor", "unexpected argument '%s'", argv[optind]);
	const char *need[][2] = {{"--cluster", o.cluster}, {"--region", o.region}, {"--profile", o.profile},
				 {"--role-arn", o.role_arn}, {"--kubeconfig", o.kubeconfig}, {"--context", o.context},
				 {"--aws-auth", o.aws_auth}};
	for (size_t i = 0; i < sizeof need / sizeof *need; i++)
		if (need[i][1] && !*need[i][1])
			return cli_usage_error("doctor", "%s needs a value", need[i][0]);
	if ((rc = cli_parse_time("doctor", "--since", since, (int64_t)time(NULL), &o.since)) != AL_OK)
		return rc;
	char *db = o.no_logs ? NULL : cli_db_path();
	char query_file[4096];
	o.db_path = db;
	snprintf(query_file, sizeof query_file, "%s/scan.insights", cli_queries_dir());
	o.query_file = query_file;
	/* As scan: tests shrink the fetcher's waits; never set in production. */
	const char *scale = getenv("AUTHLOG_SCAN_TIME_SCALE");
	o.time_scale = scale && *scale ? strtod(scale, NULL) : 1.0;

	rc = doctor_run(&o, &r, err, sizeof err);
	if (rc != AL_OK) {
		cli_error("doctor", "%s", err);
	} else {
		if (json ? doctor_format_json(&r, &out) : doctor_format_text(&r, &out)) {
			cli_error("doctor", "out of memory");
			rc = AL_SOFTWARE;
		} else {
			fwrite(out.data, 1, out.len, stdout);
			rc = doctor_exit_code(&r);
		}
	}
	buf_free(&out);
	doctor_result_free(&r);
	free(db);
	return rc;
}
