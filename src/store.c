/*
 * The authlog-scan database — the one documented place for its schema.
 *
 * Version: PRAGMA user_version (STORE_SCHEMA_VERSION); application_id
 * 0x41554c53 ("AULS", 1096109139) marks the file as ours. Each entry of
 * migrations[] takes the database from version i to i+1 inside one
 * transaction; a database newer than this binary is refused, an older one
 * is migrated on the first write open. A file without the id is ours only
 * when it is empty or holds our tables at a version we know (it is marked
 * then); any other file is refused before anything is written to it.
 *
 * events — a VIEW (version 3; a table before), one row per authenticator
 * record (access granted/denied, STS response, aws-auth config errors,
 * mapping lines). Query it; rows are stored in event_rows (below) with
 * their stream, principal and error interned:
 *   id            INTEGER  rowid
 *   ts            TEXT     event time, UTC "YYYY-MM-DDTHH:MM:SSZ"
 *   log_group     TEXT     CloudWatch group ("/aws/eks/NAME/cluster") or '' if unknown
 *   log_stream    TEXT     stream ("authenticator-…"), stern pod name, or ''
 *   ptr           TEXT     Logs Insights @ptr / FilterLogEvents eventId, or NULL
 *   cluster       TEXT     cluster name (from the group or --cluster), or NULL
 *   kind          TEXT     access | sts_response | config_error | mapping
 *   level, msg    TEXT     logrus level and message
 *   outcome       TEXT     granted | denied | NULL (non-access records)
 *   arn           TEXT     arn= as logged (canonical IAM ARN on access lines,
 *                          raw STS ARN on STS response lines)
 *   client        TEXT     ip:port of the caller (always the local apiserver)
 *   error         TEXT     error= text, Go-unquoted
 *   error_class   TEXT     the class table in README (NULL unless denied)
 *   sts_code      TEXT     Error.Code of the STS body ("InvalidClientTokenId")
 *   http_status   INTEGER  STS status from the error text (403, 429, …)
 *   sts_region    TEXT     region of the STS endpoint used ('' = global)
 *   mapped_arn    TEXT     ARN inside "ARN is not mapped: <arn>"
 *   username      TEXT     Kubernetes username granted
 *   groups        TEXT     JSON array of Kubernetes groups
 *   uid           TEXT     uid= as logged
 *   user_id       TEXT     AROA…/AIDA… id from uid= or userid=
 *   account_id    TEXT     AWS account of the principal
 *   principal_type TEXT    user | role | assumed-role | federated | root
 *   principal_name TEXT    role or user name without path
 *   principal_arn TEXT     what aws-auth / access entries must contain
 *                          (path, SSO region and session removed)
 *   access_key_id TEXT     accesskeyid= (STS response lines)
 *   session       TEXT     role session name
 *   sts_endpoint  TEXT     sts= / stsendpoint= host
 *   expected      INTEGER  1 for EKS-internal principals (node/addon manager)
 *   raw           TEXT     the line as read (after transport unwrapping);
 *                          since version 11 rebuilt in the view from its
 *                          shape's template and the row's columns (below)
 *   dedupe_key    INTEGER  XXH64 chain (store_key) of (log_group,
 *                          log_stream, raw), whatever brought the line
 *                          (version 10; before, of the @ptr when one was
 *                          known: the same event fetched by Logs Insights
 *                          and by FilterLogEvents, whose eventId is no
 *                          @ptr, must have one key); (ts, dedupe_key)
 *                          is UNIQUE (index events_ts_key): the same event
 *                          always has the same time
 *   import_id     INTEGER  imports.id that stored the row
 *
 * event_rows — the stored rows behind `events` (version 3; rebuilt in
 *            version 11): id, ts, dedupe_key, import_id, ptr, kind,
 *            outcome, client, access_key_id as above, plus stream_id ->
 *            streams, identity_id -> identities (NULL when the record
 *            names no principal), error_id -> errors (NULL unless it
 *            carries an error), shape_id -> shapes, and raw: NULL, or the
 *            whole line when it holds a control byte (0x01-0x1f), which
 *            no authenticator line does. UNIQUE (ts, dedupe_key). Up to
 *            version 10 it held level, msg, sts_endpoint and raw itself.
 * shapes   — (version 11) (level, msg, sts_endpoint, template) once each,
 *            and holes: bit (1 << n) set for each char(n) the template holds.
 *            template: the line with the bytes of each value its row
 *            holds in a column replaced by one control byte, a hole:
 *            char(1) ts (time= as stored), 2 client, 3 arn, 4 username,
 *            5 uid, 6 session, 7 access_key_id, 8 user_id, 14 account_id,
 *            15 error, 16 error with \ and " escaped again (Go-quoted
 *            STS bodies); NULL for a row stored whole. A value becomes a
 *            hole only where the line holds it byte for byte (where the
 *            parser read it), so the view's nested replace() gives back
 *            the line exactly, in any SQLite client. A granted line is
 *            ~43 % of its length stored (bench/README.md).
 * streams  — (log_group, log_stream, cluster) of each source, once.
 * identities — (arn, username, groups, uid, user_id, account_id,
 *            principal_type, principal_name, principal_arn, session,
 *            expected) as logged, once each.
 * errors   — (error, error_class, sts_code, http_status, sts_region,
 *            mapped_arn), once each.
 *            Each of the four has key = authlog_key(its columns), an
 *            XXH64 chain over typed values that store_insert computes in C
 *            and the migration in SQL (a function only write connections
 *            register).
 *
 * imports  — one row per import run: source, started/finished, counts.
 *            A scan is an import too ("scan GROUP[,GROUP…]"), so every
 *            row says which run stored it. first_event_id (version 2) is
 *            the first events.id the run could have stored: ids only grow
 *            (prune keeps the largest id), so "stored by this run or later"
 *            is id >= first_event_id, a rowid range (report --new).
 *            status (version 8): running (finished NULL: still running,
 *            or killed), complete, or interrupted (SIGINT/SIGTERM: the
 *            counts and finished say what it stored before it stopped);
 *            NULL for an unfinished row from before version 8.
 * fixes    — (versions 1-5) the fix rendered at import for each (class,
 *            principal, cluster); dropped in version 6 with the fix
 *            column of the findings view: report and explain render a
 *            fix with what is known when they run.
 *
 * scan_runs — one row per log group per `authlog-scan scan` (version 2):
 *   id            INTEGER  rowid
 *   log_group     TEXT     the group queried
 *   query         TEXT     bundled query name ("scan") or the file given
 *   window_start  TEXT     UTC "YYYY-MM-DDTHH:MM:SSZ", StartQuery startTime
 *   window_end    TEXT     StartQuery endTime (inclusive, like the API)
 *   started, finished TEXT UTC; finished is NULL while running
 *   status        TEXT     running | complete | partial (windows failed;
 *                          they are in scan_windows) | failed | interrupted
 *                          (killed or stopped: the next run marks it so)
 *   rows, duplicates, skipped INTEGER  rows stored new / already stored
 *                          (window edges overlap by design) / not records
 *   queries       INTEGER  StartQuery calls that ran (split windows count)
 *   bytes_scanned, records_scanned, records_matched REAL
 *                          GetQueryResults statistics summed over every
 *                          query run (Logs Insights bills bytes scanned)
 *   bytes_skipped REAL     estimatedBytesSkipped summed: what the @logStream
 *                          index spared the scan (not billed; version 9)
 *   truncated     INTEGER  one-second windows still at the row cap: rows
 *                          there may be missing
 *   import_id     INTEGER  imports.id of the invocation (its events)
 *   error         TEXT     why the run is not complete, or NULL
 *
 * scan_windows — the parts of a run's window that are not fetched yet. A
 * run writes its windows (and adopts the missing ones of earlier runs of
 * the same group and query) in the transaction that creates it; a fetched
 * window is deleted in the transaction that stores its rows; a window that
 * hit the row cap is replaced by its halves in one transaction. Whatever
 * kills the process, the rows here plus the runs' windows say exactly what
 * is missing, and `scan --since-last-run` fetches it again.
 *   id            INTEGER  rowid
 *   run_id        INTEGER  scan_runs.id of the run that owns it now
 *   log_group, query TEXT  as in scan_runs
 *   start, end    TEXT     UTC "YYYY-MM-DDTHH:MM:SSZ", inclusive
 *   status        TEXT     pending | failed (retried by the next
 *                          --since-last-run) | truncated (capped at one
 *                          second: kept for the report, not retried)
 *   attempts      INTEGER  failed attempts so far
 *   error         TEXT     last failure
 *
 * Rollups (version 4; src/rollup.c) — what `report` reads instead of the
 * events: sums over the events, built by the migration with one GROUP BY
 * each and then kept in step by store_commit(), which folds the rows
 * stored since the watermark into them before COMMIT, in the batch's own
 * transaction (prune, which deletes events, rebuilds them in its own
 * transaction). Whenever a
 * transaction commits they equal the aggregates of `events` they are
 * named after. A NULL error_class or principal_arn is stored as char(0)
 * (a key column cannot be NULL), read back with NULLIF.
 * rollup_state — one row (id 1): last_event_id, the largest events.id
 *            folded in; it is MAX(events.id) after every commit, and
 *            the report refuses a database where it is not (rows
 *            written by something other than authlog-scan).
 * Since version 7 every rollup but rollup_denials has a cluster key
 * column too (events.cluster, NULL as ''): news and the cluster's own
 * report are per cluster.
 * rollup_minutes — per minute (substr(ts, 1, 16)) and cluster: events,
 *            granted, denied, denied_unexpected (expected = 0),
 *            sts_responses, config_errors.
 * rollup_denials — denials per hour (substr(ts, 1, 13)), error_class,
 *            principal_arn, cluster (NULL as ''), log_group, sts_region
 *            (NULL and '' as ''), expected, in_break, seg: n, first_ts,
 *            last_ts. in_break: a not_mapped (or NULL-class) denial less
 *            than an hour after a config error of its log group (a config
 *            error stored later recomputes the hours it covers). seg: the
 *            largest imports.first_event_id <= id (1 if none), so for a
 *            run's first_event_id F, id >= F exactly when seg >= F
 *            (report --new).
 * rollup_denial_pairs — (cluster, error_class, principal_arn): first_id,
 *            the first denial of the triple (--new: "denied like this on
 *            this cluster before").
 * rollup_principals — per cluster and COALESCE(principal_arn, arn) of
 *            access records: first_seen, last_seen, granted, denied,
 *            decided (records with an outcome), expected (max), events.
 * rollup_principal_ids — per cluster and principal_arn of any record:
 *            first_id.
 * rollup_creators — kubernetes-admin grants per cluster and
 *            COALESCE(principal_arn, arn, uid, '(unknown)'): first_seen,
 *            last_seen, grants.
 * event_rows_denied_ts (index, version 4) — denials by time, covering the
 *            references, for the parts of a report window that are not
 *            whole hours; imports_first_event — imports by first_event_id.
 *
 * clusters — what is known of each EKS cluster (version 5), one row per
 * (name, region): an EKS cluster is named uniquely within an account and
 * region (its ARN is arn:PARTITION:eks:REGION:ACCOUNT:cluster/NAME), two
 * regions may each have a "prod", and an import knows a cluster and a
 * region without a log group, so the key is (name, region), not the
 * group. A NULL column is a fact not learned yet; a later write keeps
 * what it does not learn itself (DescribeCluster denied keeps the mode an
 * earlier answer gave, checked_at says how old it is).
 *   name          TEXT     cluster name
 *   region        TEXT     the region its log group was read in (scan), or
 *                          import's --region
 *   account       TEXT     AWS account: DescribeCluster's ARN, else the log
 *                          group's ARN (DescribeLogGroups)
 *   log_group     TEXT     the group scanned ("/aws/eks/NAME/cluster")
 *   auth_mode     TEXT     accessConfig.authenticationMode: CONFIG_MAP |
 *                          API_AND_CONFIG_MAP | API, or as sent when
 *                          unknown to this build
 *   auth_mode_defaulted INTEGER  1: the answer had no authenticationMode,
 *                          so the cluster predates access entries and
 *                          reads aws-auth only (auth_mode CONFIG_MAP)
 *   logging_types TEXT     JSON array of the control plane log types
 *                          DescribeCluster lists enabled, ["api",...]
 *   endpoint      TEXT     the API server's https URL
 *   checked_at    TEXT     UTC time DescribeCluster last answered; the four
 *                          columns above are from that answer
 *   describe_error TEXT    why the last DescribeCluster asked did not
 *                          answer (eks:DescribeCluster denied, no such
 *                          cluster, ...), NULL when it answered
 *   authenticator_streams INTEGER  1: the group has a stream named
 *                          authenticator* (DescribeLogStreams), 0: none
 *   logging_off   INTEGER  1: the authenticator log is off — the
 *                          DescribeCluster answer lists the type disabled,
 *                          or the group has no authenticator stream; 0:
 *                          checked and on; NULL: not checked
 *   logging_off_reason TEXT  disabled (DescribeCluster) | no_streams
 *   enable_logging TEXT    when logging_off: the command that enables the
 *                          type (aws eks update-cluster-config ...)
 *   source        TEXT     scan | import: what wrote the row last
 *   updated_at    TEXT     UTC time of that write
 *
 * Views: denials, grants (events filtered by outcome); principals
 * (principal, type, account, first/last seen, granted/denied counts,
 * expected); findings (class, principal, cluster, count, first/last seen,
 * expected; version 6 dropped its fix column); config_errors.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "aws/sigv4.h"
#include "buf.h"
#include "hotpath.h"
#include "msg.h"
#include "parse.h"
#include "rollup.h"
#include "status.h"
#include "timeutil.h"

#define APPLICATION_ID 0x41554c53

/* The columns each interned table holds, in authlog_key() order (the
 * migration and store_insert must hash them alike), and whether a row
 * has any of them (otherwise its reference is NULL). */
#define IDENTITY_COLUMNS                                                              \
	"arn, username, groups, uid, user_id, account_id, principal_type, principal_name," \
	" principal_arn, session, expected"
#define IDENTITY_PRESENT                                                                  \
	"(COALESCE(arn, username, groups, uid, user_id, account_id, principal_type,"     \
	" principal_name, principal_arn, session) IS NOT NULL OR expected <> 0)"
#define ERROR_COLUMNS "error, error_class, sts_code, http_status, sts_region, mapped_arn"

/* Per-principal lookups. A bulk load into an empty database builds it at
 * the end (store_defer_indexes); a write open makes it if a killed import
 * left the database without it. */
#define IDENTITY_INDEX                                                                 \
	"CREATE INDEX IF NOT EXISTS event_rows_identity ON event_rows(identity_id, ts)" \
	" WHERE identity_id IS NOT NULL;"
#define ERROR_PRESENT "COALESCE(" ERROR_COLUMNS ") IS NOT NULL"

