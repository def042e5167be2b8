/* parse_line on arbitrary bytes (one parser for the whole run), the same
 * through parse_line_hash (same record, hash = store_xxh64), plus
 * parse_unquote, parse_uid and parse_sts_region. */
#include "fuzz_common.h"

#include "parse.h"
#include "store.h"

static struct parser *parser;

static void check_field(const char *s)
{
	touch_str(s);
}

static void check_uid(const char *uid)
{
	/* Exact-size heap buffers so ASan catches a write past the end. */
	size_t asz = 64, usz = 256; /* as in event.h */
	char *account = malloc(asz), *user_id = malloc(usz);
	if (!account || !user_id)
		abort();
	if (parse_uid(uid, account, asz, user_id, usz) == 0) {
		size_t an = touch_str(account), un = touch_str(user_id);
		FUZZ_CHECK(an > 0 && an < asz);
		FUZZ_CHECK(un > 0 && un < usz);
	}
	free(account);
	free(user_id);
}

static void check_region(const char *host)
{
	size_t rsz = 32;
	char *region = malloc(rsz);
	if (!region)
		abort();
	if (parse_sts_region(host, region, rsz) == 0)
		FUZZ_CHECK(touch_str(region) < rsz);
	/* A zero-size buffer may only succeed for the global endpoint and
	 * must not be written at all. */
	(void)parse_sts_region(host, region + rsz, 0);
	free(region);
}

/* Everything a record says, hashed, so two parses can be compared after
 * the second has overwritten the first one's strings. */
static uint64_t record_digest(const struct record *rec)
{
	const char *fields[] = {rec->time,	   rec->level,	       rec->msg,	rec->arn,
				rec->client,	   rec->groups,	       rec->uid,	rec->username,
				rec->session,	   rec->access_key_id, rec->account_id, rec->user_id,
				rec->sts_endpoint, rec->method,	       rec->path,	rec->role,
				rec->user};
	uint64_t h = store_xxh64(rec, 0, (uint64_t)rec->kind * 31 + rec->outcome * 7 + rec->nfields * 2 +
					(uint64_t)rec->malformed);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		h = fields[i] ? store_xxh64(fields[i], strlen(fields[i]), h + 1) : h * 3 + 2;
	return rec->error ? store_xxh64(rec->error, rec->error_len, h) : h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!parser && parse_new(&parser) != 0)
		abort();

	const char *line = (const char *)data;
	struct record rec;
	int rc = parse_line(parser, line, size, &rec);
	FUZZ_CHECK(rc == 0 || rc == 1);
	/* A record holding a NUL byte is never one to store. */
	if (rc == 1 && memchr(line, '\0', size))
		FUZZ_CHECK(rec.malformed);
	if (rc == 1) {
		FUZZ_CHECK(rec.msg != NULL);
		FUZZ_CHECK(rec.nfields >= 1);
		FUZZ_CHECK(rec.kind <= REC_MAPPING && rec.outcome <= OUTCOME_DENIED);
		FUZZ_CHECK((rec.outcome != OUTCOME_NONE) == (rec.kind == REC_ACCESS));
		const char *fields[] = {rec.time,     rec.level,         rec.msg,          rec.arn,
					rec.client,   rec.groups,        rec.uid,          rec.username,
					rec.session,  rec.access_key_id, rec.account_id,   rec.user_id,
					rec.sts_endpoint, rec.method,    rec.path,         rec.role,
					rec.user};
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			check_field(fields[i]);
			/* a value that is not empty is in the copy, at its offset in the line */
			if (fields[i] && *fields[i]) {
				uintptr_t off = (uintptr_t)fields[i] - (uintptr_t)rec.buf;
				FUZZ_CHECK(off < size);
				FUZZ_CHECK(rec.buf[off] == line[off] || (off > 0 && line[off - 1] == '"'));
			}
		}
		if (rec.error) {
			/* may hold NULs, but error_len bytes then a terminator */
			touch(rec.error, rec.error_len + 1);
			FUZZ_CHECK(rec.error[rec.error_len] == '\0');
			FUZZ_CHECK(rec.error_len <= size);
		}
		if (rec.uid)
			check_uid(rec.uid);
		if (rec.sts_endpoint)
			check_region(rec.sts_endpoint);
	}

	uint64_t digest = rc == 1 ? record_digest(&rec) : 0, hash = 0, seed = size * 0x9E3779B97F4A7C15ULL;
	int rc2 = parse_line_hash(parser, line, size, seed, &hash, &rec);
	FUZZ_CHECK(rc2 == rc);
	if (rc2 == 1) {
		FUZZ_CHECK(record_digest(&rec) == digest);
		FUZZ_CHECK(hash == store_xxh64(line, size, seed));
	}

	/* parse_unquote never writes more than it reads. */
	char *dst = malloc(size ? size : 1);
	if (!dst)
		abort();
	long n = parse_unquote(line, size, dst);
	FUZZ_CHECK(n >= -1);
	FUZZ_CHECK(n == -1 || (size_t)n <= size);
	if (n > 0)
		touch(dst, (size_t)n);
	if (!memchr(line, '\\', size)) /* nothing to unquote: a plain copy */
		FUZZ_CHECK(n == (long)size && (size == 0 || memcmp(dst, line, size) == 0));
	free(dst);

	char *s = fuzz_cstr(data, size);
	check_uid(s);
	check_region(s);
	free(s);
	return 0;
}
