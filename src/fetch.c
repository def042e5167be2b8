#include "fetch_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "msg.h"
#include "report.h"
#include "status.h"
#include "timeutil.h"

#define DEFAULT_CONCURRENCY 8         /* under a tenth of the account's 100 concurrent queries; more mostly
				       * wait for their polls (DEFAULT_TPS), see the README */
#define DEFAULT_MAX_ATTEMPTS 4
#define DEFAULT_TPS 5.0               /* per operation: the documented Logs Insights API rate */
#define POLL_FIRST_MS 1000.0          /* queries take a second or more; polls >= 1 s apart */
#define POLL_STEADY 3                 /* the first polls stay 1 s apart: most queries end there */
#define POLL_MAX_MS 3000.0            /* then 1.5, 2.25, 3 s for the long ones */
#define RETRY_BASE_MS 2000.0          /* a failed window waits 2, 4, 8 … s (jittered) */
#define RETRY_MAX_MS 60000.0
#define LIMIT_BASE_MS 2000.0          /* LimitExceededException: everyone waits 2, 4 … 60 s */
#define LIMIT_MAX_MS 60000.0
#define LIMIT_GIVE_UP_MS 1800000.0    /* a window waits at most 30 min in total for a slot */
#define QUERY_DEADLINE_MS 3900000.0   /* the service times queries out at 60 min; 65 is ours */
#define STUCK_SPLITS_MAX 2            /* a window still Running that long is split twice at most */
#define STOP_TIMEOUT_MS 1500L         /* StopQuery is best-effort: one attempt, short, so that a
				       * stopping run ends promptly even when the endpoint hangs */
#define WAIT_SAY_MS 30000.0           /* -v: a query still waited for is said every 30 s */
#define POLL_ERRORS_MAX 5             /* GetQueryResults failures in a row before giving up */
#define BACKLOG_PER_WORKER 2          /* fetched windows waiting for the caller, per worker */
#define FILTER_TPS 4.0                /* FilterLogEvents: 5 requests/s per account and Region, a hard
				       * limit every caller shares (re:Post knowledge center,
				       * cloudwatch-logs-throttling): this run stays under it */

/* ---- rows of one window ---- */

enum { F_MESSAGE, F_TIMESTAMP, F_STREAM, F_GROUP, F_PTR, F_COUNT };
#define ABSENT SIZE_MAX

struct fetch_row {
	size_t off[F_COUNT]; /* into data, ABSENT when the field was missing */
	size_t message_len;
};

struct fetch_rows {
	struct buf data;
	struct fetch_row *v;
	size_t n, cap;
};

size_t fetch_rows_count(const struct fetch_rows *r)
{
	return r->n;
}

void fetch_rows_get(const struct fetch_rows *r, size_t i, struct results_row *out)
{
	const struct fetch_row *row = &r->v[i];
	const char *d = r->data.data;
	out->message = row->off[F_MESSAGE] == ABSENT ? NULL : d + row->off[F_MESSAGE];
	out->message_len = row->message_len;
	out->timestamp = row->off[F_TIMESTAMP] == ABSENT ? NULL : d + row->off[F_TIMESTAMP];
	out->log_stream = row->off[F_STREAM] == ABSENT ? NULL : d + row->off[F_STREAM];
	out->log_group = row->off[F_GROUP] == ABSENT ? NULL : d + row->off[F_GROUP];
	out->ptr = row->off[F_PTR] == ABSENT ? NULL : d + row->off[F_PTR];
}

static void rows_reset(struct fetch_rows *r)
{
	buf_reset(&r->data);
	r->n = 0;
}

/* Back to the first n rows, data.len bytes: a query's earlier polls go,
 * the window's earlier queries stay. */
static void rows_truncate(struct fetch_rows *r, size_t n, size_t len)
{
	r->n = n;
	r->data.len = len;
}

static void rows_free(struct fetch_rows *r)
{
	if (!r)
		return;
	buf_free(&r->data);
	free(r->v);
	free(r);
}

static size_t put_field(struct buf *b, const char *s, size_t len)
{
	if (!s)
		return ABSENT;
	size_t off = b->len;
	buf_append(b, s, len);
	buf_putc(b, '\0');
	return off;
}

/* ---- time ---- */

static struct timespec abs_deadline(int64_t until_ms)
{
	struct timespec ts = {(time_t)(until_ms / 1000), (long)(until_ms % 1000) * 1000000L};
	return ts;
}

/* ---- window sizes ---- */

#define FILL 0.75              /* aim parts at 3/4 of the cap: densities vary */
#define MAX_PARTS 64
#define FIRST_WINDOW_S 3600    /* first windows: an hour, so a capped one wastes little */
#define MAX_FIRST_WINDOWS 96   /* longer for long ranges (more than 4 days) */

void fetch_query_plan(const char *query, int *limit, int *split)
{
	int own = fetch_query_limit(query);
	*split = own == 0 || own >= LOGS_API_LEGACY_LIMIT;
	*limit = own > 0 && own < LOGS_API_MAX_LIMIT ? own : LOGS_API_MAX_LIMIT;
}

/* A window that hits the cap is billed for all it scanned and run again in
 * parts, so the first ones are kept small; the rows per second they see
 * then splits the later ones before they run (parts_ahead). A busy cluster
 * wastes about one hour of scanning per worker, a quiet one costs one
 * short query per hour. */
size_t fetch_first_parts(int64_t start, int64_t end, int split)
{
	int64_t n = split ? (end - start + FIRST_WINDOW_S - 1) / FIRST_WINDOW_S : 1;
	if (n > MAX_FIRST_WINDOWS)
		n = MAX_FIRST_WINDOWS;
	return n < 1 ? 1 : (size_t)n;
}

size_t fetch_split_parts(int64_t start, int64_t end, double matched, int cap)
{
	int64_t len = end - start;
	if (len <= 1)
		return 0;
	size_t n = 2;
	if (cap > 0 && matched > cap) {
		double want = ceil(matched / (FILL * cap));
		n = want > MAX_PARTS ? MAX_PARTS : want < 2 ? 2 : (size_t)want;
	}
	if ((int64_t)n > len)
		n = (size_t)len;
	return n;
}

/* Parts for a window not yet run whose group's rows per second so far say
 * it would hit the cap; 0 to run it whole. */
static size_t parts_ahead(double rows, double seconds, int64_t start, int64_t end, int cap)
{
	if (seconds <= 0 || cap <= 0)
		return 0;
	double expected = rows / seconds * (double)(end - start);
	return expected > FILL * cap ? fetch_split_parts(start, end, expected, cap) : 0;
}

void fetch_split_bounds(int64_t start, int64_t end, size_t n, size_t i, int64_t *s, int64_t *e)
{
	int64_t len = end - start;
	*s = start + len * (int64_t)i / (int64_t)n;
	*e = start + len * (int64_t)(i + 1) / (int64_t)n;
}

int fetch_query_limit(const char *query)
{
	int limit = 0;
	for (const char *p = query; *p; p++) {
		if (*p == '#') { /* a comment runs to the end of the line */
			while (*p && *p != '\n')
				p++;
			if (!*p)
				break;
			continue;
		}
		if (*p != '|')
			continue;
		const char *q = p + 1;
		while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
			q++;
		if (strncmp(q, "limit", 5) != 0 || (q[5] != ' ' && q[5] != '\t'))
			continue;
		q += 5;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q >= '0' && *q <= '9')
			limit = (int)strtol(q, NULL, 10);
	}
	return limit;
}

/* ---- the streams a window's queries name ---- */

#define STREAM_ACTIVE_S 3600   /* lastEventTimestamp is updated "typically in less than an hour"
				* (DescribeLogStreams reference): a stream that recent may hold
				* later events */
#define QUERY_MAX_LEN 10000    /* StartQuery queryString, at most 10,000 characters */

size_t fetch_streams_select(const struct logs_stream_list *l, int64_t start, int64_t end, int64_t now, size_t *idx,
			    int64_t *qs, int64_t *qe)
{
	size_t n = 0;
	int64_t lo = end, hi = start;
	for (size_t i = 0; i < l->n; i++) {
		const struct logs_stream *st = &l->v[i];
		if (st->first_ms <= 0)
			continue; /* no event at all */
		int64_t first = st->first_ms / 1000;
		int64_t last = st->last_ms <= 0 || st->last_ms / 1000 >= now - STREAM_ACTIVE_S ? end
											 : (st->last_ms + 999) / 1000;
		if (first > end || last < start)
			continue;
		idx[n++] = i;
		if (first < lo)
			lo = first;
		if (last > hi)
			hi = last;
	}
	*qs = lo > start ? lo : start;
	*qe = hi < end ? hi : end;
	return n;
}

/* A stream name as a Logs Insights string literal. Names come from the
 * log group (anyone who may write to it picks them): quotes and
 * backslashes are escaped. */
