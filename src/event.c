#include "event_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif


#include "hotpath.h"
#include "msg.h"
#include "status.h"
#include "timeutil.h"

int event_builder_new(struct event_builder **out, char *err, size_t err_sz)
{
	struct event_builder *b = calloc(1, sizeof(*b));
	*out = NULL;
	if (!b || parse_new(&b->parser) != 0) {
		free(b);
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	*out = b;
	return AL_OK;
}

const struct store_event *event_row(const struct event_builder *b)
{
	return &b->ev;
}

enum error_class event_class(const struct event_builder *b)
{
	return b->cls.cls;
}

void event_builder_free(struct event_builder *b)
{
	if (!b)
		return;
	parse_free(b->parser);
	buf_free(&b->groups);
	if (b->principals)
		for (size_t i = 0; i < 2 * EVENT_PRINCIPAL_SETS; i++)
			free(b->principals[i].heap);
	free(b->principals);
	free(b->principal_tags);
	if (b->denials)
		for (size_t i = 0; i < EVENT_DENIAL_SLOTS; i++)
			free(b->denials[i].text);
	free(b->denials);
	free(b);
}


/* A hash of a short text for the caches below: its length and its last
 * and middle eight bytes, where the values of one cluster differ
 * (instance-id sessions, role names, user ids). Not all bytes: a hit is
 * always confirmed by comparing the whole text. */
static ALWAYS_INLINE uint64_t text_hash(const char *s, size_t n)
{
	uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ull;
	if (n >= 8) {
		uint64_t a, c;
		memcpy(&a, s + n - 8, 8);
		memcpy(&c, s + n / 2 - 4, 8);
		h ^= a * 0xC2B2AE3D27D4EB4Full;
		h ^= (c << 29 | c >> 35) * 0x165667B19E3779F9ull;
	} else {
		for (size_t i = 0; i < n; i++)
			h = (h ^ (unsigned char)s[i]) * 0x100000001B3ull;
	}
	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ull;
	return h ^ h >> 32;
}

/* memcmp(a, b, n) == 0, inline: the texts are short (ARNs, uids) and a
 * libc call per compare showed in the profile. */
static ALWAYS_INLINE int same_text(const char *a, const char *b, size_t n)
{
#if defined(__SSE2__)
	for (; n >= 16; a += 16, b += 16, n -= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)a);
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)b);
		if (_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) != 0xFFFF)
			return 0;
	}
#endif
	for (; n >= 8; a += 8, b += 8, n -= 8) {
		uint64_t x, y;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return 0;
	}
	for (; n; a++, b++, n--)
		if (*a != *b)
			return 0;
	return 1;
}

static char *put_str(char **at, const char *s)
{
	size_t n = strlen(s) + 1;
	char *r = memcpy(*at, s, n);
	*at += n;
	return r;
}

/* Copies the result in b->arn into slot; -1 (slot emptied) without memory. */
static int principal_store(struct event_principal *slot, const char *key, size_t n, int ok, int expected,
			   const struct arn_info *ai)
{
	size_t need = n + 1 + strlen(ai->name) + 1 + strlen(ai->session) + 1 + strlen(ai->account) + 1 +
		      strlen(ai->canonical) + 1;
	char *at = slot->text;
	slot->key = NULL;
	if (need > sizeof(slot->text)) {
		if (need > slot->heap_cap) {
			char *m = realloc(slot->heap, need);
			if (!m)
				return -1;
			slot->heap = m;
			slot->heap_cap = need;
		}
		at = slot->heap;
	}
	slot->key = at;
	memcpy(at, key, n);
	at[n] = '\0';
	at += n + 1;
	slot->name = put_str(&at, ai->name);
	slot->session = put_str(&at, ai->session);
	slot->account = put_str(&at, ai->account);
	slot->canonical = put_str(&at, ai->canonical);
	slot->ok = ok;
	slot->expected_arn = expected;
	slot->type = arn_type_name(ai->type);
	slot->key_len = n;
	return 0;
}

/* The set an ARN goes to, its hash, and a prefetch of the slot it is in
 * if it is there: called as soon as the ARN is known, so the slot is in
 * cache by the time principal_of() reads it. -1 when it is not cached. */
