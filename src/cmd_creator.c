/* authlog-scan creator — which IAM identity created the cluster. EKS maps
 * the creator to username kubernetes-admin (system:masters) outside
 * aws-auth, so its grants are the only place the logs name it. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "esc.h"
#include "report.h"
#include "status.h"
#include "store.h"

static const char usage_text[] =
	"usage: authlog-scan creator [--json]\n"
	"\n"
	"Print the IAM identity that authenticated as kubernetes-admin (the\n"
	"cluster creator), with first and last seen and the number of grants.\n"
	"Exits 0 even when none is stored, and says so.\n";

int cmd_creator(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct report_creator *cr = NULL;
	size_t n = 0;
	struct store *store = NULL;
	char err[512];
	int c, rc, json = 0;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("creator", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("creator", "unexpected argument '%s'", argv[optind]);
	rc = cli_store_open("creator", STORE_READONLY, &store);
	if (rc)
		goto out;
	rc = report_creators(store_db(store), &cr, &n, err, sizeof(err));
	if (rc) {
		cli_error("creator", "%s", err);
		goto out;
	}
	if (json) {
		struct buf b = BUF_INIT;
		buf_putc(&b, '[');
		for (size_t i = 0; i < n; i++) {
			buf_puts(&b, i ? ",{\"arn\":" : "{\"arn\":");
			buf_json_string(&b, cr[i].arn, strlen(cr[i].arn));
			buf_puts(&b, ",\"first_seen\":");
			buf_json_string(&b, cr[i].first_seen, strlen(cr[i].first_seen));
			buf_puts(&b, ",\"last_seen\":");
			buf_json_string(&b, cr[i].last_seen, strlen(cr[i].last_seen));
			buf_printf(&b, ",\"grants\":%lld}", cr[i].grants);
		}
		buf_puts(&b, "]\n");
		fputs(buf_str(&b), stdout);
		buf_free(&b);
	} else if (!n) {
		printf("No kubernetes-admin grant is stored, so the creator is unknown.\n"
		       "Fetch or import the authenticator logs of a time the creator used the cluster\n"
		       "(query: authlog-scan queries; cluster-creator.insights).\n");
	} else {
		/* The ARN and times are log data: escaped for the terminal. */
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < n; i++) {
			esc_term(&b, cr[i].arn, strlen(cr[i].arn));
			buf_puts(&b, "\n  first seen ");
			esc_term(&b, cr[i].first_seen, strlen(cr[i].first_seen));
			buf_puts(&b, "\n  last seen  ");
			esc_term(&b, cr[i].last_seen, strlen(cr[i].last_seen));
			buf_printf(&b, "\n  grants     %lld\n", cr[i].grants);
		}
		fputs(buf_str(&b), stdout);
		buf_free(&b);
		if (n > 1)
			printf("(%zu identities authenticated as kubernetes-admin; the first one seen is the likely creator)\n", n);
	}
out:
	report_creators_free(cr, n);
	store_close(store);
	return rc;
}