/* scan_runs as version 2 made it; version 9 rebuilds it with these and
 * bytes_skipped. */
#define SCAN_RUNS_COLUMNS                                                                   \
	"  id INTEGER PRIMARY KEY,"                                                          \
	"  log_group TEXT NOT NULL,"                                                         \
	"  query TEXT NOT NULL,"                                                             \
	"  window_start TEXT NOT NULL,"                                                      \
	"  window_end TEXT NOT NULL,"                                                        \
	"  started TEXT NOT NULL,"                                                           \
	"  finished TEXT,"                                                                   \
	"  status TEXT NOT NULL DEFAULT 'running'"                                           \
	"    CHECK (status IN ('running','complete','partial','failed','interrupted')),"     \
	"  rows INTEGER NOT NULL DEFAULT 0,"                                                 \
	"  duplicates INTEGER NOT NULL DEFAULT 0,"                                           \
	"  skipped INTEGER NOT NULL DEFAULT 0,"                                              \
	"  queries INTEGER NOT NULL DEFAULT 0,"                                              \
	"  bytes_scanned REAL NOT NULL DEFAULT 0,"                                           \
	"  records_scanned REAL NOT NULL DEFAULT 0,"                                         \
	"  records_matched REAL NOT NULL DEFAULT 0,"                                         \
	"  truncated INTEGER NOT NULL DEFAULT 0,"                                            \
	"  import_id INTEGER REFERENCES imports(id),"                                        \
	"  error TEXT"
#define SCAN_RUNS_NAMES                                                                     \
	"id, log_group, query, window_start, window_end, started, finished, status, rows,"   \
	" duplicates, skipped, queries, bytes_scanned, records_scanned, records_matched,"    \
	" truncated, import_id, error"

/* Version 11: a stored line is its shape's template with the values
 * its row holds anyway spliced back in. The template is the line with the
 * bytes of each such value replaced by one control byte (a hole), and the
 * view's raw column puts the column's value back in each, in SQL, so any
 * SQLite client reads the same line. The order of the replacements does
 * not matter: a value spliced back was read from the line, which holds no
 * hole byte. A line that holds a control byte itself (none the
 * authenticator writes) is stored whole in event_rows.raw. The holes,
 * what fills them, and where the value is in struct store_event and in
 * the parse (struct record): */
enum { HOLE_ERROR = 15, HOLE_ERROR_QUOTED = 16 };
static const struct hole {
	char byte;
	size_t value, at;
} holes[] = {
	{1, offsetof(struct store_event, ts), offsetof(struct record, time)},
	{2, offsetof(struct store_event, client), offsetof(struct record, client)},
	{3, offsetof(struct store_event, arn), offsetof(struct record, arn)},
	{4, offsetof(struct store_event, username), offsetof(struct record, username)},
	{5, offsetof(struct store_event, uid), offsetof(struct record, uid)},
	{6, offsetof(struct store_event, session), offsetof(struct record, session)},
	{7, offsetof(struct store_event, access_key_id), offsetof(struct record, access_key_id)},
	{8, offsetof(struct store_event, user_id), offsetof(struct record, user_id)},
	{14, offsetof(struct store_event, account_id), offsetof(struct record, account_id)},
	{HOLE_ERROR, offsetof(struct store_event, error), offsetof(struct record, error)},
};
#define MAX_HOLES (sizeof(holes) / sizeof(holes[0]))
/* The same holes in SQL (HOLE_ERROR_QUOTED: error= as logged when Go
 * escaped a backslash or a double quote in it, as in STS bodies: the
 * column with those two escaped again). shapes.holes has bit (1 << byte)
 * set for each hole its template holds; for the others the pattern is ''
 * and replace() returns its text without reading it, so a row pays for
 * its own holes only (5 of 11 for a granted line). */
#define HOLE_SQL(byte, bit) "CASE WHEN h.holes & " #bit " THEN char(" #byte ") ELSE '' END"
#define RAW_SQL                                                                                    \
	"COALESCE(r.raw, replace(replace(replace(replace(replace(replace(replace(replace(replace("  \
	"replace(replace(h.template, " HOLE_SQL(1, 2) ", r.ts),"                                     \
	" " HOLE_SQL(2, 4) ", COALESCE(r.client, '')), " HOLE_SQL(3, 8) ", COALESCE(i.arn, '')),"     \
	" " HOLE_SQL(4, 16) ", COALESCE(i.username, '')), " HOLE_SQL(5, 32) ", COALESCE(i.uid, '')),"  \
	" " HOLE_SQL(6, 64) ", COALESCE(i.session, '')),"                                            \
	" " HOLE_SQL(7, 128) ", COALESCE(r.access_key_id, '')),"                                     \
	" " HOLE_SQL(8, 256) ", COALESCE(i.user_id, '')), " HOLE_SQL(14, 16384) ", COALESCE(i.account_id, ''))," \
	" " HOLE_SQL(15, 32768) ", COALESCE(e.error, '')),"                                          \
	" " HOLE_SQL(16, 65536) ", replace(replace(COALESCE(e.error, ''), '\\', '\\\\'), '\"', '\\\"')))"
/* shapes.holes of a template t, for the migration. */
#define HOLE_BIT(t, byte) "((instr(" t ", char(" #byte ")) > 0) << " #byte ")"
#define HOLES_OF(t)                                                                                \
	"(" HOLE_BIT(t, 1) " | " HOLE_BIT(t, 2) " | " HOLE_BIT(t, 3) " | " HOLE_BIT(t, 4) " | "     \
	HOLE_BIT(t, 5) " | " HOLE_BIT(t, 6) " | " HOLE_BIT(t, 7) " | " HOLE_BIT(t, 8) " | "         \
	HOLE_BIT(t, 14) " | " HOLE_BIT(t, 15) " | " HOLE_BIT(t, 16) ")"

/* The `events` view since version 11. */
#define EVENTS_VIEW_V11                                                                            \
	"CREATE VIEW events AS"                                                                    \
	"  SELECT r.id, r.ts, s.log_group, s.log_stream, r.ptr, s.cluster, r.kind, h.level, h.msg," \
	"         r.outcome, i.arn, r.client, e.error, e.error_class, e.sts_code, e.http_status,"  \
	"         e.sts_region, e.mapped_arn, i.username, i.groups, i.uid, i.user_id, i.account_id," \
	"         i.principal_type, i.principal_name, i.principal_arn, r.access_key_id, i.session," \
	"         h.sts_endpoint, COALESCE(i.expected, 0) AS expected, " RAW_SQL " AS raw,"        \
	"         r.dedupe_key, r.import_id"                                                       \
	"  FROM event_rows r JOIN streams s ON s.id = r.stream_id"                                 \
	"  LEFT JOIN shapes h ON h.id = r.shape_id"                                                \
	"  LEFT JOIN identities i ON i.id = r.identity_id"                                         \
	"  LEFT JOIN errors e ON e.id = r.error_id;"

/* event_rows since version 11: raw only for a line stored whole. */
#define EVENT_ROWS_V11_COLUMNS                                                                     \
	"  id INTEGER PRIMARY KEY,"                                                                \
	"  ts TEXT NOT NULL,"                                                                      \
	"  dedupe_key INTEGER NOT NULL,"                                                           \
	"  import_id INTEGER REFERENCES imports(id),"                                              \
	"  stream_id INTEGER NOT NULL REFERENCES streams(id),"                                     \
	"  identity_id INTEGER REFERENCES identities(id),"                                         \
	"  error_id INTEGER REFERENCES errors(id),"                                                \
	"  shape_id INTEGER NOT NULL REFERENCES shapes(id),"                                       \
	"  kind TEXT NOT NULL,"                                                                    \
	"  outcome TEXT CHECK (outcome IN ('granted','denied')),"                                  \
	"  client TEXT, ptr TEXT, access_key_id TEXT,"                                             \
	"  raw TEXT"

/* The views over `events` (version 1; findings as version 6 made it):
 * a migration that rebuilds the view makes them again. */
#define EVENTS_VIEWS                                                                               \
	"CREATE VIEW denials AS SELECT * FROM events WHERE outcome = 'denied';"                    \
	"CREATE VIEW grants AS SELECT * FROM events WHERE outcome = 'granted';"                    \
	"CREATE VIEW config_errors AS SELECT * FROM events WHERE kind = 'config_error';"           \
	"CREATE VIEW principals AS"                                                                \
	"  SELECT COALESCE(principal_arn, arn) AS principal, principal_type, account_id,"          \
	"         MIN(ts) AS first_seen, MAX(ts) AS last_seen,"                                    \
	"         SUM(outcome = 'granted') AS granted, SUM(outcome = 'denied') AS denied,"         \
	"         MAX(expected) AS expected"                                                       \
	"  FROM events WHERE kind = 'access' AND COALESCE(principal_arn, arn) IS NOT NULL"         \
	"  GROUP BY COALESCE(principal_arn, arn);"
#define FINDINGS_VIEW                                                                              \
	"CREATE VIEW findings AS"                                                                  \
	"  SELECT error_class AS class, COALESCE(principal_arn, '') AS principal,"                 \
	"         COALESCE(cluster, '') AS cluster, COUNT(*) AS count,"                            \
	"         MIN(ts) AS first_seen, MAX(ts) AS last_seen, MAX(expected) AS expected"          \
	"  FROM events WHERE outcome = 'denied'"                                                   \
	"  GROUP BY error_class, COALESCE(principal_arn, ''), COALESCE(cluster, '');"

