/* clientmsg_normalize on the input (idempotent, never longer, no
 * typographic sequence left), clientmsg_match on the input and on its
 * normalised form, and clientmsg_fix for the message found and for one
 * picked by the input with the input in every value: whatever the text,
 * a command holds only validated values, so no shell metacharacter, no
 * control or non-ASCII byte, and balanced single quotes. */
#include "fuzz_common.h"

#include "buf.h"
#include "clientmsg.h"

static int initialised;

/* Bytes no command template holds and no validator lets through. */
static const char forbidden[] = ";`|&<>\\!*?~#";

/* The fix contract: '\n'-terminated lines of printable ASCII; commands
 * also free of metacharacters with their single quotes paired. Returns
 * the number of lines. */
static size_t check_lines(const struct buf *out, int commands)
{
	const char *s = buf_str(out);
	size_t n = touch_str(s), nl = 0, quotes = 0;
	FUZZ_CHECK(n == out->len);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\n') {
			nl++;
			FUZZ_CHECK(quotes % 2 == 0);
			quotes = 0;
			continue;
		}
		FUZZ_CHECK(ch >= 0x20 && ch < 0x7f);
		if (commands) {
			FUZZ_CHECK(strchr(forbidden, ch) == NULL);
			quotes += ch == '\'';
		}
	}
	FUZZ_CHECK(n == 0 || s[n - 1] == '\n');
	return nl;
}

static void check_fix(const struct clientmsg_result *r, const struct clientmsg_ctx *ctx)
{
	struct buf notes = BUF_INIT, cmds = BUF_INIT;
	int lines = clientmsg_fix(r, ctx, &notes, &cmds);
	if (r->id == CLIENTMSG_NONE) {
		FUZZ_CHECK(lines == -1);
	} else {
		FUZZ_CHECK(lines > 0);
		FUZZ_CHECK(check_lines(&notes, 0) + check_lines(&cmds, 1) == (size_t)lines);
		FUZZ_CHECK(cmds.len > 0);
	}
	buf_free(&notes);
	buf_free(&cmds);
}

static void check_match(const char *s, size_t n, struct clientmsg_result *r)
{
	FUZZ_CHECK(clientmsg_match(s, n, r) == 0);
	FUZZ_CHECK(r->id >= CLIENTMSG_NONE && r->id < CLIENTMSG__COUNT);
	touch_str(r->sts_code);
	touch_str(r->caller_arn);
	touch_str(r->role_arn);
	touch_str(r->profile);
	touch_str(r->executable);
	if (r->id == CLIENTMSG_NONE) {
		FUZZ_CHECK(clientmsg_name(r->id) == NULL && r->sts_code == NULL);
		FUZZ_CHECK(!r->caller_arn[0] && !r->role_arn[0] && !r->profile[0] && !r->executable[0]);
	} else {
		FUZZ_CHECK(clientmsg_name(r->id) != NULL && clientmsg_cause(r->id) != NULL);
		FUZZ_CHECK(classify_name(clientmsg_class(r->id)) != NULL);
	}
}

/* Copies as much of s as fits into a result field. */
static void fill(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!initialised) {
		if (clientmsg_init() != 0)
			abort();
		initialised = 1;
	}
	const char *in = (const char *)data;

	struct buf norm = BUF_INIT, again = BUF_INIT;
	FUZZ_CHECK(clientmsg_normalize(in, size, &norm) == 0);
	FUZZ_CHECK(norm.len <= size);
	FUZZ_CHECK(clientmsg_normalize(buf_str(&norm), norm.len, &again) == 0);
	FUZZ_CHECK(again.len == norm.len && memcmp(buf_str(&again), buf_str(&norm), norm.len) == 0);

	struct clientmsg_result *r = malloc(sizeof(*r)), *rn = malloc(sizeof(*rn));
	if (!r || !rn)
		abort();
	check_match(in, size, r);
	check_match(buf_str(&norm), norm.len, rn);

	char *text = fuzz_cstr(data, size);
	uint64_t h = fuzz_hash(data, size);
	struct clientmsg_ctx plain = {0};
	struct clientmsg_ctx all = {.cluster = text, .region = h & 1 ? text : NULL, .profile = h & 2 ? text : NULL};
	check_fix(r, &plain);
	check_fix(r, &all);
	check_fix(rn, &all);

	/* Every message with the input in each value it can carry. */
	rn->id = (enum clientmsg_id)((h >> 2) % CLIENTMSG__COUNT);
	fill(rn->caller_arn, sizeof(rn->caller_arn), text);
	fill(rn->role_arn, sizeof(rn->role_arn), text);
	fill(rn->profile, sizeof(rn->profile), text);
	fill(rn->executable, sizeof(rn->executable), text);
	check_fix(rn, &all);
	check_fix(rn, &plain);

	free(text);
	free(r);
	free(rn);
	buf_free(&norm);
	buf_free(&again);
	return 0;
}