static ALWAYS_INLINE long principal_probe(struct event_builder *b, const char *arn, size_t n, uint64_t *hash)
{
	if (n > EVENT_PRINCIPAL_MAX)
		return -1;
	if (!b->principals) {
		b->principals = calloc(2 * EVENT_PRINCIPAL_SETS, sizeof(*b->principals));
		b->principal_tags = calloc(2 * EVENT_PRINCIPAL_SETS, sizeof(*b->principal_tags));
		if (!b->principals || !b->principal_tags) {
			free(b->principals);
			free(b->principal_tags);
			b->principals = NULL;
			b->principal_tags = NULL;
			return -1;
		}
	}
	uint64_t h = text_hash(arn, n) | 1; /* never 0, the empty tag */
	size_t set = (size_t)(h >> 40) % EVENT_PRINCIPAL_SETS;
	const uint64_t *tags = &b->principal_tags[2 * set];
	for (int i = 0; i < 2; i++) {
		if (tags[i] == h) {
			const char *e = (const char *)&b->principals[2 * set + (size_t)i];
			__builtin_prefetch(e);
			__builtin_prefetch(e + 64);
			__builtin_prefetch(e + 128);
			__builtin_prefetch(e + 192);
		}
	}
	*hash = h;
	return (long)set;
}

/* arn_parse and classify_expected_arn of arn (n bytes), from the table
 * when this ARN was seen before (set and hash from principal_probe).
 * Valid until the next call. */
static const struct event_principal *principal_of(struct event_builder *b, const char *arn, size_t n,
						  long set, uint64_t h)
{
	struct event_principal *slot = NULL;
	if (set >= 0) {
		uint64_t *tags = &b->principal_tags[2 * (size_t)set];
		struct event_principal *ways = &b->principals[2 * (size_t)set];
		for (int i = 0; i < 2; i++) {
			if (tags[i] == h && ways[i].key_len == n && same_text(ways[i].key, arn, n)) {
				ways[i].used = ++b->principal_clock;
				return &ways[i];
			}
		}
		int victim = ways[0].used <= ways[1].used ? 0 : 1;
		slot = &ways[victim];
		tags[victim] = 0;
	}
	int ok = arn_parse(arn, n, &b->arn) == 0;
	int expected = classify_expected_arn(arn);
	if (slot && principal_store(slot, arn, n, ok, expected, &b->arn) == 0) {
		b->principal_tags[slot - b->principals] = h;
		slot->used = ++b->principal_clock;
		return slot;
	}
	/* Not cached: the result lives in b->arn. */
	struct event_principal *p = &b->principal;
	p->key = NULL;
	p->ok = ok;
	p->expected_arn = expected;
	p->type = arn_type_name(b->arn.type);
	p->name = b->arn.name;
	p->session = b->arn.session;
	p->account = b->arn.account;
	p->canonical = b->arn.canonical;
	return p;
}

/* parse_uid of uid= (n bytes): 0 and the parts in *account / *user_id
 * (valid until the next call), or -1. *admin: the account part is
 * "administrative". */
static int uid_of(struct event_builder *b, const char *uid, size_t n, const char **account,
		  const char **user_id, int *admin)
{
	struct event_uid *u = &b->uids[text_hash(uid, n) % EVENT_SMALL_CACHE];
	if (u->raw_len == n && n && same_text(u->raw, uid, n)) {
		*account = u->account;
		*user_id = u->user_id;
		*admin = u->administrative;
		return 0;
	}
	int rc = parse_uid(uid, b->account, sizeof(b->account), b->user_id, sizeof(b->user_id));
	*account = b->account;
	*user_id = b->user_id;
	*admin = rc == 0 && strcmp(b->account, "administrative") == 0;
	/* Only successes are kept (parse_uid leaves the buffers undefined
	 * when it fails); an account that fits b->account fits here. */
	if (rc == 0 && n < sizeof(u->raw) && strlen(b->user_id) < sizeof(u->user_id)) {
		memcpy(u->raw, uid, n + 1);
		u->raw_len = n;
		u->administrative = *admin;
		strcpy(u->account, b->account);
		strcpy(u->user_id, b->user_id);
	}
	return rc;
}

/* time_parse of the line's time= (n bytes), remembering the last one: a
 * busy log has many lines per second. */
static int line_time(struct event_builder *b, const char *s, size_t n, int64_t *epoch)
{
	if (n == b->time_raw_len && n && same_text(s, b->time_raw, n)) {
		*epoch = b->time_epoch;
		return 0;
	}
	if (time_parse(s, n, epoch) != 0)
		return -1;
	if (n < sizeof(b->time_raw)) {
		memcpy(b->time_raw, s, n + 1);
		b->time_raw_len = n;
		b->time_epoch = *epoch;
	}
	return 0;
}

