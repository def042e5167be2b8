/* authlog-scan explain TEXT — explain one error text, log line or client message. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "arn.h"
#include "buf.h"
#include "classify.h"
#include "cli.h"
#include "clientmsg.h"
#include "esc.h"
#include "parse.h"
#include "reader.h"
#include "status.h"

/* explain --json's layout; raised when a key changes meaning or type. */
#define EXPLAIN_SCHEMA_VERSION 1

static const char usage_text[] =
	"usage: authlog-scan explain [--cluster NAME] [--region R] [--grant G] [--profile P] [--json] TEXT...\n"
	"\n"
	"Classify one authenticator error text (the error=\"...\" value), one\n"
	"whole log line, or one message kubectl or the AWS CLI printed, and print\n"
	"its cause and the fix with the ARN, cluster and region filled in.\n"
	"Several arguments are joined with spaces; curly quotes, dashes and\n"
	"non-breaking spaces pasted from a web page are read as ASCII.\n"
	"\n"
	"  --cluster NAME  cluster name for the fix\n"
	"  --region R      region for the fix (default: the STS endpoint's, $AWS_REGION)\n"
	"  --grant G       what a person or CI principal is given: admin (default), edit, view\n"
	"  --profile P     AWS profile for the fix of a client message (default: one the text names)\n"
	"  --json          print {\"schema_version\":1,\"source\":…,\"client\":…,\"class\":…,\"cause\":…,\"fix\":[…],…}\n";

/* What was explained, whichever side it came from. */
struct explained {
	const struct clientmsg_result *client; /* NULL: an authenticator text */
	const char *profile;                   /* the profile the client fix uses, or NULL */
	enum error_class cls;
	const char *sts_code; /* NULL when none */
	int http_status;      /* 0 when none */
	const char *principal; /* canonical ARN, or NULL */
	const char *kind;
	const char *cause;
};

/* Every value that came from the input goes to the terminal through
 * here: escaped as every human-facing output is (esc.h), so a pasted text
 * can neither move the cursor, add a line nor reorder what is shown. */
static void show(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	esc_term(&b, s, n);
	fputs(b.oom ? "(out of memory)" : buf_str(&b), stdout);
	buf_free(&b);
}

static void show_field(const char *label, const char *value)
{
	if (!value || !*value)
		return;
	fputs(label, stdout);
	show(value, strlen(value));
	putchar('\n');
}

static void json_key_string(struct buf *b, const char *key, const char *value)
{
	buf_printf(b, ",\"%s\":", key);
	if (value && *value)
		buf_json_string(b, value, strlen(value));
	else
		buf_puts(b, "null");
}

static void print_json(const struct explained *e, const char *notes, const char *fix)
{
	struct buf b = BUF_INIT;
	const struct clientmsg_result *cm = e->client;
	buf_printf(&b, "{\"schema_version\":%d,\"source\":\"%s\",\"client\":", EXPLAIN_SCHEMA_VERSION,
		   cm ? "client" : "authenticator");
	if (cm) {
		buf_printf(&b, "{\"message\":\"%s\"", clientmsg_name(cm->id));
		json_key_string(&b, "caller_arn", cm->caller_arn);
		json_key_string(&b, "role_arn", cm->role_arn);
		json_key_string(&b, "profile", e->profile);
		json_key_string(&b, "executable", cm->executable);
		buf_putc(&b, '}');
	} else {
		buf_puts(&b, "null");
	}
	buf_printf(&b, ",\"class\":\"%s\"", classify_name(e->cls));
	json_key_string(&b, "sts_code", e->sts_code);
	if (e->http_status)
		buf_printf(&b, ",\"http_status\":%d", e->http_status);
	else
		buf_puts(&b, ",\"http_status\":null");
	json_key_string(&b, "principal", e->principal);
	buf_printf(&b, ",\"principal_kind\":\"%s\"", e->kind);
	json_key_string(&b, "cause", e->cause);
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
		fputs(prefix, stdout);
		show(lines, len);
		putchar('\n');
		lines += len + (nl ? 1 : 0);
	}
}

/* The notes come before the commands and apart from them, so the
 * commands can be copied as a block. */
static void print_text(const struct explained *e, const char *notes, const char *fix)
{
	const struct clientmsg_result *cm = e->client;
	printf("source:    %s\n", cm ? "client" : "authenticator");
	if (cm)
		printf("message:   %s\n", clientmsg_name(cm->id));
	if (!cm || e->cls != CLASS_UNKNOWN)
		printf("class:     %s\n", classify_name(e->cls));
	if (cm) {
		show_field("caller:    ", cm->caller_arn);
		show_field("role:      ", cm->role_arn);
		show_field("profile:   ", e->profile);
		show_field("program:   ", cm->executable);
	}
	if (e->principal) {
		show_field("principal: ", e->principal);
		printf("kind:      %s\n", e->kind);
	}
	show_field("sts code:  ", e->sts_code);
	if (e->http_status)
		printf("http:      %d\n", e->http_status);
	printf("cause:     %s\n", e->cause);
	if (*notes) {
		puts("notes:");
		print_lines("  - ", notes);
	}
	puts("fix:");
	print_lines("  ", fix);
}

/* The region for the fix when --region gives none: the STS endpoint's
 * (into buf), the STS error's, $AWS_REGION, or NULL. */