static const char *const migrations[STORE_SCHEMA_VERSION] = {
	/* 0 -> 1 */
	"CREATE TABLE imports("
	"  id INTEGER PRIMARY KEY,"
	"  source TEXT NOT NULL,"
	"  started TEXT NOT NULL,"
	"  finished TEXT,"
	"  imported INTEGER NOT NULL DEFAULT 0,"
	"  duplicates INTEGER NOT NULL DEFAULT 0,"
	"  skipped INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE events("
	"  id INTEGER PRIMARY KEY,"
	"  ts TEXT NOT NULL,"
	"  log_group TEXT NOT NULL DEFAULT '',"
	"  log_stream TEXT NOT NULL DEFAULT '',"
	"  ptr TEXT,"
	"  cluster TEXT,"
	"  kind TEXT NOT NULL,"
	"  level TEXT,"
	"  msg TEXT NOT NULL,"
	"  outcome TEXT CHECK (outcome IN ('granted','denied')),"
	"  arn TEXT, client TEXT, error TEXT, error_class TEXT,"
	"  sts_code TEXT, http_status INTEGER, sts_region TEXT, mapped_arn TEXT,"
	"  username TEXT, groups TEXT, uid TEXT, user_id TEXT, account_id TEXT,"
	"  principal_type TEXT, principal_name TEXT, principal_arn TEXT,"
	"  access_key_id TEXT, session TEXT, sts_endpoint TEXT,"
	"  expected INTEGER NOT NULL DEFAULT 0,"
	"  raw TEXT NOT NULL,"
	"  dedupe_key INTEGER NOT NULL,"
	"  import_id INTEGER REFERENCES imports(id));"
	/* Dedupe and time in one index: rows arrive roughly in time order, so
	 * inserts append to it, where a unique index on the random key alone
	 * would touch a random leaf (and a disk read) per row. */
	"CREATE UNIQUE INDEX events_ts_key ON events(ts, dedupe_key);"
	"CREATE INDEX events_denied ON events(error_class, principal_arn) WHERE outcome = 'denied';"
	"CREATE INDEX events_principal ON events(principal_arn, ts) WHERE principal_arn IS NOT NULL;"
	"CREATE INDEX events_username ON events(username, ts) WHERE username IS NOT NULL;"
	"CREATE INDEX events_config ON events(log_group, ts) WHERE kind = 'config_error';"
	"CREATE TABLE fixes("
	"  class TEXT NOT NULL, principal TEXT NOT NULL, cluster TEXT NOT NULL,"
	"  region TEXT NOT NULL, fix TEXT NOT NULL,"
	"  PRIMARY KEY (class, principal, cluster)) WITHOUT ROWID;"
	EVENTS_VIEWS
	"CREATE VIEW findings AS"
	"  SELECT d.error_class AS class, COALESCE(d.principal_arn, '') AS principal,"
	"         COALESCE(d.cluster, '') AS cluster, COUNT(*) AS count,"
	"         MIN(d.ts) AS first_seen, MAX(d.ts) AS last_seen, MAX(d.expected) AS expected,"
	"         f.fix AS fix"
	"  FROM events d LEFT JOIN fixes f"
	"    ON f.class = d.error_class AND f.principal = COALESCE(d.principal_arn, '')"
	"   AND f.cluster = COALESCE(d.cluster, '')"
	"  WHERE d.outcome = 'denied'"
	"  GROUP BY d.error_class, COALESCE(d.principal_arn, ''), COALESCE(d.cluster, '');",
	/* 1 -> 2: the fetcher's state */
	"CREATE TABLE scan_runs(" SCAN_RUNS_COLUMNS ");"
	"CREATE INDEX scan_runs_group ON scan_runs(log_group, query);"
	"CREATE TABLE scan_windows("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES scan_runs(id),"
	"  log_group TEXT NOT NULL,"
	"  query TEXT NOT NULL,"
	"  start TEXT NOT NULL,"
	"  end TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','failed','truncated')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT);"
	"CREATE INDEX scan_windows_group ON scan_windows(log_group, query, status);"
	"ALTER TABLE imports ADD COLUMN first_event_id INTEGER;",
	/* 2 -> 3: slim rows. An access line repeats its principal (ARN, uid,
	 * groups, username…) and its stream on every call, and a denial's
	 * error on every retry: stored once each and referenced by id, a row
	 * is the raw line plus ~60 bytes instead of ~820 bytes, which halves
	 * what an import writes. `events` becomes a view with the same
	 * columns, so queries written against version 2 keep working. The
	 * keys are authlog_key() of the columns (store_open registers it). */
	"CREATE TABLE streams("
	"  id INTEGER PRIMARY KEY, key INTEGER NOT NULL UNIQUE,"
	"  log_group TEXT NOT NULL, log_stream TEXT NOT NULL, cluster TEXT);"
	"CREATE TABLE identities("
	"  id INTEGER PRIMARY KEY, key INTEGER NOT NULL UNIQUE,"
	"  arn TEXT, username TEXT, groups TEXT, uid TEXT, user_id TEXT, account_id TEXT,"
	"  principal_type TEXT, principal_name TEXT, principal_arn TEXT, session TEXT,"
	"  expected INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX identities_principal ON identities(principal_arn);"
	"CREATE INDEX identities_username ON identities(username);"
	"CREATE TABLE errors("
	"  id INTEGER PRIMARY KEY, key INTEGER NOT NULL UNIQUE,"
	"  error TEXT, error_class TEXT, sts_code TEXT, http_status INTEGER, sts_region TEXT,"
	"  mapped_arn TEXT);"
	"CREATE INDEX errors_class ON errors(error_class);"
	"CREATE TABLE event_rows("
	"  id INTEGER PRIMARY KEY,"
	"  ts TEXT NOT NULL,"
	"  dedupe_key INTEGER NOT NULL,"
	"  import_id INTEGER REFERENCES imports(id),"
	"  stream_id INTEGER NOT NULL REFERENCES streams(id),"
	"  identity_id INTEGER REFERENCES identities(id),"
	"  error_id INTEGER REFERENCES errors(id),"
	"  kind TEXT NOT NULL, level TEXT, msg TEXT NOT NULL,"
	"  outcome TEXT CHECK (outcome IN ('granted','denied')),"
	"  client TEXT, ptr TEXT, access_key_id TEXT, sts_endpoint TEXT,"
	"  raw TEXT NOT NULL);"
	"INSERT OR IGNORE INTO streams(key, log_group, log_stream, cluster)"
	"  SELECT authlog_key(log_group, log_stream, cluster), log_group, log_stream, cluster"
	"  FROM events;"
	"INSERT OR IGNORE INTO identities(key, arn, username, groups, uid, user_id, account_id,"
	"    principal_type, principal_name, principal_arn, session, expected)"
	"  SELECT authlog_key(" IDENTITY_COLUMNS "), " IDENTITY_COLUMNS
	"  FROM events WHERE " IDENTITY_PRESENT ";"
	"INSERT OR IGNORE INTO errors(key, error, error_class, sts_code, http_status, sts_region,"
	"    mapped_arn)"
	"  SELECT authlog_key(" ERROR_COLUMNS "), " ERROR_COLUMNS
	"  FROM events WHERE " ERROR_PRESENT ";"
	"INSERT INTO event_rows(id, ts, dedupe_key, import_id, stream_id, identity_id, error_id,"
	"    kind, level, msg, outcome, client, ptr, access_key_id, sts_endpoint, raw)"
	"  SELECT v.id, v.ts, v.dedupe_key, v.import_id,"
	"    (SELECT s.id FROM streams s WHERE s.key = v.stream_key),"
	"    (SELECT i.id FROM identities i WHERE i.key = v.identity_key),"
	"    (SELECT e.id FROM errors e WHERE e.key = v.error_key),"
	"    v.kind, v.level, v.msg, v.outcome, v.client, v.ptr, v.access_key_id, v.sts_endpoint, v.raw"
	"  FROM (SELECT *, authlog_key(log_group, log_stream, cluster) AS stream_key,"
	"          CASE WHEN " IDENTITY_PRESENT " THEN authlog_key(" IDENTITY_COLUMNS ") END"
	"            AS identity_key,"
	"          CASE WHEN " ERROR_PRESENT " THEN authlog_key(" ERROR_COLUMNS ") END AS error_key"
	"        FROM events) v ORDER BY v.id;"
	"DROP TABLE events;"
	"CREATE VIEW events AS"
	"  SELECT r.id, r.ts, s.log_group, s.log_stream, r.ptr, s.cluster, r.kind, r.level, r.msg,"
	"         r.outcome, i.arn, r.client, e.error, e.error_class, e.sts_code, e.http_status,"
	"         e.sts_region, e.mapped_arn, i.username, i.groups, i.uid, i.user_id, i.account_id,"
	"         i.principal_type, i.principal_name, i.principal_arn, r.access_key_id, i.session,"
	"         r.sts_endpoint, COALESCE(i.expected, 0) AS expected, r.raw, r.dedupe_key,"
	"         r.import_id"
	"  FROM event_rows r JOIN streams s ON s.id = r.stream_id"
	"  LEFT JOIN identities i ON i.id = r.identity_id"
	"  LEFT JOIN errors e ON e.id = r.error_id;"
	/* Integer keys: these indexes are a fifth of version 2's text ones. */
	"CREATE UNIQUE INDEX event_rows_ts_key ON event_rows(ts, dedupe_key);"
	IDENTITY_INDEX
	"CREATE INDEX event_rows_denied ON event_rows(error_id) WHERE outcome = 'denied';"
	"CREATE INDEX event_rows_config ON event_rows(stream_id, ts) WHERE kind = 'config_error';",
	/* 3 -> 4: the report's rollups, built from the stored events (rollup.c) */
	rollup_migration_sql,
	/* 4 -> 5: cluster facts (DescribeCluster, the region scanned). A
	 * database set back to an older version by hand keeps the facts it
	 * has, as the rollup migration copes with its leftover tables. */
	"CREATE TABLE IF NOT EXISTS clusters("
	"  name TEXT NOT NULL,"
	"  region TEXT NOT NULL,"
	"  account TEXT,"
	"  log_group TEXT,"
	"  auth_mode TEXT,"
	"  auth_mode_defaulted INTEGER,"
	"  logging_types TEXT,"
	"  endpoint TEXT,"
	"  checked_at TEXT,"
	"  describe_error TEXT,"
	"  authenticator_streams INTEGER,"
	"  logging_off INTEGER,"
	"  logging_off_reason TEXT CHECK (logging_off_reason IN ('disabled','no_streams')),"
	"  enable_logging TEXT,"
	"  source TEXT NOT NULL CHECK (source IN ('scan','import')),"
	"  updated_at TEXT NOT NULL,"
	"  PRIMARY KEY (name, region)) WITHOUT ROWID;",
	/* 5 -> 6: the fixes rendered at import go: a fix depends on what is known when the
	 * report runs (the cluster's authentication mode, the principal's
	 * kind, --grant), and one rendered before was wrong once it was known. */
	"DROP VIEW IF EXISTS findings; DROP TABLE IF EXISTS fixes;" FINDINGS_VIEW,
	/* 6 -> 7: the rollups keyed by cluster as well (rollup.c) */
	rollup_rekey_sql,
	/* 7 -> 8: how each import ended (imports.status). The table is
	 * rebuilt rather than altered: ADD COLUMN fails on a database set
	 * back to version 7 by hand, a copy does not. A finished row is
	 * complete; an unfinished one was killed, or is running in another
	 * process right now, which only its own end can tell: NULL. */
	"CREATE TABLE imports_v8("
	"  id INTEGER PRIMARY KEY,"
	"  source TEXT NOT NULL,"
	"  started TEXT NOT NULL,"
	"  finished TEXT,"
	"  imported INTEGER NOT NULL DEFAULT 0,"
	"  duplicates INTEGER NOT NULL DEFAULT 0,"
	"  skipped INTEGER NOT NULL DEFAULT 0,"
	"  first_event_id INTEGER,"
	"  status TEXT CHECK (status IN ('running','complete','interrupted')));"
	"INSERT INTO imports_v8(id, source, started, finished, imported, duplicates, skipped, first_event_id, status)"
	"  SELECT id, source, started, finished, imported, duplicates, skipped, first_event_id,"
	"         CASE WHEN finished IS NOT NULL THEN 'complete' END"
	"  FROM imports;"
	"DROP TABLE imports;"
	"ALTER TABLE imports_v8 RENAME TO imports;"
	"CREATE INDEX imports_first_event ON imports(first_event_id) WHERE first_event_id IS NOT NULL;",
	/* 8 -> 9: what the field index spared each run (scan.c names the
	 * streams). Rebuilt rather than altered, as imports in 7 -> 8: a
	 * database set back by hand may have the column already. */
	"CREATE TABLE scan_runs_v9(" SCAN_RUNS_COLUMNS ", bytes_skipped REAL NOT NULL DEFAULT 0);"
	"INSERT INTO scan_runs_v9(" SCAN_RUNS_NAMES ") SELECT " SCAN_RUNS_NAMES " FROM scan_runs;"
	"DROP TABLE scan_runs;"
	"ALTER TABLE scan_runs_v9 RENAME TO scan_runs;"
	"CREATE INDEX scan_runs_group ON scan_runs(log_group, query);",
	/* 9 -> 10: rows keyed on their @ptr get the key of their line, the
	 * one every way of fetching makes now. A row whose new key another
	 * row of its second already has (two identical lines kept apart by
	 * their @ptr) keeps its old key: nothing stored is lost. */
	/* (The line from the view: since version 11 event_rows.raw is NULL
	 * for most rows, and a database set back to version 9 by hand is
	 * rekeyed alike.) */
	"UPDATE OR IGNORE event_rows SET dedupe_key ="
	"  (SELECT authlog_line_key(e.log_group, e.log_stream, e.raw) FROM events e"
	"   WHERE e.id = event_rows.id)"
	"  WHERE ptr IS NOT NULL AND ptr != '';",
	/* 10 -> 11: the line without what its row holds anyway (RAW_SQL
	 * above), and level, msg and the STS endpoint stored once per shape
	 * with it: a granted line goes from ~1.6 times its length to less than
	 * half. event_rows is rebuilt from the events view (the same columns in
	 * every version since 3, so a database set back to 10 by hand migrates
	 * alike); the ids stay, so the rollups stay valid. authlog_template()
	 * is store.c's C, the one that makes the templates at import. */
	"CREATE TABLE IF NOT EXISTS shapes("
	"  id INTEGER PRIMARY KEY, key INTEGER NOT NULL UNIQUE,"
	"  level TEXT, msg TEXT NOT NULL, sts_endpoint TEXT, template TEXT,"
	"  holes INTEGER NOT NULL DEFAULT 0);"
	"CREATE TEMP TABLE v11_rows AS"
	"  SELECT r.id, r.ts, r.dedupe_key, r.import_id, r.stream_id, r.identity_id, r.error_id,"
	"         e.kind, e.level, e.msg, e.outcome, e.client, e.ptr, e.access_key_id, e.sts_endpoint,"
	"         e.raw, authlog_template(e.raw, e.ts, e.client, e.arn, e.username, e.uid, e.session,"
	"           e.access_key_id, e.user_id, e.account_id, e.error) AS template"
	"  FROM event_rows r JOIN events e ON e.id = r.id;"
	"INSERT OR IGNORE INTO shapes(key, level, msg, sts_endpoint, template, holes)"
	"  SELECT authlog_key(level, msg, sts_endpoint, template), level, msg, sts_endpoint, template,"
	"         COALESCE(" HOLES_OF("template") ", 0)"
	"  FROM temp.v11_rows;"
	"CREATE TABLE event_rows_v11(" EVENT_ROWS_V11_COLUMNS ");"
	"INSERT INTO event_rows_v11(id, ts, dedupe_key, import_id, stream_id, identity_id, error_id,"
	"    shape_id, kind, outcome, client, ptr, access_key_id, raw)"
	"  SELECT v.id, v.ts, v.dedupe_key, v.import_id, v.stream_id, v.identity_id, v.error_id,"
	"    (SELECT h.id FROM shapes h"
	"     WHERE h.key = authlog_key(v.level, v.msg, v.sts_endpoint, v.template)),"
	"    v.kind, v.outcome, v.client, v.ptr, v.access_key_id,"
	"    CASE WHEN v.template IS NULL THEN v.raw END"
	"  FROM temp.v11_rows v ORDER BY v.id;"
	"DROP TABLE temp.v11_rows;"
	/* RENAME checks every view: those naming the old table go first. */
	"DROP VIEW IF EXISTS findings; DROP VIEW IF EXISTS principals; DROP VIEW IF EXISTS config_errors;"
	"DROP VIEW IF EXISTS grants; DROP VIEW IF EXISTS denials; DROP VIEW IF EXISTS events;"
	"DROP TABLE event_rows;"
	"ALTER TABLE event_rows_v11 RENAME TO event_rows;"
	"DELETE FROM shapes WHERE id NOT IN (SELECT shape_id FROM event_rows);"
	EVENTS_VIEW_V11 EVENTS_VIEWS FINDINGS_VIEW
	"CREATE UNIQUE INDEX event_rows_ts_key ON event_rows(ts, dedupe_key);"
	IDENTITY_INDEX
	"CREATE INDEX event_rows_denied ON event_rows(error_id) WHERE outcome = 'denied';"
	"CREATE INDEX event_rows_config ON event_rows(stream_id, ts) WHERE kind = 'config_error';"
	RU_DENIED_TS_INDEX
	/* The old rows' pages (three quarters of the file) go back to the file
	 * system now, in an auto_vacuum = INCREMENTAL database (since the
	 * prune command), rather than at the first prune: an upgrade must not
	 * leave the file bigger than it was. */
	"PRAGMA incremental_vacuum;",
};

const char *store_migration(int from_version)
{
	return from_version >= 0 && from_version < STORE_SCHEMA_VERSION ? migrations[from_version] : NULL;
}

/* key -> id of a stream, identity or error already stored, so most rows
 * reference them without a query. Open addressing; emptied when half
 * full (a lookup in SQL refills it) and on rollback, when ids it learned
 * in the transaction may be gone. */
#define INTERN_SLOTS 8192

struct intern {
	sqlite3_stmt *find, *add; /* ?1 = key; add binds the columns from ?2 */
	size_t used;
	uint64_t key[INTERN_SLOTS];
	int64_t id[INTERN_SLOTS]; /* 0 = empty slot (rowids start at 1) */
};

/* A re-import asks store_has about every line, in time order. Instead of
 * one index seek per line, the (ts, dedupe_key) index is read ahead from
 * the asked time, PROBE_ROWS entries at a time, into a hash set: a
 * sequential walk answers the next few thousand questions. The set covers
 * [lo, hi) (hi excluded: rows at hi may be cut off by the limit), or
 * [lo, end of table) when the walk ended early. Rows this connection adds
 * later are missing from it, which only makes store_has say "not stored"
 * (INSERT OR IGNORE still catches them); rows a rollback removes would
 * make it lie, so a rollback empties it. */
#define PROBE_ROWS 4096
#define PROBE_SLOTS 8192
#define TS_LEN 20 /* "YYYY-MM-DDTHH:MM:SSZ", the only stored form */
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

struct probe_range {
	int valid, open_end, loaded;
	char lo[TS_LEN], hi[TS_LEN];
	unsigned answered, outside; /* since the last load */
	uint64_t key[PROBE_SLOTS];
	char ts[PROBE_SLOTS][TS_LEN];
	unsigned char used[PROBE_SLOTS];
};

/* A row store_insert_keyed queued: its event (the caller keeps it until
 * store_flush) and the ids of what it references. */
struct queued {
	const struct store_event *ev;
	int whole; /* the line is stored as it is (no template) */
	int64_t stream, identity, error, shape;
};

/* Rows per INSERT: a statement's fixed cost (its cursors on the table and
 * each index opened and closed, the statement's end) paid once for 16
 * rows instead of each; about a third of the INSERT's time for import's
 * rows (bench/README.md, "Import on two threads"). */
#define INSERT_ROWS 16