int event_cluster_of(const char *log_group, char *out, size_t out_sz)
{
	static const char prefix[] = "/aws/eks/", suffix[] = "/cluster";
	size_t len = strlen(log_group), pl = sizeof(prefix) - 1, sl = sizeof(suffix) - 1;
	if (len <= pl + sl || strncmp(log_group, prefix, pl) != 0 ||
	    strcmp(log_group + len - sl, suffix) != 0)
		return -1;
	size_t n = len - pl - sl;
	if (n >= out_sz || memchr(log_group + pl, '/', n))
		return -1;
	memcpy(out, log_group + pl, n);
	out[n] = '\0';
	return 0;
}

/* parse_sts_region of host (n bytes) into b->sts_region, remembering
 * the last host. */
static int sts_region_of(struct event_builder *b, const char *host, size_t n)
{
	if (n == b->sts_raw_len && n && same_text(host, b->sts_raw, n)) {
		memcpy(b->sts_region, b->sts_region_cache, sizeof(b->sts_region));
		return b->sts_rc;
	}
	int rc = parse_sts_region(host, b->sts_region, sizeof(b->sts_region));
	if (n < sizeof(b->sts_raw)) {
		memcpy(b->sts_raw, host, n + 1);
		b->sts_raw_len = n;
		b->sts_rc = rc;
		memcpy(b->sts_region_cache, b->sts_region, sizeof(b->sts_region));
	}
	return rc;
}

/* groups="[system:bootstrappers system:nodes]" (Go fmt of a []string) as
 * a JSON array. */
static const char *groups_json(struct buf *out, const char *groups)
{
	buf_reset(out);
	size_t len = strlen(groups);
	if (len >= 2 && groups[0] == '[' && groups[len - 1] == ']') {
		groups++;
		len -= 2;
	}
	buf_putc(out, '[');
	size_t i = 0, n = 0;
	while (i < len) {
		while (i < len && groups[i] == ' ')
			i++;
		size_t start = i;
		while (i < len && groups[i] != ' ')
			i++;
		if (i > start) {
			if (n++)
				buf_putc(out, ',');
			buf_json_string(out, groups + start, i - start);
		}
	}
	buf_putc(out, ']');
	return out->oom ? NULL : buf_str(out);
}

/* groups_json of groups (n bytes), remembering short values. */
static const char *groups_of(struct event_builder *b, const char *groups, size_t n)
{
	struct event_groups *g = &b->groups_cache[text_hash(groups, n) % EVENT_SMALL_CACHE];
	if (g->json[0] && g->raw_len == n && same_text(g->raw, groups, n))
		return g->json;
	const char *json = groups_json(&b->groups, groups);
	if (json && n < sizeof(g->raw) && b->groups.len < sizeof(g->json)) {
		memcpy(g->raw, groups, n + 1);
		g->raw_len = n;
		memcpy(g->json, json, b->groups.len + 1);
	}
	return json;
}

/* classify_error(msg, error) into b->cls, from the table when the same
 * msg and error text were classified before. */
static void classify_denial(struct event_builder *b, const char *msg, size_t msg_len, const char *error,
			    size_t error_len)
{
	size_t n = msg_len + 1 + error_len;
	struct event_denial *d = NULL;
	if (!b->denials)
		b->denials = calloc(EVENT_DENIAL_SLOTS, sizeof(*b->denials));
	if (n <= EVENT_DENIAL_MAX && b->denials) {
		uint64_t h = text_hash(error ? error : msg, error ? error_len : msg_len) ^ msg_len;
		d = &b->denials[h % EVENT_DENIAL_SLOTS];
		if (d->text && d->msg_len == msg_len && d->error_len == error_len && d->has_error == !!error &&
		    same_text(d->text, msg, msg_len) && (!error || same_text(d->text + msg_len + 1, error, error_len))) {
			b->cls.cls = d->cls;
			b->cls.http_status = d->http_status;
			memcpy(b->cls.sts_code, d->sts_code, sizeof(b->cls.sts_code));
			memcpy(b->cls.sts_region, d->sts_region, sizeof(b->cls.sts_region));
			strcpy(b->cls.mapped_arn, d->mapped_arn);
			return;
		}
	}
	classify_error(msg, error, error_len, &b->cls);
	if (!d)
		return;
	size_t arn_len = strlen(b->cls.mapped_arn);
	if (n + 1 + arn_len + 1 > d->cap) {
		char *t = realloc(d->text, n + 1 + arn_len + 1);
		if (!t) {
			free(d->text);
			d->text = NULL;
			d->cap = 0;
			return;
		}
		d->text = t;
		d->cap = n + 1 + arn_len + 1;
	}
	memcpy(d->text, msg, msg_len);
	d->text[msg_len] = '\0';
	if (error)
		memcpy(d->text + msg_len + 1, error, error_len);
	d->text[n] = '\0';
	d->mapped_arn = d->text + n + 1;
	memcpy(d->mapped_arn, b->cls.mapped_arn, arn_len + 1);
	d->msg_len = msg_len;
	d->error_len = error_len;
	d->has_error = error != NULL;
	d->cls = b->cls.cls;
	d->http_status = b->cls.http_status;
	memcpy(d->sts_code, b->cls.sts_code, sizeof(d->sts_code));
	memcpy(d->sts_region, b->cls.sts_region, sizeof(d->sts_region));
}