static const char *region_of(const char *sts_host, const char *sts_region, char *buf, size_t buf_sz)
{
	if (sts_host && parse_sts_region(sts_host, buf, buf_sz) == 0 && buf[0])
		return buf;
	if (sts_region && sts_region[0] && strcmp(sts_region, "global") != 0)
		return sts_region;
	const char *env = getenv("AWS_REGION");
	return env && *env ? env : NULL;
}

int cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{"cluster", required_argument, NULL, 'c'},
		{"region", required_argument, NULL, 'r'},
		{"grant", required_argument, NULL, 'g'},
		{"profile", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cluster = NULL, *region = NULL, *profile = NULL;
	struct buf raw = BUF_INIT, text = BUF_INIT, fix = BUF_INIT, notes = BUF_INIT;
	enum fix_grant grant = GRANT_ADMIN;
	struct parser *parser = NULL;
	struct classify_result cr;
	struct clientmsg_result *cm = NULL;
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
		case 'p': profile = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("explain", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("explain", "no TEXT to explain");
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			buf_putc(&raw, ' ');
		buf_puts(&raw, argv[i]);
	}
	if (classify_init() != 0 || clientmsg_init() != 0 || parse_new(&parser) != 0 ||
	    !(ai = malloc(sizeof(*ai))) || !(cm = calloc(1, sizeof(*cm))) || raw.oom ||
	    clientmsg_normalize(buf_str(&raw), raw.len, &text) != 0) {
		cli_error("explain", "cannot set up the classifier");
		rc = AL_SOFTWARE;
		goto out;
	}

	/* A whole log line (possibly with a transport prefix), a message of
	 * a client, or a bare authenticator error text. */
	struct reader_entry e = {0};
	char stream[256], ts[64], sts_region[32] = "";
	reader_unwrap_line(buf_str(&text), text.len, &e, stream, sizeof(stream), ts, sizeof(ts));
	const char *arn = NULL, *sts_host = NULL;
	struct explained ex = {0};
	int parsed;
	if (parse_line(parser, e.message, e.message_len, &rec)) {
		if (rec.kind != REC_ACCESS || rec.outcome != OUTCOME_DENIED) {
			struct buf m = BUF_INIT, u = BUF_INIT;
			esc_term(&m, rec.msg, strlen(rec.msg));
			if (rec.username)
				esc_term(&u, rec.username, strlen(rec.username));
			cli_error("explain", "not a denial: msg=\"%s\"%s%s", buf_str(&m), rec.username ? " username=" : "",
				  buf_str(&u));
			buf_free(&m);
			buf_free(&u);
			rc = AL_DATAERR;
			goto out;
		}
		classify_error(rec.msg, rec.error, rec.error_len, &cr);
		arn = rec.arn && *rec.arn ? rec.arn : NULL;
		sts_host = rec.sts_endpoint;
	} else {
		clientmsg_match(buf_str(&text), text.len, cm);
		if (cm->id == CLIENTMSG_NONE)
			classify_error("access denied", buf_str(&text), text.len, &cr);
	}

	if (cm->id != CLIENTMSG_NONE) {
		if (!region)
			region = region_of(NULL, NULL, sts_region, sizeof(sts_region));
		ex.client = cm;
		ex.profile = profile && *profile ? profile : (cm->profile[0] ? cm->profile : NULL);
		ex.cls = clientmsg_class(cm->id);
		ex.sts_code = cm->sts_code;
		ex.cause = clientmsg_cause(cm->id);
		parsed = cm->caller_arn[0] && arn_parse(cm->caller_arn, strlen(cm->caller_arn), ai) == 0;
		ex.principal = parsed ? ai->canonical : NULL;
		struct clientmsg_ctx ctx = {.cluster = cluster, .region = region, .profile = profile};
		if (clientmsg_fix(cm, &ctx, &notes, &fix) < 0) {
			cli_error("explain", "out of memory");
			rc = AL_SOFTWARE;
			goto out;
		}
	} else {
		if (!arn && cr.mapped_arn[0])
			arn = cr.mapped_arn;
		if (!region)
			region = region_of(sts_host, cr.sts_region, sts_region, sizeof(sts_region));
		parsed = arn && arn_parse(arn, strlen(arn), ai) == 0;
		ex.cls = cr.cls;
		ex.sts_code = cr.sts_code[0] ? cr.sts_code : NULL;
		ex.http_status = cr.http_status;
		ex.principal = parsed ? ai->canonical : arn;
		ex.cause = classify_cause(cr.cls);
		struct fix_ctx fc = {.arn = arn, .cluster = cluster, .region = region, .grant = grant};
		if (classify_fix(cr.cls, &fc, &notes, &fix) < 0) {
			cli_error("explain", "out of memory");
			rc = AL_SOFTWARE;
			goto out;
		}
	}
	ex.kind = arn_kind_name(parsed ? arn_kind(ai->name, ai->session) : KIND_UNKNOWN);
	if (json)
		print_json(&ex, buf_str(&notes), buf_str(&fix));
	else
		print_text(&ex, buf_str(&notes), buf_str(&fix));
out:
	free(ai);
	free(cm);
	parse_free(parser);
	classify_cleanup();
	clientmsg_cleanup();
	buf_free(&raw);
	buf_free(&text);
	buf_free(&fix);
	buf_free(&notes);
	return rc;
}