struct store {
	sqlite3 *db;
	sqlite3_stmt *insert, *insert_many, *has, *range;
	struct queued queue[INSERT_ROWS];
	size_t nqueued;
	long long flushed_new, flushed_old; /* rows the flushes stored and found stored, for store_flush */
	struct intern streams, identities, errors, shapes;
	struct store_scratch scratch; /* store_insert's keys and templates, the migration's */
	struct probe_range probe;
	int64_t import_id; /* the run new rows belong to, 0 = none */
	/* The rows store_insert stored in the open transaction, for
	 * rollup_update (which reads them back itself when this is not all
	 * of them). rows_valid is 0 once anything else changed event_rows
	 * (rows_watch) or a row could not be copied. */
	struct rollup_row *rows;
	size_t nrows, rows_cap;
	int rows_valid, inserting;
	int index_deferred; /* store_defer_indexes dropped event_rows_identity */
};

/* The columns insert_rows binds, in this order; prepare_insert adds a
 * row of values (?1..?13, ?14..?26, ...) for each row of a statement. */
#define INSERT_COLUMNS 13
static const char insert_sql[] =
	"INSERT OR IGNORE INTO event_rows(ts, dedupe_key, import_id, stream_id, identity_id, error_id,"
	" shape_id, kind, outcome, client, ptr, access_key_id, raw) VALUES ";

#define NINTERN 4
static const struct intern_sql {
	const char *find, *add;
} intern_sql[NINTERN] = {
	{"SELECT id FROM streams WHERE key = ?1",
	 "INSERT INTO streams(key, log_group, log_stream, cluster) VALUES (?1, ?2, ?3, ?4)"},
	{"SELECT id FROM identities WHERE key = ?1",
	 "INSERT INTO identities(key, " IDENTITY_COLUMNS ")"
	 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"},
	{"SELECT id FROM errors WHERE key = ?1",
	 "INSERT INTO errors(key, " ERROR_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
	{"SELECT id FROM shapes WHERE key = ?1",
	 "INSERT INTO shapes(key, level, msg, sts_endpoint, template, holes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
};

/* The errno of a write SQLite reports failed without one: SQLite keeps
 * it only when nothing between the failed write and the report changed
 * errno, which depends on where the write fell in a page. The file system
 * tells: a file at the process's size limit (ulimit -f) is EFBIG, a file
 * system without free blocks ENOSPC. 0 when neither. */
static int write_errno(sqlite3 *db)
{
	const char *path = sqlite3_db_filename(db, "main");
	struct rlimit lim;
	struct statvfs fs;
	struct stat st;
	char wal[4096];
	if (!path || !*path)
		return 0;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
		for (int i = 0; i < 2; i++)
			if (stat(i ? wal : path, &st) == 0 && (rlim_t)st.st_size + 65536 >= lim.rlim_cur)
				return EFBIG;
	if (statvfs(path, &fs) == 0 && fs.f_bavail == 0)
		return ENOSPC;
	return 0;
}

int store_sql_error(sqlite3 *db, int rc, const char *what, char *err, size_t err_sz)
{
	int ext = db ? sqlite3_extended_errcode(db) : rc;
	int sys = db ? sqlite3_system_errno(db) : 0;
	if (db && !sys && ((ext & 0xff) == SQLITE_IOERR || (ext & 0xff) == SQLITE_FULL))
		sys = write_errno(db);
	/* "disk I/O error" alone does not say the disk is full or read-only. */
	msg_set(err, err_sz, "%s%s%s%s%s%s", what ? what : "", what ? ": " : "",
		db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), sys ? " (" : "", sys ? strerror(sys) : "", sys ? ")" : "");
	switch (ext & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return AL_TEMPFAIL;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	/* The statement does not fit the database: a query of the user's
	 * (sql) that names what is not there or fails on the values, or a
	 * database whose tables were changed by hand. */
	case SQLITE_ERROR:
	case SQLITE_AUTH:
	case SQLITE_RANGE:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
	case SQLITE_CONSTRAINT:
		return AL_DATAERR;
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return AL_CANTCREAT;
	case SQLITE_NOMEM:
	default:
		return AL_SOFTWARE;
	}
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* authlog_key(): one XXH64 chain over typed values, so NULL, '' and 0
 * differ. store_insert computes it in C, the migration in SQL. */
static uint64_t key_mix(uint64_t h, uint64_t tag, const void *p, size_t n)
{
	return store_xxh64(p, n, (h ^ tag) * 0x9E3779B97F4A7C15ULL);
}

static uint64_t key_text(uint64_t h, const char *v, size_t n)
{
	return v ? key_mix(h, 3, v, n) : key_mix(h, 1, "", 0);
}

static uint64_t key_str(uint64_t h, const char *v)
{
	return key_text(h, v, v ? strlen(v) : 0);
}

static uint64_t key_int(uint64_t h, int64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)v >> (8 * i));
	return key_mix(h, 2, b, sizeof(b));
}

/* authlog_line_key(group, stream, raw): store_key() of the three, the
 * dedupe key event.c makes (its parser hashes the line as it scans). */
static void sql_line_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *parts[3];
	size_t lens[3];
	for (int i = 0; i < argc && i < 3; i++) {
		parts[i] = (const char *)sqlite3_value_text(argv[i]);
		lens[i] = parts[i] ? (size_t)sqlite3_value_bytes(argv[i]) : 0;
		if (!parts[i])
			parts[i] = "";
	}
	sqlite3_result_int64(ctx, store_key(parts, lens, 3));
}

static void sql_authlog_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint64_t h = 0;
	for (int i = 0; i < argc; i++) {
		switch (sqlite3_value_type(argv[i])) {
		case SQLITE_NULL:
			h = key_text(h, NULL, 0);
			break;
		case SQLITE_INTEGER:
			h = key_int(h, sqlite3_value_int64(argv[i]));
			break;
		default: {
			const char *t = (const char *)sqlite3_value_text(argv[i]);
			h = key_text(h, t ? t : "", (size_t)sqlite3_value_bytes(argv[i]));
		}
		}
	}
	sqlite3_result_int64(ctx, (int64_t)h);
}

static void intern_forget(struct intern *in)
{
	memset(in->id, 0, sizeof(in->id));
	in->used = 0;
}

static void store_forget_interned(struct store *s)
{
	intern_forget(&s->streams);
	intern_forget(&s->identities);
	intern_forget(&s->errors);
	intern_forget(&s->shapes);
	s->probe.valid = s->probe.loaded = 0;
}

static size_t intern_slot(const struct intern *in, uint64_t key)
{
	size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 51) & (INTERN_SLOTS - 1);
	while (in->id[i] && in->key[i] != key)
		i = (i + 1) & (INTERN_SLOTS - 1);
	return i;
}

/* The id for key when this process has seen it, else 0. */
static int64_t intern_cached(const struct intern *in, uint64_t key)
{
	return in->id[intern_slot(in, key)];
}

/* Looks key up in SQL and adds it when missing; the caller has bound
 * the columns (?2…) of in->add. */
static int intern_store(struct store *s, struct intern *in, uint64_t key, int64_t *id, char *err, size_t err_sz)
{
	sqlite3_bind_int64(in->find, 1, (int64_t)key);
	int rc = sqlite3_step(in->find);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(in->find, 0);
	sqlite3_reset(in->find);
	if (rc == SQLITE_DONE) {
		sqlite3_bind_int64(in->add, 1, (int64_t)key);
		rc = sqlite3_step(in->add);
		sqlite3_reset(in->add);
		*id = sqlite3_last_insert_rowid(s->db);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sql_error(s->db, rc, "cannot store event", err, err_sz);
	if (in->used >= INTERN_SLOTS / 2)
		intern_forget(in);
	size_t i = intern_slot(in, key);
	in->key[i] = key;
	in->id[i] = *id;
	in->used++;
	return AL_OK;
}

static uint64_t stream_key(const struct store_event *ev)
{
	return key_str(key_str(key_str(0, ev->log_group ? ev->log_group : ""), ev->log_stream ? ev->log_stream : ""),
		       ev->cluster);
}

static int stream_id(struct store *s, const struct store_event *ev, uint64_t key, int64_t *id, char *err,
		     size_t err_sz)
{
	if ((*id = intern_cached(&s->streams, key)))
		return AL_OK;
	sqlite3_stmt *st = s->streams.add;
	bind_text(st, 2, ev->log_group ? ev->log_group : "");
	bind_text(st, 3, ev->log_stream ? ev->log_stream : "");
	bind_text(st, 4, ev->cluster);
	return intern_store(s, &s->streams, key, id, err, err_sz);
}

#define IDENTITY_VALUES(ev)                                                                                     \
	{(ev)->arn,	       (ev)->username,	     (ev)->groups,	   (ev)->uid,		(ev)->user_id,     \
	 (ev)->account_id, (ev)->principal_type, (ev)->principal_name, (ev)->principal_arn, (ev)->session}

/* The identity's key; 0 when the event names none (no column set). */
static uint64_t identity_key(const struct store_event *ev, int *present)
{
	const char *v[] = IDENTITY_VALUES(ev);
	uint64_t key = 0;
	*present = ev->expected != 0;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		*present |= v[i] != NULL;
		key = key_str(key, v[i]);
	}
	return key_int(key, ev->expected);
}

static int identity_id(struct store *s, const struct store_event *ev, const struct store_keys *k, int64_t *id,
		       char *err, size_t err_sz)
{
	const char *v[] = IDENTITY_VALUES(ev);
	size_t n = sizeof(v) / sizeof(v[0]);
	*id = 0;
	if (!k->identity_present || (*id = intern_cached(&s->identities, k->identity)))
		return AL_OK;
	sqlite3_stmt *st = s->identities.add;
	for (size_t i = 0; i < n; i++)
		bind_text(st, (int)i + 2, v[i]);
	sqlite3_bind_int(st, (int)n + 2, ev->expected);
	return intern_store(s, &s->identities, k->identity, id, err, err_sz);
}

static uint64_t error_key(const struct store_event *ev, int *present)
{
	*present = ev->error || ev->http_status || ev->error_class || ev->sts_code || ev->sts_region || ev->mapped_arn;
	uint64_t key = key_str(key_str(key_text(0, ev->error, ev->error_len), ev->error_class), ev->sts_code);
	key = ev->http_status ? key_int(key, ev->http_status) : key_text(key, NULL, 0);
	return key_str(key_str(key, ev->sts_region), ev->mapped_arn);
}

static int error_id(struct store *s, const struct store_event *ev, const struct store_keys *k, int64_t *id,
		    char *err, size_t err_sz)
{
	*id = 0;
	if (!k->error_present || (*id = intern_cached(&s->errors, k->error)))
		return AL_OK;
	sqlite3_stmt *st = s->errors.add;
	if (ev->error)
		sqlite3_bind_text(st, 2, ev->error, (int)ev->error_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	bind_text(st, 3, ev->error_class);
	bind_text(st, 4, ev->sts_code);
	if (ev->http_status)
		sqlite3_bind_int(st, 5, ev->http_status);
	else
		sqlite3_bind_null(st, 5);
	bind_text(st, 6, ev->sts_region);
	bind_text(st, 7, ev->mapped_arn);
	return intern_store(s, &s->errors, k->error, id, err, err_sz);
}

/* Whether s holds a byte below 0x20: a line that does is stored whole
 * (the holes are such bytes). */
static int has_control(const char *s, size_t n)
{
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i top = _mm_set1_epi8(0x1f);
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, top), v)))
			return 1;
	}
#endif
	for (; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return 1;
	return 0;
}

/* The length of v (n bytes) as the body of a Go-quoted string with only
 * '\\' and '"' escaped, when raw (len bytes) starts with it; else 0. */
static size_t requoted_match(const char *raw, size_t len, const char *v, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int esc = v[i] == '\\' || v[i] == '"';
		if (o + 1 + (size_t)esc > len || (esc && raw[o++] != '\\') || raw[o++] != v[i])
			return 0;
	}
	return o;
}

struct hole_at {
	size_t off, len;
	char byte;
};

/* ev->raw's template into sc->tpl (*len bytes): the line with each value
 * in holes[] that the row stores (ev) and the line holds at the place the
 * parse read it from, byte for byte, replaced by its hole. 0: the line is
 * to be stored whole (a control byte in it, no logrus record, no memory). */
static int make_template(struct store_scratch *sc, const struct store_event *ev, size_t *len, int *holes_in)
{
	const char *raw = ev->raw;
	size_t n = ev->raw_len;
	const struct record *rec = ev->rec;
	if (has_control(raw, n))
		return 0;
	if (!rec) {
		if (!sc->rec && !(sc->rec = malloc(sizeof(*sc->rec))))
			return 0;
		if (!sc->parser && parse_new(&sc->parser) != AL_OK)
			return 0;
		if (!parse_line(sc->parser, raw, n, sc->rec))
			return 0;
		rec = sc->rec;
	}
	struct hole_at at[MAX_HOLES];
	size_t nat = 0;
	for (size_t k = 0; k < MAX_HOLES; k++) {
		const char *v = *(const char *const *)(const void *)((const char *)ev + holes[k].value);
		const char *p = *(const char *const *)(const void *)((const char *)rec + holes[k].at);
		/* (an empty value may point elsewhere: compared as integers) */
		size_t off = (size_t)((uintptr_t)p - (uintptr_t)rec->buf);
		if (!v || !p || off >= n)
			continue;
		size_t vl = holes[k].byte == HOLE_ERROR ? ev->error_len : strlen(v);
		struct hole_at h = {off, vl, holes[k].byte};
		if (vl == 0)
			continue;
		if (vl > n - off || memcmp(raw + off, v, vl) != 0) {
			if (h.byte != HOLE_ERROR || !(h.len = requoted_match(raw + off, n - off, v, vl)))
				continue;
			h.byte = HOLE_ERROR_QUOTED;
		}
		size_t i = nat++;
		for (; i > 0 && at[i - 1].off > off; i--)
			at[i] = at[i - 1];
		at[i] = h;
	}
	if (n + 1 > sc->tpl_cap) {
		char *t = realloc(sc->tpl, n + 1);
		if (!t)
			return 0;
		sc->tpl = t;
		sc->tpl_cap = n + 1;
	}
	size_t from = 0, o = 0;
	*holes_in = 0;
	for (size_t i = 0; i < nat; i++) {
		if (at[i].off < from) /* overlaps the one before: not a parse of this line */
			continue;
		memcpy(sc->tpl + o, raw + from, at[i].off - from);
		o += at[i].off - from;
		sc->tpl[o++] = at[i].byte;
		*holes_in |= 1 << at[i].byte;
		from = at[i].off + at[i].len;
	}
	memcpy(sc->tpl + o, raw + from, n - from);
	o += n - from;
	sc->tpl[o] = '\0';
	*len = o;
	return 1;
}

/* The row's shape: its level, msg, STS endpoint and template (k->tpl,
 * NULL when the line is stored whole). */
