/* authlog-scan explain TEXT — classify one error text or one log line. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "arn.h"
#include "buf.h"
#include "classify.h"
#include "cli.h"
#include "parse.h"
#include "reader.h"
#include "status.h"

static const char usage_text[] =
	"usage: authlog-scan explain [--cluster NAME] [--region R] [--grant G] [--json] TEXT...\n"
	"\n"
	"Classify one authenticator error text (the error=\"...\" value) or one\n"
	"whole log line, and print its class, cause and the fix with the ARN,\n"
	"cluster and region filled in. Several arguments are joined with spaces.\n"
	"\n"
	"  --cluster NAME  cluster name for the fix\n"
	"  --region R      region for the fix (default: the STS endpoint's, $AWS_REGION)\n"
	"  --grant G       what a person or CI principal is given: admin (default), edit, view\n"
	"  --json          print {\"class\":…,\"sts_code\":…,\"cause\":…,\"fix\":[…],\"fix_notes\":[…]}\n";

static void print_json(const struct classify_result *cr, const char *arn, const char *kind, const char *notes,
		       const char *fix)
{
	struct buf b = BUF_INIT;
	const char *cause = classify_cause(cr->cls);
	buf_puts(&b, "{\"class\":");
	buf_json_string(&b, classify_name(cr->cls), strlen(classify_name(cr->cls)));
	buf_puts(&b, ",\"sts_code\":");
	if (cr->sts_code[0])
		buf_json_string(&b, cr->sts_code, strlen(cr->sts_code));
	else
		buf_puts(&b, "null");
	if (cr->http_status)
		buf_printf(&b, ",\"http_status\":%d", cr->http_status);
	else
		buf_puts(&b, ",\"http_status\":null");
	buf_puts(&b, ",\"principal\":");
	if (arn)
		buf_json_string(&b, arn, strlen(arn));
	else
		buf_puts(&b, "null");
	buf_printf(&b, ",\"principal_kind\":\"%s\"", kind);
	buf_puts(&b, ",\"cause\":");
	buf_json_string(&b, cause, strlen(cause));
	buf_puts(&b, ",\"fix\":");
	buf_json_lines(&b, fix);
	buf_puts(&b, ",\"fix_notes\":");
	buf_json_lines(&b, notes);
	buf_puts(&b, "}\n");
	fputs(buf_str(&b), stdout);
	buf_free(&b);
}

/* Each '\n'-terminated line of lines, after prefix. */
static void print_lines(const char *prefix, const char *lines)
{
	while (*lines) {
		const char *nl = strchr(lines, '\n');
		size_t len = nl ? (size_t)(nl - lines) : strlen(lines);
		printf("%s%.*s\n", prefix, (int)len, lines);
		lines += len + (nl ? 1 : 0);
	}
}

/* The notes come before the commands and apart from them, so the
 * commands can be copied as a block. */
static void print_text(const struct classify_result *cr, const char *arn, const char *kind, const char *notes,
		       const char *fix)
{
	printf("class:     %s\n", classify_name(cr->cls));
	if (arn)
		printf("principal: %s\nkind:      %s\n", arn, kind);
	if (cr->sts_code[0])
		printf("sts code:  %s\n", cr->sts_code);
	if (cr->http_status)
		printf("http:      %d\n", cr->http_status);
	printf("cause:     %s\n", classify_cause(cr->cls));
	if (*notes) {
		puts("notes:");
		print_lines("  - ", notes);
	}
	puts("fix:");
	print_lines("  ", fix);
}

/* The region for the fix when --region gives none: the STS endpoint's
 * (into buf), the STS error's, $AWS_REGION, or NULL. */
static const char *region_of(const char *sts_host, const struct classify_result *cr, char *buf, size_t buf_sz)
{
	if (sts_host && parse_sts_region(sts_host, buf, buf_sz) == 0 && buf[0])
		return buf;
	if (cr->sts_region[0] && strcmp(cr->sts_region, "global") != 0)
		return cr->sts_region;
	const char *env = getenv("AWS_REGION");
	return env && *env ? env : NULL;
}

int cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{"cluster", required_argument, NULL, 'c'},
		{"region", required_argument, NULL, 'r'},
		{"grant", required_argument, NULL, 'g'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cluster = NULL, *region = NULL;
	struct buf text = BUF_INIT, fix = BUF_INIT, notes = BUF_INIT;
	enum fix_grant grant = GRANT_ADMIN;
	struct parser *parser = NULL;
	struct classify_result cr;
	struct record rec;
	struct arn_info *ai = NULL;
	int c, rc = AL_OK, json = 0;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cluster = optarg; break;
		case 'r': region = optarg; break;
		case 'g':
			if (classify_grant_from_name(optarg, &grant) != 0)
				return cli_usage_error("explain", "--grant must be admin, edit or view");
			break;
		case 'j': json = 1; break;
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("explain", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("explain", "no TEXT to explain");
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			buf_putc(&text, ' ');
		buf_puts(&text, argv[i]);
	}
	if (classify_init() != 0 || parse_new(&parser) != 0 || !(ai = malloc(sizeof(*ai))) || text.oom) {
		cli_error("explain", "cannot set up the classifier");
		rc = AL_SOFTWARE;
		goto out;
	}

	/* A whole log line (possibly with a transport prefix) or a bare error text. */
	struct reader_entry e = {0};
	char stream[256], ts[64];
	reader_unwrap_line(text.data, text.len, &e, stream, sizeof(stream), ts, sizeof(ts));
	const char *arn = NULL, *sts_host = NULL;
	if (parse_line(parser, e.message, e.message_len, &rec)) {
		if (rec.kind != REC_ACCESS || rec.outcome != OUTCOME_DENIED) {
			cli_error("explain", "not a denial: msg=\"%s\"%s%s", rec.msg,
				  rec.username ? " username=" : "", rec.username ? rec.username : "");
			rc = AL_DATAERR;
			goto out;
		}
		classify_error(rec.msg, rec.error, rec.error_len, &cr);
		arn = rec.arn && *rec.arn ? rec.arn : NULL;
		sts_host = rec.sts_endpoint;
	} else {
		classify_error("access denied", text.data, text.len, &cr);
	}
	if (!arn && cr.mapped_arn[0])
		arn = cr.mapped_arn;

	char sts_region[32] = "";
	if (!region)
		region = region_of(sts_host, &cr, sts_region, sizeof(sts_region));
	int parsed = arn && arn_parse(arn, strlen(arn), ai) == 0;
	const char *canonical = parsed ? ai->canonical : arn;
	const char *kind = arn_kind_name(parsed ? arn_kind(ai->name, ai->session) : KIND_UNKNOWN);
	struct fix_ctx fc = {.arn = arn, .cluster = cluster, .region = region, .grant = grant};
	if (classify_fix(cr.cls, &fc, &notes, &fix) < 0) {
		rc = AL_SOFTWARE;
		goto out;
	}
	if (json)
		print_json(&cr, canonical, kind, buf_str(&notes), buf_str(&fix));
	else
		print_text(&cr, canonical, kind, buf_str(&notes), buf_str(&fix));
out:
	free(ai);
	parse_free(parser);
	classify_cleanup();
	buf_free(&text);
	buf_free(&fix);
	buf_free(&notes);
	return rc;
}
