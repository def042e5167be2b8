#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "status.h"
#include "store.h"

struct lock {
	int fd;
};

char *lock_path(const char *db_path)
{
	char *p = NULL;
	return asprintf(&p, "%s.lock", db_path) < 0 ? NULL : p;
}

/* The pid the holder wrote, or 0 when the file says nothing usable. */
static long holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *end;
	long pid = strtol(buf, &end, 10);
	return pid > 0 && (*end == '\n' || *end == '\0') ? pid : 0;
}

int lock_acquire(const char *db_path, enum lock_mode mode, struct lock **out, char *err, size_t err_sz)
{
	struct lock *l = NULL;
	char *path = lock_path(db_path);
	int fd = -1, rc;

	*out = NULL;
	if (!path) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	rc = store_mkdir_parents(path, err, err_sz);
	if (rc)
		goto out;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		msg_set(err, err_sz, "cannot open the lock file %s: %s", path, strerror(errno));
		rc = AL_CANTCREAT;
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK) {
			msg_set(err, err_sz, "cannot lock %s: %s", path, strerror(errno));
			rc = AL_CANTCREAT;
			goto out;
		}
		if (mode == LOCK_NOWAIT) {
			long pid = holder_pid(fd);
			if (pid)
				msg_set(err, err_sz, "another run holds %s (pid %ld); try again later or use --wait",
					 path, pid);
			else
				msg_set(err, err_sz, "another run holds %s; try again later or use --wait", path);
			rc = AL_TEMPFAIL;
			goto out;
		}
		/* Blocking wait. The caller's SIGINT/SIGTERM handlers are
		 * installed without SA_RESTART, so a signal ends it with EINTR. */
		if (flock(fd, LOCK_EX) != 0) {
			int e = errno;
			if (e == EINTR) {
				msg_set(err, err_sz, "interrupted while waiting for %s", path);
				rc = AL_TEMPFAIL;
			} else {
				msg_set(err, err_sz, "cannot lock %s: %s", path, strerror(e));
				rc = AL_CANTCREAT;
			}
			goto out;
		}
	}
	/* The pid goes into the file (ftruncate + pwrite): only into a plain
	 * file of its own. A second link would make that another file's
	 * content (O_NOFOLLOW already refuses a symlink; O_TRUNC is never
	 * used). Checked under the lock, just before the write. */
	struct stat st;
	if (fstat(fd, &st) != 0) {
		msg_set(err, err_sz, "cannot read the lock file %s: %s", path, strerror(errno));
		rc = AL_CANTCREAT;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink > 1) {
		if (S_ISREG(st.st_mode))
			msg_set(err, err_sz, "the lock file %s has %lu links (it is also another file): refusing to write it; "
				"remove it", path, (unsigned long)st.st_nlink);
		else
			msg_set(err, err_sz, "the lock file %s is not a plain file: remove it", path);
		rc = AL_CANTCREAT;
		goto out;
	}
	/* Diagnostics only: a failure to write the pid does not matter. */
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0)
		(void)0;
	l = malloc(sizeof(*l));
	if (!l) {
		msg_set(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
		goto out;
	}
	l->fd = fd;
	fd = -1;
	*out = l;
	rc = AL_OK;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

void lock_release(struct lock *l)
{
	if (!l)
		return;
	/* Empty the pid first so a reader never blames a finished run (not
	 * if someone linked the file elsewhere meanwhile). */
	struct stat st;
	if (fstat(l->fd, &st) == 0 && st.st_nlink == 1 && ftruncate(l->fd, 0) != 0)
		(void)0;
	close(l->fd); /* drops the flock */
	free(l);
}
