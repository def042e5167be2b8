/* The SQLite database: schema and migrations (documented at the top of
 * store.c, the one place), batched inserts with dedupe, read-only opens. */
#ifndef AUTHLOG_STORE_H
#define AUTHLOG_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 1

struct store;

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
};

/* Returns AL_OK or an al_status: AL_NOINPUT (read-only and missing),
 * AL_CANTCREAT, AL_TEMPFAIL (locked), AL_DATAERR (not ours / too new).
 * err gets a one-line reason. */
int store_open(const char *path, enum store_mode mode, struct store **out, char *err, size_t err_sz);
void store_close(struct store *s);
sqlite3 *store_db(struct store *s);

/* A write transaction (BEGIN IMMEDIATE) around one import batch. */
int store_begin(struct store *s, char *err, size_t err_sz);
int store_commit(struct store *s, char *err, size_t err_sz);
void store_rollback(struct store *s);

/* *inserted = 1 for a new row, 0 for a duplicate of a stored one. */
int store_insert(struct store *s, const struct store_event *ev, int *inserted, char *err, size_t err_sz);
/* Remembers the rendered fix of (class, principal, cluster) once. */
int store_put_fix(struct store *s, const char *cls, const char *principal, const char *cluster,
		  const char *region, const char *fix, char *err, size_t err_sz);
/* Provenance of one import run. */
int store_import_begin(struct store *s, const char *source, int64_t *import_id, char *err, size_t err_sz);
int store_import_end(struct store *s, int64_t import_id, long long imported, long long duplicates,
		     long long skipped, char *err, size_t err_sz);

/* The dedupe key: a 64-bit FNV-1a over NUL-separated parts. */
int64_t store_key(const char *const *parts, const size_t *lens, size_t n);

/* $AUTHLOG_DB, else $XDG_DATA_HOME/authlog-scan/authlog.db, else
 * ~/.local/share/authlog-scan/authlog.db. Caller frees. */
char *store_default_path(void);

#endif
