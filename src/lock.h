/* The run lock: one writer of a database at a time, across processes.
 * An exclusive flock(2) on "<db>.lock" next to the database. The kernel
 * lock is the truth (it goes away with the process, however it dies); the
 * pid written into the file is only there for the message a second run
 * prints. The file is never unlinked: removing a lock file while another
 * process waits on it would let two runs hold "the" lock at once. */
#ifndef AUTHLOG_LOCK_H
#define AUTHLOG_LOCK_H

#include <stddef.h>

struct lock;

enum lock_mode {
	LOCK_NOWAIT, /* held elsewhere: AL_TEMPFAIL at once */
	LOCK_WAIT,   /* block until it is free (a signal ends the wait) */
};

/* AL_OK and *out, or AL_TEMPFAIL when another process holds it (err names
 * the lock file and that process' pid), AL_CANTCREAT when the file cannot be
 * created, AL_TEMPFAIL with "interrupted" when a signal ended a wait. */
int lock_acquire(const char *db_path, enum lock_mode mode, struct lock **out, char *err, size_t err_sz);
/* Releases and frees; NULL is fine. */
void lock_release(struct lock *l);
/* "<db>.lock"; caller frees. NULL on out-of-memory. */
char *lock_path(const char *db_path);

#endif