static void put_literal(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static size_t literal_len(const char *s)
{
	size_t n = 2;
	for (; *s; s++)
		n += (*s == '"' || *s == '\\') ? 2 : 1;
	return n;
}

/* Where the query's first command starts: after its leading comment and
 * blank lines. */
static size_t first_command(const char *q)
{
	const char *p = q;
	for (;;) {
		const char *l = p + strspn(p, " \t\r");
		if (*l == '#' || *l == '\n') {
			const char *nl = strchr(l, '\n');
			if (!nl)
				return strlen(q);
			p = nl + 1;
			continue;
		}
		return (size_t)(p - q);
	}
}

#define IN_HEAD "filter @logStream in ["
#define IN_TAIL "]\n| "

int fetch_stream_queries(const char *query, const struct logs_stream_list *l, const size_t *idx, size_t n,
			 size_t max_len, char ***out, size_t *nout)
{
	size_t at = first_command(query), qlen = strlen(query);
	size_t fixed = qlen + strlen(IN_HEAD) + strlen(IN_TAIL);
	char **v = NULL;
	size_t nv = 0;
	int rc = AL_OK;
	*out = NULL;
	*nout = 0;
	for (size_t i = 0; i < n && rc == AL_OK;) {
		size_t len = fixed, j = i;
		while (j < n) {
			size_t add = literal_len(l->v[idx[j]].name) + (j > i ? 2 : 0); /* ", " between */
			if (len + add > max_len)
				break;
			len += add;
			j++;
		}
		if (j == i) {
			rc = AL_DATAERR;
			break;
		}
		struct buf b = BUF_INIT;
		buf_append(&b, query, at);
		buf_puts(&b, IN_HEAD);
		for (size_t k = i; k < j; k++) {
			if (k > i)
				buf_puts(&b, ", ");
			put_literal(&b, l->v[idx[k]].name);
		}
		buf_puts(&b, IN_TAIL);
		buf_append(&b, query + at, qlen - at);
		char **nvv = b.oom ? NULL : realloc(v, (nv + 1) * sizeof(*v));
		if (!nvv) {
			buf_free(&b);
			rc = AL_SOFTWARE;
			break;
		}
		v = nvv;
		v[nv++] = buf_take(&b);
		i = j;
	}
	if (rc != AL_OK) {
		for (size_t k = 0; k < nv; k++)
			free(v[k]);
		free(v);
		return rc;
	}
	*out = v;
	*nout = nv;
	return AL_OK;
}

/* ---- the engine ---- */

struct wnode {
	struct fetch_window w; /* first: callbacks get &node->w and we cast back */
	int64_t not_before;    /* monotonic ms */
	double limit_waited_ms;
	int sized;             /* made by a split that knew the row count: never split ahead */
	int stuck;             /* splits of this window's ancestors that were still Running */
	int probe;             /* it holds its group's probe (group_state.probing) */
	struct wnode *next;
};

struct event_node {
	struct fetch_event ev;
	struct fetch_window copy; /* RETRY: the window as it was (the node went back to the queue) */
	struct wnode *node;
	struct wnode **children;
	struct fetch_window **child_w;
	struct fetch_rows *rows;
	char *error;
	struct event_node *next;
};

struct worker {
	struct fetch *f;
	pthread_t th;
	int started;
	struct aws_client *client, *stop_client;
	struct fetch_rows *rows;
	size_t mark, mark_len; /* rows (and their bytes) of the window's earlier queries */
	int oom;
	/* What the worker waits for, under f->mu, for the -v waiting lines:
	 * the query (qid[0] == 0: none), since when, its last status, and
	 * since when a GetQueryResults call has been unanswered (0: none). */
	const char *group;
	size_t gi;                    /* the window's group, */
	const struct logs_target *t;  /* and where and as whom its calls go */
	char qid[LOGS_API_QUERY_ID_MAX], win[64], status[32];
	int64_t query_t0, call_t0, said;
};

struct group_state {
	double rows, seconds; /* rows per second seen so far, for splitting ahead */
	double bytes, bseconds; /* bytes scanned per second of query window so far, for the budget */
	int probing;            /* a window of a group nothing estimates yet is running: the others wait */
	int dead_rc;            /* isolate: the group ended with this status, */
	char dead_msg[700];     /* for this reason: its windows fail, the others go on */
};

enum { OP_START, OP_POLL, OP_STOP, OP_FILTER, OP_COUNT };

struct fetch {
	struct fetch_opts o;
	double scale;
	pthread_mutex_t mu;
	pthread_cond_t work_cv, main_cv;

	struct wnode *queue;
	struct event_node *ev_head, *ev_tail;
	size_t backlog; /* DONE events not yet taken by the caller */
	size_t outstanding, windows_done, windows_total;
	double range_seconds, covered_seconds;
	int cancelled, finished, interrupted, timed_out;
	int64_t patience_ms; /* a query still Running this long is stopped and its window split */
	int fatal_rc;
	char fatal_msg[700];

	/* StartQuery's limit and the rows that mean "there may be more":
	 * lowered to the legacy 10,000 once, for the rest of the run, when
	 * the service refuses the larger limit (legacy set) */
	int limit, cap, legacy;

	/* the concurrent-query gate */
	int running, slots, limit_streak, good_since_limit;
	int64_t hold_until;

	/* the budget (o.max_scan): bytes billed by the queries that ended,
	 * the estimates of those running, and once it stopped the run the
	 * estimate that would have passed it */
	double billed, reserved, refused;
	int over_budget;

	int64_t next_call[OP_COUNT];
	uint64_t rng;
	struct group_state *gs;

	struct worker *workers;
	int nworkers;
	int64_t t0;
};

static void vlog(struct fetch *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vlog(struct fetch *f, const char *fmt, ...)
{
	if (!f->o.verbose)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "authlog-scan: scan: %s\n", line); /* one call: lines do not interleave */
}

static double jitter(struct fetch *f)
{
	/* xorshift64*, under f->mu: good enough to spread retries */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return (double)((f->rng * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static const char *fmt_window(const struct fetch_window *w, char *out, size_t out_sz)
{
	char a[TIME_ISO_LEN], b[TIME_ISO_LEN];
	time_format(w->start, a);
	time_format(w->end, b);
	snprintf(out, out_sz, "%s..%s", a, b);
	return out;
}

/* Under f->mu: the run is over for the workers. A signal counts at once,
 * not only when the caller's thread gets round to it: that thread may be
 * busy storing rows while the workers would fetch on. */
static int is_cancelled(struct fetch *f)
{
	int sig = f->o.cancel && atomic_load(f->o.cancel);
	if (!f->cancelled && (sig || (f->o.deadline_ms > 0 && time_mono_ms() >= f->o.deadline_ms))) {
		f->cancelled = 1;
		if (sig)
			f->interrupted = 1;
		else
			f->timed_out = 1;
		pthread_cond_broadcast(&f->work_cv);
		pthread_cond_signal(&f->main_cv);
	}
	return f->cancelled;
}

static int is_cancelled_now(struct fetch *f)
{
	pthread_mutex_lock(&f->mu);
	int c = is_cancelled(f);
	pthread_mutex_unlock(&f->mu);
	return c;
}

/* Sleeps until the monotonic time until_ms unless the run is cancelled.
 * 1 = slept, 0 = cancelled. Called without f->mu. */
static int sleep_until(struct fetch *f, int64_t until_ms)
{
	int ok;
	pthread_mutex_lock(&f->mu);
	while (!is_cancelled(f) && time_mono_ms() < until_ms) {
		struct timespec ts = abs_deadline(until_ms);
		pthread_cond_timedwait(&f->work_cv, &f->mu, &ts);
	}
	ok = !is_cancelled(f);
	pthread_mutex_unlock(&f->mu);
	return ok;
}

/* Spaces calls of one operation across all workers: one every
 * interval_ms. 1 = go, 0 = cancelled. */
static int pace(struct fetch *f, int op, int64_t interval)
{
	int64_t at;
	pthread_mutex_lock(&f->mu);
	at = time_mono_ms();
	if (f->next_call[op] > at)
		at = f->next_call[op];
	f->next_call[op] = at + interval;
	pthread_mutex_unlock(&f->mu);
	return sleep_until(f, at);
}

/* The Logs Insights calls: tps per second (tests scale it). */
static int rate_wait(struct fetch *f, int op)
{
	double tps = f->o.tps > 0 ? f->o.tps : DEFAULT_TPS;
	return pace(f, op, (int64_t)(1000.0 / tps * f->scale));
}

static struct event_node *event_new(enum fetch_event_kind kind, struct wnode *n, const struct fetch_cost *cost)
{
	struct event_node *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->ev.kind = kind;
	e->node = n;
	e->ev.window = &n->w;
	if (cost)
		e->ev.cost = *cost;
	return e;
}

/* Under f->mu. */
static void event_push(struct fetch *f, struct event_node *e)
{
	if (f->ev_tail)
		f->ev_tail->next = e;
	else
		f->ev_head = e;
	f->ev_tail = e;
	if (e->ev.kind == FETCH_DONE)
		f->backlog++;
	pthread_cond_signal(&f->main_cv);
}

/* Under f->mu; NULL when the queue is empty. */
static struct event_node *event_pop(struct fetch *f)
{
	struct event_node *e = f->ev_head;
	if (e) {
		f->ev_head = e->next;
		if (!f->ev_head)
			f->ev_tail = NULL;
	}
	return e;
}

static void event_free(struct event_node *e)
{
	if (!e)
		return;
	if (e->children) {
		/* children not handed to the queue (the run ended first) */
		for (size_t i = 0; i < e->ev.nchildren; i++)
			free(e->children[i]);
	}
	free(e->children);
	free(e->child_w);
	rows_free(e->rows);
	free(e->error);
	free(e->node);
	free(e);
}

/* Ends the run: the first fatal error wins. Takes and releases f->mu. */
static void fatal(struct fetch *f, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fatal(struct fetch *f, int rc, const char *fmt, ...)
{
	pthread_mutex_lock(&f->mu);
	if (!f->fatal_rc) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(f->fatal_msg, sizeof(f->fatal_msg), fmt, ap);
		va_end(ap);
		f->fatal_rc = rc;
	}
	f->cancelled = 1;
	pthread_cond_broadcast(&f->work_cv);
	pthread_cond_signal(&f->main_cv);
	pthread_mutex_unlock(&f->mu);
}

static const struct logs_target *target_of(const struct fetch *f, size_t gi)
{
	return f->o.targets && f->o.targets[gi] ? f->o.targets[gi] : f->o.target;
}

/* An error of group gi that no retry mends (access denied, credentials
 * refused, no such group, a query it refuses): with o.isolate the group
 * ends — its windows fail with this message, the other groups go on —
 * else the run does (fatal). Takes and releases f->mu. */
static void group_fatal(struct fetch *f, size_t gi, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void group_fatal(struct fetch *f, size_t gi, int rc, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!f->o.isolate) {
		fatal(f, rc, "%s", msg);
		return;
	}
	pthread_mutex_lock(&f->mu);
	struct group_state *g = &f->gs[gi];
	if (!g->dead_rc) {
		g->dead_rc = rc;
		snprintf(g->dead_msg, sizeof(g->dead_msg), "%s", msg);
	}
	pthread_mutex_unlock(&f->mu);
}

/* Under f->mu: window n of a group that ended fails with the group's
 * error (the next run fetches it again). */
static void fail_dead(struct fetch *f, struct wnode *n, const struct fetch_cost *cost)
{
	const struct group_state *g = &f->gs[n->w.group];
	struct event_node *e = event_new(FETCH_FAILED, n, cost);
	if (e && (e->error = strdup(g->dead_msg))) {
		e->ev.error = e->error;
		e->ev.group_rc = g->dead_rc;
		event_push(f, e);
		return;
	}
	if (e)
		e->node = NULL;
	event_free(e);
	free(n);
	if (!f->fatal_rc) {
		f->fatal_rc = AL_SOFTWARE;
		snprintf(f->fatal_msg, sizeof(f->fatal_msg), "out of memory");
	}
	f->cancelled = 1;
	pthread_cond_broadcast(&f->work_cv);
}

/* Window n ends without rows (stopped, or its query failed for good):
 * when its group ended it fails with the group's error; else it stays
 * unreported (the next run fetches it) and what it billed is a RETRY. */
static void post_cost(struct fetch *f, const struct fetch_window *w, const char *why, const struct fetch_cost *cost);
static void window_dropped(struct fetch *f, struct wnode *n, const char *why, const struct fetch_cost *cost)
{
	pthread_mutex_lock(&f->mu);
	int dead = f->gs[n->w.group].dead_rc != 0;
	if (dead)
		fail_dead(f, n, cost);
	pthread_mutex_unlock(&f->mu);
	if (!dead) {
		post_cost(f, &n->w, why, cost);
		free(n);
	}
}

/* Builds a SPLIT event for n into parts windows. Under f->mu or not: it
 * only allocates. NULL on out-of-memory. */
static struct event_node *split_event(struct wnode *n, size_t parts, const struct fetch_cost *cost)
{
	struct event_node *e = event_new(FETCH_SPLIT, n, cost);
	if (!e)
		return NULL;
	e->children = calloc(parts, sizeof(*e->children));
	e->child_w = calloc(parts, sizeof(*e->child_w));
	if (!e->children || !e->child_w)
		goto oom;
	e->ev.nchildren = parts;
	for (size_t i = 0; i < parts; i++) {
		struct wnode *c = calloc(1, sizeof(*c));
		if (!c)
			goto oom;
		fetch_split_bounds(n->w.start, n->w.end, parts, i, &c->w.start, &c->w.end);
		c->w.group = n->w.group;
		c->sized = 1;
		c->stuck = n->stuck;
		e->children[i] = c;
		e->child_w[i] = &c->w;
	}
	e->ev.children = e->child_w;
	return e;
oom:
	e->node = NULL; /* not ours to free on this path */
	event_free(e);
	return NULL;
}

/* With --max-scan, a group nothing estimates yet: no query of it has
 * said what it scanned, and there is no prior (a Standard group's named
 * query bills only the authenticator share of its storedBytes). Its
 * first query is checked against the bytes billed only, so it runs
 * alone: queries started beside it could pass the limit by all they
 * scan. FilterLogEvents bills no scan. Under f->mu. */
static int group_blind(const struct fetch *f, size_t group)
{
	return f->o.max_scan > 0 && !(f->o.filter && f->o.filter[group]) && f->gs[group].bseconds <= 0 &&
	       !(f->o.bytes_per_s && f->o.bytes_per_s[group] > 0);
}

/* Picks the next window a worker may start, with a query slot. Windows
 * whose group's density says they would hit the cap are split here
 * first; those of a blind group wait in the queue while one of its
 * windows runs. NULL when the run is over. */
static struct wnode *take_window(struct fetch *f)
{
	struct wnode *n = NULL;
	size_t backlog_max = (size_t)(f->nworkers * BACKLOG_PER_WORKER);
	pthread_mutex_lock(&f->mu);
	for (;;) {
		if (is_cancelled(f) || f->finished || f->over_budget)
			break;
		int64_t now = time_mono_ms(), wake = now + 200;
		int can_start = f->running < f->slots && now >= f->hold_until && f->backlog < backlog_max;
		if (now < f->hold_until)
			wake = f->hold_until;
		if (can_start) {
			struct wnode **pp = &f->queue;
			while (*pp && ((*pp)->not_before > now ||
				       (f->gs[(*pp)->w.group].probing && group_blind(f, (*pp)->w.group)))) {
				if ((*pp)->not_before > now && (*pp)->not_before < wake)
					wake = (*pp)->not_before;
				pp = &(*pp)->next;
			}
			if (*pp) {
				n = *pp;
				*pp = n->next;
				n->next = NULL;
				const struct group_state *g = &f->gs[n->w.group];
				if (g->dead_rc) {
					fail_dead(f, n, NULL);
					n = NULL;
					continue;
				}
				size_t parts = f->o.split && !n->sized
						       ? parts_ahead(g->rows, g->seconds, n->w.start, n->w.end, f->cap)
						       : 0;
				if (parts >= 2) {
					struct event_node *e = split_event(n, parts, NULL);
					if (e) {
						event_push(f, e);
						n = NULL;
						continue;
					}
					/* out of memory: just run it whole */
				}
				if (group_blind(f, n->w.group)) {
					n->probe = 1;
					f->gs[n->w.group].probing = 1;
				}
				f->running++;
				break;
			}
		}
		struct timespec ts = abs_deadline(wake);
		pthread_cond_timedwait(&f->work_cv, &f->mu, &ts);
	}
	pthread_mutex_unlock(&f->mu);
	return n;
}

/* The query of window n ended (or never started): its slot is free, and
 * so is its group's probe when n held it (the group's rate, if n's query
 * said it, now estimates the others; else the next window probes). */
static void slot_release(struct fetch *f, struct wnode *n, int completed)
{
	pthread_mutex_lock(&f->mu);
	f->running--;
	if (n->probe) {
		n->probe = 0;
		f->gs[n->w.group].probing = 0;
	}
	/* Additive increase: after a few queries went through without a
	 * LimitExceeded, allow one more at once again. */
	if (completed && f->slots < f->nworkers && ++f->good_since_limit >= 2) {
		f->slots++;
		f->good_since_limit = 0;
	}
	pthread_cond_broadcast(&f->work_cv);
	pthread_mutex_unlock(&f->mu);
}

/* LimitExceededException: the account is at its concurrent-query quota.
 * Hold every worker off (growing delay) and run fewer at once. Returns the
 * hold-off in ms. Under f->mu. */
static double limit_hit(struct fetch *f)
{
	f->limit_streak++;
	f->good_since_limit = 0;
	f->slots = f->running > 1 ? f->running : 1;
	double d = LIMIT_BASE_MS * pow(2, f->limit_streak > 6 ? 5 : f->limit_streak - 1);
	if (d > LIMIT_MAX_MS)
		d = LIMIT_MAX_MS;
	d = (d / 2 + d / 2 * jitter(f)) * f->scale;
	int64_t until = time_mono_ms() + (int64_t)d;
	if (until > f->hold_until)
		f->hold_until = until;
	pthread_cond_broadcast(&f->work_cv);
	return d;
}

/* Back into the queue (front: it keeps its place in time order). */
static void requeue(struct fetch *f, struct wnode *n, double delay_ms)
{
	pthread_mutex_lock(&f->mu);
	n->not_before = time_mono_ms() + (int64_t)delay_ms;
	n->next = f->queue;
	f->queue = n;
	pthread_cond_broadcast(&f->work_cv);
	pthread_mutex_unlock(&f->mu);
}

static void post(struct fetch *f, struct event_node *e)
{
	pthread_mutex_lock(&f->mu);
	event_push(f, e);
	pthread_mutex_unlock(&f->mu);
}

/* Out of memory on the way to posting n: the run ends. e, when there is
 * one, does not own n yet. */
static void lost(struct fetch *f, struct event_node *e, struct wnode *n)
{
	if (e)
		e->node = NULL;
	event_free(e);
	free(n);
	fatal(f, AL_SOFTWARE, "out of memory");
}

/* Replaces n by parts windows. 0, or -1 when the run ended instead. */
static int post_split(struct fetch *f, struct wnode *n, size_t parts, const struct fetch_cost *cost)
{
	struct event_node *e = split_event(n, parts, cost);
	if (!e) {
		lost(f, NULL, n);
		return -1;
	}
	post(f, e);
	return 0;
}

static void post_failed(struct fetch *f, struct wnode *n, const char *why, const struct fetch_cost *cost)
{
	struct event_node *e = event_new(FETCH_FAILED, n, cost);
	if (e)
		e->error = strdup(why);
	if (!e || !e->error) {
		lost(f, e, n);
		return;
	}
	e->ev.error = e->error;
	post(f, e);
}

/* What a query that brought nothing cost still counts: a RETRY event
 * (the window is fetched again, by this run or the next). */
static void post_cost(struct fetch *f, const struct fetch_window *w, const char *why, const struct fetch_cost *cost)
{
	if (!cost || !cost->queries)
		return;
	struct event_node *e = calloc(1, sizeof(*e));
	if (e) {
		e->ev.kind = FETCH_RETRY;
		e->copy = *w;
		e->ev.window = &e->copy;
		e->ev.cost = *cost;
		e->error = strdup(why);
		e->ev.error = e->error ? e->error : "";
		post(f, e);
	}
}

/* One attempt failed: retry later with backoff, or give up on the window. */
static void attempt_failed(struct fetch *f, struct wnode *n, const char *why, const struct fetch_cost *cost)
{
	char win[64];
	n->w.attempts++;
	if (n->w.attempts >= (f->o.max_attempts > 0 ? f->o.max_attempts : DEFAULT_MAX_ATTEMPTS)) {
		vlog(f, "%s %s: giving up after %d attempts: %s", f->o.groups[n->w.group],
		     fmt_window(&n->w, win, sizeof(win)), n->w.attempts, why);
		post_failed(f, n, why, cost);
		return;
	}
	post_cost(f, &n->w, why, cost);
	pthread_mutex_lock(&f->mu);
	double d = RETRY_BASE_MS * pow(2, n->w.attempts - 1);
	if (d > RETRY_MAX_MS)
		d = RETRY_MAX_MS;
	d = (d / 2 + d / 2 * jitter(f)) * f->scale;
	pthread_mutex_unlock(&f->mu);
	vlog(f, "%s %s: attempt %d failed (%s); retrying in %.1f s", f->o.groups[n->w.group],
	     fmt_window(&n->w, win, sizeof(win)), n->w.attempts, why, d / 1000);
	requeue(f, n, d);
}

static void stop_query(struct worker *wk, const char *qid)
{
	struct fetch *f = wk->f;
	struct aws_fault fault;
	char err[AWS_ERR_MAX];
	int stopped = 0;
	int rc = logs_api_stop_query(wk->stop_client, wk->t, qid, &stopped, &fault, err, sizeof(err));
	if (rc)
		vlog(f, "StopQuery %s failed (ignored): %s", qid, err);
	else
		vlog(f, "StopQuery %s: %s", qid, stopped ? "stopped" : "it had already ended");
}

static int collect_row(void *ctx, const struct results_row *row)
{
	struct worker *wk = ctx;
	struct fetch_rows *r = wk->rows;
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 1024;
		struct fetch_row *nv = realloc(r->v, ncap * sizeof(*nv));
		if (!nv) {
			wk->oom = 1;
			return AL_SOFTWARE;
		}
		r->v = nv;
		r->cap = ncap;
	}
	struct fetch_row *x = &r->v[r->n];
	x->message_len = row->message ? row->message_len : 0;
	x->off[F_MESSAGE] = put_field(&r->data, row->message, x->message_len);
	x->off[F_TIMESTAMP] = put_field(&r->data, row->timestamp, row->timestamp ? strlen(row->timestamp) : 0);
	x->off[F_STREAM] = put_field(&r->data, row->log_stream, row->log_stream ? strlen(row->log_stream) : 0);
	x->off[F_GROUP] = put_field(&r->data, row->log_group, row->log_group ? strlen(row->log_group) : 0);
	x->off[F_PTR] = put_field(&r->data, row->ptr, row->ptr ? strlen(row->ptr) : 0);
	if (r->data.oom) {
		wk->oom = 1;
		return AL_SOFTWARE;
	}
	r->n++;
	return 0;
}

enum poll_outcome { POLL_COMPLETE, POLL_TIMEOUT, POLL_FAILED, POLL_CANCELLED, POLL_FATAL };

/* "2m10s", "45s", "1h05m": a wait, for messages. */
static const char *fmt_wait(int64_t ms, char *out, size_t out_sz)
{
	long s = (long)(ms / 1000);
	if (s >= 3600)
		snprintf(out, out_sz, "%ldh%02ldm", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(out, out_sz, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(out, out_sz, "%lds", s);
	return out;
}

/* The worker's wait state for the -v waiting lines (see struct worker).
 * qid NULL: the worker waits for nothing any more. */
static void wait_query(struct worker *wk, const char *qid, const char *group, const char *win)
{
	pthread_mutex_lock(&wk->f->mu);
	wk->group = group;
	snprintf(wk->qid, sizeof(wk->qid), "%s", qid ? qid : "");
	snprintf(wk->win, sizeof(wk->win), "%s", win ? win : "");
	wk->status[0] = '\0';
	wk->query_t0 = wk->said = time_mono_ms();
	wk->call_t0 = 0;
	pthread_mutex_unlock(&wk->f->mu);
}

static void wait_call(struct worker *wk, int in_call, const char *status)
{
	pthread_mutex_lock(&wk->f->mu);
	wk->call_t0 = in_call ? time_mono_ms() : 0;
	if (status)
		snprintf(wk->status, sizeof(wk->status), "%s", status);
	pthread_mutex_unlock(&wk->f->mu);
}

/* -v, from the caller's thread: one line per query waited for longer
 * than WAIT_SAY_MS (scaled), at most one per query per WAIT_SAY_MS. The
 * elapsed times are real ones. Under f->mu. */
static void say_waits(struct fetch *f)
{
	int64_t now = time_mono_ms(), every = (int64_t)(WAIT_SAY_MS * f->scale);
	char a[24], b[24], call[80] = "";
	for (int i = 0; f->o.verbose && i < f->nworkers; i++) {
		struct worker *wk = &f->workers[i];
		if (!wk->qid[0] || now - wk->said < every)
			continue;
		wk->said = now;
		fmt_wait(now - wk->query_t0, a, sizeof(a));
		if (wk->call_t0 && now - wk->call_t0 >= every)
			snprintf(call, sizeof(call), "; GetQueryResults unanswered for %s",
				 fmt_wait(now - wk->call_t0, b, sizeof(b)));
		else
			call[0] = '\0';
		if (wk->status[0])
			vlog(f, "waiting for query %s (%s %s): %s for %s%s", wk->qid, wk->group, wk->win, wk->status, a,
			     call);
		else
			vlog(f, "waiting for query %s (%s %s): started %s ago, no status yet%s", wk->qid, wk->group,
			     wk->win, a, call);
	}
}

/* The rest of a Complete query's rows, page by page (nextToken, which the
 * service keeps for an hour: no hurry), after the first page's rows in
 * wk->rows. res keeps the first page's status and statistics. */
static enum poll_outcome read_pages(struct worker *wk, const char *qid, struct logs_query_result *res, char *why,
				    size_t why_sz)
{
	struct fetch *f = wk->f;
	struct logs_query_result page;
	struct aws_fault fault;
	char err[AWS_ERR_MAX], token[LOGS_API_TOKEN_MAX];
	int errors = 0, pages = 1;
	snprintf(token, sizeof(token), "%s", res->next_token);
	while (token[0]) {
		if (!rate_wait(f, OP_POLL))
			return POLL_CANCELLED;
		wait_call(wk, 1, NULL);
		int rc = logs_api_get_query_results(wk->client, wk->t, qid, token, LOGS_API_PAGE_MAX, collect_row,
						    wk, &page, &fault, err, sizeof(err));
		wait_call(wk, 0, NULL);
		if (rc && is_cancelled_now(f))
			return POLL_CANCELLED;
		if (rc == AL_SOFTWARE || wk->oom) {
			fatal(f, AL_SOFTWARE, "out of memory while reading query results");
			return POLL_FATAL;
		}
		if (rc) {
			/* rows of a page that failed half-way came already: the
			 * window is fetched again whole */
			if (++errors >= POLL_ERRORS_MAX || page.rows > 0) {
				snprintf(why, why_sz, "page %d of query %.64s: %.400s", pages + 1, qid, err);
				return POLL_FAILED;
			}
			vlog(f, "query %s: page %d failed (%s); asking again", qid, pages + 1, err);
			continue;
		}
		errors = 0;
		pages++;
		snprintf(token, sizeof(token), "%s", page.next_token);
	}
	vlog(f, "query %s: %zu rows in %d pages", qid, wk->rows->n, pages);
	res->next_token[0] = '\0';
	return POLL_COMPLETE;
}

/* Polls until the query ends: every second three times, then backing off to
 * one poll in 3 s (GetQueryResults has its own small TPS quota).
 * Rows of the last answer stay in wk->rows. */
static enum poll_outcome poll_query(struct worker *wk, const char *qid, int paged,
				    struct logs_query_result *res, char *why, size_t why_sz)
{
	struct fetch *f = wk->f;
	struct aws_fault fault;
	char err[AWS_ERR_MAX];
	double delay = POLL_FIRST_MS * f->scale;
	int64_t t0 = time_mono_ms(), deadline = t0 + f->patience_ms;
	char waited[24];
	int errors = 0;
	for (int polls = 1;; polls++) {
		if (!sleep_until(f, time_mono_ms() + (int64_t)delay) || !rate_wait(f, OP_POLL)) {
			stop_query(wk, qid);
			return POLL_CANCELLED;
		}
		if (polls >= POLL_STEADY)
			delay = delay * 1.5 > POLL_MAX_MS * f->scale ? POLL_MAX_MS * f->scale : delay * 1.5;
		rows_truncate(wk->rows, wk->mark, wk->mark_len);
		wait_call(wk, 1, NULL);
		int rc = logs_api_get_query_results(wk->client, wk->t, qid, NULL, paged ? LOGS_API_PAGE_MAX : 0,
						    collect_row, wk, res, &fault, err, sizeof(err));
		wait_call(wk, 0, rc ? NULL : res->status_text);
		if (rc && is_cancelled_now(f)) {
			stop_query(wk, qid);
			return POLL_CANCELLED;
		}
		if (rc) {
			if (rc == AL_SOFTWARE || wk->oom) {
				stop_query(wk, qid);
				fatal(f, AL_SOFTWARE, "out of memory while reading query results");
				return POLL_FATAL;
			}
			if (fault.kind == AWS_ERR_ACCESS_DENIED || fault.kind == AWS_ERR_AUTH) {
				stop_query(wk, qid);
				group_fatal(f, wk->gi, aws_error_status(fault.kind), "%s%s", err,
				      fault.kind == AWS_ERR_ACCESS_DENIED
					      ? " (the credentials need logs:GetQueryResults on the log group)"
					      : "");
				return POLL_FATAL;
			}
			if (++errors >= POLL_ERRORS_MAX) {
				stop_query(wk, qid);
				snprintf(why, why_sz, "%s", err);
				return POLL_FAILED;
			}
			vlog(f, "query %s: poll %d failed (%s); polling again", qid, polls, err);
			continue;
		}
		errors = 0;
		switch (res->status) {
		case LOGS_Q_COMPLETE:
			return res->next_token[0] ? read_pages(wk, qid, res, why, why_sz) : POLL_COMPLETE;
		case LOGS_Q_TIMEOUT:
			snprintf(why, why_sz, "the query timed out");
			return POLL_TIMEOUT;
		case LOGS_Q_FAILED:
		case LOGS_Q_CANCELLED:
		case LOGS_Q_UNKNOWN:
			snprintf(why, why_sz, "query %s ended %s", qid, res->status_text);
			return POLL_FAILED;
		default:
			break;
		}
		if (time_mono_ms() > deadline) {
			stop_query(wk, qid);
			snprintf(why, why_sz, "query %s still %s after %s", qid, res->status_text,
				 fmt_wait(time_mono_ms() - t0, waited, sizeof(waited)));
			return POLL_TIMEOUT;
		}
	}
}

/* A window outside the group's life: the service refuses StartQuery as
 * invalid ("Query's end date and time is either before the log group
 * creation time or exceeds the log group log retention settings") — an
 * empty answer, not an error. Decided from the group's creation and
 * retention (DescribeLogGroups), never from the message: without them
 * the refusal is the group's error. */
static int outside_retention(const struct fetch *f, size_t group, int64_t query_end, const struct aws_fault *fault)
{
	int64_t from = f->o.stored_from ? f->o.stored_from[group] : 0;
	if (fault->kind != AWS_ERR_VALIDATION || from <= 0)
		return 0;
	/* a retention's start moves on with the clock: by what has passed
	 * since it was read, and a second the whole seconds here lose */
	int64_t moved = (int64_t)time(NULL) - f->o.now;
	return query_end <= from + (moved > 0 ? moved : 0) + 1;
}

/* StartQuery refused a limit above the legacy 10,000 as invalid: is it the
 * limit? The same query with the legacy limit answers that without
 * reading the message. Accepted, the whole run goes on at 10,000 rows a
 * query, splitting what reaches them (said once, with -v); returns 1 with
 * the query started in qid. Refused too, *rc, fault and err are that
 * answer's, and 0. */
static int legacy_probe(struct worker *wk, const char *group, int64_t qs, int64_t qe, const char *query, char *qid,
			size_t qid_sz, struct aws_fault *fault, char *err, size_t err_sz, int *rc)
{
	struct fetch *f = wk->f;
	char first[AWS_ERR_MAX];
	snprintf(first, sizeof(first), "%s", err);
	if (!rate_wait(f, OP_START))
		return 0;
	*rc = logs_api_start_query(wk->client, wk->t, group, qs, qe, query, LOGS_API_LEGACY_LIMIT, qid, qid_sz,
				   fault, err, err_sz);
	if (*rc)
		return 0;
	pthread_mutex_lock(&f->mu);
	int first_time = !f->legacy;
	f->legacy = 1;
	f->limit = f->cap = LOGS_API_LEGACY_LIMIT;
	pthread_mutex_unlock(&f->mu);
	if (first_time)
		vlog(f, "StartQuery refused limit %d (%s) and took %d: %d rows per query, windows at that split, "
			"for the rest of this run",
		     LOGS_API_MAX_LIMIT, first, LOGS_API_LEGACY_LIMIT, LOGS_API_LEGACY_LIMIT);
	return 1;
}

static void post_done(struct worker *wk, struct wnode *n, int truncated, const struct fetch_cost *cost)
{
	struct fetch *f = wk->f;
	struct fetch_rows *fresh = calloc(1, sizeof(*fresh));
	struct event_node *e = event_new(FETCH_DONE, n, cost);
	if (!fresh || !e) {
		free(fresh);
		lost(f, e, n);
		return;
	}
	e->rows = wk->rows;
	e->ev.rows = e->rows;
	e->ev.truncated = truncated;
	wk->rows = fresh;
	post(f, e);
}

/* LimitExceededException: wait for a slot (everyone does), unless n has
 * waited too long in total. */
static void start_limited(struct fetch *f, struct wnode *n, const char *group, const char *win,
			  const char *err, const struct fetch_cost *cost)
{
	char why[600];
	pthread_mutex_lock(&f->mu);
	double d = limit_hit(f);
	n->limit_waited_ms += d;
	int give_up = n->limit_waited_ms > LIMIT_GIVE_UP_MS * f->scale;
	int slots = f->slots;
	pthread_mutex_unlock(&f->mu);
	if (give_up) {
		snprintf(why, sizeof(why), "no free query slot after waiting %.0f min: %s", n->limit_waited_ms / 60000,
			 err);
		post_failed(f, n, why, cost);
		return;
	}
	vlog(f, "%s %s: %s; holding StartQuery off %.1f s, %d quer%s at once", group, win, err, d / 1000,
	     slots, slots == 1 ? "y" : "ies");
	requeue(f, n, 0);
}

/* StartQuery failed (rc, fault, err): wait for a slot, take an empty answer,
 * retry, or end the run. cost: what the window's earlier queries billed. */
static void start_failed(struct worker *wk, struct wnode *n, int64_t query_end, int rc,
			 const struct aws_fault *fault, const char *err, const char *win, const struct fetch_cost *cost)
{
	struct fetch *f = wk->f;
	const char *group = f->o.groups[n->w.group];
	slot_release(f, n, 0);
	if (fault->kind == AWS_ERR_LIMIT) {
		post_cost(f, &n->w, err, cost);
		start_limited(f, n, group, win, err, NULL);
		return;
	}
	if (outside_retention(f, n->w.group, query_end, fault)) {
		vlog(f, "%s %s: outside the log group's retention or life; nothing to fetch", group, win);
		rows_reset(wk->rows);
		post_done(wk, n, 0, cost);
		return;
	}
	switch (fault->kind) {
	case AWS_ERR_ACCESS_DENIED:
		group_fatal(f, n->w.group, AL_NOPERM,
			    "%s (the credentials need logs:StartQuery, logs:GetQueryResults and logs:StopQuery on %s;"
			    " see examples/iam-policy.json)",
			    err, group);
		break;
	case AWS_ERR_AUTH: group_fatal(f, n->w.group, AL_CONFIG, "%s", err); break;
	case AWS_ERR_NOT_FOUND:
		group_fatal(f, n->w.group, AL_CONFIG,
			    "%s (log group %s in region %s; is the authenticator log type enabled?)", err, group,
			    wk->t->region);
		break;
	case AWS_ERR_VALIDATION: group_fatal(f, n->w.group, AL_DATAERR, "%s", err); break;
	default:
		if (rc != AL_SOFTWARE) {
			attempt_failed(f, n, err, cost);
			return;
		}
		fatal(f, AL_SOFTWARE, "%s", err);
		break;
	}
	window_dropped(f, n, "stopped", cost);
}

/* Every query of n completed with wk->rows: split n when one reached the
 * cap (and n can be split), else deliver it. */
static void window_complete(struct worker *wk, struct wnode *n, int cap, int capped, int have_stats,
			    const struct fetch_cost *cost, const char *win, int64_t t0)
{
	struct fetch *f = wk->f;
	const struct fetch_window *w = &n->w;
	const char *group = f->o.groups[w->group];
	char bytes[32], skipped[32];
	report_bytes(cost->bytes_scanned, bytes, sizeof(bytes));
	report_bytes(cost->bytes_skipped, skipped, sizeof(skipped));
	long long rows = (long long)wk->rows->n;
	double matched = have_stats && cost->records_matched > (double)rows ? cost->records_matched : (double)rows;
	pthread_mutex_lock(&f->mu);
	f->gs[w->group].rows += matched;
	f->gs[w->group].seconds += (double)(w->end - w->start);
	pthread_mutex_unlock(&f->mu);
	if (capped && f->o.split) {
		size_t parts = fetch_split_parts(w->start, w->end, have_stats ? cost->records_matched : 0, cap);
		if (parts) {
			if (post_split(f, n, parts, cost) == 0)
				vlog(f, "%s %s: %d rows = the cap (%.0f matched, %s scanned); splitting it in %zu",
				     group, win, cap, cost->records_matched, bytes, parts);
			return;
		}
	}
	vlog(f, "%s %s: Complete, %lld rows, %s scanned, %s skipped by the index (%.0f records, %.0f matched), "
		"%.1f s%s",
	     group, win, rows, bytes, skipped, cost->records_scanned, cost->records_matched,
	     (double)(time_mono_ms() - t0) / 1000,
	     capped && f->o.split ? "; one second still at the cap: rows may be missing" : "");
	post_done(wk, n, capped && f->o.split, cost);
}

/* ---- the budget ---- */

/* What a query of the group over [qs, qe] is expected to scan: the bytes
 * per second of window its earlier queries scanned, else the caller's
 * prior (the group's storedBytes spread over the time it covers); 0 when
 * neither is known. Under f->mu. */
static double query_estimate(const struct fetch *f, size_t group, int64_t qs, int64_t qe)
{
	const struct group_state *g = &f->gs[group];
	double rate = g->bseconds > 0 ? g->bytes / g->bseconds : f->o.bytes_per_s ? f->o.bytes_per_s[group] : 0;
	return rate > 0 ? rate * (double)(qe - qs + 1) : 0;
}

/* Before a query starts: 1 with its estimate reserved in *est, or 0 when
 * it would take the run past o.max_scan (the run then stops: no query
 * starts any more, those running end). */
static int budget_take(struct fetch *f, size_t group, int64_t qs, int64_t qe, double *est)
{
	*est = 0;
	if (f->o.max_scan <= 0)
		return 1;
	pthread_mutex_lock(&f->mu);
	*est = query_estimate(f, group, qs, qe);
	int ok = !f->over_budget && f->billed + f->reserved + *est <= f->o.max_scan;
	if (ok) {
		f->reserved += *est;
	} else if (!f->over_budget) {
		f->over_budget = 1;
		f->refused = *est;
		pthread_cond_broadcast(&f->work_cv);
		pthread_cond_signal(&f->main_cv);
	}
	pthread_mutex_unlock(&f->mu);
	if (!ok)
		*est = 0;
	return ok;
}

/* A query ended: scanned is what it billed (have: its statistics said). */
static void budget_settle(struct fetch *f, size_t group, int64_t qs, int64_t qe, double est, double scanned, int have)
{
	pthread_mutex_lock(&f->mu);
	f->reserved -= est;
	f->billed += scanned;
	if (have) {
		/* a blind group's windows waiting in the queue can be estimated now */
		if (group_blind(f, group))
			pthread_cond_broadcast(&f->work_cv);
		f->gs[group].bytes += scanned;
		f->gs[group].bseconds += (double)(qe - qs + 1);
	}
	pthread_mutex_unlock(&f->mu);
}

int fetch_window_plan(const char *query, const struct logs_stream_list *l, int64_t created, int64_t now,
		      int64_t start, int64_t end, char ***qv, size_t *nq, int64_t *qs, int64_t *qe, size_t **idx,
		      size_t *nidx)
{
	*qs = start;
	*qe = end;
	*idx = NULL;
	*nidx = 0;
	*nq = 0;
	if (!l) {
		*qv = calloc(1, sizeof(**qv));
		if (!*qv || !((*qv)[0] = strdup(query))) {
			free(*qv);
			*qv = NULL;
			return AL_SOFTWARE;
		}
		*nq = 1;
		return AL_OK;
	}
	*idx = malloc((l->n ? l->n : 1) * sizeof(**idx));
	if (!*idx)
		return AL_SOFTWARE;
	*nidx = fetch_streams_select(l, start, end, now, *idx, qs, qe);
	/* The streams' times bound the query, not the group's creation:
	 * PutLogEvents takes events up to 14 days old, so a group can hold
	 * events older than itself
	 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html).
	 * StartQuery refuses a range that ends before the creation ("Query's
	 * end date and time is either before the log group creation time
	 * ..."), not one that starts before it: such a range is stretched to
	 * end there; the rows it adds are stored once. */
	if (*nidx && *qe < created)
		*qe = created;
	int rc = fetch_stream_queries(query, l, *idx, *nidx, QUERY_MAX_LEN, qv, nq);
	if (rc) {
		free(*idx);
		*idx = NULL;
		*nidx = 0;
	}
	return rc;
}

/* The queries of one window (fetch_window_plan). 0, or -1 when they
 * cannot be made. */
static int window_queries(struct fetch *f, const struct fetch_window *w, char ***qv, size_t *nq, int64_t *qs,
			  int64_t *qe, size_t *nstreams)
{
	size_t *idx;
	int rc = fetch_window_plan(f->o.query, f->o.streams ? f->o.streams[w->group] : NULL,
				   f->o.created ? f->o.created[w->group] : 0, f->o.now, w->start, w->end, qv, nq, qs, qe,
				   &idx, nstreams);
	free(idx);
	return rc == AL_OK ? 0 : -1;
}

static void free_queries(char **qv, size_t nq)
{
	for (size_t i = 0; i < nq; i++)
		free(qv[i]);
	free(qv);
}

/* One query of window n over [qs, qe], its rows appended to wk->rows and
 * its cost added. Returns how it ended; POLL_START_FAILED when StartQuery
 * did not take it (start_failed has dealt with n then). */
enum { POLL_START_FAILED = POLL_FATAL + 1 };

static int run_query(struct worker *wk, struct wnode *n, const char *query, int64_t qs, int64_t qe, const char *win,
		     int *limit_out, struct logs_query_result *res, struct fetch_cost *cost, char *why, size_t why_sz)
{
	struct fetch *f = wk->f;
	const char *group = f->o.groups[n->w.group];
	struct aws_fault fault;
	char err[AWS_ERR_MAX], qid[LOGS_API_QUERY_ID_MAX];
	pthread_mutex_lock(&f->mu);
	int limit = f->limit;
	pthread_mutex_unlock(&f->mu);
	int rc = logs_api_start_query(wk->client, wk->t, group, qs, qe, query, limit, qid, sizeof(qid), &fault,
				      err, sizeof(err));
	if (rc && limit > LOGS_API_LEGACY_LIMIT && fault.kind == AWS_ERR_VALIDATION && !outside_retention(f, n->w.group, qe, &fault) &&
	    legacy_probe(wk, group, qs, qe, query, qid, sizeof(qid), &fault, err, sizeof(err), &rc))
		limit = LOGS_API_LEGACY_LIMIT;
	if (rc) {
		start_failed(wk, n, qe, rc, &fault, err, win, cost);
		return POLL_START_FAILED;
	}
	*limit_out = limit;
	cost->queries++;
	pthread_mutex_lock(&f->mu);
	f->limit_streak = 0;
	pthread_mutex_unlock(&f->mu);
	vlog(f, "%s %s: StartQuery -> %s", group, win, qid);
	wait_query(wk, qid, group, win);
	enum poll_outcome out = poll_query(wk, qid, limit > LOGS_API_LEGACY_LIMIT, res, why, why_sz);
	wait_query(wk, NULL, NULL, NULL);
	if (out != POLL_CANCELLED && out != POLL_FATAL && (out != POLL_FAILED || res->status != LOGS_Q_UNKNOWN_STATUS)) {
		cost->bytes_scanned += res->stats.bytes_scanned;
		cost->bytes_skipped += res->stats.bytes_skipped;
		cost->records_scanned += res->stats.records_scanned;
		cost->records_matched += res->stats.records_matched;
	}
	return (int)out;
}

/* FilterLogEvents failed (after aws_request's own retries, throttling
 * included): the run ends on what no retry mends, else the window is
 * tried again later. */
static void filter_failed(struct worker *wk, struct wnode *n, int rc, const struct aws_fault *fault, const char *err)
{
	struct fetch *f = wk->f;
	const char *group = f->o.groups[n->w.group];
	if (is_cancelled_now(f)) {
		free(n); /* the window stays unreported: the next run fetches it */
		return;
	}
	switch (fault->kind) {
	case AWS_ERR_ACCESS_DENIED:
		group_fatal(f, n->w.group, AL_NOPERM,
			    "%s (the credentials need logs:FilterLogEvents on %s; see examples/iam-policy.json)", err,
			    group);
		break;
	case AWS_ERR_AUTH: group_fatal(f, n->w.group, AL_CONFIG, "%s", err); break;
	case AWS_ERR_NOT_FOUND:
		group_fatal(f, n->w.group, AL_CONFIG, "%s (log group %s in region %s)", err, group, wk->t->region);
		break;
	case AWS_ERR_VALIDATION: group_fatal(f, n->w.group, AL_DATAERR, "%s", err); break;
	default:
		if (rc != AL_SOFTWARE) {
			attempt_failed(f, n, err, NULL);
			return;
		}
		fatal(f, AL_SOFTWARE, "%s", err);
		break;
	}
	window_dropped(f, n, "stopped", NULL);
}

/* A window read with FilterLogEvents, no scan billed: every page until
 * there is no nextToken (pages may be partial or empty before the end),
 * each call paced across all workers under the account's 5 a second in
 * real time (never scaled: the limit is the service's). */
static void run_filter(struct worker *wk, struct wnode *n)
{
	struct fetch *f = wk->f;
	const struct fetch_window *w = &n->w;
	const char *group = f->o.groups[w->group];
	struct fetch_cost cost = {0};
	struct aws_fault fault;
	char token[LOGS_API_TOKEN_MAX] = "", next[LOGS_API_TOKEN_MAX], err[AWS_ERR_MAX], win[64];
	long long pages = 0, empty = 0;
	int64_t t0 = time_mono_ms();
	fmt_window(w, win, sizeof(win));
	rows_reset(wk->rows);
	for (;;) {
		if (!pace(f, OP_FILTER, (int64_t)(1000.0 / FILTER_TPS))) {
			slot_release(f, n, 0);
			free(n);
			return;
		}
		long long got = 0;
		int rc = logs_api_filter_log_events(wk->client, wk->t, group, f->o.filter_prefix,
						    f->o.filter_pattern, w->start * 1000, w->end * 1000 + 999, token,
						    collect_row, wk, &got, next, sizeof(next), &fault, err, sizeof(err));
		if (rc) {
			slot_release(f, n, 0);
			vlog(f, "%s %s: FilterLogEvents page %lld: %s", group, win, pages + 1, err);
			filter_failed(wk, n, wk->oom ? AL_SOFTWARE : rc, &fault, err);
			return;
		}
		pages++;
		empty += got == 0;
		/* a token handed back unchanged would page forever */
		if (!*next || strcmp(next, token) == 0)
			break;
		snprintf(token, sizeof(token), "%s", next);
	}
	slot_release(f, n, 1);
	vlog(f, "%s %s: FilterLogEvents: %zu events in %lld page%s (%lld empty), %.1f s", group, win, wk->rows->n,
	     pages, pages == 1 ? "" : "s", empty, (double)(time_mono_ms() - t0) / 1000);
	post_done(wk, n, 0, &cost);
}

static void run_window(struct worker *wk, struct wnode *n)
{
	wk->gi = n->w.group;
	wk->t = target_of(wk->f, n->w.group);
	if (wk->f->o.filter && wk->f->o.filter[n->w.group]) {
		run_filter(wk, n);
		return;
	}
	struct fetch *f = wk->f;
	struct fetch_window *w = &n->w;
	size_t gi = w->group;
	const char *group = f->o.groups[gi];
	struct fetch_cost cost = {0};
	struct logs_query_result res = {0};
	char why[600], win[64];
	char **qv = NULL;
	size_t nq = 0, nstreams = 0;
	int64_t t0 = time_mono_ms(), qs, qe;

	fmt_window(w, win, sizeof(win));
	if (window_queries(f, w, &qv, &nq, &qs, &qe, &nstreams) != 0) {
		slot_release(f, n, 0);
		lost(f, NULL, n);
		return;
	}
	rows_reset(wk->rows);
	if (nq == 0) {
		slot_release(f, n, 0);
		vlog(f, "%s %s: no authenticator stream has events here; no query", group, win);
		post_done(wk, n, 0, &cost);
		free(qv);
		return;
	}
	if (f->o.streams && f->o.streams[w->group] && (qs != w->start || qe != w->end || nq > 1)) {
		char a[TIME_ISO_LEN], b[TIME_ISO_LEN];
		time_format(qs, a);
		time_format(qe, b);
		vlog(f, "%s %s: %zu stream%s with events from %s to %s: %zu quer%s", group, win, nstreams,
		     nstreams == 1 ? "" : "s", a, b, nq, nq == 1 ? "y" : "ies");
	}
	int out = POLL_COMPLETE, capped = 0, cap = 0, have_stats = 1;
	for (size_t i = 0; i < nq && out == POLL_COMPLETE && !capped; i++) {
		if (!rate_wait(f, OP_START)) {
			slot_release(f, n, 0);
			post_cost(f, &n->w, "stopped", &cost);
			free(n);
			free_queries(qv, nq);
			return;
		}
		double est, before = cost.bytes_scanned;
		if (!budget_take(f, gi, qs, qe, &est)) {
			slot_release(f, n, 0);
			vlog(f, "%s %s: not started: the scan budget would be passed", group, win);
			post_cost(f, &n->w, "stopped by the scan budget", &cost);
			free(n);
			free_queries(qv, nq);
			return;
		}
		wk->mark = wk->rows->n;
		wk->mark_len = wk->rows->data.len;
		int limit = 0;
		out = run_query(wk, n, qv[i], qs, qe, win, &limit, &res, &cost, why, sizeof(why));
		budget_settle(f, gi, qs, qe, est, cost.bytes_scanned - before,
			      out == POLL_COMPLETE && res.stats.have_stats);
		if (out == POLL_START_FAILED) {
			free_queries(qv, nq);
			return;
		}
		cap = limit;
		have_stats &= res.stats.have_stats;
		capped = out == POLL_COMPLETE && limit > 0 && wk->rows->n - wk->mark >= (size_t)limit;
	}
	free_queries(qv, nq);
	slot_release(f, n, out == POLL_COMPLETE);
	if (out == POLL_CANCELLED || out == POLL_FATAL) {
		window_dropped(f, n, "stopped", &cost);
		return;
	}
	/* A query that timed out, or stayed Running past our patience, is run
	 * again in halves: less to scan each. Twice at most: a window whose
	 * halves' halves still do not end is stuck at the service, and waiting
	 * more would only hold the run. It fails (the next --since-last-run
	 * tries it again). */
	size_t parts = out == POLL_TIMEOUT && f->o.split && n->stuck < STUCK_SPLITS_MAX
			       ? fetch_split_parts(w->start, w->end, 0, cap)
			       : 0;
	if (parts) {
		n->stuck++;
		if (post_split(f, n, parts, &cost) == 0)
			vlog(f, "%s %s: %s; splitting it in %zu", group, win, why, parts);
	} else if (out == POLL_TIMEOUT) {
		char full[700];
		if (n->stuck >= STUCK_SPLITS_MAX)
			snprintf(full, sizeof(full), "%s, in a window already split %d times for that: given up",
				 why, n->stuck);
		else
			snprintf(full, sizeof(full), "%s: given up", why);
		vlog(f, "%s %s: %s", group, win, full);
		post_failed(f, n, full, &cost);
	} else if (out == POLL_FAILED) {
		attempt_failed(f, n, why, &cost);
	} else {
		window_complete(wk, n, cap, capped, have_stats, &cost, win, t0);
	}
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct wnode *n;
	while ((n = take_window(wk->f)) != NULL)
		run_window(wk, n);
	return NULL;
}

/* ---- public ---- */

int fetch_new(const struct fetch_opts *o, struct fetch **out)
{
	struct fetch *f = calloc(1, sizeof(*f));
	*out = NULL;
	if (!f)
		return AL_SOFTWARE;
	f->o = *o;
	f->limit = o->limit;
	f->cap = o->cap;
	if (!f->o.now)
		f->o.now = (int64_t)time(NULL);
	if (f->o.concurrency <= 0)
		f->o.concurrency = DEFAULT_CONCURRENCY;
	f->scale = o->time_scale > 0 ? o->time_scale : 1.0;
	f->gs = calloc(o->ngroups ? o->ngroups : 1, sizeof(*f->gs));
	if (!f->gs) {
		free(f);
		return AL_SOFTWARE;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->work_cv, &ca);
	pthread_cond_init(&f->main_cv, &ca);
	pthread_condattr_destroy(&ca);
	f->rng = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)f << 16) ^ 0x9E3779B97F4A7C15ULL;
	*out = f;
	return AL_OK;
}

int fetch_add(struct fetch *f, size_t group, int64_t start, int64_t end, int64_t id, int attempts)
{
	struct wnode *n = calloc(1, sizeof(*n)), **pp = &f->queue;
	if (!n)
		return AL_SOFTWARE;
	n->w.start = start;
	n->w.end = end;
	n->w.group = group;
	n->w.id = id;
	n->w.attempts = attempts;
	while (*pp)
		pp = &(*pp)->next;
	*pp = n;
	f->outstanding++;
	f->windows_total++;
	f->range_seconds += (double)(end - start);
	return AL_OK;
}

static void progress(struct fetch *f)
{
	if (!f->o.on_progress)
		return;
	struct fetch_progress p = {
		.windows_done = f->windows_done,
		.windows_total = f->windows_total,
		.covered = f->range_seconds > 0 ? f->covered_seconds / f->range_seconds : 0,
		.elapsed = (double)(time_mono_ms() - f->t0) / 1000,
		.running = f->running,
	};
	if (p.covered > 1)
		p.covered = 1;
	pthread_mutex_unlock(&f->mu);
	f->o.on_progress(f->o.ctx, &p);
	pthread_mutex_lock(&f->mu);
}

/* Hands one event to the caller (without f->mu), then does the engine's
 * bookkeeping (with it). Returns the callback's status. */
static int deliver(struct fetch *f, struct event_node *e, int call)
{
	int rc = call ? f->o.on_event(f->o.ctx, &e->ev) : AL_OK;
	pthread_mutex_lock(&f->mu);
	{
		const struct fetch_window *w = e->ev.window;
		switch (e->ev.kind) {
		case FETCH_DONE:
			f->backlog--;
			/* fall through */
		case FETCH_FAILED:
			f->outstanding--;
			f->windows_done++;
			f->covered_seconds += (double)(w->end - w->start);
			break;
		case FETCH_SPLIT:
			if (rc == AL_OK && !f->finished) {
				/* front of the queue, in time order */
				for (size_t i = e->ev.nchildren; i-- > 0;) {
					e->children[i]->next = f->queue;
					f->queue = e->children[i];
					e->children[i] = NULL;
				}
				f->outstanding += e->ev.nchildren - 1;
				f->windows_total += e->ev.nchildren - 1;
				pthread_cond_broadcast(&f->work_cv);
			}
			break;
		case FETCH_RETRY:
			break;
		}
	}
	pthread_cond_broadcast(&f->work_cv); /* backlog went down */
	return rc;
}

/* Every worker's clients and thread. Signals go to the caller's thread
 * only: its handler sets o.cancel, which the loop of fetch_run turns into
 * a cancel the workers see. */
static int start_workers(struct fetch *f, char *err, size_t err_sz)
{
	sigset_t all, old;
	f->nworkers = f->o.concurrency;
	f->slots = f->nworkers;
	f->workers = calloc((size_t)f->nworkers, sizeof(*f->workers));
	if (!f->workers) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	/* Transfers end at once on a signal and by the deadline; StopQuery
	 * goes out even then (its own short timeout bounds it). */
	f->o.client.http.cancel = f->o.cancel;
	f->o.client.http.deadline_ms = f->o.deadline_ms;
	struct aws_client_opts stop_opts = f->o.client;
	stop_opts.retry.max_attempts = 1;
	stop_opts.http.timeout_ms = STOP_TIMEOUT_MS;
	stop_opts.http.cancel = NULL;
	stop_opts.http.deadline_ms = 0;
	for (int i = 0; i < f->nworkers; i++) {
		struct worker *wk = &f->workers[i];
		wk->f = f;
		wk->rows = calloc(1, sizeof(*wk->rows));
		if (!wk->rows || aws_client_new(&f->o.client, &wk->client) != AL_OK ||
		    aws_client_new(&stop_opts, &wk->stop_client) != AL_OK) {
			msg_set(err, err_sz, "cannot create the HTTP clients");
			return AL_SOFTWARE;
		}
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < f->nworkers; i++)
		if (pthread_create(&f->workers[i].th, NULL, worker_main, &f->workers[i]) == 0)
			f->workers[i].started = 1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!f->workers[0].started) {
		msg_set(err, err_sz, "cannot start worker threads");
		return AL_SOFTWARE;
	}
	return AL_OK;
}

/* Hands every queued event over, with f->mu held on entry and on return.
 * The first failing callback cancels the run; later events are only
 * counted. */
static void deliver_queued(struct fetch *f, int *cb_rc)
{
	for (struct event_node *e; (e = event_pop(f));) {
		pthread_mutex_unlock(&f->mu);
		int r = deliver(f, e, *cb_rc == AL_OK);
		event_free(e);
		if (r != AL_OK && *cb_rc == AL_OK) {
			*cb_rc = r;
			f->cancelled = 1; /* deliver() returned with f->mu held */
			pthread_cond_broadcast(&f->work_cv);
		}
	}
}

/* Until every window has ended or the run is cancelled: events to the
 * caller, progress about every 200 ms. */
static int pump(struct fetch *f)
{
	int cb_rc = AL_OK;
	int64_t last_progress = 0;
	pthread_mutex_lock(&f->mu);
	for (;;) {
		deliver_queued(f, &cb_rc);
		if (f->outstanding == 0 || f->cancelled || is_cancelled(f) || (f->over_budget && f->running == 0))
			break;
		int64_t now = time_mono_ms();
		if (now - last_progress >= 200) {
			last_progress = now;
			say_waits(f);
			progress(f);
			continue; /* events may have come in meanwhile */
		}
		struct timespec ts = abs_deadline(now + 100);
		pthread_cond_timedwait(&f->main_cv, &f->mu, &ts);
	}
	f->finished = 1;
	pthread_cond_broadcast(&f->work_cv);
	pthread_mutex_unlock(&f->mu);
	for (int i = 0; i < f->nworkers; i++)
		if (f->workers[i].started) {
			pthread_join(f->workers[i].th, NULL);
			f->workers[i].started = 0;
		}
	/* What finished while the others stopped is as good as any window:
	 * hand it over (unless the caller itself failed). */
	pthread_mutex_lock(&f->mu);
	deliver_queued(f, &cb_rc);
	progress(f);
	pthread_mutex_unlock(&f->mu);
	return cb_rc;
}

int fetch_run(struct fetch *f, enum fetch_end *end, char *err, size_t err_sz)
{
	*end = FETCH_END_FATAL;
	f->t0 = time_mono_ms();
	/* A query is given 65 minutes (the service's own limit is 60), or a
	 * quarter of the time left before the deadline if that is less: its
	 * window and its halves and quarters (STUCK_SPLITS_MAX) then end
	 * before the deadline. */
	f->patience_ms = (int64_t)(QUERY_DEADLINE_MS * f->scale);
	if (f->o.deadline_ms > 0 && (f->o.deadline_ms - f->t0) / (STUCK_SPLITS_MAX + 2) < f->patience_ms)
		f->patience_ms = (f->o.deadline_ms - f->t0) / (STUCK_SPLITS_MAX + 2);
	int rc = start_workers(f, err, err_sz);
	if (rc)
		return rc;
	int cb_rc = pump(f);
	if (cb_rc != AL_OK) {
		*end = FETCH_END_CALLBACK;
		msg_set(err, err_sz, "stopped: the results could not be stored");
		return cb_rc;
	}
	if (f->fatal_rc) {
		msg_set(err, err_sz, "%s", f->fatal_msg);
		return f->fatal_rc;
	}
	if (f->interrupted || (f->o.cancel && atomic_load(f->o.cancel))) {
		*end = FETCH_END_INTERRUPTED;
		msg_set(err, err_sz, "interrupted");
		return AL_TEMPFAIL;
	}
	if (f->timed_out) {
		*end = FETCH_END_DEADLINE;
		msg_set(err, err_sz, "time limit reached, %zu window%s not fetched", f->outstanding,
			f->outstanding == 1 ? "" : "s");
		return AL_TEMPFAIL;
	}
	if (f->over_budget) {
		char billed[32], refused[32];
		report_bytes(f->billed, billed, sizeof(billed));
		report_bytes(f->refused, refused, sizeof(refused));
		*end = FETCH_END_BUDGET;
		msg_set(err, err_sz, "%s billed; the next query%s%s%s would pass the limit, %zu window%s not fetched",
			billed, f->refused > 0 ? " (estimated " : "", f->refused > 0 ? refused : "",
			f->refused > 0 ? ")" : "", f->outstanding, f->outstanding == 1 ? "" : "s");
		return AL_TEMPFAIL;
	}
	*end = FETCH_END_COMPLETE;
	return AL_OK;
}

int fetch_cap(struct fetch *f)
{
	pthread_mutex_lock(&f->mu);
	int cap = f->cap;
	pthread_mutex_unlock(&f->mu);
	return cap;
}

void fetch_free(struct fetch *f)
{
	if (!f)
		return;
	if (f->workers) {
		pthread_mutex_lock(&f->mu);
		f->cancelled = f->finished = 1;
		pthread_cond_broadcast(&f->work_cv);
		pthread_mutex_unlock(&f->mu);
		for (int i = 0; i < f->nworkers; i++) {
			struct worker *wk = &f->workers[i];
			if (wk->started)
				pthread_join(wk->th, NULL);
			aws_client_free(wk->client);
			aws_client_free(wk->stop_client);
			rows_free(wk->rows);
		}
		free(f->workers);
	}
	while (f->queue) {
		struct wnode *n = f->queue;
		f->queue = n->next;
		free(n);
	}
	for (struct event_node *e; (e = event_pop(f));)
		event_free(e);
	free(f->gs);
	pthread_cond_destroy(&f->work_cv);
	pthread_cond_destroy(&f->main_cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
