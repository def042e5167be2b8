/* The SQLite database: schema and migrations (documented at the top of
 * store.c, the one place), batched inserts with dedupe, read-only opens. */
#ifndef AUTHLOG_STORE_H
#define AUTHLOG_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 11

struct store;
struct record;

enum store_mode {
	STORE_WRITE,    /* create (0600, parents made) and migrate as needed */
	STORE_READONLY, /* must exist; SQLITE_OPEN_READONLY + PRAGMA query_only */
};

/* One row of `events`; NULL pointers are stored as SQL NULL. */
struct store_event {
	const char *ts;          /* YYYY-MM-DDTHH:MM:SSZ */
	const char *log_group, *log_stream, *ptr, *cluster;
	const char *kind, *level, *msg, *outcome;
	const char *arn, *client;
	const char *error;
	size_t error_len;
	const char *error_class, *sts_code;
	int http_status;         /* 0 = NULL */
	const char *sts_region, *mapped_arn;
	const char *username, *groups, *uid, *user_id, *account_id;
	const char *principal_type, *principal_name, *principal_arn;
	const char *access_key_id, *session, *sts_endpoint;
	int expected;
	const char *raw;
	size_t raw_len;
	int64_t dedupe_key;
	/* parse_line's record of raw, where its values were read (the stored
	 * line leaves out what the row's columns hold), or NULL: then
	 * store_insert parses raw itself. */
	const struct record *rec;
};

/* Returns AL_OK or an al_status: AL_NOINPUT (read-only and missing),
 * AL_CANTCREAT, AL_TEMPFAIL (locked), AL_DATAERR (not ours / too new).
 * err gets a one-line reason. */
int store_open(const char *path, enum store_mode mode, struct store **out, char *err, size_t err_sz);
void store_close(struct store *s);
sqlite3 *store_db(struct store *s);

/* A bulk load into an empty database: building the per-principal index
 * once at the end (a sort) costs a fraction of keeping it row by row.
 * store_defer_indexes drops it when no event is stored yet (else does
 * nothing); store_build_indexes makes it again. A write open makes it
 * too, should the load have been killed in between. */
int store_defer_indexes(struct store *s, char *err, size_t err_sz);
int store_build_indexes(struct store *s, char *err, size_t err_sz);

/* A write transaction (BEGIN IMMEDIATE) around one import batch. */
int store_begin(struct store *s, char *err, size_t err_sz);
int store_commit(struct store *s, char *err, size_t err_sz);
void store_rollback(struct store *s);

/* *inserted = 1 for a new row, 0 for a duplicate of a stored one. */
int store_insert(struct store *s, const struct store_event *ev, int *inserted, char *err, size_t err_sz);

/* store_insert in two halves. store_keys_make is all it does without the
 * database: the keys of the event's stream, identity, error and shape rows
 * and the line's template (written into sc, which k->tpl then points
 * into). It touches no store, so another thread can make the keys while
 * this one inserts (import's reading thread, pipeline.c), each with its
 * own scratch. store_insert_keyed stores ev with the keys made of it. */
struct store_scratch {
	struct parser *parser; /* for an event without its parse (ev->rec NULL) */
	struct record *rec;
	char *tpl;
	size_t tpl_cap;
};
struct store_keys {
	uint64_t stream, identity, error, shape;
	int identity_present, error_present; /* 0: the row references none */
	const char *tpl;                     /* NULL: the line is stored whole */
	size_t tpl_len;
	int holes_in;                        /* bit per hole byte in tpl */
};
void store_keys_make(struct store_scratch *sc, const struct store_event *ev, struct store_keys *k);
/* A copy of ev that needs nothing ev points to: store_event_size bytes of
 * buf hold its texts (rec is not copied: NULL, as for a row without its
 * parse). */
size_t store_event_size(const struct store_event *ev);
void store_event_copy(const struct store_event *ev, char *buf, struct store_event *out);
void store_scratch_free(struct store_scratch *sc);
int store_insert_keyed(struct store *s, const struct store_event *ev, const struct store_keys *k, char *err,
		       size_t err_sz);
/* store_insert_keyed queues the row and writes the queue 16 rows to an
 * INSERT, so ev (and what it points to) must stay valid until store_flush
 * or store_commit. store_flush writes what is queued; *stored and *found
 * count the rows written and those found stored already (ignored) since
 * the last store_flush, store_commit's included. */
