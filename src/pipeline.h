/* import on two cores: reading, parsing and classifying the lines (and the
 * keys and templates store_keys_make makes of them) on a thread of their
 * own, while the calling thread stores the rows. SQLite is most of an
 * import's time and runs on one thread whatever we do; what the reading
 * thread takes off it is the rest (bench/README.md, "Import on two
 * threads"). The rows reach the caller in the order of the input. */
#ifndef AUTHLOG_PIPELINE_H
#define AUTHLOG_PIPELINE_H

#include "event.h"
#include "reader.h"
#include "store.h"

struct pipeline_consumer {
	/* On the reading thread, before an entry is parsed: *stored = 1 when
	 * it is a row the database holds already (a re-import), so it is
	 * counted and neither parsed nor handed over. May be NULL; it must
	 * not touch what the calling thread uses (its own connection). */
	int (*stored)(void *arg, const struct reader_entry *e, int *stored);
	/* One row on the calling thread, with the keys made of it. Any status
	 * but AL_OK stops the run and is returned. */
	int (*row)(void *arg, const struct store_event *ev, const struct store_keys *k);
	/* On the calling thread, as the rows around them go by: entries that
	 * are no row to store, by enum event_skip, and those stored() found. */
	void (*skipped)(void *arg, enum event_skip why, long long n);
	void (*found)(void *arg, long long n);
	/* On the calling thread after each batch of rows, before their
	 * memory goes back to the reading thread (store_flush). */
	int (*batch_done)(void *arg);
	void *arg;
};

/* Reads fd to the end as reader_run does (name for messages, *format
 * what was detected), builds each entry with eb and ctx on a thread of
 * its own, and hands the rows to c on the calling thread. Returns the
 * first status that stopped it: c->row's (err is then the caller's own),
 * else reader_run's (AL_DATAERR, AL_NOINPUT with err set), else AL_OK.
 * With a signal (cli_signal) the reading stops, *interrupted is set, the
 * rows read so far are still handed over, and AL_OK is returned. */
int pipeline_run(int fd, const char *name, struct event_builder *eb, const struct event_ctx *ctx,
		 const struct pipeline_consumer *c, enum reader_format *format, int *interrupted, char *err,
		 size_t err_sz);

#endif
