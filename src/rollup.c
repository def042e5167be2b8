/* Rollups: the summary tables the report reads (see rollup.h and the
 * schema comment at the top of store.c).
 *
 * Two ways in, one definition: the migration fills each table with one
 * GROUP BY over `events` (rollup_migration_sql); rollup_update() then
 * folds each committed batch in. For a batch it takes the new rows once,
 * in id order (store_insert's copy of them, or read back from event_rows),
 * sums them in small hash tables in memory and upserts the sums (a few
 * hundred rows per 50,000 events): re-reading the batch with a GROUP BY
 * per table would cost several sorts of the whole batch. The
 * per-row values that need other rows (in_break, seg) come from the same
 * SQL expressions or the same rule as the migration; tests/unit/test_rollup.c
 * checks that both ways give the same tables. */
#include "rollup.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hotpath.h"
#include "status.h"
#include "store.h"

/* ---- the migrations: schema version 3 -> 4, and 6 -> 7 ---- */

/* One row of rollup_denials from the denials d (GROUP BY 1..9); also used
 * to recompute an hour when a late config error changes in_break. */
#define DENIAL_SELECT                                                                                \
	"SELECT substr(d.ts, 1, 13), " RU_ENC("d.error_class") ", " RU_ENC("d.principal_arn") ","       \
	" COALESCE(d.cluster, ''), d.log_group, COALESCE(NULLIF(d.sts_region, ''), ''), d.expected, "  \
	RU_IN_BREAK("d") ", " RU_SEG("d.id") ", COUNT(*), MIN(d.ts), MAX(d.ts) FROM events d"
#define DENIAL_GROUP " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"

/* Every table but rollup_denials keys its rows by cluster too (NULL as
 * ''): one database holds many clusters, and what is new is new on a
 * cluster (a role denied on prod and now on staging is news for staging). */
#define ROLLUP_BUILD_SQL                                                                              \
	RU_DENIED_TS_INDEX /* (rollup.h) */                                                                            \
	"CREATE INDEX IF NOT EXISTS imports_first_event ON imports(first_event_id) WHERE first_event_id IS NOT NULL;" \
	"CREATE TABLE IF NOT EXISTS rollup_state("                                                     \
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"                                                    \
	"  last_event_id INTEGER NOT NULL);"                                                          \
	"CREATE TABLE IF NOT EXISTS rollup_minutes("                                                   \
	"  minute TEXT NOT NULL,"                                                                     \
	"  cluster TEXT NOT NULL,"                                                                    \
	"  events INTEGER NOT NULL,"                                                                  \
	"  granted INTEGER NOT NULL,"                                                                 \
	"  denied INTEGER NOT NULL,"                                                                  \
	"  denied_unexpected INTEGER NOT NULL,"                                                       \
	"  sts_responses INTEGER NOT NULL,"                                                           \
	"  config_errors INTEGER NOT NULL,"                                                           \
	"  PRIMARY KEY (minute, cluster)) WITHOUT ROWID;"                                             \
	"CREATE TABLE IF NOT EXISTS rollup_denials("                                                   \
	"  hour TEXT NOT NULL,"                                                                       \
	"  error_class TEXT NOT NULL,"                                                                \
	"  principal_arn TEXT NOT NULL,"                                                              \
	"  cluster TEXT NOT NULL,"                                                                    \
	"  log_group TEXT NOT NULL,"                                                                  \
	"  sts_region TEXT NOT NULL,"                                                                 \
	"  expected INTEGER NOT NULL,"                                                                \
	"  in_break INTEGER NOT NULL,"                                                                \
	"  seg INTEGER NOT NULL,"                                                                     \
	"  n INTEGER NOT NULL,"                                                                       \
	"  first_ts TEXT NOT NULL,"                                                                   \
	"  last_ts TEXT NOT NULL,"                                                                    \
	"  PRIMARY KEY (hour, error_class, principal_arn, cluster, log_group, sts_region, expected, in_break, seg))" \
	"  WITHOUT ROWID;"                                                                            \
	"CREATE TABLE IF NOT EXISTS rollup_denial_pairs("                                              \
	"  cluster TEXT NOT NULL,"                                                                    \
	"  error_class TEXT NOT NULL,"                                                                \
	"  principal_arn TEXT NOT NULL,"                                                              \
	"  first_id INTEGER NOT NULL,"                                                                \
	"  PRIMARY KEY (cluster, error_class, principal_arn)) WITHOUT ROWID;"                         \
	"CREATE TABLE IF NOT EXISTS rollup_principals("                                                \
	"  cluster TEXT NOT NULL,"                                                                    \
	"  principal TEXT NOT NULL,"                                                                  \
	"  first_seen TEXT NOT NULL,"                                                                 \
	"  last_seen TEXT NOT NULL,"                                                                  \
	"  granted INTEGER NOT NULL,"                                                                 \
	"  denied INTEGER NOT NULL,"                                                                  \
	"  decided INTEGER NOT NULL,"                                                                 \
	"  expected INTEGER NOT NULL,"                                                                \
	"  events INTEGER NOT NULL,"                                                                  \
	"  PRIMARY KEY (cluster, principal)) WITHOUT ROWID;"                                          \
	"CREATE TABLE IF NOT EXISTS rollup_principal_ids("                                             \
	"  cluster TEXT NOT NULL,"                                                                    \
	"  principal_arn TEXT NOT NULL,"                                                              \
	"  first_id INTEGER NOT NULL,"                                                                \
	"  PRIMARY KEY (cluster, principal_arn)) WITHOUT ROWID;"                                      \
	"CREATE TABLE IF NOT EXISTS rollup_creators("                                                  \
	"  cluster TEXT NOT NULL,"                                                                    \
	"  principal TEXT NOT NULL,"                                                                  \
	"  first_seen TEXT NOT NULL,"                                                                 \
	"  last_seen TEXT NOT NULL,"                                                                  \
	"  grants INTEGER NOT NULL,"                                                                  \
	"  PRIMARY KEY (cluster, principal)) WITHOUT ROWID;"                                          \
	/* Built from scratch even where a copy of these tables survived a                           \
	 * downgrade of the rest of the schema. */                                                    \
	"DELETE FROM rollup_state; DELETE FROM rollup_minutes; DELETE FROM rollup_denials;"           \
	"DELETE FROM rollup_denial_pairs; DELETE FROM rollup_principals; DELETE FROM rollup_principal_ids;" \
	"DELETE FROM rollup_creators;"                                                                \
	"INSERT INTO rollup_minutes SELECT substr(ts, 1, 16), COALESCE(cluster, ''), COUNT(*),"       \
	" COUNT(CASE WHEN outcome = 'granted' THEN 1 END), COUNT(CASE WHEN outcome = 'denied' THEN 1 END)," \
	" COUNT(CASE WHEN outcome = 'denied' AND expected = 0 THEN 1 END),"                           \
	" COUNT(CASE WHEN kind = 'sts_response' THEN 1 END), COUNT(CASE WHEN kind = 'config_error' THEN 1 END)" \
	" FROM events GROUP BY 1, 2;"                                                                 \
	"INSERT INTO rollup_denials " DENIAL_SELECT " WHERE d.outcome = 'denied'" DENIAL_GROUP ";"    \
	"INSERT INTO rollup_denial_pairs SELECT COALESCE(cluster, ''), " RU_ENC("error_class") ","    \
	" " RU_ENC("principal_arn") ", MIN(id) FROM events WHERE outcome = 'denied' GROUP BY 1, 2, 3;" \
	"INSERT INTO rollup_principals SELECT COALESCE(cluster, ''), COALESCE(principal_arn, arn), MIN(ts), MAX(ts)," \
	" COUNT(CASE WHEN outcome = 'granted' THEN 1 END), COUNT(CASE WHEN outcome = 'denied' THEN 1 END)," \
	" COUNT(outcome), MAX(expected), COUNT(*)"                                                    \
	" FROM events WHERE kind = 'access' AND COALESCE(principal_arn, arn) IS NOT NULL GROUP BY 1, 2;" \
	"INSERT INTO rollup_principal_ids SELECT COALESCE(cluster, ''), principal_arn, MIN(id) FROM events" \
	" WHERE principal_arn IS NOT NULL GROUP BY 1, 2;"                                             \
	"INSERT INTO rollup_creators SELECT COALESCE(cluster, ''), COALESCE(principal_arn, arn, uid, '(unknown)')," \
	" MIN(ts), MAX(ts), COUNT(*)"                                                                 \
	" FROM events WHERE outcome = 'granted' AND username = 'kubernetes-admin' GROUP BY 1, 2;"     \
	"INSERT INTO rollup_state VALUES (1, (SELECT COALESCE(MAX(id), 0) FROM events));"