static int shape_id(struct store *s, const struct store_event *ev, const struct store_keys *k, int64_t *id,
		    char *err, size_t err_sz)
{
	if ((*id = intern_cached(&s->shapes, k->shape)))
		return AL_OK;
	sqlite3_stmt *st = s->shapes.add;
	bind_text(st, 2, ev->level);
	bind_text(st, 3, ev->msg);
	bind_text(st, 4, ev->sts_endpoint);
	if (k->tpl)
		sqlite3_bind_text(st, 5, k->tpl, (int)k->tpl_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int(st, 6, k->holes_in);
	return intern_store(s, &s->shapes, k->shape, id, err, err_sz);
}

void store_keys_make(struct store_scratch *sc, const struct store_event *ev, struct store_keys *k)
{
	size_t len = 0;
	k->stream = stream_key(ev);
	k->identity = identity_key(ev, &k->identity_present);
	k->error = error_key(ev, &k->error_present);
	k->holes_in = 0;
	k->tpl = make_template(sc, ev, &len, &k->holes_in) ? sc->tpl : NULL;
	k->tpl_len = k->tpl ? len : 0;
	k->shape = key_text(key_str(key_str(key_str(0, ev->level), ev->msg), ev->sts_endpoint), k->tpl, k->tpl_len);
}

void store_scratch_free(struct store_scratch *sc)
{
	parse_free(sc->parser);
	free(sc->rec);
	free(sc->tpl);
	memset(sc, 0, sizeof(*sc));
}

/* authlog_template(raw, ts, client, arn, username, uid, session,
 * access_key_id, user_id, account_id, error): the template import makes
 * for that row (NULL: stored whole), for the 10 -> 11 migration. */
static void sql_template(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct store *s = sqlite3_user_data(ctx);
	const char *v[11];
	for (int i = 0; i < argc && i < 11; i++)
		v[i] = (const char *)sqlite3_value_text(argv[i]);
	if (argc != 11 || !v[0]) {
		sqlite3_result_null(ctx);
		return;
	}
	struct store_event ev = {.raw = v[0], .raw_len = (size_t)sqlite3_value_bytes(argv[0]), .ts = v[1],
				 .client = v[2], .arn = v[3], .username = v[4], .uid = v[5], .session = v[6],
				 .access_key_id = v[7], .user_id = v[8], .account_id = v[9], .error = v[10],
				 .error_len = v[10] ? (size_t)sqlite3_value_bytes(argv[10]) : 0};
	size_t len;
	int holes_in;
	if (make_template(&s->scratch, &ev, &len, &holes_in))
		sqlite3_result_text(ctx, s->scratch.tpl, (int)len, SQLITE_TRANSIENT);
	else
		sqlite3_result_null(ctx);
}

int store_mkdir_parents(const char *path, char *err, size_t err_sz)
{
	char *dir = strdup(path);
	int rc = AL_OK;
	if (!dir)
		return AL_SOFTWARE;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		goto out;
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;
			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
				snprintf(err, err_sz, "cannot create directory %s: %s", dir, strerror(errno));
				rc = AL_CANTCREAT;
				goto out;
			}
			*p = saved;
			if (saved == '\0')
				break;
		}
	}
out:
	free(dir);
	return rc;
}

static int exec_sql(sqlite3 *db, const char *sql, const char *what, char *err, size_t err_sz)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? AL_OK : store_sql_error(db, rc, what, err, err_sz);
}

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int migrate(sqlite3 *db, int from, char *err, size_t err_sz)
{
	int rc = exec_sql(db, "BEGIN IMMEDIATE", "cannot lock the database", err, err_sz);
	if (rc)
		return rc;
	/* Re-read under the lock: another process may have migrated first. */
	if (pragma_int(db, "PRAGMA user_version", &from) != 0) {
		rc = store_sql_error(db, SQLITE_ERROR, "cannot read the schema version", err, err_sz);
		goto fail;
	}
	for (int v = from; v < STORE_SCHEMA_VERSION; v++) {
		rc = exec_sql(db, migrations[v], "migration failed", err, err_sz);
		if (rc)
			goto fail;
	}
	char sql[96];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d",
		 STORE_SCHEMA_VERSION, APPLICATION_ID);
	rc = exec_sql(db, sql, "cannot set the schema version", err, err_sz);
	if (rc)
		goto fail;
	return exec_sql(db, "COMMIT", "cannot commit the migration", err, err_sz);
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int open_writable(struct store *s, const char *path, char *err, size_t err_sz)
{
	int rc = store_mkdir_parents(path, err, err_sz);
	if (rc)
		return rc;
	/* Create the file ourselves so it is 0600 from the first byte;
	 * SQLite gives the -wal and -shm files the same mode. O_EXCL: a
	 * dangling symlink is refused, not followed to create its target
	 * somewhere else. */
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		struct stat st;
		if (fd < 0 && errno == EEXIST && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
			snprintf(err, err_sz, "%s is a symbolic link to a file that does not exist: refusing to create it",
				 path);
			return AL_CANTCREAT;
		}
		if (fd < 0 && errno == EEXIST) /* another run created it just now */
			fd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(err, err_sz, "cannot create %s: %s", path, strerror(errno));
		return AL_CANTCREAT;
	}
	close(fd);
	/* NOMUTEX: a connection is only used by the thread that opened it
	 * (fetch workers never touch the store); SQLite's per-call mutexes
	 * were 1.5 % of an import. */
	int sqlrc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	return sqlrc == SQLITE_OK ? AL_OK : store_sql_error(s->db, sqlrc, path, err, err_sz);
}

/* An object of ours in every schema version: `events` (a table up to
 * version 2, a view since) and `imports`, with these columns. */
#define OURS_SQL                                                                                   \
	"SELECT (SELECT COUNT(*) FROM pragma_table_info('events')"                                 \
	"        WHERE name IN ('ts', 'raw', 'dedupe_key', 'import_id')) = 4"                       \
	"   AND (SELECT COUNT(*) FROM pragma_table_info('imports')"                                \
	"        WHERE name IN ('source', 'started', 'imported')) = 3"

/* Whose file this is, read before anything is written (no journal mode,
 * no page size: a refused file stays byte-identical). application_id
 * says it when set; a file without one is ours when it is empty (a new
 * database) or holds our tables at a version we know (*mark: the caller
 * sets the id while migrating); anything else belongs to another program.
 * *version: the file's schema version, which must be ours (or, to write,
 * older: the caller migrates it). */
static int check_schema(sqlite3 *db, const char *path, enum store_mode mode, int *version, int *mark, char *err,
			size_t err_sz)
{
	int app_id = 0, objects = 0, ours = 0;
	*version = 0;
	*mark = 0;
	if (pragma_int(db, "PRAGMA user_version", version) != 0 ||
	    pragma_int(db, "PRAGMA application_id", &app_id) != 0 ||
	    pragma_int(db, "SELECT COUNT(*) FROM sqlite_master", &objects) != 0)
		return store_sql_error(db, SQLITE_NOTADB, path, err, err_sz);
	if (app_id == 0 && (objects > 0 || *version != 0)) {
		/* A schema SQLite cannot read (a view over a missing table)
		 * is not ours either: the failed query leaves ours at 0. */
		if (*version >= 1 && *version <= STORE_SCHEMA_VERSION && pragma_int(db, OURS_SQL, &ours) != 0)
			ours = 0;
		*mark = ours;
	}
	if ((app_id != 0 && app_id != APPLICATION_ID) || (app_id == 0 && (objects > 0 || *version != 0) && !ours)) {
		snprintf(err, err_sz, "%s is not an authlog-scan database (another program's SQLite file); left as it is",
			 path);
		return AL_DATAERR;
	}
	if (*version > STORE_SCHEMA_VERSION) {
		snprintf(err, err_sz,
			 "%s has schema version %d, newer than this authlog-scan supports (%d); upgrade authlog-scan",
			 path, *version, STORE_SCHEMA_VERSION);
		return AL_DATAERR;
	}
	if (mode == STORE_READONLY && *version < STORE_SCHEMA_VERSION) {
		snprintf(err, err_sz, "%s has schema version %d; run 'authlog-scan import' once to migrate it", path,
			 *version);
		return *version == 0 ? AL_NOINPUT : AL_DATAERR;
	}
	return AL_OK;
}

/* Another program's database in WAL mode: a read-only connection would
 * leave -wal and -shm files next to it. Its owner is read first through
 * an immutable connection, which opens neither; the main file's page 1
 * holds the application_id and the schema together (a migration commits
 * them in one transaction), so it answers even while our own WAL is not
 * yet checkpointed. */
