#include "kind.h"

#include "status.h"
#include "store.h"

/* A role's sessions are one identities row each (the interned table
 * behind the events view, indexed by principal_arn). A node role's every
 * session is an instance id, so a few rows decide; the limit bounds the
 * walk over a CI role's thousands of one-off session names. */
#define KIND_SESSIONS "256"

int kind_lookup(sqlite3 *db, const char *principal_arn, enum principal_kind *out, char *err, size_t err_sz)
{
	static const char sql[] = "SELECT principal_name, session FROM identities"
				  " WHERE principal_arn = ?1 AND session IS NOT NULL LIMIT " KIND_SESSIONS;
	sqlite3_stmt *st = NULL;
	*out = KIND_UNKNOWN;
	if (!principal_arn || !*principal_arn)
		return AL_OK;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, principal_arn, -1, SQLITE_STATIC);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum principal_kind k = arn_kind((const char *)sqlite3_column_text(st, 0),
						 (const char *)sqlite3_column_text(st, 1));
		if (k != KIND_HUMAN) {
			*out = k;
			break;
		}
		*out = KIND_HUMAN;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_OK)
		return store_sql_error(db, rc, "cannot read the principal's sessions", err, err_sz);
	return AL_OK;
}