const char rollup_migration_sql[] = ROLLUP_BUILD_SQL;

/* Version 6 -> 7: the tables keyed by cluster are new tables (a key
 * cannot be altered), built again from the events. */
const char rollup_rekey_sql[] =
	"DROP TABLE IF EXISTS rollup_minutes; DROP TABLE IF EXISTS rollup_denial_pairs;"
	" DROP TABLE IF EXISTS rollup_principals; DROP TABLE IF EXISTS rollup_principal_ids;"
	" DROP TABLE IF EXISTS rollup_creators;" ROLLUP_BUILD_SQL;

static int oom(char *err, size_t err_sz)
{
	snprintf(err, err_sz, "rollups: out of memory");
	return AL_SOFTWARE;
}

/* ---- open addressing over the elements of an array ---- */

/* slot[i] = index + 1 of an element, 0 = empty; kept at most half full. */
struct slots {
	size_t *slot;
	size_t n; /* a power of two, or 0 */
};

#define SLOT_FIRST(s, h) ((size_t)(h) & ((s)->n - 1))
#define SLOT_NEXT(s, i) (((i) + 1) & ((s)->n - 1))

static void slots_put(struct slots *s, uint64_t h, size_t index)
{
	size_t i = SLOT_FIRST(s, h);
	while (s->slot[i])
		i = SLOT_NEXT(s, i);
	s->slot[i] = index + 1;
}

/* Room for one more than the count elements of v (each stride bytes, its
 * hash at hash_off): the table doubles and is filled again when it would
 * pass half full. 0, or -1 when out of memory. */
static int slots_room(struct slots *s, size_t count, const void *v, size_t stride, size_t hash_off)
{
	if ((count + 1) * 2 <= s->n)
		return 0;
	struct slots t = {NULL, s->n ? s->n * 2 : 256};
	if (!(t.slot = calloc(t.n, sizeof(*t.slot))))
		return -1;
	for (size_t j = 0; j < count; j++) {
		uint64_t h;
		memcpy(&h, (const char *)v + j * stride + hash_off, sizeof(h));
		slots_put(&t, h, j);
	}
	free(s->slot);
	*s = t;
	return 0;
}

/* v with room for element n (the capacity doubles from 64), or NULL when
 * out of memory (v stays as it was). */
static void *array_room(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	size_t ncap = *cap ? *cap * 2 : 64;
	void *nv = realloc(v, ncap * size);
	if (nv)
		*cap = ncap;
	return nv;
}

/* array_room for an array indexed by slots s as well: v with room for
 * element n and s with room for its slot, or NULL when out of memory. */
static void *indexed_room(struct slots *s, void *v, size_t *cap, size_t n, size_t size, size_t hash_off)
{
	if (slots_room(s, n, v, size, hash_off) != 0)
		return NULL;
	return array_room(v, cap, n, size);
}

/* ---- sums in memory, keyed by a byte string ---- */

#define TS_MAX 32 /* "YYYY-MM-DDTHH:MM:SSZ" and then some */
_Static_assert(sizeof(((struct rollup_row *)0)->ts) == TS_MAX, "rollup_row.ts holds any time rollup_update takes");

struct entry {
	uint64_t hash;
	char *key;
	size_t klen;
	long long c[6];  /* counters; their meaning depends on the table */
	int64_t id;      /* smallest events.id */
	char first[TS_MAX], last[TS_MAX];
};

