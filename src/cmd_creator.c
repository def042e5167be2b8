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
	"usage: authlog-scan creator [--cluster NAME] [--json]\n"
	"\n"
	"Print the IAM identity that authenticated as kubernetes-admin (the\n"
	"cluster creator), with first and last seen and the number of grants,\n"
	"per cluster. Exits 0 even when none is stored, and says so.\n"
	"\n"
	"  --cluster NAME  only this cluster's creator\n"
	"  --json          a JSON array of {cluster, arn, first_seen, last_seen, grants}\n";

/* The creators of one cluster are listed together (the rows come oldest
 * first): a heading per cluster when there are several. */
static int many_clusters(const struct report_creator *cr, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(cr[i].cluster, cr[0].cluster) != 0)
			return 1;
	return 0;
}

static size_t count_in(const struct report_creator *cr, size_t n, const char *cluster)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += strcmp(cr[i].cluster, cluster) == 0;
	return k;
}

/* The ARNs, clusters and times are log data: escaped for the terminal. */
static void print_text(const struct report_creator *cr, size_t n)
{
	struct buf b = BUF_INIT;
	int headed = many_clusters(cr, n);
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < i && strcmp(cr[j].cluster, cr[i].cluster) != 0; j++)
			;
		if (j < i)
			continue; /* printed with the first of its cluster */
		if (headed) {
			buf_puts(&b, i ? "\ncluster " : "cluster ");
			if (*cr[i].cluster)
				esc_term(&b, cr[i].cluster, strlen(cr[i].cluster));
			else
				buf_puts(&b, "(not named by the logs)");
			buf_putc(&b, '\n');
		}
		for (size_t k = i; k < n; k++) {
			if (strcmp(cr[k].cluster, cr[i].cluster) != 0)
				continue;
			esc_term(&b, cr[k].arn, strlen(cr[k].arn));
			buf_puts(&b, "\n  first seen ");
			esc_term(&b, cr[k].first_seen, strlen(cr[k].first_seen));
			buf_puts(&b, "\n  last seen  ");
			esc_term(&b, cr[k].last_seen, strlen(cr[k].last_seen));
			buf_printf(&b, "\n  grants     %lld\n", cr[k].grants);
		}
		size_t m = count_in(cr, n, cr[i].cluster);
		if (m > 1)
			buf_printf(&b, "(%zu identities authenticated as kubernetes-admin; the first one seen is the likely"
				       " creator)\n", m);
	}
	fputs(buf_str(&b), stdout);
	buf_free(&b);
}

int cmd_creator(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"cluster", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct report_creator *cr = NULL;
	size_t n = 0;
	struct store *store = NULL;
	char err[512];
	const char *cluster = NULL;
	int c, rc, json = 0;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'c': cluster = optarg; break;
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("creator", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("creator", "unexpected argument '%s'", argv[optind]);
	rc = cli_store_open("creator", STORE_READONLY, &store);
	if (rc)
		goto out;
	rc = report_creators(store_db(store), cluster, &cr, &n, err, sizeof(err));
	if (rc) {
		cli_error("creator", "%s", err);
		goto out;
	}
	if (json) {
		struct buf b = BUF_INIT;
		buf_putc(&b, '[');
		for (size_t i = 0; i < n; i++) {
			buf_puts(&b, i ? ",{\"cluster\":" : "{\"cluster\":");
			buf_json_string(&b, cr[i].cluster, strlen(cr[i].cluster));
			buf_puts(&b, ",\"arn\":");
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
		if (cluster)
			printf("Cluster %s: ", cluster);
		printf("No kubernetes-admin grant is stored, so the creator is unknown.\n"
		       "Fetch or import the authenticator logs of a time the creator used the cluster\n"
		       "(query: authlog-scan queries; cluster-creator.insights).\n");
	} else {
		print_text(cr, n);
	}
out:
	report_creators_free(cr, n);
	store_close(store);
	return rc;
}
