/* Rollups: summary tables that keep what the report needs in step with
 * `events`, so that the report reads a few thousand summary rows instead
 * of every event (schema versions 4 and 7; the tables are documented at the top
 * of store.c).
 *
 * The migration builds them for the rows already stored (rollup_migration_sql,
 * one GROUP BY per table); after that store_commit() calls rollup_update()
 * before every COMMIT, which folds the rows stored since the watermark
 * (rollup_state.last_event_id) into them in the same transaction. A batch
 * and its rollups are therefore committed, or rolled back, together. */
#ifndef AUTHLOG_ROLLUP_H
#define AUTHLOG_ROLLUP_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* NULL cannot be part of a primary key that ON CONFLICT matches, so the
 * rollups store a NULL error_class / principal_arn as this one-character
 * string (one NUL byte: no stored class or ARN can be that, store_insert
 * binds them as C strings) and the report turns it back into NULL. */
#define RU_NULL "char(0)"
#define RU_ENC(x) "COALESCE(" x ", " RU_NULL ")"
#define RU_DEC(x) "NULLIF(" x ", " RU_NULL ")"

/* A not_mapped denial d inside the hour after an aws-auth parse error of
 * its log group (the report's "aws-auth ConfigMap is broken"). The events
 * view would give the same rows (c.log_group is its stream's group), but
 * without statistics (a first import) the planner walks the time index
 * over every row of that hour; so the config errors are read from their
 * index, with the lower bound the condition implies. */
#define RU_IN_CONFIG_BREAK(d)                                                                        \
	"EXISTS (SELECT 1 FROM event_rows c INDEXED BY event_rows_config WHERE c.kind = 'config_error'" \
	" AND c.stream_id IN (SELECT cs.id FROM streams cs WHERE cs.log_group = " d ".log_group)"      \
	" AND c.ts <= " d ".ts AND c.ts > strftime('%Y-%m-%dT%H:%M:%SZ', " d ".ts, '-1 hour')"          \
	" AND " d ".ts < strftime('%Y-%m-%dT%H:%M:%SZ', c.ts, '+1 hour'))"
/* rollup_denials.in_break: whether the report's "not_mapped inside a
 * break" condition holds, for the rows where it decides anything (a NULL
 * class counts: NOT (NULL AND true) drops the row too). */
#define RU_IN_BREAK(d)                                                                               \
	"(CASE WHEN " d ".outcome = 'denied' AND (" d ".error_class IS NULL OR " d ".error_class = 'not_mapped')" \
	" THEN " RU_IN_CONFIG_BREAK(d) " ELSE 0 END)"

/* Denials by time, for the parts of a report window that are not whole
 * hours: with the references (and outcome, which the partial index
 * implies but the planner asks for) it covers what the report reads, so
 * no row page is read for them. Made by the rollup migration, and again
 * by any migration that rebuilds event_rows. */
#define RU_DENIED_TS_INDEX                                                                           \
	"CREATE INDEX IF NOT EXISTS event_rows_denied_ts ON event_rows(ts, stream_id, identity_id, error_id, outcome)" \
	"  WHERE outcome = 'denied';"

/* Schema version 3 -> 4: the rollup tables, built from the stored events
 * (an entry of store.c's migrations[]). */
extern const char rollup_migration_sql[];
/* Schema version 6 -> 7: the rollups keyed by cluster, built again. */
extern const char rollup_rekey_sql[];

/* What rollup_update reads of one stored row (NULL references as 0). */
enum {
	RU_GRANTED = 1, RU_DENIED = 2, RU_OUTCOME = 4, /* outcome 'granted', 'denied', not NULL */
	RU_ACCESS = 8, RU_STS = 16, RU_CONFIG = 32,     /* kind 'access', 'sts_response', 'config_error' */
};
struct rollup_row {
	int64_t id, stream_id, identity_id, error_id;
	char ts[32]; /* as stored ("YYYY-MM-DDTHH:MM:SSZ"), NUL-terminated */
	unsigned flags; /* RU_* */
};
/* RU_* flags of a row's kind and outcome (each may be NULL). */
unsigned rollup_flags(const char *kind, const char *outcome);

/* Folds the events stored since the watermark into the rollups and moves
 * the watermark; inside the caller's write transaction, before COMMIT.
 * rows (n of them, id order) are the rows the caller stored in this
 * transaction as it stored them: when they are exactly the rows above
 * the watermark they are folded without reading them back; otherwise (or
 * rows NULL) the rows are read from event_rows. AL_OK or an al_status
 * with err set (the caller rolls back). */
int rollup_update(sqlite3 *db, const struct rollup_row *rows, size_t n, char *err, size_t err_sz);

/* *current = 1 when the rollups cover every stored event (the watermark is
 * the largest events.id). AL_OK or an al_status with err set. */
int rollup_current(sqlite3 *db, int *current, char *err, size_t err_sz);

/* The segment of an event id (rollup_denials.seg): the largest
 * imports.first_event_id <= id, 1 when there is none. For an id n that is
 * some import's first_event_id, id >= n exactly when seg >= n. */
#define RU_SEG(id)                                                                                   \
	"COALESCE((SELECT MAX(i.first_event_id) FROM imports i WHERE i.first_event_id <= " id "), 1)"

#endif