struct map {
	struct entry *v;
	size_t n, cap;
	struct slots slots;
	struct buf key; /* the key being built */
};

static void map_free(struct map *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].key);
	free(m->v);
	free(m->slots.slot);
	buf_free(&m->key);
	memset(m, 0, sizeof(*m));
}

/* Key fields: a tag byte, then for text a 4-byte length and the bytes,
 * for an integer 8 bytes. */
enum { K_NULL = 0, K_TEXT = 1, K_INT = 2 };

static void key_text(struct map *m, const char *s, size_t len)
{
	char tag = s ? K_TEXT : K_NULL;
	uint32_t n = s ? (uint32_t)len : 0;
	buf_append(&m->key, &tag, 1);
	if (s) {
		buf_append(&m->key, &n, sizeof(n));
		buf_append(&m->key, s, len);
	}
}

static void key_int(struct map *m, int64_t v)
{
	char tag = K_INT;
	buf_append(&m->key, &tag, 1);
	buf_append(&m->key, &v, sizeof(v));
}

/* The entry of the key built in m->key, created (zeroed, first/last set
 * to ts, id to id) when new; NULL when out of memory. */
static struct entry *map_get(struct map *m, const char *ts, int64_t id)
{
	if (m->key.oom)
		return NULL;
	const char *k = m->key.len ? m->key.data : "";
	size_t klen = m->key.len;
	uint64_t h = store_xxh64(k, klen, 0);
	struct slots *sl = &m->slots;
	for (size_t i = sl->n ? SLOT_FIRST(sl, h) : 0; sl->n && sl->slot[i]; i = SLOT_NEXT(sl, i)) {
		struct entry *e = &m->v[sl->slot[i] - 1];
		if (e->hash == h && e->klen == klen && memcmp(e->key, k, klen) == 0)
			return e;
	}
	struct entry *v = indexed_room(sl, m->v, &m->cap, m->n, sizeof(*v), offsetof(struct entry, hash));
	if (!v)
		return NULL;
	m->v = v;
	struct entry *e = &m->v[m->n];
	memset(e, 0, sizeof(*e));
	e->key = malloc(klen ? klen : 1);
	if (!e->key)
		return NULL;
	memcpy(e->key, k, klen);
	e->klen = klen;
	e->hash = h;
	e->id = id;
	snprintf(e->first, sizeof(e->first), "%s", ts); /* "" or a stored time */
	snprintf(e->last, sizeof(e->last), "%s", ts);
	slots_put(sl, h, m->n++);
	return e;
}

/* Copies a time (shorter than TS_MAX: rollup_update checks) */
static void ts_copy(char dst[TS_MAX], const char *ts)
{
	size_t n = strlen(ts);
	memcpy(dst, ts, n + 1);
}

/* Widens [first, last] to ts; empty: the span has no time yet. */
static ALWAYS_INLINE void widen(char first[TS_MAX], char last[TS_MAX], const char *ts, int empty)
{
	if (empty || strcmp(ts, first) < 0)
		ts_copy(first, ts);
	if (empty || strcmp(ts, last) > 0)
		ts_copy(last, ts);
}

static void seen(struct entry *e, const char *ts, int64_t id)
{
	widen(e->first, e->last, ts, 0);
	if (id < e->id)
		e->id = id;
}

/* Binds the key fields of e as parameters 1.. of st (a NULL text field as
 * RU_NULL when null_as_mark, else as SQL NULL); returns the next index. */
static int bind_key(sqlite3_stmt *st, const struct entry *e, int null_as_mark)
{
	const char *p = e->key, *end = e->key + e->klen;
	int i = 1;
	while (p < end) {
		char tag = *p++;
		if (tag == K_INT) {
			int64_t v;
			memcpy(&v, p, sizeof(v));
			p += sizeof(v);
			sqlite3_bind_int64(st, i++, v);
		} else if (tag == K_TEXT) {
			uint32_t n;
			memcpy(&n, p, sizeof(n));
			p += sizeof(n);
			sqlite3_bind_text(st, i++, p, (int)n, SQLITE_STATIC);
			p += n;
		} else if (null_as_mark) {
			sqlite3_bind_text(st, i++, "", 1, SQLITE_STATIC); /* the one NUL byte of char(0) */
		} else {
			sqlite3_bind_null(st, i++);
		}
	}
	return i;
}

/* ---- one batch ---- */

enum { MINUTES, DENIALS, PAIRS, PRINCIPALS, PRINCIPAL_IDS, CREATORS, NMAPS };

/* Upserts, one per map; the key fields come first, in key order. */
static const char *const upsert_sql[NMAPS] = {
	[MINUTES] = "INSERT INTO rollup_minutes VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (minute, cluster)"
		    " DO UPDATE SET"
		    " events = events + excluded.events, granted = granted + excluded.granted,"
		    " denied = denied + excluded.denied, denied_unexpected = denied_unexpected + excluded.denied_unexpected,"
		    " sts_responses = sts_responses + excluded.sts_responses,"
		    " config_errors = config_errors + excluded.config_errors",
	[DENIALS] = "INSERT INTO rollup_denials VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
		    " ON CONFLICT (hour, error_class, principal_arn, cluster, log_group, sts_region, expected, in_break, seg)"
		    " DO UPDATE SET n = n + excluded.n, first_ts = min(first_ts, excluded.first_ts),"
		    " last_ts = max(last_ts, excluded.last_ts)",
	[PAIRS] = "INSERT INTO rollup_denial_pairs VALUES (?1, ?2, ?3, ?4)"
		  " ON CONFLICT (cluster, error_class, principal_arn)"
		  " DO UPDATE SET first_id = min(first_id, excluded.first_id)",
	[PRINCIPALS] = "INSERT INTO rollup_principals VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		       " ON CONFLICT (cluster, principal)"
		       " DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),"
		       " last_seen = max(last_seen, excluded.last_seen), granted = granted + excluded.granted,"
		       " denied = denied + excluded.denied, decided = decided + excluded.decided,"
		       " expected = max(expected, excluded.expected), events = events + excluded.events",
	[PRINCIPAL_IDS] = "INSERT INTO rollup_principal_ids VALUES (?1, ?2, ?3) ON CONFLICT (cluster, principal_arn)"
			  " DO UPDATE SET first_id = min(first_id, excluded.first_id)",
	[CREATORS] = "INSERT INTO rollup_creators VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (cluster, principal)"
		     " DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),"
		     " last_seen = max(last_seen, excluded.last_seen), grants = grants + excluded.grants",
};

