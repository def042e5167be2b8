/* classify_error on the input as an "access denied" error text, then
 * classify_fix for the resulting class (and one picked by the input) with
 * the input as the ARN, in every mode, kind and grant (out-of-range ones
 * too); arn_parse on the input. Commands stay printable ASCII and notes
 * free of bidi controls whatever the values. */
#include "fuzz_common.h"

#include "arn.h"
#include "buf.h"
#include "classify.h"

static int initialised;

/* One list of the fix contract: one line each, '\n'-terminated, no
 * other control characters whatever the log data held. Returns its lines. */
static size_t check_lines(const struct buf *out)
{
	const char *s = buf_str(out);
	size_t n = touch_str(s), nl = 0;
	FUZZ_CHECK(n == out->len);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\n')
			nl++;
		else
			FUZZ_CHECK(ch >= 0x20 && ch != 0x7f);
	}
	FUZZ_CHECK(n == 0 || s[n - 1] == '\n');
	return nl;
}

static void check_fix(enum error_class c, const struct fix_ctx *ctx)
{
	struct buf notes = BUF_INIT, cmds = BUF_INIT;
	int lines = classify_fix(c, ctx, &notes, &cmds);
	FUZZ_CHECK(lines >= 0);
	FUZZ_CHECK(check_lines(&notes) + check_lines(&cmds) == (size_t)lines);
	/* Commands hold only validated, shell-quoted values: printable ASCII,
	 * so no bidi control can reorder one as shown. */
	for (size_t i = 0; i < cmds.len; i++)
		FUZZ_CHECK(cmds.data[i] == '\n' || (cmds.data[i] >= 0x20 && cmds.data[i] < 0x7f));
	/* Notes show values through esc_term: no bidi override or isolate. */
	FUZZ_CHECK(!strstr(buf_str(&notes), "\xe2\x80\xae") && !strstr(buf_str(&notes), "\xe2\x81\xa6"));
	buf_free(&notes);
	buf_free(&cmds);
}

static void check_arn(const uint8_t *data, size_t size)
{
	struct arn_info *ai = malloc(sizeof(*ai)), *again = malloc(sizeof(*again));
	if (!ai || !again)
		abort();
	int rc = arn_parse((const char *)data, size, ai);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(ai->type != PRINCIPAL_NONE && arn_type_name(ai->type) != NULL);
		size_t cn = touch_str(ai->canonical);
		FUZZ_CHECK(cn > 0 && cn <= ARN_MAX);
		touch_str(ai->partition);
		touch_str(ai->account);
		touch_str(ai->name);
		touch_str(ai->session);
		touch_str(ai->path);
		/* The canonical form is a principal ARN and its own canonical form. */
		FUZZ_CHECK(arn_parse(ai->canonical, cn, again) == 0);
		FUZZ_CHECK(strcmp(again->canonical, ai->canonical) == 0);
	} else {
		FUZZ_CHECK(ai->type == PRINCIPAL_NONE && ai->canonical[0] == '\0');
	}
	free(ai);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!initialised) {
		if (classify_init() != 0)
			abort();
		initialised = 1;
	}

	struct classify_result res;
	FUZZ_CHECK(classify_error("access denied", (const char *)data, size, &res) == 0);
	FUZZ_CHECK(res.cls > CLASS_NONE && res.cls < CLASS__COUNT);
	FUZZ_CHECK(classify_name(res.cls) != NULL && classify_cause(res.cls) != NULL);
	FUZZ_CHECK(memchr(res.sts_code, '\0', sizeof(res.sts_code)) != NULL);
	FUZZ_CHECK(memchr(res.sts_region, '\0', sizeof(res.sts_region)) != NULL);
	FUZZ_CHECK(memchr(res.mapped_arn, '\0', sizeof(res.mapped_arn)) != NULL);
	FUZZ_CHECK(res.http_status >= 0 && res.http_status <= 999);

	char *text = fuzz_cstr(data, size);
	struct fix_ctx ctx = {.arn = text};
	check_fix(res.cls, &ctx);
	if (res.mapped_arn[0]) {
		ctx.arn = res.mapped_arn;
		check_fix(res.cls, &ctx);
	}
	/* Every placeholder and [cond] of the richest templates, with log
	 * data in all of them. */
	uint64_t h = fuzz_hash(data, size);
	struct fix_ctx all = {.arn = text, .cluster = text, .region = text,
			      .username = h & 1 ? text : NULL, .iam_arn = h & 2 ? text : NULL,
			      .mode = (enum auth_mode)(h >> 2 & 3), .kind = (enum principal_kind)(h >> 4 & 7),
			      .grant = (enum fix_grant)(h >> 7 & 3)};
	check_fix((enum error_class)(h % CLASS__COUNT), &all);
	check_fix(CLASS_NOT_MAPPED, &all);
	fuzz_sink += (unsigned)classify_is_expected_principal(text, text, text);
	free(text);

	check_arn(data, size);
	return 0;
}