/* store_key() of log group and stream alone: the seed the line's hash
 * continues from. Remembered for the last pair (one file, one stream). */
static uint64_t key_seed(struct event_builder *b, const char *const *parts, const size_t *lens)
{
	if (b->seed_valid && lens[0] == b->seed_group_len && lens[1] == b->seed_stream_len &&
	    same_text(parts[0], b->seed_text, lens[0]) &&
	    same_text(parts[1], b->seed_text + lens[0], lens[1]))
		return b->seed;
	b->seed = (uint64_t)store_key(parts, lens, 2);
	b->seed_valid = lens[0] + lens[1] <= sizeof(b->seed_text);
	if (b->seed_valid) {
		memcpy(b->seed_text, parts[0], lens[0]);
		memcpy(b->seed_text + lens[0], parts[1], lens[1]);
		b->seed_group_len = lens[0];
		b->seed_stream_len = lens[1];
	}
	return b->seed;
}

static const char *kind_name(enum rec_kind k)
{
	switch (k) {
	case REC_ACCESS: return "access";
	case REC_STS_RESPONSE: return "sts_response";
	case REC_CONFIG_ERROR: return "config_error";
	case REC_MAPPING: return "mapping";
	default: return NULL;
	}
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

enum event_skip event_skipped(const struct event_builder *b)
{
	return b->skip;
}

const char *event_region(const struct event_builder *b, const struct event_ctx *ctx)
{
	if (ctx->region && *ctx->region)
		return ctx->region;
	if (b->ev.sts_region && *b->ev.sts_region)
		return b->ev.sts_region;
	return nonempty(getenv("AWS_REGION"));
}

/* One function, in this order, on purpose: it is import's per-line path
 * (bench/README.md, parse+classify). The principal's slot is probed and
 * prefetched right after parsing and read only near the end, so its cache
 * miss overlaps the building of the row in between; the helpers it calls
 * per line are ALWAYS_INLINE because GCC at -O2 left them as calls. */
int event_build(struct event_builder *b, const struct event_ctx *ctx, const struct reader_entry *e)
{
	struct record *r = &b->rec;
	struct store_event *ev = &b->ev;
	int64_t epoch;

	b->skip = e->skip == READER_FOREIGN_STREAM ? EVENT_SKIP_FOREIGN_STREAM
		: e->skip == READER_MALFORMED     ? EVENT_SKIP_MALFORMED
						  : EVENT_SKIP_NOT_RECORD;
	if (!e->message || e->skip)
		return 0;
	/* The dedupe key: XXH64 chained over log group, stream and the line,
	 * as store_key() makes it, whatever brought the line: Logs Insights'
	 * @ptr and FilterLogEvents' eventId name one event differently, and
	 * an event fetched both ways (or imported) must be stored once. With
	 * the UNIQUE (ts, dedupe_key) that is (group, stream, second, line).
	 * The line's part is hashed by the parser while it scans
	 * (parse_line_hash). Databases keyed on @ptr before are rekeyed by
	 * the store's 9 -> 10 migration. */
	const char *group = e->log_group ? e->log_group : ctx->log_group ? ctx->log_group : "";
	const char *stream = e->log_stream ? e->log_stream : ctx->log_stream ? ctx->log_stream : "";
	const char *ptr = nonempty(e->ptr);
	const char *parts[2] = {group, stream};
	size_t lens[2] = {*group ? strlen(group) : 0, *stream ? strlen(stream) : 0};
	uint64_t h;
	if (!parse_line_hash(b->parser, e->message, e->message_len, key_seed(b, parts, lens), &h, r))
		return 0;
	int64_t key = (int64_t)h;
	const char *kind = kind_name(r->kind);
	if (!kind)
		return 0;
	if (r->malformed) {
		b->skip = EVENT_SKIP_MALFORMED;
		return 0;
	}
	/* Look the principal up now, so its slot is fetched while the rest
	 * of the row is made (arn= is the principal whenever it is there). */
	const char *parn = NULL;
	size_t parn_len = 0;
	uint64_t phash = 0;
	long pset = -1;
	if (r->arn && *r->arn) {
		parn = r->arn;
		parn_len = r->len.arn;
		pset = principal_probe(b, parn, parn_len, &phash);
	}
	/* The authenticator's own time first; the transport's if it has none. */
	if (r->time && line_time(b, r->time, r->len.time, &epoch) == 0)
		;
	else if (e->timestamp && time_parse(e->timestamp, strlen(e->timestamp), &epoch) == 0)
		;
	else {
		b->skip = EVENT_SKIP_NO_TIME;
		return 0;
	}
	zero_struct(ev, sizeof(*ev));
	if (!b->ts_valid || epoch != b->ts_epoch) {
		time_format(epoch, b->ts);
		b->ts_epoch = epoch;
		b->ts_valid = 1;
	}
	ev->ts = b->ts;
	ev->log_group = e->log_group ? e->log_group : ctx->log_group;
	ev->log_stream = e->log_stream ? e->log_stream : ctx->log_stream;
	ev->ptr = ptr;
	ev->raw = e->message;
	ev->raw_len = e->message_len;
	ev->dedupe_key = key;
	ev->rec = r;
	if (ctx->cluster)
		ev->cluster = ctx->cluster;
	else if (ev->log_group && event_cluster_of(ev->log_group, b->cluster, sizeof(b->cluster)) == 0)
		ev->cluster = b->cluster;
	ev->kind = kind;
	ev->level = r->level;
	ev->msg = r->msg;
	ev->outcome = r->outcome == OUTCOME_GRANTED ? "granted" : r->outcome == OUTCOME_DENIED ? "denied" : NULL;
	ev->arn = nonempty(r->arn);
	ev->client = r->client;
	ev->error = r->error;
	ev->error_len = r->error_len;
	ev->username = r->username;
	ev->groups = r->groups ? groups_of(b, r->groups, r->len.groups) : NULL;
	ev->uid = r->uid;
	ev->access_key_id = nonempty(r->access_key_id);
	ev->session = nonempty(r->session);
	ev->sts_endpoint = nonempty(r->sts_endpoint);

	if (r->outcome == OUTCOME_DENIED) {
		classify_denial(b, r->msg, r->len.msg, r->error, r->error_len);
		ev->error_class = classify_name(b->cls.cls);
		ev->sts_code = nonempty(b->cls.sts_code);
		ev->http_status = b->cls.http_status;
		ev->mapped_arn = nonempty(b->cls.mapped_arn);
	}

	/* The principal: arn= on access/STS lines, the ARN inside
	 * "ARN is not mapped: …", role=/user= on mapping lines. */
	if (!parn) {
		if (ev->mapped_arn) {
			parn = ev->mapped_arn;
			parn_len = strlen(parn);
		} else if (nonempty(r->role)) {
			parn = r->role;
			parn_len = r->len.role;
		} else if (nonempty(r->user)) {
			parn = r->user;
			parn_len = r->len.user;
		}
		if (parn)
			pset = principal_probe(b, parn, parn_len, &phash);
	}
	const struct event_principal *pr = parn ? principal_of(b, parn, parn_len, pset, phash) : NULL;
	if (pr && pr->ok) {
		ev->principal_type = pr->type;
		ev->principal_name = pr->name;
		ev->principal_arn = pr->canonical;
		if (!ev->session && pr->session[0])
			ev->session = pr->session;
		ev->account_id = pr->account;
	}
	const char *uid_account, *uid_user;
	int admin;
	if (r->uid && uid_of(b, r->uid, r->len.uid, &uid_account, &uid_user, &admin) == 0) {
		if (!admin) {
			ev->account_id = uid_account;
			ev->user_id = uid_user;
		}
	}
	if (nonempty(r->account_id))
		ev->account_id = r->account_id;
	if (nonempty(r->user_id))
		ev->user_id = r->user_id;

	if (ev->sts_endpoint && sts_region_of(b, ev->sts_endpoint, r->len.sts_endpoint) == 0)
		ev->sts_region = b->sts_region;
	else if (r->outcome == OUTCOME_DENIED && b->cls.sts_region[0])
		ev->sts_region = b->cls.sts_region;

	/* = classify_is_expected_principal(parn, username, session) */
	ev->expected = classify_expected_identity(r->username, ev->session) || (pr && pr->expected_arn);
	return 1;
}