/* The new rows, in id order, as stored: the stream, identity and error
 * of a row are looked up once per batch (struct attrs), which is what the
 * `events` view joins in. */
static const char scan_sql[] =
	"SELECT id, ts, kind, outcome, stream_id, identity_id, error_id FROM event_rows"
	" WHERE id > ?1 AND id <= ?2 ORDER BY id";

/* What the events view takes from streams, identities and errors. */
enum { A_STREAM, A_IDENTITY, A_ERROR, NATTR };
static const char *const attr_sql[NATTR] = {
	[A_STREAM] = "SELECT log_group, cluster FROM streams WHERE id = ?1",
	[A_IDENTITY] = "SELECT arn, username, uid, principal_arn, expected FROM identities WHERE id = ?1",
	[A_ERROR] = "SELECT error_class, sts_region FROM errors WHERE id = ?1",
};
#define ATTR_COLS 5

/* One row of streams, identities or errors. */
struct attr {
	int64_t id;
	uint64_t hash;         /* of id, for struct attrs' slots */
	int found;             /* 0: no such row (the view's join finds nothing) */
	char *s[ATTR_COLS];    /* NULL for SQL NULL */
	size_t len[ATTR_COLS];
	int64_t num;           /* identities.expected */
	/* An identity's entries (index + 1, 0: not looked up) in the maps
	 * keyed by cluster and principal, for the rows of stream ent_stream:
	 * their key depends on nothing else, so most rows find them here
	 * without building and hashing it. */
	int64_t ent_stream;
	size_t ent[NMAPS];
};

struct attrs {
	sqlite3_stmt *st;
	struct attr *v;
	size_t n, cap;
	struct slots slots;
};

/* in_break of one not_mapped denial: RU_IN_CONFIG_BREAK with d.log_group
 * = ?1 and d.ts = ?2. */
static const char in_break_sql[] =
	"SELECT " RU_IN_CONFIG_BREAK("d") " FROM (SELECT ?1 AS log_group, ?2 AS ts) d";

struct batch {
	struct map m[NMAPS];
	struct attrs a[NATTR];
	sqlite3_stmt *in_break;
	/* the config errors of the batch: log group and time, for late breaks */
	char (*cfg_ts)[TS_MAX];
	char **cfg_group;
	size_t ncfg, cfg_cap;
	/* segment boundaries (imports.first_event_id) above the watermark */
	int64_t *bound;
	size_t nbound, bi;
	int64_t seg;
	size_t last_minute; /* entry index + 1 of the previous row's minute */
	const struct attr *last_minute_stream; /* its stream; NULL: not a whole minute */
};

static void batch_free(struct batch *b)
{
	for (int i = 0; i < NMAPS; i++)
		map_free(&b->m[i]);
	for (int i = 0; i < NATTR; i++) {
		struct attrs *a = &b->a[i];
		for (size_t k = 0; k < a->n; k++)
			for (int c = 0; c < ATTR_COLS; c++)
				free(a->v[k].s[c]);
		free(a->v);
		free(a->slots.slot);
		sqlite3_finalize(a->st);
	}
	sqlite3_finalize(b->in_break);
	for (size_t i = 0; i < b->ncfg; i++)
		free(b->cfg_group[i]);
	free(b->cfg_group);
	free(b->cfg_ts);
	free(b->bound);
}

/* The row id of table t, from memory after the first time; *out is NULL
 * when out of memory or on an SQL error (*sqlrc says which). */
static struct attr *attr_get(struct batch *b, int t, int64_t id, int *sqlrc)
{
	struct attrs *a = &b->a[t];
	uint64_t h = ((uint64_t)id * 0x9E3779B97F4A7C15ULL) >> 20;
	struct slots *sl = &a->slots;
	*sqlrc = SQLITE_OK;
	for (size_t i = sl->n ? SLOT_FIRST(sl, h) : 0; sl->n && sl->slot[i]; i = SLOT_NEXT(sl, i))
		if (a->v[sl->slot[i] - 1].id == id)
			return &a->v[sl->slot[i] - 1];
	struct attr *v = indexed_room(sl, a->v, &a->cap, a->n, sizeof(*v), offsetof(struct attr, hash));
	if (!v)
		return NULL;
	a->v = v;
	struct attr *e = &a->v[a->n];
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->hash = h;
	sqlite3_bind_int64(a->st, 1, id);
	int rc = sqlite3_step(a->st);
	if (rc == SQLITE_ROW) {
		e->found = 1;
		int ncol = sqlite3_column_count(a->st);
		for (int c = 0; c < ncol && c < ATTR_COLS; c++) {
			if (sqlite3_column_type(a->st, c) == SQLITE_NULL)
				continue;
			const char *s = (const char *)sqlite3_column_text(a->st, c);
			size_t len = (size_t)sqlite3_column_bytes(a->st, c);
			e->s[c] = malloc(len + 1);
			if (!e->s[c]) {
				for (int k = 0; k < c; k++)
					free(e->s[k]);
				sqlite3_reset(a->st);
				return NULL;
			}
			memcpy(e->s[c], s, len);
			e->s[c][len] = '\0';
			e->len[c] = len;
		}
		if (t == A_IDENTITY)
			e->num = sqlite3_column_int64(a->st, 4);
	} else if (rc != SQLITE_DONE) {
		*sqlrc = rc;
		sqlite3_reset(a->st);
		return NULL;
	}
	sqlite3_reset(a->st);
	slots_put(sl, h, a->n++);
	return e;
}

