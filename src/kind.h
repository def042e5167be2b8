/* The kind of a stored principal (node, Fargate, person or CI job), from
 * the STS session names stored with it. The canonical ARN of a denial
 * has lost its session, but the principal's `STS response` lines keep it,
 * and a node role's sessions are its instance ids. */
#ifndef AUTHLOG_KIND_H
#define AUTHLOG_KIND_H

#include <sqlite3.h>
#include <stddef.h>

#include "arn.h"

/* *out = arn_kind() of the principal's name and the first of its stored
 * sessions that says node or Fargate; KIND_HUMAN when none does, and
 * KIND_UNKNOWN when no session is stored (then the name alone can tell).
 * One node session is enough, even among others: a role that EC2 nodes
 * assume must never be mapped as a person, whose groups every pod on those
 * nodes would then hold; the fix says to give the others a role of their
 * own.
 * AL_OK, or an al_status through store_sql_error. */
int kind_lookup(sqlite3 *db, const char *principal_arn, enum principal_kind *out, char *err, size_t err_sz);

#endif
