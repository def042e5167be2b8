/* import's two threads (pipeline.h). The reading thread fills batches of
 * rows, each row's texts copied into the batch (the reader's buffer and
 * the builder's row are reused for the next line); the calling thread
 * stores a batch while the next ones fill. A few batches of a thousand
 * rows bound what is held (~2 MB) and keep both threads busy. */
#include "pipeline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "msg.h"
#include "status.h"

#define BATCHES 3
#define BATCH_ROWS 1024
#define BATCH_TEXT (512 * 1024)

struct item {
	struct store_event ev;
	struct store_keys k;
};

struct batch {
	struct item *items;
	size_t n;
	char *text;
	size_t used, cap;
	long long skipped[EVENT_SKIP_MALFORMED + 1]; /* by enum event_skip, before the rows */
	long long found;                             /* stored already (pipeline_consumer.stored) */
	int full;                                    /* handed to the storing thread */
};

struct pipeline {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch b[BATCHES];
	size_t fill, take; /* next batch each thread works on */
	int done;          /* the reading thread ended, with rc and err */
	atomic_int stop;   /* the storing thread failed: read no further */
	int rc, interrupted;
	char err[512];
	/* the reading thread's */
	int fd;
	const char *name;
	struct event_builder *eb;
	const struct event_ctx *ctx;
	const struct pipeline_consumer *c;
	struct store_scratch scratch;
	enum reader_format format;
};

/* The filled batch to the storing thread; waits for the next free one. */
static int hand_over(struct pipeline *p)
{
	pthread_mutex_lock(&p->mu);
	p->b[p->fill].full = 1;
	p->fill = (p->fill + 1) % BATCHES;
	pthread_cond_broadcast(&p->cv);
	while (p->b[p->fill].full && !atomic_load(&p->stop))
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	if (atomic_load(&p->stop))
		return AL_TEMPFAIL;
	struct batch *b = &p->b[p->fill];
	b->n = b->used = 0;
	b->found = 0;
	memset(b->skipped, 0, sizeof(b->skipped));
	return AL_OK;
}

static int on_entry(void *arg, const struct reader_entry *e)
{
	struct pipeline *p = arg;
	struct batch *b = &p->b[p->fill];
	if (cli_signal()) {
		p->interrupted = 1;
		return AL_TEMPFAIL; /* ends reader_run; pipeline_run reads the flag */
	}
	if (atomic_load(&p->stop))
		return AL_TEMPFAIL;
	if (p->c->stored) {
		int found = 0, rc = p->c->stored(p->c->arg, e, &found);
		if (rc)
			return rc;
		if (found) {
			b->found++;
			return AL_OK;
		}
	}
	if (!event_build(p->eb, p->ctx, e)) {
		b->skipped[event_skipped(p->eb)]++;
		return AL_OK;
	}
	const struct store_event *ev = event_row(p->eb);
	struct store_keys k;
	store_keys_make(&p->scratch, ev, &k);
	size_t size = store_event_size(ev), need = size + (k.tpl ? k.tpl_len + 1 : 0);
	if (b->n == BATCH_ROWS || need > b->cap - b->used) {
		int rc = hand_over(p);
		if (rc)
			return rc;
		b = &p->b[p->fill];
		if (need > b->cap) { /* a line longer than a batch's text: the batch is empty, so it may move */
			char *t = realloc(b->text, need);
			if (!t) {
				msg_set(p->err, sizeof(p->err), "out of memory");
				return AL_SOFTWARE;
			}
			b->text = t;
			b->cap = need;
		}
	}
	struct item *it = &b->items[b->n++];
	char *at = b->text + b->used;
	store_event_copy(ev, at, &it->ev);
	it->k = k;
	if (k.tpl) {
		at += size;
		memcpy(at, k.tpl, k.tpl_len + 1);
		it->k.tpl = at;
	}
	b->used += need;
	return AL_OK;
}

static void *reading_thread(void *arg)
{
	struct pipeline *p = arg;
	int rc = reader_run(p->fd, p->name, on_entry, p, &p->format, p->err, sizeof(p->err));
	pthread_mutex_lock(&p->mu);
	/* the last batch, even partial, unless storing failed */
	if (!atomic_load(&p->stop)) {
		p->b[p->fill].full = 1;
		p->fill = (p->fill + 1) % BATCHES;
	}
	p->rc = rc;
	p->done = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Stores one batch on the calling thread. */
static int store_batch(struct batch *b, const struct pipeline_consumer *c)
{
	for (int why = 0; why <= EVENT_SKIP_MALFORMED; why++)
		if (b->skipped[why])
			c->skipped(c->arg, (enum event_skip)why, b->skipped[why]);
	if (b->found)
		c->found(c->arg, b->found);
	for (size_t i = 0; i < b->n; i++) {
		int rc = c->row(c->arg, &b->items[i].ev, &b->items[i].k);
		if (rc)
			return rc;
	}
	return c->batch_done(c->arg);
}

static void batches_free(struct pipeline *p)
{
	for (size_t i = 0; i < BATCHES; i++) {
		free(p->b[i].items);
		free(p->b[i].text);
	}
}

int pipeline_run(int fd, const char *name, struct event_builder *eb, const struct event_ctx *ctx,
		 const struct pipeline_consumer *c, enum reader_format *format, int *interrupted, char *err,
		 size_t err_sz)
{
	struct pipeline p = {.fd = fd, .name = name, .eb = eb, .ctx = ctx, .c = c};
	pthread_t th;
	int rc = AL_OK;
	*interrupted = 0;
	*format = READER_LINES;
	for (size_t i = 0; i < BATCHES; i++) {
		p.b[i].items = malloc(BATCH_ROWS * sizeof(*p.b[i].items));
		p.b[i].text = malloc(BATCH_TEXT);
		p.b[i].cap = BATCH_TEXT;
		if (!p.b[i].items || !p.b[i].text) {
			batches_free(&p);
			msg_set(err, err_sz, "out of memory");
			return AL_SOFTWARE;
		}
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if (pthread_create(&th, NULL, reading_thread, &p) != 0) {
		batches_free(&p);
		msg_set(err, err_sz, "cannot start the reading thread");
		return AL_SOFTWARE;
	}
	for (;;) {
		pthread_mutex_lock(&p.mu);
		while (!p.b[p.take].full && !p.done)
			pthread_cond_wait(&p.cv, &p.mu);
		struct batch *b = p.b[p.take].full ? &p.b[p.take] : NULL;
		pthread_mutex_unlock(&p.mu);
		if (!b)
			break; /* done, and every batch it filled is stored */
		rc = store_batch(b, c);
		pthread_mutex_lock(&p.mu);
		b->full = 0;
		p.take = (p.take + 1) % BATCHES;
		if (rc)
			atomic_store(&p.stop, 1);
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		if (rc)
			break;
	}
	pthread_join(th, NULL);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	store_scratch_free(&p.scratch);
	batches_free(&p);
	*format = p.format;
	*interrupted = p.interrupted;
	if (rc)
		return rc;
	if (p.rc && !p.interrupted)
		msg_set(err, err_sz, "%s", p.err);
	return p.interrupted ? AL_OK : p.rc;
}