static int64_t one_int(sqlite3 *db, const char *sql, int64_t arg, int64_t dflt, int *rc)
{
	sqlite3_stmt *st;
	int64_t v = dflt;
	*rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (*rc != SQLITE_OK)
		return v;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, arg);
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	if (*rc == SQLITE_ROW || *rc == SQLITE_DONE)
		*rc = SQLITE_OK;
	sqlite3_finalize(st);
	return v;
}

/* The segments: RU_SEG for ids above wm, as a walk over the boundaries. */
static int load_bounds(sqlite3 *db, struct batch *b, int64_t wm, int64_t max)
{
	int rc;
	b->seg = one_int(db, "SELECT MAX(first_event_id) FROM imports WHERE first_event_id <= ?1", wm, 1, &rc);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_stmt *st;
	rc = sqlite3_prepare_v2(db,
				"SELECT DISTINCT first_event_id FROM imports WHERE first_event_id > ?1 AND first_event_id <= ?2"
				" ORDER BY 1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, wm);
	sqlite3_bind_int64(st, 2, max);
	size_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t *v = array_room(b->bound, &cap, b->nbound, sizeof(*v));
		if (!v) {
			sqlite3_finalize(st);
			return SQLITE_NOMEM;
		}
		b->bound = v;
		b->bound[b->nbound++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int add_cfg(struct batch *b, const char *group, const char *ts)
{
	if (b->ncfg == b->cfg_cap) {
		size_t cap = b->cfg_cap ? b->cfg_cap * 2 : 16;
		char **g = realloc(b->cfg_group, cap * sizeof(*g));
		if (!g)
			return -1;
		b->cfg_group = g;
		char(*t)[TS_MAX] = realloc(b->cfg_ts, cap * sizeof(*t));
		if (!t)
			return -1;
		b->cfg_ts = t;
		b->cfg_cap = cap;
	}
	b->cfg_group[b->ncfg] = strdup(group);
	if (!b->cfg_group[b->ncfg])
		return -1;
	snprintf(b->cfg_ts[b->ncfg], TS_MAX, "%s", ts);
	b->ncfg++;
	return 0;
}

#define ROW_OOM (-1)

/* One row of scan_sql and what the events view joins to it; ident and
 * error are NULL when the row has none (or the join finds none). */
struct row {
	int64_t id;
	const char *ts;
	size_t ts_len;
	struct attr *stream, *ident, *error;
	int64_t expected; /* identities.expected */
	int granted, denied, has_outcome, is_access, is_sts, is_cfg;
};

/* The helpers below run once per stored row (the rollups are ~4 % of an
 * import's CPU, bench/README.md): forced inline, so that add_row's pieces
 * cost no calls. */

/* *out = the row id of table t, NULL when the view's join finds none.
 * 0, ROW_OOM, or an SQLite error code. */
static ALWAYS_INLINE int attr_found(struct batch *b, int t, int64_t id, struct attr **out)
{
	int rc;
	struct attr *a = attr_get(b, t, id, &rc);
	if (!a)
		return rc ? rc : ROW_OOM;
	*out = a->found ? a : NULL;
	return 0;
}

/* Rows come in time order mostly: most share the previous row's minute,
 * which is checked before the hash table. */
static ALWAYS_INLINE int add_minute(struct batch *b, const struct row *r)
{
	struct map *m = &b->m[MINUTES];
	struct entry *e = b->last_minute ? &m->v[b->last_minute - 1] : NULL;
	if (!e || r->stream != b->last_minute_stream || r->ts_len < 16 || memcmp(e->key + 5, r->ts, 16) != 0) {
		const char *cluster = r->stream->s[1];
		buf_reset(&m->key);
		key_text(m, r->ts, r->ts_len < 16 ? r->ts_len : 16);
		key_text(m, cluster ? cluster : "", cluster ? r->stream->len[1] : 0);
		if (!(e = map_get(m, r->ts, r->id)))
			return ROW_OOM;
		b->last_minute = (size_t)(e - m->v) + 1;
		b->last_minute_stream = r->ts_len < 16 ? NULL : r->stream;
	}
	e->c[0]++;
	e->c[1] += r->granted;
	e->c[2] += r->denied;
	e->c[3] += r->denied && r->expected == 0;
	e->c[4] += r->is_sts;
	e->c[5] += r->is_cfg;
	return 0;
}

/* The entry of (cluster of r, principal) in map t, where principal is
 * one of r's identity's columns. */
static ALWAYS_INLINE struct entry *principal_entry(struct batch *b, int t, const struct row *r, const char *principal,
						   size_t len)
{
	struct map *m = &b->m[t];
	struct attr *ia = r->ident;
	if (ia->ent_stream != r->stream->id) {
		memset(ia->ent, 0, sizeof(ia->ent));
		ia->ent_stream = r->stream->id;
	}
	if (ia->ent[t])
		return &m->v[ia->ent[t] - 1];
	const char *cluster = r->stream->s[1];
	buf_reset(&m->key);
	key_text(m, cluster ? cluster : "", cluster ? r->stream->len[1] : 0);
	key_text(m, principal, len);
	struct entry *e = map_get(m, r->ts, r->id);
	if (e)
		ia->ent[t] = (size_t)(e - m->v) + 1;
	return e;
}

/* What the row adds to the tables keyed by cluster and principal:
 * COALESCE(principal_arn, arn) for access records, the principal_arn's
 * first id, kubernetes-admin grants. */
static ALWAYS_INLINE int add_principal(struct batch *b, const struct row *r)
{
	const struct attr *ia = r->ident;
	const char *arn = ia->s[0], *user = ia->s[1], *uid = ia->s[2], *parn = ia->s[3];
	struct entry *e;
	if (parn) {
		if (!(e = principal_entry(b, PRINCIPAL_IDS, r, parn, ia->len[3])))
			return ROW_OOM;
		seen(e, r->ts, r->id);
	}
	if (r->is_access && (parn || arn)) {
		if (!(e = principal_entry(b, PRINCIPALS, r, parn ? parn : arn, parn ? ia->len[3] : ia->len[0])))
			return ROW_OOM;
		seen(e, r->ts, r->id);
		e->c[0] += r->granted;
		e->c[1] += r->denied;
		e->c[2] += r->has_outcome;
		if (ia->num > e->c[3])
			e->c[3] = ia->num;
		e->c[4]++;
	}
	if (r->granted && user && !strcmp(user, "kubernetes-admin")) {
		e = parn  ? principal_entry(b, CREATORS, r, parn, ia->len[3])
		    : arn ? principal_entry(b, CREATORS, r, arn, ia->len[0])
		    : uid ? principal_entry(b, CREATORS, r, uid, ia->len[2])
			  : principal_entry(b, CREATORS, r, "(unknown)", 9);
		if (!e)
			return ROW_OOM;
		seen(e, r->ts, r->id);
		e->c[0]++;
	}
	return 0;
}

/* in_break of a not_mapped (or unclassified) denial in log group group. */
static ALWAYS_INLINE int in_break_of(struct batch *b, const char *group, const struct row *r, int64_t *in_break)
{
	sqlite3_bind_text(b->in_break, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_text(b->in_break, 2, r->ts, (int)r->ts_len, SQLITE_STATIC);
	int rc = sqlite3_step(b->in_break);
	if (rc == SQLITE_ROW)
		*in_break = sqlite3_column_int64(b->in_break, 0);
	sqlite3_reset(b->in_break);
	return rc == SQLITE_ROW ? 0 : rc;
}

/* A denial, into rollup_denials' hour and rollup_denial_pairs. */
static ALWAYS_INLINE int add_denial(struct batch *b, const char *group, const struct row *r)
{
	/* identities: arn, username, uid, principal_arn; errors: class, region */
	const char *cls = r->error ? r->error->s[0] : NULL, *region = r->error ? r->error->s[1] : NULL;
	const char *parn = r->ident ? r->ident->s[3] : NULL;
	const char *cluster = r->stream->s[1];
	int64_t in_break = 0;
	int rc;
	if ((!cls || !strcmp(cls, "not_mapped")) && (rc = in_break_of(b, group, r, &in_break)) != 0)
		return rc;
	struct map *m = &b->m[DENIALS];
	struct entry *e;
	buf_reset(&m->key);
	key_text(m, r->ts, r->ts_len < 13 ? r->ts_len : 13);
	key_text(m, cls, cls ? r->error->len[0] : 0);
	key_text(m, parn, parn ? r->ident->len[3] : 0);
	key_text(m, cluster ? cluster : "", cluster ? r->stream->len[1] : 0);
	key_text(m, group, strlen(group));
	key_text(m, region ? region : "", region ? r->error->len[1] : 0);
	key_int(m, r->expected);
	key_int(m, in_break);
	key_int(m, b->seg);
	if (!(e = map_get(m, r->ts, r->id)))
		return ROW_OOM;
	seen(e, r->ts, r->id);
	e->c[0]++;
	m = &b->m[PAIRS];
	buf_reset(&m->key);
	key_text(m, cluster ? cluster : "", cluster ? r->stream->len[1] : 0);
	key_text(m, cls, cls ? r->error->len[0] : 0);
	key_text(m, parn, parn ? r->ident->len[3] : 0);
	if (!(e = map_get(m, r->ts, r->id)))
		return ROW_OOM;
	seen(e, r->ts, r->id);
	return 0;
}

unsigned rollup_flags(const char *kind, const char *outcome)
{
	unsigned f = 0;
	if (outcome)
		f |= RU_OUTCOME | (!strcmp(outcome, "granted") ? RU_GRANTED : !strcmp(outcome, "denied") ? RU_DENIED : 0);
	if (kind)
		f |= !strcmp(kind, "access") ? RU_ACCESS : !strcmp(kind, "sts_response") ? RU_STS
			: !strcmp(kind, "config_error") ? RU_CONFIG : 0;
	return f;
}

/* Sums one row into the maps: the same values the events view gives for
 * it. 0, ROW_OOM, or an SQLite error code. */
static int add_row(struct batch *b, const struct rollup_row *rr, size_t ts_len)
{
	const char *ts = rr->ts;
	struct row r = {.id = rr->id, .ts = ts, .ts_len = ts_len};
	int rc = attr_found(b, A_STREAM, rr->stream_id, &r.stream);
	if (rc || !r.stream)
		return rc; /* no stream: the view's inner join drops the row */
	if (rr->identity_id && (rc = attr_found(b, A_IDENTITY, rr->identity_id, &r.ident)) != 0)
		return rc;
	if (rr->error_id && (rc = attr_found(b, A_ERROR, rr->error_id, &r.error)) != 0)
		return rc;
	r.expected = r.ident ? r.ident->num : 0;
	r.granted = !!(rr->flags & RU_GRANTED);
	r.denied = !!(rr->flags & RU_DENIED);
	r.has_outcome = !!(rr->flags & RU_OUTCOME);
	r.is_access = !!(rr->flags & RU_ACCESS);
	r.is_sts = !!(rr->flags & RU_STS);
	r.is_cfg = !!(rr->flags & RU_CONFIG);

	while (b->bi < b->nbound && b->bound[b->bi] <= r.id)
		b->seg = b->bound[b->bi++];
	if ((rc = add_minute(b, &r)) != 0)
		return rc;
	if (r.ident && (rc = add_principal(b, &r)) != 0)
		return rc;
	const char *group = r.stream->s[0] ? r.stream->s[0] : "";
	if (r.denied && (rc = add_denial(b, group, &r)) != 0)
		return rc;
	if (r.is_cfg && add_cfg(b, group, ts) != 0)
		return ROW_OOM;
	return 0;
}

/* late_breaks' statements, and the (hour, log group)s it recomputes:
 * at most two hours per config error. */
struct late {
	sqlite3_stmt *find, *del, *ins;
	char (*hour)[TS_MAX];
	const char **group;
	size_t n;
};

static int late_prepare(sqlite3 *db, struct late *l)
{
	int rc = sqlite3_prepare_v2(db,
				    "SELECT DISTINCT hour FROM rollup_denials"
				    " WHERE hour IN (substr(?2, 1, 13), substr(strftime('%Y-%m-%dT%H:%M:%SZ', ?2, '+1 hour'), 1, 13))"
				    " AND (error_class = 'not_mapped' OR error_class = " RU_NULL ") AND log_group = ?1 AND in_break = 0"
				    " AND last_ts >= ?2 AND first_ts < strftime('%Y-%m-%dT%H:%M:%SZ', ?2, '+1 hour')",
				    -1, &l->find, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
					"DELETE FROM rollup_denials WHERE hour = ?1 AND (error_class = 'not_mapped' OR error_class = " RU_NULL ")"
					" AND log_group = ?2",
					-1, &l->del, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
					"INSERT INTO rollup_denials " DENIAL_SELECT " WHERE d.id IN (SELECT id FROM event_rows"
					"  INDEXED BY event_rows_denied_ts WHERE outcome = 'denied'"
					"  AND ts >= ?1 || ':00:00Z' AND ts <= ?1 || ':59:59Z') AND substr(d.ts, 1, 13) = ?1"
					" AND (d.error_class = 'not_mapped' OR d.error_class IS NULL) AND d.log_group = ?2 AND d.id <= ?3"
					DENIAL_GROUP,
					-1, &l->ins, NULL);
	return rc;
}

/* Collects the hours of rollup_denials that the batch's config errors
 * turn into a break; 0 or an SQLite error code. */
static int late_find(const struct batch *b, struct late *l)
{
	for (size_t i = 0; i < b->ncfg; i++) {
		sqlite3_bind_text(l->find, 1, b->cfg_group[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(l->find, 2, b->cfg_ts[i], -1, SQLITE_STATIC);
		int step;
		while ((step = sqlite3_step(l->find)) == SQLITE_ROW) {
			const char *hour = (const char *)sqlite3_column_text(l->find, 0);
			size_t k;
			for (k = 0; k < l->n; k++)
				if (!strcmp(l->hour[k], hour) && !strcmp(l->group[k], b->cfg_group[i]))
					break;
			if (k < l->n)
				continue;
			snprintf(l->hour[l->n], TS_MAX, "%s", hour);
			l->group[l->n++] = b->cfg_group[i];
		}
		sqlite3_reset(l->find);
		if (step != SQLITE_DONE)
			return step;
	}
	return 0;
}

/* Recomputed after the search: a deleted hour must not be found again. */
static int late_recompute(struct late *l, int64_t wm)
{
	for (size_t k = 0; k < l->n; k++) {
		sqlite3_bind_text(l->del, 1, l->hour[k], -1, SQLITE_STATIC);
		sqlite3_bind_text(l->del, 2, l->group[k], -1, SQLITE_STATIC);
		sqlite3_bind_text(l->ins, 1, l->hour[k], -1, SQLITE_STATIC);
		sqlite3_bind_text(l->ins, 2, l->group[k], -1, SQLITE_STATIC);
		sqlite3_bind_int64(l->ins, 3, wm);
		int ok = sqlite3_step(l->del) == SQLITE_DONE && sqlite3_step(l->ins) == SQLITE_DONE;
		sqlite3_reset(l->del);
		sqlite3_reset(l->ins);
		if (!ok)
			return SQLITE_ERROR;
	}
	return 0;
}

/* A config error of this batch may cover not_mapped denials that earlier
 * batches rolled up as outside a break: their hours of that log group are
 * computed again from the events (only rows up to the watermark: the
 * batch's own rows are added after). With rows imported in time order
 * this finds nothing, from two index lookups per config error. */
static int late_breaks(sqlite3 *db, struct batch *b, int64_t wm, char *err, size_t err_sz)
{
	struct late l = {0};
	int rc = AL_OK;
	if (!b->ncfg)
		return AL_OK;
	if (late_prepare(db, &l) != SQLITE_OK) {
		rc = store_sql_error(db, SQLITE_ERROR, "cannot update the rollups", err, err_sz);
	} else if (!(l.hour = malloc(b->ncfg * 2 * sizeof(*l.hour))) ||
		   !(l.group = malloc(b->ncfg * 2 * sizeof(*l.group)))) {
		rc = oom(err, err_sz);
	} else if (late_find(b, &l) != 0 || late_recompute(&l, wm) != 0) {
		rc = store_sql_error(db, SQLITE_ERROR, "cannot update the rollups", err, err_sz);
	}
	free(l.hour);
	free(l.group);
	sqlite3_finalize(l.find);
	sqlite3_finalize(l.del);
	sqlite3_finalize(l.ins);
	return rc;
}

static int flush(sqlite3 *db, struct batch *b, char *err, size_t err_sz)
{
	for (int t = 0; t < NMAPS; t++) {
		struct map *m = &b->m[t];
		sqlite3_stmt *st;
		if (!m->n)
			continue;
		if (sqlite3_prepare_v2(db, upsert_sql[t], -1, &st, NULL) != SQLITE_OK)
			return store_sql_error(db, SQLITE_ERROR, "cannot update the rollups", err, err_sz);
		for (size_t i = 0; i < m->n; i++) {
			const struct entry *e = &m->v[i];
			int k = bind_key(st, e, t == DENIALS || t == PAIRS);
			switch (t) {
			case MINUTES:
				for (int c = 0; c < 6; c++)
					sqlite3_bind_int64(st, k++, e->c[c]);
				break;
			case DENIALS:
				sqlite3_bind_int64(st, k++, e->c[0]);
				sqlite3_bind_text(st, k++, e->first, -1, SQLITE_STATIC);
				sqlite3_bind_text(st, k++, e->last, -1, SQLITE_STATIC);
				break;
			case PAIRS:
			case PRINCIPAL_IDS:
				sqlite3_bind_int64(st, k++, e->id);
				break;
			case PRINCIPALS:
				sqlite3_bind_text(st, k++, e->first, -1, SQLITE_STATIC);
				sqlite3_bind_text(st, k++, e->last, -1, SQLITE_STATIC);
				for (int c = 0; c < 5; c++)
					sqlite3_bind_int64(st, k++, e->c[c]);
				break;
			case CREATORS:
				sqlite3_bind_text(st, k++, e->first, -1, SQLITE_STATIC);
				sqlite3_bind_text(st, k++, e->last, -1, SQLITE_STATIC);
				sqlite3_bind_int64(st, k++, e->c[0]);
				break;
			}
			int rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE) {
				int r = store_sql_error(db, SQLITE_ERROR, "cannot update the rollups", err, err_sz);
				sqlite3_finalize(st);
				return r;
			}
		}
		sqlite3_finalize(st);
	}
	return AL_OK;
}

/* Whether rows[0..n) are exactly the rows with ids in (wm, max]: ids
 * grow within a transaction, so n increasing ids from wm + 1 to max are
 * all of them. */
static int rows_cover(const struct rollup_row *rows, size_t n, int64_t wm, int64_t max)
{
	if (!rows || !n || (uint64_t)(max - wm) != n || rows[0].id != wm + 1 || rows[n - 1].id != max)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (rows[i].id <= rows[i - 1].id)
			return 0;
	return 1;
}

/* Sums rows[0..n) (each with a time shorter than TS_MAX): 0, ROW_OOM,
 * or an SQLite error code. */
static int add_rows(struct batch *b, const struct rollup_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = add_row(b, &rows[i], strnlen(rows[i].ts, TS_MAX));
		if (rc)
			return rc;
	}
	return 0;
}

int rollup_update(sqlite3 *db, const struct rollup_row *rows, size_t n, char *err, size_t err_sz)
{
	struct batch b;
	sqlite3_stmt *st = NULL;
	int rc = AL_OK, src, arc = 0;
	memset(&b, 0, sizeof(b));
	int64_t wm = one_int(db, "SELECT last_event_id FROM rollup_state WHERE id = 1", 0, -1, &src);
	if (src != SQLITE_OK)
		return store_sql_error(db, SQLITE_ERROR, "cannot read the rollup state", err, err_sz);
	if (wm < 0) {
		snprintf(err, err_sz, "the rollup state is missing (table rollup_state)");
		return AL_DATAERR;
	}
	int64_t max = one_int(db, "SELECT MAX(id) FROM event_rows", 0, 0, &src);
	if (src != SQLITE_OK)
		return store_sql_error(db, SQLITE_ERROR, "cannot read the rollup state", err, err_sz);
	if (max <= wm)
		return AL_OK;
	src = load_bounds(db, &b, wm, max);
	for (int i = 0; i < NATTR && src == SQLITE_OK; i++)
		src = sqlite3_prepare_v2(db, attr_sql[i], -1, &b.a[i].st, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_prepare_v2(db, in_break_sql, -1, &b.in_break, NULL);
	if (src != SQLITE_OK)
		goto sqlfail;
	if (rows_cover(rows, n, wm, max)) {
		/* the caller's copy: reading the batch back was 5 % of an import */
		arc = add_rows(&b, rows, n);
	} else {
		if ((src = sqlite3_prepare_v2(db, scan_sql, -1, &st, NULL)) != SQLITE_OK)
			goto sqlfail;
		sqlite3_bind_int64(st, 1, wm);
		sqlite3_bind_int64(st, 2, max);
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			/* As few sqlite3_column_* calls as will do. NULL ids read
			 * as 0 (rowids start at 1). */
			struct rollup_row r = {.id = sqlite3_column_int64(st, 0),
					       .stream_id = sqlite3_column_int64(st, 4),
					       .identity_id = sqlite3_column_int64(st, 5),
					       .error_id = sqlite3_column_int64(st, 6)};
			const char *ts = (const char *)sqlite3_column_text(st, 1);
			size_t len = ts ? strlen(ts) : 0;
			if (!ts || len >= TS_MAX) {
				snprintf(err, err_sz, "event %lld has an unexpected time", (long long)r.id);
				rc = AL_DATAERR;
				goto out;
			}
			memcpy(r.ts, ts, len + 1);
			r.flags = rollup_flags((const char *)sqlite3_column_text(st, 2),
					       (const char *)sqlite3_column_text(st, 3));
			if ((arc = add_rows(&b, &r, 1)) != 0)
				break;
		}
		if (!arc && src != SQLITE_DONE)
			goto sqlfail;
		sqlite3_finalize(st);
		st = NULL;
	}
	if (arc == ROW_OOM) {
		rc = oom(err, err_sz);
		goto out;
	}
	if (arc)
		goto sqlfail;
	rc = late_breaks(db, &b, wm, err, err_sz);
	if (!rc)
		rc = flush(db, &b, err, err_sz);
	if (!rc) {
		if (sqlite3_prepare_v2(db, "UPDATE rollup_state SET last_event_id = ?1 WHERE id = 1", -1, &st, NULL) !=
			    SQLITE_OK ||
		    (sqlite3_bind_int64(st, 1, max), sqlite3_step(st)) != SQLITE_DONE)
			goto sqlfail;
	}
	goto out;
sqlfail:
	rc = store_sql_error(db, SQLITE_ERROR, "cannot update the rollups", err, err_sz);
out:
	sqlite3_finalize(st);
	batch_free(&b);
	return rc;
}

int rollup_current(sqlite3 *db, int *current, char *err, size_t err_sz)
{
	int rc;
	*current = 0;
	int64_t v = one_int(db,
			    "SELECT (SELECT last_event_id FROM rollup_state WHERE id = 1)"
			    " IS (SELECT COALESCE(MAX(id), 0) FROM event_rows)",
			    0, 0, &rc);
	if (rc != SQLITE_OK)
		return store_sql_error(db, SQLITE_ERROR, "cannot read the rollup state", err, err_sz);
	*current = v == 1;
	return AL_OK;
}