static int probe_wal_owner(const char *path, char *err, size_t err_sz)
{
	unsigned char hdr[20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return AL_OK; /* the open below says why */
	ssize_t n = read(fd, hdr, sizeof(hdr));
	close(fd);
	/* Offsets 18 and 19: file format write/read version, 2 = WAL. */
	if (n != (ssize_t)sizeof(hdr) || memcmp(hdr, "SQLite format 3", 16) != 0 || hdr[18] != 2)
		return AL_OK;
	struct buf uri = BUF_INIT;
	buf_puts(&uri, "file:");
	sigv4_uri_encode(&uri, path, strlen(path), 1); /* RFC 3986 escaping is what a URI filename takes */
	buf_puts(&uri, "?immutable=1");
	if (uri.oom) {
		buf_free(&uri);
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	sqlite3 *db = NULL;
	int version, mark;
	int rc = sqlite3_open_v2(buf_str(&uri), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	buf_free(&uri);
	/* STORE_WRITE: the owner only. The main file may lag behind the WAL
	 * (a migration not checkpointed yet), so an older version here says
	 * nothing; the real open below judges it. */
	rc = rc == SQLITE_OK ? check_schema(db, path, STORE_WRITE, &version, &mark, err, err_sz)
			     : store_sql_error(db, rc, path, err, err_sz);
	sqlite3_close(db);
	return rc;
}

static int open_readonly(struct store *s, const char *path, char *err, size_t err_sz)
{
	if (access(path, F_OK) != 0) {
		snprintf(err, err_sz, "no database at %s (run 'authlog-scan import' first)", path);
		return AL_NOINPUT;
	}
	int rc = probe_wal_owner(path, err, err_sz);
	if (rc)
		return rc;
	int sqlrc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (sqlrc != SQLITE_OK)
		return store_sql_error(s->db, sqlrc, path, err, err_sz);
	return exec_sql(s->db, "PRAGMA query_only = 1", path, err, err_sz);
}

/* A write connection: its settings, authlog_key() for the migrations,
 * the schema brought to this version, and the identity index rebuilt if
 * an import that deferred it was killed. */
static int prepare_schema(struct store *s, const char *path, int version, int mark, char *err, size_t err_sz)
{
	/* auto_vacuum and page_size only take on a new file (before WAL is
	 * set and before any table): incremental, so that prune can give
	 * pages back without a VACUUM that rewrites the file. 16 KiB pages
	 * hold a whole ~1 KiB row set per page with less B-tree overhead. The
	 * 32 MiB page cache keeps the index leaves an import appends to in
	 * memory; peak RSS stays well under 64 MB. */
	int rc = exec_sql(s->db,
			  "PRAGMA page_size = 16384; PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL;"
			  " PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768",
			  path, err, err_sz);
	if (rc)
		return rc;
	int sqlrc = sqlite3_create_function(s->db, "authlog_key", -1,
					    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
					    sql_authlog_key, NULL, NULL);
	if (sqlrc == SQLITE_OK)
		sqlrc = sqlite3_create_function(s->db, "authlog_template", 11,
						SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, s, sql_template,
						NULL, NULL);
	if (sqlrc == SQLITE_OK)
		sqlrc = sqlite3_create_function(s->db, "authlog_line_key", 3,
						SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL, sql_line_key,
						NULL, NULL);
	if (sqlrc != SQLITE_OK)
		return store_sql_error(s->db, sqlrc, path, err, err_sz);
	if (version < STORE_SCHEMA_VERSION || mark) {
		rc = migrate(s->db, version, err, err_sz);
		if (rc)
			return rc;
	}
	return exec_sql(s->db, IDENTITY_INDEX, "cannot index the events", err, err_sz);
}

/* The update hook of a write connection: a change to event_rows that is
 * not store_insert's own (prune's deletes, a statement of `sql`, a
 * migration) means s->rows may no longer be what is stored. */
static void rows_watch(void *arg, int op, const char *db, const char *table, sqlite3_int64 rowid)
{
	struct store *s = arg;
	(void)db;
	(void)rowid;
	if (!(s->inserting && op == SQLITE_INSERT) && !strcmp(table, "event_rows"))
		s->rows_valid = 0;
}

/* store_has's statements: made by a write open, and by the first
 * store_has of a read-only one (import's reading thread). */
static int prepare_lookups(struct store *s)
{
	int sqlrc = sqlite3_prepare_v3(s->db, "SELECT 1 FROM event_rows WHERE ts = ?1 AND dedupe_key = ?2", -1,
				       SQLITE_PREPARE_PERSISTENT, &s->has, NULL);
	if (sqlrc == SQLITE_OK)
		sqlrc = sqlite3_prepare_v3(s->db,
					   "SELECT ts, dedupe_key FROM event_rows WHERE ts >= ?1"
					   " ORDER BY ts, dedupe_key LIMIT " STRINGIFY(PROBE_ROWS),
					   -1, SQLITE_PREPARE_PERSISTENT, &s->range, NULL);
	return sqlrc;
}

/* insert_sql with rows rows of values, prepared into *st. */
static int prepare_insert(struct store *s, int rows, sqlite3_stmt **st)
{
	struct buf sql = BUF_INIT;
	buf_puts(&sql, insert_sql);
	for (int r = 0; r < rows; r++) {
		buf_puts(&sql, r ? ", (" : "(");
		for (int c = 1; c <= INSERT_COLUMNS; c++)
			buf_printf(&sql, c > 1 ? ", ?%d" : "?%d", r * INSERT_COLUMNS + c);
		buf_puts(&sql, ")");
	}
	int sqlrc = sql.oom ? SQLITE_NOMEM : sqlite3_prepare_v3(s->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	buf_free(&sql);
	return sqlrc;
}

/* The statements a write connection runs per line or per batch. */
static int prepare_statements(struct store *s, char *err, size_t err_sz)
{
	int sqlrc = prepare_insert(s, 1, &s->insert);
	if (sqlrc == SQLITE_OK)
		sqlrc = prepare_insert(s, INSERT_ROWS, &s->insert_many);
	if (sqlrc == SQLITE_OK)
		sqlrc = prepare_lookups(s);
	struct intern *interns[NINTERN] = {&s->streams, &s->identities, &s->errors, &s->shapes};
	for (size_t i = 0; i < NINTERN && sqlrc == SQLITE_OK; i++) {
		sqlrc = sqlite3_prepare_v3(s->db, intern_sql[i].find, -1, SQLITE_PREPARE_PERSISTENT,
					   &interns[i]->find, NULL);
		if (sqlrc == SQLITE_OK)
			sqlrc = sqlite3_prepare_v3(s->db, intern_sql[i].add, -1, SQLITE_PREPARE_PERSISTENT,
						   &interns[i]->add, NULL);
	}
	if (sqlrc != SQLITE_OK)
		return store_sql_error(s->db, sqlrc, "cannot prepare statements", err, err_sz);
	sqlite3_update_hook(s->db, rows_watch, s);
	return AL_OK;
}

int store_open(const char *path, enum store_mode mode, struct store **out, char *err, size_t err_sz)
{
	int version, mark, rc;
	/* SQLite counts every allocation under a global mutex for
	 * sqlite3_memory_used(), which nothing here reads: 6 % of an import's
	 * wall time (bench/README.md). Only before SQLite initializes (the
	 * first open); later calls fail harmlessly with SQLITE_MISUSE. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	struct store *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	rc = mode == STORE_READONLY ? open_readonly(s, path, err, err_sz) : open_writable(s, path, err, err_sz);
	if (!rc) {
		sqlite3_busy_timeout(s->db, 5000);
		sqlite3_extended_result_codes(s->db, 1);
		rc = check_schema(s->db, path, mode, &version, &mark, err, err_sz);
	}
	if (!rc && mode != STORE_READONLY) {
		rc = prepare_schema(s, path, version, mark, err, err_sz);
		if (!rc)
			rc = prepare_statements(s, err, err_sz);
	}
	if (rc) {
		store_close(s);
		return rc;
	}
	*out = s;
	return AL_OK;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->insert);
	sqlite3_finalize(s->insert_many);
	sqlite3_finalize(s->has);
	sqlite3_finalize(s->range);
	struct intern *interns[NINTERN] = {&s->streams, &s->identities, &s->errors, &s->shapes};
	for (size_t i = 0; i < NINTERN; i++) {
		sqlite3_finalize(interns[i]->find);
		sqlite3_finalize(interns[i]->add);
	}
	/* Statistics let the report's planner pick a scan over an index walk
	 * when a window covers most rows; the limit keeps this to milliseconds
	 * whatever the table size. Only write connections (insert prepared). */
	if (s->insert && sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "PRAGMA analysis_limit = 400; ANALYZE", NULL, NULL, NULL);
	sqlite3_close(s->db);
	store_scratch_free(&s->scratch);
	free(s->rows);
	free(s);
}

sqlite3 *store_db(struct store *s)
{
	return s->db;
}

/* The transaction's rows are forgotten: it begins, commits or rolls back. */
static void rows_forget(struct store *s)
{
	s->nrows = 0;
	s->rows_valid = 1;
}

int store_begin(struct store *s, char *err, size_t err_sz)
{
	rows_forget(s);
	return exec_sql(s->db, "BEGIN IMMEDIATE", "cannot start a transaction", err, err_sz);
}

int store_defer_indexes(struct store *s, char *err, size_t err_sz)
{
	int empty = 0;
	if (pragma_int(s->db, "SELECT NOT EXISTS (SELECT 1 FROM event_rows)", &empty) != 0)
		return store_sql_error(s->db, SQLITE_ERROR, "cannot read the events", err, err_sz);
	if (!empty)
		return AL_OK;
	int rc = exec_sql(s->db, "DROP INDEX IF EXISTS event_rows_identity", "cannot drop an index", err, err_sz);
	s->index_deferred = rc == AL_OK;
	return rc;
}

int store_build_indexes(struct store *s, char *err, size_t err_sz)
{
	if (!s->index_deferred)
		return AL_OK;
	/* CREATE INDEX sorts in memory up to the page cache's size on top of
	 * the cache itself: a small cache for the sort keeps peak RSS where
	 * the import had it (the sort spills to temporary files instead). */
	int rc = exec_sql(s->db, "PRAGMA cache_size = -8192; " IDENTITY_INDEX " PRAGMA cache_size = -32768",
			  "cannot index the events", err, err_sz);
	s->index_deferred = rc != AL_OK;
	return rc;
}

static int flush_queue(struct store *s, char *err, size_t err_sz);

int store_commit(struct store *s, char *err, size_t err_sz)
{
	/* The batch's rows go into the rollups in the same transaction: both
	 * are committed, or rolled back by the caller, together. What is
	 * queued goes first; store_flush still counts it. */
	int rc = flush_queue(s, err, err_sz);
	if (rc)
		return rc;
	rc = rollup_update(s->db, s->rows_valid ? s->rows : NULL, s->nrows, err, err_sz);
	if (rc)
		return rc;
	rc = exec_sql(s->db, "COMMIT", "cannot commit", err, err_sz);
	if (rc)
		store_forget_interned(s);
	rows_forget(s);
	return rc;
}

void store_rollback(struct store *s)
{
	s->nqueued = 0;
	s->flushed_new = s->flushed_old = 0;
	store_forget_interned(s);
	rows_forget(s);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static void bind_id(sqlite3_stmt *st, int i, int64_t id)
{
	if (id)
		sqlite3_bind_int64(st, i, id);
	else
		sqlite3_bind_null(st, i);
}

/* Rows kept for one transaction at most (72 bytes each, 18 MiB): an import batch
 * is 50,000, a Logs Insights answer at most 100,000; a longer transaction
 * has its rows read back. */
#define ROWS_MAX (1u << 18)

/* A stored row into s->rows, as rollup_update would read it back. */
static void remember_row(struct store *s, int64_t id, const struct queued *q)
{
	const struct store_event *ev = q->ev;
	size_t len = strlen(ev->ts);
	if (!s->rows_valid || sqlite3_get_autocommit(s->db) || len >= sizeof(s->rows->ts) || s->nrows >= ROWS_MAX) {
		s->rows_valid = 0;
		return;
	}
	if (s->nrows == s->rows_cap) {
		size_t cap = s->rows_cap ? s->rows_cap * 2 : 1024;
		struct rollup_row *r = realloc(s->rows, cap * sizeof(*r));
		if (!r) {
			s->rows_valid = 0;
			return;
		}
		s->rows = r;
		s->rows_cap = cap;
	}
	struct rollup_row *r = &s->rows[s->nrows++];
	r->id = id;
	r->stream_id = q->stream;
	r->identity_id = q->identity;
	r->error_id = q->error;
	memcpy(r->ts, ev->ts, len + 1);
	r->flags = rollup_flags(ev->kind, ev->outcome);
}

/* The texts of a store_event (raw and error, which carry their lengths,
 * apart): what store_event_copy copies. */
static const size_t event_texts[] = {
	offsetof(struct store_event, ts),	      offsetof(struct store_event, log_group),
	offsetof(struct store_event, log_stream),     offsetof(struct store_event, ptr),
	offsetof(struct store_event, cluster),	      offsetof(struct store_event, kind),
	offsetof(struct store_event, level),	      offsetof(struct store_event, msg),
	offsetof(struct store_event, outcome),	      offsetof(struct store_event, arn),
	offsetof(struct store_event, client),	      offsetof(struct store_event, error_class),
	offsetof(struct store_event, sts_code),	      offsetof(struct store_event, sts_region),
	offsetof(struct store_event, mapped_arn),     offsetof(struct store_event, username),
	offsetof(struct store_event, groups),	      offsetof(struct store_event, uid),
	offsetof(struct store_event, user_id),	      offsetof(struct store_event, account_id),
	offsetof(struct store_event, principal_type), offsetof(struct store_event, principal_name),
	offsetof(struct store_event, principal_arn),  offsetof(struct store_event, access_key_id),
	offsetof(struct store_event, session),	      offsetof(struct store_event, sts_endpoint),
};
#define NEVENT_TEXTS (sizeof(event_texts) / sizeof(event_texts[0]))

static const char *event_text(const struct store_event *ev, size_t i)
{
	const char *t;
	memcpy(&t, (const char *)ev + event_texts[i], sizeof(t));
	return t;
}

size_t store_event_size(const struct store_event *ev)
{
	size_t n = ev->raw_len + 1 + (ev->error ? ev->error_len + 1 : 0);
	for (size_t i = 0; i < NEVENT_TEXTS; i++) {
		const char *t = event_text(ev, i);
		n += t ? strlen(t) + 1 : 0;
	}
	return n;
}

static const char *copy_text(char **at, const char *t, size_t n)
{
	char *d = *at;
	memcpy(d, t, n);
	d[n] = '\0';
	*at = d + n + 1;
	return d;
}

void store_event_copy(const struct store_event *ev, char *buf, struct store_event *out)
{
	*out = *ev;
	out->rec = NULL;
	out->raw = copy_text(&buf, ev->raw, ev->raw_len);
	if (ev->error)
		out->error = copy_text(&buf, ev->error, ev->error_len);
	for (size_t i = 0; i < NEVENT_TEXTS; i++) {
		const char *t = event_text(ev, i);
		if (t) {
			t = copy_text(&buf, t, strlen(t));
			memcpy((char *)out + event_texts[i], &t, sizeof(t));
		}
	}
}

/* The rows' ids: each INSERT gives the row MAX(id) + 1, so a statement's
 * new rows have consecutive ids ending at the last insert rowid, in the
 * order of its VALUES; the rows it ignored (stored already) are found by
 * their key among those ids. */
static int remember_rows(struct store *s, const struct queued *q, size_t n, int changed, char *err, size_t err_sz)
{
	int64_t last = sqlite3_last_insert_rowid(s->db);
	if ((size_t)changed == n) {
		for (size_t i = 0; i < n; i++)
			remember_row(s, last - (int64_t)n + 1 + (int64_t)i, &q[i]);
		return AL_OK;
	}
	sqlite3_stmt *st;
	int sqlrc = sqlite3_prepare_v2(s->db, "SELECT id, ts, dedupe_key FROM event_rows WHERE id > ?1 ORDER BY id", -1,
				       &st, NULL);
	if (sqlrc != SQLITE_OK)
		return store_sql_error(s->db, sqlrc, "cannot read the events", err, err_sz);
	sqlite3_bind_int64(st, 1, last - changed);
	size_t from = 0;
	while ((sqlrc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *ts = (const char *)sqlite3_column_text(st, 1);
		int64_t key = sqlite3_column_int64(st, 2);
		for (size_t i = from; i < n; i++)
			if (q[i].ev->dedupe_key == key && ts && strcmp(q[i].ev->ts, ts) == 0) {
				remember_row(s, sqlite3_column_int64(st, 0), &q[i]);
				from = i + 1;
				break;
			}
	}
	sqlite3_finalize(st);
	return sqlrc == SQLITE_DONE ? AL_OK : store_sql_error(s->db, sqlrc, "cannot read the events", err, err_sz);
}

/* One INSERT of n queued rows (1 or INSERT_ROWS) through st. */
static int insert_rows(struct store *s, sqlite3_stmt *st, const struct queued *q, size_t n, char *err, size_t err_sz)
{
	for (size_t i = 0; i < n; i++) {
		const struct store_event *ev = q[i].ev;
		int at = (int)i * INSERT_COLUMNS;
		bind_text(st, at + 1, ev->ts);
		sqlite3_bind_int64(st, at + 2, ev->dedupe_key);
		bind_id(st, at + 3, s->import_id);
		sqlite3_bind_int64(st, at + 4, q[i].stream);
		bind_id(st, at + 5, q[i].identity);
		bind_id(st, at + 6, q[i].error);
		sqlite3_bind_int64(st, at + 7, q[i].shape);
		bind_text(st, at + 8, ev->kind);
		bind_text(st, at + 9, ev->outcome);
		bind_text(st, at + 10, ev->client);
		bind_text(st, at + 11, ev->ptr);
		bind_text(st, at + 12, ev->access_key_id);
		if (q[i].whole)
			sqlite3_bind_text(st, at + 13, ev->raw, (int)ev->raw_len, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, at + 13);
	}
	s->inserting = 1;
	int rc = sqlite3_step(st);
	s->inserting = 0;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_sql_error(s->db, rc, "cannot store event", err, err_sz);
	int changed = sqlite3_changes(s->db);
	s->flushed_new += changed;
	s->flushed_old += (long long)n - changed;
	return changed ? remember_rows(s, q, n, changed, err, err_sz) : AL_OK;
}

static int flush_queue(struct store *s, char *err, size_t err_sz)
{
	size_t i = 0;
	int rc = AL_OK;
	for (; rc == AL_OK && s->nqueued - i >= INSERT_ROWS; i += INSERT_ROWS)
		rc = insert_rows(s, s->insert_many, &s->queue[i], INSERT_ROWS, err, err_sz);
	for (; rc == AL_OK && i < s->nqueued; i++)
		rc = insert_rows(s, s->insert, &s->queue[i], 1, err, err_sz);
	s->nqueued = 0;
	return rc;
}

int store_insert_keyed(struct store *s, const struct store_event *ev, const struct store_keys *k, char *err,
		       size_t err_sz)
{
	struct queued *q = &s->queue[s->nqueued];
	int rc = stream_id(s, ev, k->stream, &q->stream, err, err_sz);
	if (rc == AL_OK)
		rc = identity_id(s, ev, k, &q->identity, err, err_sz);
	if (rc == AL_OK)
		rc = error_id(s, ev, k, &q->error, err, err_sz);
	if (rc == AL_OK)
		rc = shape_id(s, ev, k, &q->shape, err, err_sz);
	if (rc)
		return rc;
	q->ev = ev;
	q->whole = !k->tpl;
	return ++s->nqueued == INSERT_ROWS ? flush_queue(s, err, err_sz) : AL_OK;
}

int store_flush(struct store *s, long long *stored, long long *found, char *err, size_t err_sz)
{
	int rc = flush_queue(s, err, err_sz);
	*stored = s->flushed_new;
	*found = s->flushed_old;
	s->flushed_new = s->flushed_old = 0;
	return rc;
}

int store_insert(struct store *s, const struct store_event *ev, int *inserted, char *err, size_t err_sz)
{
	struct store_keys k;
	long long stored, found;
	store_keys_make(&s->scratch, ev, &k);
	int rc = store_insert_keyed(s, ev, &k, err, err_sz);
	if (!rc)
		rc = store_flush(s, &stored, &found, err, err_sz);
	*inserted = !rc && stored > 0;
	return rc;
}

static size_t probe_slot(const struct probe_range *p, const char *ts, uint64_t key)
{
	size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 51) & (PROBE_SLOTS - 1);
	while (p->used[i] && (p->key[i] != key || memcmp(p->ts[i], ts, TS_LEN) != 0))
		i = (i + 1) & (PROBE_SLOTS - 1);
	return i;
}

static int probe_covers(const struct probe_range *p, const char *ts)
{
	return p->valid && memcmp(ts, p->lo, TS_LEN) >= 0 && (p->open_end || memcmp(ts, p->hi, TS_LEN) < 0);
}

static int probe_load(struct store *s, const char *ts, char *err, size_t err_sz)
{
	struct probe_range *p = &s->probe;
	sqlite3_stmt *st = s->range;
	char last[TS_LEN] = {0};
	int n = 0, rc;
	p->valid = 0;
	p->loaded = 1;
	p->answered = p->outside = 0;
	memset(p->used, 0, sizeof(p->used));
	sqlite3_bind_text(st, 1, ts, TS_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		uint64_t key = (uint64_t)sqlite3_column_int64(st, 1);
		n++;
		if (!t || sqlite3_column_bytes(st, 0) != TS_LEN)
			continue; /* never written by authlog-scan; store_has finds it by seek */
		size_t i = probe_slot(p, t, key);
		p->used[i] = 1;
		p->key[i] = key;
		memcpy(p->ts[i], t, TS_LEN);
		memcpy(last, t, TS_LEN);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_sql_error(s->db, rc, "cannot look up events", err, err_sz);
	memcpy(p->lo, ts, TS_LEN);
	p->open_end = n < PROBE_ROWS;
	memcpy(p->hi, last, TS_LEN);
	/* More than PROBE_ROWS rows in one second: nothing usable. */
	p->valid = p->open_end || memcmp(p->hi, p->lo, TS_LEN) > 0;
	return AL_OK;
}

int store_has(struct store *s, const char *ts, size_t ts_len, int64_t key, int *found, char *err, size_t err_sz)
{
	struct probe_range *p = &s->probe;
	if (!s->has) {
		int sqlrc = prepare_lookups(s);
		if (sqlrc != SQLITE_OK)
			return store_sql_error(s->db, sqlrc, "cannot look up events", err, err_sz);
	}
	if (ts_len == TS_LEN) {
		/* Read ahead again once the last range paid off (or long ago
		 * did not): a file out of time order falls back to seeks. */
		if (!probe_covers(p, ts) && (!p->loaded || p->answered >= PROBE_ROWS / 16 || ++p->outside >= PROBE_ROWS)) {
			int rc = probe_load(s, ts, err, err_sz);
			if (rc)
				return rc;
		}
		if (probe_covers(p, ts)) {
			p->answered++;
			*found = p->used[probe_slot(p, ts, (uint64_t)key)];
			return AL_OK;
		}
	}
	sqlite3_stmt *st = s->has;
	sqlite3_bind_text(st, 1, ts, (int)ts_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, key);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sql_error(s->db, rc, "cannot look up event", err, err_sz);
	*found = rc == SQLITE_ROW;
	return AL_OK;
}

/* ---- one-shot statements: imports, scan_runs, scan_windows ---- */

/* A parameter ?N of a one-shot statement. ARG_ID binds NULL for 0 (no
 * such row), ARG_TEXT NULL for a NULL string; ARG_TIME binds the
 * ISO-8601 text the tables keep. */
struct arg {
	enum { ARG_INT, ARG_ID, ARG_REAL, ARG_TEXT, ARG_TIME, ARG_TRI } type;
	int64_t i;
	double d;
	const char *s;
};
#define INT_ARG(v) {.type = ARG_INT, .i = (v)}
#define ID_ARG(v) {.type = ARG_ID, .i = (v)}
#define REAL_ARG(v) {.type = ARG_REAL, .d = (v)}
#define TEXT_ARG(v) {.type = ARG_TEXT, .s = (v)}
#define TIME_ARG(v) {.type = ARG_TIME, .i = (v)}
#define TRI_ARG(v) {.type = ARG_TRI, .i = (v)} /* NULL when negative (unknown) */
#define OPT_TEXT_ARG(v) TEXT_ARG(*(v) ? (v) : NULL) /* "" is unknown: NULL */
#define NARGS(a) (sizeof(a) / sizeof((a)[0]))

static void bind_arg(sqlite3_stmt *st, int i, const struct arg *a)
{
	char iso[TIME_ISO_LEN];
	switch (a->type) {
	case ARG_INT:
		sqlite3_bind_int64(st, i, a->i);
		break;
	case ARG_ID:
		bind_id(st, i, a->i);
		break;
	case ARG_REAL:
		sqlite3_bind_double(st, i, a->d);
		break;
	case ARG_TEXT:
		bind_text(st, i, a->s);
		break;
	case ARG_TIME:
		time_format(a->i, iso);
		sqlite3_bind_text(st, i, iso, -1, SQLITE_TRANSIENT);
		break;
	case ARG_TRI:
		if (a->i < 0)
			sqlite3_bind_null(st, i);
		else
			sqlite3_bind_int64(st, i, a->i);
		break;
	}
}

/* Prepares sql with args bound as ?1..: these statements run a few times
 * per import or per scan window, so caching them buys nothing. */
static int prep(struct store *s, const char *sql, const struct arg *args, size_t nargs, sqlite3_stmt **st,
		const char *what, char *err, size_t err_sz)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	if (rc != SQLITE_OK)
		return store_sql_error(s->db, rc, what, err, err_sz);
	for (size_t k = 0; k < nargs; k++)
		bind_arg(*st, (int)k + 1, &args[k]);
	return AL_OK;
}

/* Runs a statement that returns no rows; *rowid (when not NULL) gets the
 * row an INSERT added. */
static int run_once(struct store *s, const char *sql, const struct arg *args, size_t nargs, int64_t *rowid,
		    const char *what, char *err, size_t err_sz)
{
	sqlite3_stmt *st;
	int rc = prep(s, sql, args, nargs, &st, what, err, err_sz);
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_error(s->db, rc, what, err, err_sz);
	if (rowid)
		*rowid = sqlite3_last_insert_rowid(s->db);
	return AL_OK;
}

static int column_time(sqlite3_stmt *st, int i, int64_t *t)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	return v && time_parse(v, strlen(v), t) == 0 ? 0 : -1;
}

/* Reads the time in the first column of the one row sql returns (none:
 * *t = -1, as for NULL); no row is an error unless may_be_empty. */
static int query_time(struct store *s, const char *sql, const struct arg *args, size_t nargs, int may_be_empty,
		      int64_t *t, const char *what, char *err, size_t err_sz)
{
	sqlite3_stmt *st;
	*t = -1;
	int rc = prep(s, sql, args, nargs, &st, what, err, err_sz);
	if (rc)
		return rc;
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW && column_time(st, 0, t) != 0)
		*t = -1;
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && !(may_be_empty && step == SQLITE_DONE))
		return store_sql_error(s->db, step, what, err, err_sz);
	return AL_OK;
}

int store_import_begin(struct store *s, const char *source, int64_t *import_id, char *err, size_t err_sz)
{
	const struct arg a[] = {TEXT_ARG(source)};
	int rc = run_once(s,
			  "INSERT INTO imports(source, status, started, first_event_id)"
			  " VALUES (?1, 'running', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
			  " (SELECT COALESCE(MAX(id), 0) + 1 FROM event_rows))",
			  a, NARGS(a), import_id, "cannot record the import", err, err_sz);
	if (!rc)
		s->import_id = *import_id;
	return rc;
}

static int import_finish(struct store *s, int64_t import_id, const char *status, long long imported,
			 long long duplicates, long long skipped, char *err, size_t err_sz)
{
	const struct arg a[] = {INT_ARG(import_id), INT_ARG(imported), INT_ARG(duplicates), INT_ARG(skipped),
				TEXT_ARG(status)};
	int rc = run_once(s,
			  "UPDATE imports SET finished = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
			  " imported = ?2, duplicates = ?3, skipped = ?4, status = ?5 WHERE id = ?1",
			  a, NARGS(a), NULL, "cannot record the import", err, err_sz);
	s->import_id = 0;
	return rc;
}

int store_import_end(struct store *s, int64_t import_id, long long imported, long long duplicates,
		     long long skipped, char *err, size_t err_sz)
{
	return import_finish(s, import_id, "complete", imported, duplicates, skipped, err, err_sz);
}

int store_import_interrupted(struct store *s, int64_t import_id, long long imported, long long duplicates,
			     long long skipped, char *err, size_t err_sz)
{
	return import_finish(s, import_id, "interrupted", imported, duplicates, skipped, err, err_sz);
}

int store_import_first_event(struct store *s, int64_t import_id, int64_t *first_event_id, char *err,
			     size_t err_sz)
{
	const struct arg a[] = {INT_ARG(import_id)};
	sqlite3_stmt *st;
	*first_event_id = 0;
	/* Imports from before version 2 have no first_event_id: their
	 * smallest event id says the same (a slow scan, once). */
	int rc = prep(s,
		      "SELECT COALESCE(first_event_id, (SELECT MIN(id) FROM event_rows WHERE import_id = ?1))"
		      " FROM imports WHERE id = (CASE WHEN ?1 > 0 THEN ?1 ELSE (SELECT MAX(id) FROM imports) END)",
		      a, NARGS(a), &st, "cannot read the imports", err, err_sz);
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*first_event_id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sql_error(s->db, rc, "cannot read the imports", err, err_sz);
	return AL_OK;
}

int store_scan_begin(struct store *s, const char *log_group, const char *query, int64_t start, int64_t end,
		     int64_t *run_id, char *err, size_t err_sz)
{
	const struct arg a[] = {TEXT_ARG(log_group), TEXT_ARG(query), TIME_ARG(start), TIME_ARG(end),
				ID_ARG(s->import_id)};
	return run_once(s,
			"INSERT INTO scan_runs(log_group, query, window_start, window_end, started, import_id)"
			" VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?5)",
			a, NARGS(a), run_id, "cannot record the scan", err, err_sz);
}

int store_scan_update(struct store *s, int64_t run_id, const struct store_scan_totals *t, char *err,
		      size_t err_sz)
{
	const struct arg a[] = {
		INT_ARG(run_id), INT_ARG(t->rows), INT_ARG(t->duplicates), INT_ARG(t->skipped), INT_ARG(t->queries),
		INT_ARG(t->truncated), REAL_ARG(t->bytes_scanned), REAL_ARG(t->records_scanned),
		REAL_ARG(t->records_matched), REAL_ARG(t->bytes_skipped),
	};
	return run_once(s,
			"UPDATE scan_runs SET rows = ?2, duplicates = ?3, skipped = ?4, queries = ?5,"
			" truncated = ?6, bytes_scanned = ?7, records_scanned = ?8, records_matched = ?9,"
			" bytes_skipped = ?10 WHERE id = ?1",
			a, NARGS(a), NULL, "cannot update the scan", err, err_sz);
}

int store_scan_end(struct store *s, int64_t run_id, const char *status, const char *error, char *err,
		   size_t err_sz)
{
	const struct arg a[] = {INT_ARG(run_id), TEXT_ARG(status), TEXT_ARG(error)};
	return run_once(s,
			"UPDATE scan_runs SET status = ?2, error = ?3,"
			" finished = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1",
			a, NARGS(a), NULL, "cannot finish the scan", err, err_sz);
}

int store_scan_mark_interrupted(struct store *s, char *err, size_t err_sz)
{
	return exec_sql(s->db,
			"UPDATE scan_runs SET status = 'interrupted',"
			" error = COALESCE(error, 'the process ended before the scan finished'),"
			" finished = COALESCE(finished, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
			" WHERE status = 'running'",
			"cannot update old scans", err, err_sz);
}

int store_scan_resume_point(struct store *s, const char *log_group, const char *query, int64_t *last_end,
			    int64_t *newest_event, char *err, size_t err_sz)
{
	const struct arg a[] = {TEXT_ARG(log_group), TEXT_ARG(query)};
	*newest_event = -1;
	int rc = query_time(s, "SELECT MAX(window_end) FROM scan_runs WHERE log_group = ?1 AND query = ?2", a,
			    NARGS(a), 0, last_end, "cannot read the last scan", err, err_sz);
	if (rc)
		return rc;
	/* ORDER BY ts DESC LIMIT 1 walks event_rows_ts_key from the end instead
	 * of reading the whole group (no (log_group, ts) index is needed). */
	return query_time(s,
			  "SELECT r.ts FROM event_rows r JOIN streams s ON s.id = r.stream_id"
			  " WHERE s.log_group = ?1 ORDER BY r.ts DESC LIMIT 1",
			  a, 1, 1, newest_event, "cannot read the newest event", err, err_sz);
}

int store_window_add(struct store *s, int64_t run_id, const char *log_group, const char *query, int64_t start,
		     int64_t end, int64_t *window_id, char *err, size_t err_sz)
{
	const struct arg a[] = {INT_ARG(run_id), TEXT_ARG(log_group), TEXT_ARG(query), TIME_ARG(start),
				TIME_ARG(end)};
	return run_once(s, "INSERT INTO scan_windows(run_id, log_group, query, start, end) VALUES (?1, ?2, ?3, ?4, ?5)",
			a, NARGS(a), window_id, "cannot record a scan window", err, err_sz);
}

int store_window_done(struct store *s, int64_t window_id, char *err, size_t err_sz)
{
	const struct arg a[] = {INT_ARG(window_id)};
	return run_once(s, "DELETE FROM scan_windows WHERE id = ?1", a, NARGS(a), NULL,
			"cannot record a fetched window", err, err_sz);
}

int store_window_set(struct store *s, int64_t window_id, const char *status, int attempts, const char *error,
		     char *err, size_t err_sz)
{
	const struct arg a[] = {INT_ARG(window_id), TEXT_ARG(status), INT_ARG(attempts), TEXT_ARG(error)};
	return run_once(s, "UPDATE scan_windows SET status = ?2, attempts = ?3, error = ?4 WHERE id = ?1", a,
			NARGS(a), NULL, "cannot record a failed window", err, err_sz);
}

int store_window_move(struct store *s, int64_t window_id, int64_t run_id, int64_t start, int64_t end, char *err,
		      size_t err_sz)
{
	const struct arg a[] = {INT_ARG(window_id), INT_ARG(run_id), TIME_ARG(start), TIME_ARG(end)};
	return run_once(s, "UPDATE scan_windows SET run_id = ?2, start = ?3, end = ?4 WHERE id = ?1", a, NARGS(a),
			NULL, "cannot adopt a missing window", err, err_sz);
}

int store_windows_missing(struct store *s, const char *log_group, const char *query, struct store_window **out,
			  size_t *n, char *err, size_t err_sz)
{
	const struct arg a[] = {TEXT_ARG(log_group), TEXT_ARG(query)};
	sqlite3_stmt *st;
	struct store_window *v = NULL;
	size_t cap = 0, len = 0;
	*out = NULL;
	*n = 0;
	int rc = prep(s,
		      "SELECT id, start, end, attempts FROM scan_windows WHERE log_group = ?1 AND query = ?2"
		      " AND status IN ('pending', 'failed') ORDER BY start, id",
		      a, NARGS(a), &st, "cannot read the missing windows", err, err_sz);
	if (rc)
		return rc;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_window w = {sqlite3_column_int64(st, 0), 0, 0, sqlite3_column_int(st, 3)};
		if (column_time(st, 1, &w.start) != 0 || column_time(st, 2, &w.end) != 0)
			continue; /* edited by hand into something else: not ours to guess */
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct store_window *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				snprintf(err, err_sz, "out of memory");
				rc = AL_SOFTWARE;
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		v[len++] = w;
	}
	if (step != SQLITE_DONE)
		rc = store_sql_error(s->db, step, "cannot read the missing windows", err, err_sz);
out:
	sqlite3_finalize(st);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*n = len;
	return AL_OK;
}

/* ---- clusters ---- */

int store_cluster_put(struct store *s, const struct store_cluster *c, char *err, size_t err_sz)
{
	const struct arg unknown = TEXT_ARG(NULL), checked = TIME_ARG(c->checked_at);
	const struct arg a[] = {
		TEXT_ARG(c->name), TEXT_ARG(c->region), OPT_TEXT_ARG(c->account), OPT_TEXT_ARG(c->log_group),
		OPT_TEXT_ARG(c->auth_mode), TRI_ARG(c->auth_mode_defaulted), OPT_TEXT_ARG(c->logging_types),
		OPT_TEXT_ARG(c->endpoint), c->checked_at ? checked : unknown, INT_ARG(c->described),
		OPT_TEXT_ARG(c->describe_error), TRI_ARG(c->authenticator_streams), TRI_ARG(c->logging_off),
		OPT_TEXT_ARG(c->logging_off_reason), OPT_TEXT_ARG(c->enable_logging), TEXT_ARG(c->source),
	};
	/* ?10 (described) is not a column: it says whether describe_error is
	 * news. The logging columns change together, when checked. */
	return run_once(s,
			"INSERT INTO clusters(name, region, account, log_group, auth_mode, auth_mode_defaulted,"
			" logging_types, endpoint, checked_at, describe_error, authenticator_streams, logging_off,"
			" logging_off_reason, enable_logging, source, updated_at)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11, ?12, ?13, ?14, ?15, ?16,"
			" strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
			" ON CONFLICT(name, region) DO UPDATE SET"
			" account = COALESCE(excluded.account, account),"
			" log_group = COALESCE(excluded.log_group, log_group),"
			" auth_mode = CASE WHEN ?9 IS NULL THEN auth_mode ELSE excluded.auth_mode END,"
			" auth_mode_defaulted = CASE WHEN ?9 IS NULL THEN auth_mode_defaulted"
			"   ELSE excluded.auth_mode_defaulted END,"
			" logging_types = CASE WHEN ?9 IS NULL THEN logging_types ELSE excluded.logging_types END,"
			" endpoint = CASE WHEN ?9 IS NULL THEN endpoint ELSE excluded.endpoint END,"
			" checked_at = COALESCE(excluded.checked_at, checked_at),"
			" describe_error = CASE WHEN ?10 THEN excluded.describe_error ELSE describe_error END,"
			" authenticator_streams = COALESCE(excluded.authenticator_streams, authenticator_streams),"
			" logging_off_reason = CASE WHEN ?13 IS NULL THEN logging_off_reason"
			"   ELSE excluded.logging_off_reason END,"
			" enable_logging = CASE WHEN ?13 IS NULL THEN enable_logging ELSE excluded.enable_logging END,"
			" logging_off = COALESCE(excluded.logging_off, logging_off),"
			" source = excluded.source, updated_at = excluded.updated_at",
			a, NARGS(a), NULL, "cannot record the cluster", err, err_sz);
}

static void column_copy(sqlite3_stmt *st, int i, char *out, size_t out_sz)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	snprintf(out, out_sz, "%s", v ? v : "");
}