int store_flush(struct store *s, long long *stored, long long *found, char *err, size_t err_sz);
/* *found = 1 when a row with this time and dedupe key is stored. */
int store_has(struct store *s, const char *ts, size_t ts_len, int64_t key, int *found, char *err, size_t err_sz);
/* Provenance of one import run. */
int store_import_begin(struct store *s, const char *source, int64_t *import_id, char *err, size_t err_sz);
int store_import_end(struct store *s, int64_t import_id, long long imported, long long duplicates,
		     long long skipped, char *err, size_t err_sz);
/* The same for a run a signal stopped: status 'interrupted', the counts
 * what it stored before. */
int store_import_interrupted(struct store *s, int64_t import_id, long long imported, long long duplicates,
			     long long skipped, char *err, size_t err_sz);

/* The first events.id an import (the latest one when import_id is 0)
 * could have stored; 0 when there is no import. Rows with a smaller id
 * were stored before it (report --new). */
int store_import_first_event(struct store *s, int64_t import_id, int64_t *first_event_id, char *err,
			     size_t err_sz);

/* ---- cluster facts (the clusters table; see store.c) ---- */

/* One row of clusters. Text: "" is unknown (NULL in the table); ints: -1
 * unknown; times: epoch seconds, 0 unknown. */
struct store_cluster {
	char name[101], region[64];   /* the key; both required */
	char account[13];
	char log_group[513];
	char auth_mode[32];
	int auth_mode_defaulted;
	char logging_types[128];      /* JSON array */
	char endpoint[512];
	int64_t checked_at;           /* DescribeCluster answered: mode, types, endpoint are its */
	int described;                /* put: DescribeCluster was asked (describe_error is this
				       * attempt's, "" when it answered) */
	char describe_error[512];
	int authenticator_streams;
	int logging_off;
	char logging_off_reason[16];  /* "disabled" | "no_streams" | "" */
	char enable_logging[512];
	char source[8];               /* "scan" | "import" */
	int64_t updated_at;           /* get only: put writes the time of the call */
};

/* Records what c says of (c->name, c->region), keeping the stored value
 * of every fact c leaves unknown; the DescribeCluster facts (mode, types,
 * endpoint) are replaced together when c->checked_at is set. Runs in the
 * caller's transaction, or alone. */
int store_cluster_put(struct store *s, const struct store_cluster *c, char *err, size_t err_sz);
/* *found = 0 (out zeroed, unknowns -1) when no row has that key. */
int store_cluster_get(struct store *s, const char *name, const char *region, struct store_cluster *out,
		      int *found, char *err, size_t err_sz);

/* ---- the fetcher's state (scan_runs, scan_windows; see store.c) ----
 * Times are epoch seconds here and UTC RFC 3339 text in the tables. Like
 * the inserts, these run inside the caller's transaction. */

/* The totals of one scan run so far (written over, not added). */
struct store_scan_totals {
	long long rows, duplicates, skipped, queries, truncated;
	double bytes_scanned, records_scanned, records_matched;
	double bytes_skipped; /* estimatedBytesSkipped: what the field index spared */
};

/* A missing part of an earlier run's window. */
struct store_window {
	int64_t id, start, end;
	int attempts;
};

/* Creates a 'running' scan_runs row for the current import (store_import_begin). */
int store_scan_begin(struct store *s, const char *log_group, const char *query, int64_t start, int64_t end,
		     int64_t *run_id, char *err, size_t err_sz);
int store_scan_update(struct store *s, int64_t run_id, const struct store_scan_totals *t, char *err,
		      size_t err_sz);
/* status: complete | partial | failed | interrupted; error may be NULL. */
int store_scan_end(struct store *s, int64_t run_id, const char *status, const char *error, char *err,
		   size_t err_sz);
/* Runs still 'running' belong to a process that died (the caller holds
 * the database lock): they become 'interrupted'. */
int store_scan_mark_interrupted(struct store *s, char *err, size_t err_sz);
/* The window end of the last run of (group, query) and the newest stored
 * event of the group; each -1 when there is none. */
int store_scan_resume_point(struct store *s, const char *log_group, const char *query, int64_t *last_end,
			    int64_t *newest_event, char *err, size_t err_sz);

int store_window_add(struct store *s, int64_t run_id, const char *log_group, const char *query, int64_t start,
		     int64_t end, int64_t *window_id, char *err, size_t err_sz);
/* Fetched: the row goes. */
int store_window_done(struct store *s, int64_t window_id, char *err, size_t err_sz);
/* status 'failed' (retried by the next --since-last-run) or 'truncated'. */
int store_window_set(struct store *s, int64_t window_id, const char *status, int attempts, const char *error,
		     char *err, size_t err_sz);
/* Hands a window to another run, with new bounds (an adopted, clipped window). */
int store_window_move(struct store *s, int64_t window_id, int64_t run_id, int64_t start, int64_t end, char *err,
		      size_t err_sz);
/* Pending and failed windows of (group, query), oldest first; free(*out). */
int store_windows_missing(struct store *s, const char *log_group, const char *query, struct store_window **out,
			  size_t *n, char *err, size_t err_sz);

/* ---- retention (authlog-scan prune) ---- */

/* One retention rule of store_prune: the events of cluster (NULL: every
 * cluster) older than cutoff (UTC "YYYY-MM-DDTHH:MM:SSZ"); store_prune
 * fills in what the rule deleted. */
struct store_prune_rule {
	const char *cutoff;
	const char *cluster;
	long long events, streams, identities, errors, imports, scan_runs, scan_windows;
};

/* What a prune gave back, for the whole database. */
struct store_prune_space {
	long long freed_bytes;     /* file bytes given back (incremental vacuum or VACUUM) */
	long long reusable_bytes;  /* free pages left inside the file (no vacuum ran) */
	int vacuum_mode;           /* PRAGMA auto_vacuum after the prune: 0 none, 1 full, 2 incremental */
	int rollups_rebuilt;       /* 1 when some event or import went (else the rollups still hold) */
};

/* For each rule in turn, deletes the events older than its cutoff, in
 * batches, except the one with the largest id (ids only grow: report --new
 * and the rollup watermark rely on it); then the streams, identities and
 * errors no event references, the imports left without events (whose
 * events were pruned, or older than cutoff) and scan runs (never the
 * latest), the scan windows that ended before cutoff and the scan runs
 * that ended before it (never the latest of a group and query, nor a group's
 * latest complete one, nor one owning a window). A rule with a cluster
 * deletes only that cluster's events, and of the scan windows and runs
 * those of its log groups (table clusters): a fleet file's per-cluster
 * retention. Then the rollups are rebuilt from the kept events, once for
 * all the rules and only when an event or an import went, all in one
 * write transaction. Then reclaims the space: incremental_vacuum when the
 * file has auto_vacuum = INCREMENTAL; else VACUUM when vacuum is set (which
 * also makes the file incremental for the next prune); else the free
 * pages stay reusable inside the file. */
int store_prune(struct store *s, struct store_prune_rule *rules, size_t n, int vacuum,
		struct store_prune_space *space, char *err, size_t err_sz);

/* The dedupe key: XXH64 chained over the parts (seed = previous hash). */
int64_t store_key(const char *const *parts, const size_t *lens, size_t n);
uint64_t store_xxh64(const void *data, size_t len, uint64_t seed);

/* The one mapping of a SQLite failure to an al_status (status.h): err
 * gets "what: SQLite's message (strerror)" (SQLite's message alone when
 * what is NULL); returns AL_TEMPFAIL (busy, locked), AL_DATAERR (not a
 * database, corrupt, or a statement that does not fit the database:
 * SQL error, authorizer refusal, range, type, size, constraint),
 * AL_CANTCREAT (full, read-only, I/O, permissions), else AL_SOFTWARE.
 * db may be NULL (then rc is used). */
int store_sql_error(sqlite3 *db, int rc, const char *what, char *err, size_t err_sz);
/* The SQL taking a database from from_version to the next one (tests
 * build old databases with it), NULL when there is none. */
const char *store_migration(int from_version);

/* Creates the directories above path (0700), like `mkdir -p`; AL_OK or
 * AL_CANTCREAT with err set. */
int store_mkdir_parents(const char *path, char *err, size_t err_sz);

/* $AUTHLOG_DB, else $XDG_DATA_HOME/authlog-scan/authlog.db, else
 * ~/.local/share/authlog-scan/authlog.db. Caller frees. */
char *store_default_path(void);

#endif