static int column_tri(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int(st, i);
}

int store_cluster_get(struct store *s, const char *name, const char *region, struct store_cluster *out,
		      int *found, char *err, size_t err_sz)
{
	const struct arg a[] = {TEXT_ARG(name), TEXT_ARG(region)};
	sqlite3_stmt *st;
	memset(out, 0, sizeof(*out));
	out->auth_mode_defaulted = out->authenticator_streams = out->logging_off = -1;
	*found = 0;
	int rc = prep(s,
		      "SELECT name, region, account, log_group, auth_mode, auth_mode_defaulted, logging_types,"
		      " endpoint, checked_at, describe_error, authenticator_streams, logging_off,"
		      " logging_off_reason, enable_logging, source, updated_at"
		      " FROM clusters WHERE name = ?1 AND region = ?2",
		      a, NARGS(a), &st, "cannot read the cluster", err, err_sz);
	if (rc)
		return rc;
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*found = 1;
		column_copy(st, 0, out->name, sizeof(out->name));
		column_copy(st, 1, out->region, sizeof(out->region));
		column_copy(st, 2, out->account, sizeof(out->account));
		column_copy(st, 3, out->log_group, sizeof(out->log_group));
		column_copy(st, 4, out->auth_mode, sizeof(out->auth_mode));
		out->auth_mode_defaulted = column_tri(st, 5);
		column_copy(st, 6, out->logging_types, sizeof(out->logging_types));
		column_copy(st, 7, out->endpoint, sizeof(out->endpoint));
		if (column_time(st, 8, &out->checked_at) != 0)
			out->checked_at = 0;
		column_copy(st, 9, out->describe_error, sizeof(out->describe_error));
		out->authenticator_streams = column_tri(st, 10);
		out->logging_off = column_tri(st, 11);
		column_copy(st, 12, out->logging_off_reason, sizeof(out->logging_off_reason));
		column_copy(st, 13, out->enable_logging, sizeof(out->enable_logging));
		column_copy(st, 14, out->source, sizeof(out->source));
		if (column_time(st, 15, &out->updated_at) != 0)
			out->updated_at = 0;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_sql_error(s->db, step, "cannot read the cluster", err, err_sz);
	return AL_OK;
}

/* XXH64 (xxHash, 64-bit): 8 bytes per step, so keying a 350-byte line
 * costs a few dozen multiplies instead of one per byte. store_key chains
 * parts through the seed; each part's length is mixed in, so ("ab","c")
 * and ("a","bc") differ. */
uint64_t store_xxh64(const void *data, size_t len, uint64_t seed)
{
	return xxh64(data, len, seed);
}

int64_t store_key(const char *const *parts, const size_t *lens, size_t n)
{
	uint64_t h = 0;
	for (size_t i = 0; i < n; i++)
		h = store_xxh64(parts[i], lens[i], h);
	return (int64_t)h;
}

char *store_default_path(void)
{
	const char *env = getenv("AUTHLOG_DB");
	if (env && *env)
		return strdup(env);
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *path = NULL;
	int n;
	if (xdg && *xdg)
		n = asprintf(&path, "%s/authlog-scan/authlog.db", xdg);
	else
		n = asprintf(&path, "%s/.local/share/authlog-scan/authlog.db", home && *home ? home : ".");
	return n < 0 ? NULL : path;
}

/* ---- retention ---- */

/* Events deleted per statement: each batch is an index range walk of the
 * time index, so the statement journal and the memory a DELETE holds stay
 * bounded whatever the cutoff covers. */
#define PRUNE_BATCH 20000

/* The one integer sql returns; -1 when it fails. */
static int64_t pragma_i64(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Runs sql with ?1 = text (when given), ?2 = n and ?3 = cluster (NULL:
 * every cluster); *changes = rows it changed. */
static int prune_exec(sqlite3 *db, const char *sql, const char *text, int64_t n, const char *cluster,
		      long long *changes, const char *what, char *err, size_t err_sz)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		if (text)
			sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
		if (sqlite3_bind_parameter_count(st) >= 2)
			sqlite3_bind_int64(st, 2, n);
		if (sqlite3_bind_parameter_count(st) >= 3 && cluster)
			sqlite3_bind_text(st, 3, cluster, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_sql_error(db, rc, what, err, err_sz);
	*changes = sqlite3_changes64(db);
	return AL_OK;
}

static int prune_rule(struct store *s, struct store_prune_rule *r, char *err, size_t err_sz)
{
	const char *cutoff = r->cutoff, *cluster = r->cluster;
	sqlite3 *db = s->db;
	long long n = 0;
	r->events = 0; /* the other counts are set by their one statement each */
	/* The largest id stays: SQLite gives a new row MAX(rowid) + 1, so
	 * without it a table pruned empty would hand out ids again. */
	int64_t newest = pragma_i64(db, "SELECT COALESCE(MAX(id), 0) FROM event_rows");
	if (newest < 0)
		return store_sql_error(db, SQLITE_ERROR, "cannot read the events", err, err_sz);
	do {
		int rc = prune_exec(db,
				    "DELETE FROM event_rows WHERE id IN (SELECT id FROM event_rows"
				    " INDEXED BY event_rows_ts_key WHERE ts < ?1 AND id <> ?2"
				    " AND (?3 IS NULL OR stream_id IN (SELECT id FROM streams WHERE cluster = ?3))"
				    " LIMIT " STRINGIFY(PRUNE_BATCH) ")",
				    cutoff, newest, cluster, &n, "cannot delete events", err, err_sz);
		if (rc)
			return rc;
		r->events += n;
	} while (n > 0);
	/* NOT IN over a subquery builds its set once: no index on the
	 * references is needed. */
	static const struct {
		const char *sql;
		size_t off;
	} steps[] = {
		{"DELETE FROM streams WHERE id NOT IN (SELECT stream_id FROM event_rows)",
		 offsetof(struct store_prune_rule, streams)},
		{"DELETE FROM identities WHERE id NOT IN"
		 " (SELECT identity_id FROM event_rows WHERE identity_id IS NOT NULL)",
		 offsetof(struct store_prune_rule, identities)},
		{"DELETE FROM errors WHERE id NOT IN (SELECT error_id FROM event_rows WHERE error_id IS NOT NULL)",
		 offsetof(struct store_prune_rule, errors)},
		/* one cluster's retention: its own groups' windows and runs only */
		{"DELETE FROM scan_windows WHERE end < ?1"
		 " AND (?3 IS NULL OR log_group IN (SELECT log_group FROM clusters WHERE name = ?3))",
		 offsetof(struct store_prune_rule, scan_windows)},
		/* The latest run of a group and query is where --since-last-run
		 * resumes; a group's latest complete run dates its last good scan. */
		{"DELETE FROM scan_runs WHERE window_end < ?1"
		 " AND (?3 IS NULL OR log_group IN (SELECT log_group FROM clusters WHERE name = ?3))"
		 " AND id NOT IN (SELECT MAX(id) FROM scan_runs GROUP BY log_group, query)"
		 " AND id NOT IN (SELECT MAX(id) FROM scan_runs WHERE status = 'complete' GROUP BY log_group)"
		 " AND id NOT IN (SELECT run_id FROM scan_windows)",
		 offsetof(struct store_prune_rule, scan_runs)},
		/* An import whose events were all pruned, or an old one that
		 * stored none; the latest is what report --new compares with. */
		{"DELETE FROM imports WHERE (started < ?1 OR imported > 0)"
		 " AND id <> (SELECT MAX(id) FROM imports)"
		 " AND id NOT IN (SELECT import_id FROM event_rows WHERE import_id IS NOT NULL)"
		 " AND id NOT IN (SELECT import_id FROM scan_runs WHERE import_id IS NOT NULL)",
		 offsetof(struct store_prune_rule, imports)},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int rc = prune_exec(db, steps[i].sql, strstr(steps[i].sql, "?1") ? cutoff : NULL, 0, cluster, &n,
				    "cannot delete unreferenced rows", err, err_sz);
		if (rc)
			return rc;
		*(long long *)((char *)r + steps[i].off) = n;
	}
	return exec_sql(db, "DELETE FROM shapes WHERE id NOT IN (SELECT shape_id FROM event_rows)",
			"cannot delete unreferenced rows", err, err_sz);
}

/* The rules, then the rollups rebuilt from the kept events by the
 * migration's own GROUP BYs: the one definition, so the report over any
 * kept window equals the events. Deleting an import moves segments and
 * deleting a config error moves in_break, which an incremental fix-up
 * would have to chase. The rebuild is most of prune's time (about 7 s per
 * million kept events on the bench machine, README "prune"), so it runs
 * once for all the rules, and not at all when no event and no import went:
 * what else a prune deletes (unreferenced streams, identities, errors and
 * shapes, scan runs and windows) is nothing the rollups are made of. */
static int prune_rows(struct store *s, struct store_prune_rule *rules, size_t n, int *rebuilt, char *err,
		      size_t err_sz)
{
	long long gone = 0;
	for (size_t i = 0; i < n; i++) {
		int rc = prune_rule(s, &rules[i], err, err_sz);
		if (rc)
			return rc;
		gone += rules[i].events + rules[i].imports;
	}
	*rebuilt = gone > 0;
	return gone ? exec_sql(s->db, rollup_migration_sql, "cannot rebuild the rollups", err, err_sz) : AL_OK;
}

int store_prune(struct store *s, struct store_prune_rule *rules, size_t n, int vacuum,
		struct store_prune_space *space, char *err, size_t err_sz)
{
	struct store_prune_space *r = space;
	memset(r, 0, sizeof(*r));
	int rc = store_begin(s, err, err_sz);
	if (rc)
		return rc;
	rc = prune_rows(s, rules, n, &r->rollups_rebuilt, err, err_sz);
	if (!rc)
		rc = store_commit(s, err, err_sz);
	/* Ids of deleted streams, identities, errors and shapes must not be reused
	 * from the cache by a later insert on this connection. */
	store_forget_interned(s);
	if (rc) {
		store_rollback(s);
		return rc;
	}
	int64_t page = pragma_i64(s->db, "PRAGMA page_size");
	int64_t before = pragma_i64(s->db, "PRAGMA page_count");
	int mode = (int)pragma_i64(s->db, "PRAGMA auto_vacuum");
	if (mode == 2)
		rc = exec_sql(s->db, "PRAGMA incremental_vacuum", "cannot vacuum", err, err_sz);
	else if (vacuum)
		/* Set before VACUUM, the mode takes with the rebuild. */
		rc = exec_sql(s->db, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM", "cannot vacuum", err, err_sz);
	if (rc)
		return rc;
	/* The WAL holds the moved pages until a checkpoint: truncating it
	 * is what gives the bytes back to the file system. */
	if (mode == 2 || vacuum)
		sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	r->freed_bytes = (before - pragma_i64(s->db, "PRAGMA page_count")) * page;
	r->reusable_bytes = pragma_i64(s->db, "PRAGMA freelist_count") * page;
	r->vacuum_mode = (int)pragma_i64(s->db, "PRAGMA auto_vacuum");
	return AL_OK;
}
