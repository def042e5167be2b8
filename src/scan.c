#include "scan.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aws/eks_api.h"
#include "buf.h"
#include "classify.h"
#include "esc.h"
#include "event.h"
#include "ingest.h"
#include "msg.h"
#include "status.h"
#include "timeutil.h"

/* ---- the windows to run, in time order ---- */

struct plan_window {
	size_t group;
	int64_t start, end, id;
	int attempts;
};

struct plan {
	struct plan_window *v;
	size_t n, cap;
};

static int plan_add(struct plan *p, size_t group, int64_t start, int64_t end, int64_t id, int attempts)
{
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 64;
		struct plan_window *nv = realloc(p->v, ncap * sizeof(*nv));
		if (!nv)
			return AL_SOFTWARE;
		p->v = nv;
		p->cap = ncap;
	}
	p->v[p->n++] = (struct plan_window){group, start, end, id, attempts};
	return AL_OK;
}

static int by_start(const void *a, const void *b)
{
	const struct plan_window *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->group < y->group ? -1 : x->group > y->group;
}

/* ---- the scan ---- */

struct scan {
	struct scan_opts o;
	struct store *store;
	struct ingest in;
	struct scan_group *g;
	size_t ng;
	struct plan plan;
	int limit, split;
	int64_t import_id;
	long long stored, windows_failed, windows_done;
	char err[512]; /* the event callback's: it has no err parameter */
};

static int cancelled(const struct scan *sc)
{
	return sc->o.cancel && atomic_load(sc->o.cancel);
}

int scan_open(const struct scan_opts *o, const char *db_path, struct scan **out, char *err, size_t err_sz)
{
	struct scan *sc = calloc(1, sizeof(*sc));
	*out = sc;
	if (!sc || !(sc->g = calloc(o->ngroups ? o->ngroups : 1, sizeof(*sc->g)))) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	sc->o = *o;
	sc->ng = o->ngroups;
	for (size_t i = 0; i < sc->ng; i++) {
		struct scan_group *g = &sc->g[i];
		g->name = o->groups[i];
		g->cluster = o->clusters[i];
		g->target = o->targets && o->targets[i] ? o->targets[i] : o->target;
		g->eks = o->eks_targets ? o->eks_targets[i] : o->eks;
		g->account = o->accounts ? o->accounts[i] : NULL;
		g->keep = o->keep ? o->keep[i] : 0;
	}
	fetch_query_plan(o->query, &sc->limit, &sc->split);
	if (o->dry_run) {
		/* read only, and only a database that is there: a dry run
		 * creates nothing */
		struct stat st;
		return stat(db_path, &st) == 0 ? store_open(db_path, STORE_READONLY, &sc->store, err, err_sz) : AL_OK;
	}
	int rc = store_open(db_path, STORE_WRITE, &sc->store, err, err_sz);
	if (!rc)
		rc = ingest_open(&sc->in, sc->store, err, err_sz);
	return rc;
}

void scan_free(struct scan *sc)
{
	if (!sc)
		return;
	ingest_close(&sc->in);
	store_close(sc->store);
	free(sc->plan.v);
	for (size_t i = 0; sc->g && i < sc->ng; i++)
		logs_api_stream_list_free(&sc->g[i].streams);
	free(sc->g);
	free(sc);
}

const struct scan_group *scan_groups(const struct scan *sc, size_t *n)
{
	*n = sc->ng;
	return sc->g;
}

int scan_limit(const struct scan *sc)
{
	return sc->limit;
}

/* ---- each group's window ---- */

/* With resume: where the last scan of the group ended (its window's end or
 * the newest stored event, whichever is later), minus the overlap. */
static int resume_start(struct scan *sc, struct scan_group *g, char *err, size_t err_sz)
{
	int64_t last_end, newest;
	int rc = store_scan_resume_point(sc->store, g->name, sc->o.query_name, &last_end, &newest, err, err_sz);
	if (rc)
		return rc;
	int64_t from = last_end > newest ? last_end : newest;
	if (from >= 0)
		g->start = from - sc->o.overlap;
	return AL_OK;
}

/* The group's authenticator streams and their event times, into
 * g->streams; 0 when the call failed (no logs:DescribeLogStreams: only
 * -v says it, and the queries then filter the streams by name, billing
 * every stream of the group). */
static int list_streams(struct scan *sc, struct aws_client *client, struct scan_group *g)
{
	struct aws_fault fault;
	char why[AWS_ERR_MAX];
	if (logs_api_list_log_streams(client, g->target, g->name, "authenticator", &g->streams, &fault, why,
				      sizeof(why)) != AL_OK) {
		if (sc->o.verbose)
			fprintf(stderr,
				"authlog-scan: scan: %s (going on without the stream names: Logs Insights bills every "
				"stream of the group)\n",
				why);
		return 0;
	}
	g->streams_listed = 1;
	return 1;
}

/* -v: the window starts at the group's creation, later than asked. */
static void say_trim(const struct scan_group *g, int64_t created)
{
	char from[TIME_ISO_LEN], to[TIME_ISO_LEN];
	time_format(g->start, from);
	time_format(created, to);
	fprintf(stderr, "authlog-scan: scan: %s: window starts at %s (the group's creation), not %s\n", g->name, to,
		from);
}

/* The group must exist. The fetcher bounds each window's queries by the
 * events of the authenticator streams listed here, which may be older
 * than the group (fetch_window_plan). Where they cannot be listed, the
 * window starts at the group's creation: StartQuery refuses a range that
 * ends before it ("Query's end date and time is either before the log
 * group creation time ..."). */
static int trim_to_group(struct scan *sc, struct aws_client *client, struct scan_group *g, char *err, size_t err_sz)
{
	const struct logs_target *t = g->target;
	struct logs_group_info info;
	struct aws_fault fault;
	char why[AWS_ERR_MAX];
	int rc = logs_api_describe_log_group(client, t, g->name, &info, &fault, why, sizeof(why));
	if (rc == AL_OK && !info.found) {
		msg_set(err, err_sz,
			"log group %s does not exist in %s (is the cluster's authenticator log type enabled, and is "
			"this its region?)",
			g->name, t->region);
		return AL_CONFIG;
	}
	/* Bad credentials or an endpoint that does not answer at all would
	 * fail every query the same way: say it now. */
	if (rc != AL_OK && (fault.kind == AWS_ERR_AUTH || fault.kind == AWS_ERR_TRANSPORT || rc == AL_SOFTWARE)) {
		msg_set(err, err_sz, "%s", why);
		return rc;
	}
	/* A fleet file's account: credentials of another account would scan
	 * that account's group of the same name. */
	if (rc == AL_OK && g->account && info.account[0] && strcmp(info.account, g->account) != 0) {
		msg_set(err, err_sz, "log group %s in %s is in account %s, not %s (the fleet file's account): "
				     "wrong profile or role?",
			g->name, t->region, info.account, g->account);
		return AL_CONFIG;
	}
	if (rc != AL_OK && sc->o.verbose) /* e.g. no logs:DescribeLogGroups: StartQuery will tell */
		fprintf(stderr, "authlog-scan: scan: %s (going on without it)\n", why);
	g->stored_bytes = rc == AL_OK ? info.stored_bytes : -1;
	if (rc == AL_OK) {
		int64_t now = (int64_t)time(NULL);
		g->created = info.creation_ms > 0 ? info.creation_ms / 1000 : 0;
		g->stored_from = info.creation_ms / 1000;
		if (info.retention_days > 0 && now - (int64_t)info.retention_days * 86400 > g->stored_from)
			g->stored_from = now - (int64_t)info.retention_days * 86400;
		g->infrequent_access = info.infrequent_access;
	}
	int listed = list_streams(sc, client, g);
	if (g->facts.name[0]) {
		g->facts.authenticator_streams = listed ? g->streams.n > 0 : -1;
		if (rc == AL_OK)
			snprintf(g->facts.account, sizeof(g->facts.account), "%s", info.account);
	}
	if (!listed && g->created > g->start) {
		if (sc->o.verbose)
			say_trim(g, g->created);
		g->start = g->created;
	}
	return AL_OK;
}

/* ---- the cluster's facts ---- */

/* The command that turns the authenticator log on; a name or region that
 * fails validation gets none. */
static void enable_command(const struct store_cluster *c, char *out, size_t out_sz)
{
	struct buf b = BUF_INIT;
	int rc = classify_fix_enable_logging(&b, c->name, c->region);
	snprintf(out, out_sz, "%s", rc || b.len >= out_sz ? "" : buf_str(&b));
	buf_free(&b);
}

/* logging.clusterLogging's enabled types as a JSON array, in the API's order. */
static void log_types_json(unsigned bits, char *out, size_t out_sz)
{
	size_t n = (size_t)snprintf(out, out_sz, "[");
	for (unsigned i = 0; i < EKS_LOG_TYPES && n < out_sz; i++)
		if (bits & (1u << i))
			n += (size_t)snprintf(out + n, out_sz - n, "%s\"%s\"", n > 1 ? "," : "",
					      eks_api_log_type_name(1u << i));
	if (n < out_sz)
		snprintf(out + n, out_sz - n, "]");
}

/* DescribeCluster into g->facts; *disabled / *enabled: the authenticator
 * type is listed so. Not answering is no error for a scan. */
static void describe_cluster(struct scan *sc, struct aws_client *client, struct scan_group *g, int *enabled,
			     int *disabled)
{
	struct store_cluster *f = &g->facts;
	struct eks_cluster c;
	struct aws_fault fault;
	*enabled = *disabled = 0;
	f->described = 1;
	int rc = eks_api_describe_cluster(client, g->eks, f->name, &c, &fault, f->describe_error,
					  sizeof(f->describe_error));
	if (rc != AL_OK) {
		if (sc->o.verbose)
			fprintf(stderr, "authlog-scan: scan: %s: %s (going on without the cluster's mode and logging)\n",
				f->name, f->describe_error);
		eks_api_cluster_free(&c);
		return;
	}
	f->describe_error[0] = '\0';
	f->checked_at = (int64_t)time(NULL);
	snprintf(f->auth_mode, sizeof(f->auth_mode), "%s",
		 c.auth_mode != AUTH_MODE_UNKNOWN ? authmode_name(c.auth_mode) : c.mode_text);
	f->auth_mode_defaulted = c.auth_mode_defaulted;
	log_types_json(c.logs_enabled, f->logging_types, sizeof(f->logging_types));
	snprintf(f->endpoint, sizeof(f->endpoint), "%s", c.endpoint);
	*enabled = (c.logs_enabled & EKS_LOG_AUTHENTICATOR) != 0;
	*disabled = (c.logs_disabled & EKS_LOG_AUTHENTICATOR) != 0;
	eks_api_cluster_free(&c);
}

/* Is the authenticator log off? DescribeCluster listing the type disabled
 * says so; so does a group without an authenticator stream, whatever
 * DescribeCluster says (logs arrive within minutes of enabling: none at
 * all is no data either way). */
static void judge_logging(struct scan_group *g, int enabled, int disabled)
{
	struct store_cluster *f = &g->facts;
	if (disabled || f->authenticator_streams == 0) {
		f->logging_off = 1;
		snprintf(f->logging_off_reason, sizeof(f->logging_off_reason), "%s",
			 disabled ? "disabled" : "no_streams");
		if (!enabled)
			enable_command(f, f->enable_logging, sizeof(f->enable_logging));
	} else if (enabled || f->authenticator_streams == 1) {
		f->logging_off = 0;
	}
}

static int store_facts(struct scan *sc, char *err, size_t err_sz)
{
	int rc = store_begin(sc->store, err, err_sz);
	for (size_t i = 0; !rc && i < sc->ng; i++)
		if (sc->g[i].facts.name[0])
			rc = store_cluster_put(sc->store, &sc->g[i].facts, err, err_sz);
	if (!rc)
		return store_commit(sc->store, err, err_sz);
	store_rollback(sc->store);
	return rc;
}

/* The group's cluster (--cluster, or the EKS group name) and the region
 * it is read in: the key of its facts. */
static void facts_init(struct scan_group *g)
{
	struct store_cluster *f = &g->facts;
	memset(f, 0, sizeof(*f));
	f->auth_mode_defaulted = f->authenticator_streams = f->logging_off = -1;
	if (g->cluster)
		snprintf(f->name, sizeof(f->name), "%s", g->cluster);
	else if (event_cluster_of(g->name, f->name, sizeof(f->name)) != 0)
		f->name[0] = '\0';
	snprintf(f->region, sizeof(f->region), "%s", g->target->region);
	snprintf(f->log_group, sizeof(f->log_group), "%s", g->name);
	snprintf(f->source, sizeof(f->source), "scan");
}

/* --method: auto reads an Infrequent Access group with FilterLogEvents
 * (it has no field index, so a query would bill every byte of every
 * stream in the window), when the query is the bundled scan, whose
 * records a filter pattern can select. */
static void choose_method(struct scan *sc, struct scan_group *g)
{
	int scan_query = strcmp(sc->o.query_name, "scan") == 0;
	g->filter = sc->o.method == SCAN_FILTER || (sc->o.method == SCAN_AUTO && g->infrequent_access && scan_query);
	if (sc->o.verbose && sc->o.method == SCAN_AUTO && g->infrequent_access)
		fprintf(stderr,
			"authlog-scan: scan: %s: Infrequent Access class: no field index, so Logs Insights would bill "
			"every stream's bytes; %s\n",
			g->name,
			scan_query ? "reading it with FilterLogEvents (--method auto)"
				   : "--query is not scan: Logs Insights all the same");
}

void scan_fail(struct scan *sc, size_t i, int rc, const char *why)
{
	struct scan_group *g = &sc->g[i];
	if (g->fail_rc)
		return;
	g->fail_rc = rc;
	snprintf(g->fail_error, sizeof(g->fail_error), "%s", why);
}

int scan_resolve(struct scan *sc, char *err, size_t err_sz)
{
	struct aws_client *client = NULL;
	int rc = AL_OK;
	if (aws_client_new(&sc->o.client, &client) != AL_OK) {
		msg_set(err, err_sz, "cannot create the HTTP client");
		return AL_SOFTWARE;
	}
	for (size_t i = 0; i < sc->ng && !rc && !cancelled(sc); i++) {
		struct scan_group *g = &sc->g[i];
		g->start = sc->o.since;
		g->end = sc->o.until;
		facts_init(g);
		if (sc->o.resume && sc->store)
			rc = resume_start(sc, g, err, err_sz);
		if (!rc && g->fail_rc) {
			g->skip = 1;
			g->facts.name[0] = '\0'; /* nothing was learnt of it */
			continue;
		}
		if (!rc) {
			rc = trim_to_group(sc, client, g, err, err_sz);
			if (rc && rc != AL_SOFTWARE && sc->o.isolate && !cancelled(sc)) {
				scan_fail(sc, i, rc, err);
				g->facts.name[0] = '\0';
				rc = AL_OK;
				continue;
			}
		}
		if (g->start >= g->end)
			g->skip = 1;
		if (!rc)
			choose_method(sc, g);
		if (!rc && g->facts.name[0]) {
			int enabled = 0, disabled = 0;
			if (g->eks)
				describe_cluster(sc, client, g, &enabled, &disabled);
			judge_logging(g, enabled, disabled);
		}
	}
	aws_client_free(client);
	if (!rc && !cancelled(sc) && !sc->o.dry_run)
		rc = store_facts(sc, err, err_sz);
	return rc;
}

/* ---- planning ---- */

/* The windows earlier runs of the group left missing become this run's:
 * those inside its window are fetched with it anyway, the others are
 * clipped to end where it starts. */
static int adopt_missing(struct scan *sc, size_t gi, char *err, size_t err_sz)
{
	struct scan_group *g = &sc->g[gi];
	struct store_window *miss = NULL;
	size_t nmiss = 0;
	int rc = store_windows_missing(sc->store, g->name, sc->o.query_name, &miss, &nmiss, err, err_sz);
	for (size_t i = 0; !rc && i < nmiss; i++) {
		struct store_window *w = &miss[i];
		if (!g->skip && w->start >= g->start) {
			rc = store_window_done(sc->store, w->id, err, err_sz);
			continue;
		}
		int64_t end = !g->skip && w->end > g->start ? g->start : w->end;
		rc = store_window_move(sc->store, w->id, g->run_id, w->start, end, err, err_sz);
		if (!rc)
			rc = plan_add(&sc->plan, gi, w->start, end, w->id, w->attempts);
		g->missing_adopted++;
	}
	free(miss);
	return rc;
}

static int add_first_windows(struct scan *sc, size_t gi, char *err, size_t err_sz)
{
	struct scan_group *g = &sc->g[gi];
	size_t n = fetch_first_parts(g->start, g->end, sc->split);
	int rc = AL_OK;
	for (size_t i = 0; !rc && i < n; i++) {
		int64_t s, e, id;
		fetch_split_bounds(g->start, g->end, n, i, &s, &e);
		rc = store_window_add(sc->store, g->run_id, g->name, sc->o.query_name, s, e, &id, err, err_sz);
		if (!rc)
			rc = plan_add(&sc->plan, gi, s, e, id, 0);
	}
	return rc;
}

int scan_plan(struct scan *sc, const char *source, char *err, size_t err_sz)
{
	int rc = store_begin(sc->store, err, err_sz);
	if (rc)
		return rc;
	rc = store_scan_mark_interrupted(sc->store, err, err_sz);
	if (!rc)
		rc = store_import_begin(sc->store, source, &sc->import_id, err, err_sz);
	for (size_t gi = 0; !rc && gi < sc->ng; gi++) {
		struct scan_group *g = &sc->g[gi];
		rc = store_scan_begin(sc->store, g->name, sc->o.query_name, g->start, g->end, &g->run_id, err, err_sz);
		if (g->fail_rc) {
			/* Its window stays owed, failed, for the next --since-last-run
			 * (which resumes after this run's end), with the missing
			 * windows of earlier runs. */
			int64_t id;
			if (!rc && g->start < g->end)
				rc = store_window_add(sc->store, g->run_id, g->name, sc->o.query_name, g->start, g->end, &id,
						      err, err_sz);
			if (!rc && g->start < g->end)
				rc = store_window_set(sc->store, id, "failed", 0, g->fail_error, err, err_sz);
			continue;
		}
		if (!rc && sc->o.resume)
			rc = adopt_missing(sc, gi, err, err_sz);
		if (!rc && !g->skip)
			rc = add_first_windows(sc, gi, err, err_sz);
	}
	if (!rc)
		rc = store_commit(sc->store, err, err_sz);
	if (rc) {
		store_rollback(sc->store);
		return rc;
	}
	if (sc->plan.n) /* qsort takes no NULL array, even of 0 elements */
		qsort(sc->plan.v, sc->plan.n, sizeof(*sc->plan.v), by_start);
	return AL_OK;
}

/* ---- persistence of what the fetch engine delivers ---- */

static void add_cost(struct store_scan_totals *t, const struct fetch_cost *c)
{
	t->queries += c->queries;
	t->bytes_scanned += c->bytes_scanned;
	t->bytes_skipped += c->bytes_skipped;
	t->records_scanned += c->records_scanned;
	t->records_matched += c->records_matched;
}

static int store_rows(struct scan *sc, struct scan_group *g, const struct fetch_rows *rows)
{
	struct event_ctx ctx = {g->name, NULL, g->cluster, g->target->region};
	size_t n = fetch_rows_count(rows);
	for (size_t i = 0; i < n; i++) {
		struct results_row row;
		enum ingest_outcome got;
		fetch_rows_get(rows, i, &row);
		int rc = ingest_row(&sc->in, &ctx, &row, (long)i + 1, &got, sc->err, sizeof(sc->err));
		if (rc)
			return rc;
		switch (got) {
		case INGEST_SKIPPED: g->tot.skipped++; break;
		case INGEST_DUPLICATE: g->tot.duplicates++; break;
		case INGEST_STORED:
			g->tot.rows++;
			sc->stored++;
			break;
		}
	}
	return AL_OK;
}

static int on_done(struct scan *sc, struct scan_group *g, const struct fetch_event *ev)
{
	int rc = store_rows(sc, g, ev->rows);
	if (rc)
		return rc;
	sc->windows_done++;
	if (!ev->truncated)
		return store_window_done(sc->store, ev->window->id, sc->err, sizeof(sc->err));
	g->tot.truncated++;
	if (!g->first_truncated)
		g->first_truncated = ev->window->start;
	return store_window_set(sc->store, ev->window->id, "truncated", ev->window->attempts,
				"one second still returned the row cap: rows may be missing", sc->err, sizeof(sc->err));
}

static int on_split(struct scan *sc, struct scan_group *g, const struct fetch_event *ev)
{
	int rc = store_window_done(sc->store, ev->window->id, sc->err, sizeof(sc->err));
	for (size_t i = 0; !rc && i < ev->nchildren; i++) {
		struct fetch_window *c = ev->children[i];
		rc = store_window_add(sc->store, g->run_id, g->name, sc->o.query_name, c->start, c->end, &c->id, sc->err,
				      sizeof(sc->err));
	}
	return rc;
}

static int on_failed(struct scan *sc, struct scan_group *g, const struct fetch_event *ev)
{
	if (ev->group_rc)
		scan_fail(sc, ev->window->group, ev->group_rc, ev->error);
	g->failed_windows++;
	sc->windows_failed++;
	if (!g->first_error[0])
		snprintf(g->first_error, sizeof(g->first_error), "%s", ev->error);
	return store_window_set(sc->store, ev->window->id, "failed", ev->window->attempts, ev->error, sc->err,
				sizeof(sc->err));
}

/* One transaction per event: the window's rows, its new state and the
 * run's totals. A retry only adds its cost, kept with the next write. */
static int on_event(void *arg, const struct fetch_event *ev)
{
	struct scan *sc = arg;
	struct scan_group *g = &sc->g[ev->window->group];
	if (ev->kind == FETCH_RETRY) {
		add_cost(&g->tot, &ev->cost);
		return AL_OK;
	}
	int rc = store_begin(sc->store, sc->err, sizeof(sc->err));
	if (!rc) {
		add_cost(&g->tot, &ev->cost);
		switch (ev->kind) {
		case FETCH_DONE: rc = on_done(sc, g, ev); break;
		case FETCH_SPLIT: rc = on_split(sc, g, ev); break;
		case FETCH_FAILED: rc = on_failed(sc, g, ev); break;
		case FETCH_RETRY: break;
		}
	}
	if (!rc)
		rc = store_scan_update(sc->store, g->run_id, &g->tot, sc->err, sizeof(sc->err));
	if (!rc)
		rc = store_commit(sc->store, sc->err, sizeof(sc->err));
	if (rc)
		store_rollback(sc->store);
	return rc;
}

static void on_progress(void *arg, const struct fetch_progress *p)
{
	struct scan *sc = arg;
	if (sc->o.on_progress)
		sc->o.on_progress(sc->o.ctx, p, sc->stored);
}

/* ---- the run ---- */

double scan_stored_rate(const struct scan_group *g, int64_t now)
{
	if (g->stored_bytes <= 0 || g->stored_from <= 0 || now <= g->stored_from)
		return 0;
	return g->stored_bytes / (double)(now - g->stored_from);
}

int scan_fetch(struct scan *sc, struct scan_outcome *oc, char *err, size_t err_sz)
{
	struct fetch *fetch = NULL;
	enum fetch_end end = FETCH_END_COMPLETE;
	size_t n = sc->ng ? sc->ng : 1;
	const struct logs_target **targets = calloc(n, sizeof(*targets));
	const struct logs_stream_list **streams = calloc(n, sizeof(*streams));
	double *rates = calloc(n, sizeof(*rates));
	int *filter = calloc(n, sizeof(*filter));
	int64_t *created = calloc(n, sizeof(*created));
	int64_t *stored_from = calloc(n, sizeof(*stored_from));
	int rc = AL_OK;
	memset(oc, 0, sizeof(*oc));
	if (!targets || !streams || !rates || !filter || !created || !stored_from) {
		msg_set(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
		goto out;
	}
	for (size_t i = 0; i < sc->ng; i++) {
		targets[i] = sc->g[i].target;
		filter[i] = sc->g[i].filter;
		created[i] = sc->g[i].created;
		stored_from[i] = sc->g[i].stored_from;
		streams[i] = sc->g[i].streams_listed ? &sc->g[i].streams : NULL;
		/* storedBytes counts every stream: a prior only where the query
		 * scans them all (no names, or no index); a Standard group's
		 * named query bills its authenticator share, which nothing says
		 * before its first query does */
		rates[i] = !sc->g[i].streams_listed || sc->g[i].infrequent_access
				   ? scan_stored_rate(&sc->g[i], (int64_t)time(NULL))
				   : 0;
	}
	struct fetch_opts fo = {
		.target = sc->o.target,
		.targets = targets,
		.isolate = sc->o.isolate,
		.groups = sc->o.groups,
		.ngroups = sc->ng,
		.query = sc->o.query,
		.limit = sc->limit,
		.cap = sc->limit,
		.split = sc->split,
		.concurrency = sc->o.concurrency,
		.max_scan = sc->o.max_scan,
		.client = sc->o.client,
		.time_scale = sc->o.time_scale,
		.cancel = sc->o.cancel,
		.deadline_ms = sc->o.deadline_ms,
		.verbose = sc->o.verbose,
		.streams = streams,
		.bytes_per_s = rates,
		.filter = filter,
		.created = created,
		.stored_from = stored_from,
		.filter_prefix = SCAN_FILTER_PREFIX,
		.filter_pattern = SCAN_FILTER_PATTERN,
		.on_event = on_event,
		.on_progress = on_progress,
		.ctx = sc,
	};
	rc = fetch_new(&fo, &fetch);
	for (size_t i = 0; !rc && i < sc->plan.n; i++) {
		const struct plan_window *w = &sc->plan.v[i];
		rc = fetch_add(fetch, w->group, w->start, w->end, w->id, w->attempts);
	}
	if (rc)
		msg_set(err, err_sz, "out of memory");
	else if (sc->plan.n)
		rc = fetch_run(fetch, &end, err, err_sz);
	if (fetch)
		sc->limit = fetch_cap(fetch);
	fetch_free(fetch);
out:
	free(targets);
	free(streams);
	free(rates);
	free(filter);
	free(created);
	free(stored_from);
	oc->interrupted = cancelled(sc);
	oc->timed_out = !oc->interrupted && end == FETCH_END_DEADLINE;
	oc->over_budget = !oc->interrupted && end == FETCH_END_BUDGET;
	oc->fatal = rc != AL_OK && !oc->interrupted && !oc->timed_out && !oc->over_budget;
	if (end == FETCH_END_CALLBACK) {
		oc->store_failed = 1;
		snprintf(oc->store_err, sizeof(oc->store_err), "%s", sc->err);
	}
	return rc;
}

int scan_end(struct scan *sc, const struct scan_outcome *oc, const char *why, char *err, size_t err_sz)
{
	struct store_scan_totals all = {0};
	int rc = store_begin(sc->store, err, err_sz);
	for (size_t i = 0; !rc && i < sc->ng; i++) {
		struct scan_group *g = &sc->g[i];
		/* Stopped by the deadline, the run is partial: its windows not
		 * fetched stay in scan_windows for the next run. */
		const char *status = oc->interrupted ? "interrupted"
				     : oc->fatal || g->fail_rc ? "failed"
				     : oc->timed_out || oc->over_budget || g->failed_windows ? "partial" : "complete";
		const char *error = oc->interrupted ? "interrupted by a signal"
				    : g->fail_rc ? g->fail_error
				    : oc->fatal || oc->timed_out || oc->over_budget ? why
				    : g->failed_windows ? g->first_error : NULL;
		rc = store_scan_update(sc->store, g->run_id, &g->tot, err, err_sz);
		if (!rc)
			rc = store_scan_end(sc->store, g->run_id, status, error, err, err_sz);
		all.rows += g->tot.rows;
		all.duplicates += g->tot.duplicates;
		all.skipped += g->tot.skipped;
	}
	/* The run's imports row says how it ended, as an import's does. */
	if (!rc)
		rc = (oc->interrupted ? store_import_interrupted : store_import_end)(sc->store, sc->import_id, all.rows,
										  all.duplicates, all.skipped, err,
										  err_sz);
	if (!rc)
		rc = store_commit(sc->store, err, err_sz);
	if (rc)
		store_rollback(sc->store);
	return rc;
}

int scan_partial_status(const struct scan *sc, int allow_partial)
{
	if (!sc->windows_failed)
		return AL_OK;
	if (!sc->windows_done && !sc->stored)
		return AL_UNAVAILABLE; /* nothing came through at all */
	return allow_partial ? AL_OK : AL_TEMPFAIL;
}

int scan_failed_status(const struct scan *sc)
{
	size_t failed = 0;
	int first = AL_OK;
	for (size_t i = 0; i < sc->ng; i++)
		if (sc->g[i].fail_rc) {
			failed++;
			if (!first)
				first = sc->g[i].fail_rc;
		}
	return !failed ? AL_OK : failed == sc->ng ? first : AL_TEMPFAIL;
}

int scan_prune(struct scan *sc, struct store_prune_space *space, char *err, size_t err_sz)
{
	int64_t now = (int64_t)time(NULL);
	size_t n = 0;
	memset(space, 0, sizeof(*space));
	struct store_prune_rule *rules = calloc(sc->ng ? sc->ng : 1, sizeof(*rules));
	if (!rules) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	for (size_t i = 0; i < sc->ng; i++) {
		struct scan_group *g = &sc->g[i];
		if (!g->keep)
			continue;
		if (g->cluster)
			snprintf(g->keep_cluster, sizeof(g->keep_cluster), "%s", g->cluster);
		else if (event_cluster_of(g->name, g->keep_cluster, sizeof(g->keep_cluster)) != 0)
			continue;
		time_format(now - g->keep, g->cutoff);
		rules[n++] = (struct store_prune_rule){.cutoff = g->cutoff, .cluster = g->keep_cluster};
	}
	int rc = n ? store_prune(sc->store, rules, n, 0, space, err, err_sz) : AL_OK;
	for (size_t i = 0, k = 0; !rc && i < sc->ng && k < n; i++)
		if (sc->g[i].keep && rules[k].cluster == sc->g[i].keep_cluster) {
			sc->g[i].pruned = rules[k++];
			sc->g[i].pruned_done = 1;
		}
	free(rules);
	return rc;
}

int scan_logging_status(const struct scan *sc)
{
	size_t off = 0;
	for (size_t i = 0; i < sc->ng; i++)
		off += sc->g[i].facts.logging_off == 1;
	return !off ? AL_OK : off == sc->ng ? AL_CONFIG : AL_TEMPFAIL;
}

/* ---- the report ---- */

int scan_report(struct scan *sc, struct report_opts *ro, int new_only, int only_news, FILE *out,
		long long *denials, char *err, size_t err_sz)
{
	int64_t first_id = 0, start = sc->o.until;
	long long news = 1;
	char since_iso[TIME_ISO_LEN], until_iso[TIME_ISO_LEN];
	for (size_t i = 0; i < sc->plan.n; i++)
		if (sc->plan.v[i].start < start)
			start = sc->plan.v[i].start;
	for (size_t i = 0; i < sc->ng; i++)
		if (!sc->g[i].skip && sc->g[i].start < start)
			start = sc->g[i].start;
	time_format(start, since_iso);
	time_format(sc->o.until + 1, until_iso); /* report windows are half-open; ours include the last second */
	sqlite3 *db = store_db(sc->store);
	int rc = store_import_first_event(sc->store, sc->import_id, &first_id, err, err_sz);
	if (!rc && only_news)
		rc = report_news(db, first_id, &news, err, err_sz);
	ro->since = since_iso;
	ro->until = until_iso;
	/* a fleet's clusters each have their own region: the report takes
	 * each one's stored in clusters */
	ro->region = sc->o.targets ? NULL : sc->o.target->region;
	ro->new_from = new_only ? (first_id > 0 ? first_id : 1) : 0;
	ro->news_from = first_id > 0 ? first_id : 1;
	if (!rc)
		rc = report_run(db, ro, news > 0 ? out : NULL, denials, err, err_sz);
	ro->since = ro->until = NULL; /* they were ours */
	return rc;
}

/* ---- the dry run ---- */

/* One window of g: its streams and queries, as fetch_run would run them. */
static int dry_window(struct scan *sc, const struct scan_group *g, int64_t start, int64_t end, const char *what,
		      struct buf *b, long long *queries)
{
	char a[TIME_ISO_LEN], z[TIME_ISO_LEN];
	char **qv = NULL;
	size_t nq = 0, *idx = NULL, nidx = 0;
	int64_t qs, qe;
	const struct logs_stream_list *l = g->streams_listed ? &g->streams : NULL;
	if (g->filter) {
		time_format(start, a);
		time_format(end, z);
		buf_printf(b, "  %s %s..%s: FilterLogEvents logStreamNamePrefix " SCAN_FILTER_PREFIX
			      " startTime %lld endTime %lld filterPattern %s\n",
			   what, a, z, (long long)start * 1000, (long long)end * 1000 + 999, SCAN_FILTER_PATTERN);
		return AL_OK;
	}
	int rc = fetch_window_plan(sc->o.query, l, g->created, (int64_t)time(NULL), start, end, &qv, &nq, &qs, &qe, &idx,
				   &nidx);
	if (rc)
		return rc;
	time_format(start, a);
	time_format(end, z);
	buf_printf(b, "  %s %s..%s: ", what, a, z);
	if (!nq) {
		buf_puts(b, "no authenticator stream has events here; no query\n");
	} else {
		time_format(qs, a);
		time_format(qe, z);
		if (l)
			buf_printf(b, "%zu stream%s with events from %s to %s, ", nidx, nidx == 1 ? "" : "s", a, z);
		buf_printf(b, "%zu quer%s\n", nq, nq == 1 ? "y" : "ies");
		for (size_t i = 0; i < nidx; i++) {
			buf_puts(b, "    stream ");
			esc_term(b, l->v[idx[i]].name, strlen(l->v[idx[i]].name));
			buf_putc(b, '\n');
		}
		for (size_t i = 0; i < nq; i++) {
			buf_printf(b, "    query %zu: StartQuery startTime %lld endTime %lld limit %d\n", i + 1, (long long)qs,
				   (long long)qe, sc->limit);
			for (const char *p = qv[i]; *p;) {
				size_t n = strcspn(p, "\n");
				buf_puts(b, "      ");
				esc_term(b, p, n);
				buf_putc(b, '\n');
				p += n + (p[n] == '\n');
			}
		}
	}
	*queries += (long long)nq;
	for (size_t i = 0; i < nq; i++)
		free(qv[i]);
	free(qv);
	free(idx);
	return AL_OK;
}

int scan_dry_run(struct scan *sc, FILE *out, char *err, size_t err_sz)
{
	struct buf b = BUF_INIT;
	long long windows = 0, queries = 0;
	int rc = AL_OK;
	for (size_t gi = 0; !rc && gi < sc->ng; gi++) {
		const struct scan_group *g = &sc->g[gi];
		char a[TIME_ISO_LEN], z[TIME_ISO_LEN], stored[32];
		time_format(g->start, a);
		time_format(g->end, z);
		esc_term(&b, g->name, strlen(g->name));
		if (g->fail_rc) { /* a fleet's cluster that could not be resolved */
			buf_puts(&b, ": failed: ");
			esc_term(&b, g->fail_error, strlen(g->fail_error));
			buf_putc(&b, '\n');
			continue;
		}
		buf_printf(&b, ": %s..%s, ", g->skip ? "-" : a, z);
		if (g->stored_bytes >= 0) {
			report_bytes(g->stored_bytes, stored, sizeof(stored));
			buf_printf(&b, "%s class, %s stored", g->infrequent_access ? "Infrequent Access" : "Standard",
				   stored);
		} else {
			buf_puts(&b, "class and stored bytes unknown");
		}
		if (g->filter)
			buf_puts(&b, ", read with FilterLogEvents (no scan billed)");
		if (g->streams_listed)
			buf_printf(&b, ", %zu authenticator stream%s\n", g->streams.n, g->streams.n == 1 ? "" : "s");
		else
			buf_puts(&b, ", streams not listed: the query names none and scans every stream\n");
		if (sc->o.resume && sc->store) {
			struct store_window *miss = NULL;
			size_t nmiss = 0;
			rc = store_windows_missing(sc->store, g->name, sc->o.query_name, &miss, &nmiss, err, err_sz);
			for (size_t i = 0; !rc && i < nmiss; i++) {
				/* as adopt_missing: those inside the window are fetched with it */
				if (!g->skip && miss[i].start >= g->start)
					continue;
				int64_t end = !g->skip && miss[i].end > g->start ? g->start : miss[i].end;
				rc = dry_window(sc, g, miss[i].start, end, "missing window", &b, &queries);
				windows++;
			}
			free(miss);
		}
		size_t n = g->skip ? 0 : fetch_first_parts(g->start, g->end, sc->split);
		for (size_t i = 0; !rc && i < n; i++) {
			int64_t s, e;
			fetch_split_bounds(g->start, g->end, n, i, &s, &e);
			rc = dry_window(sc, g, s, e, "window", &b, &queries);
			windows++;
		}
	}
	if (!rc)
		buf_printf(&b, "dry run: %lld window%s, %lld quer%s (more if a window returns %d rows and is split); "
			       "nothing was run or stored\n",
			   windows, windows == 1 ? "" : "s", queries, queries == 1 ? "y" : "ies", sc->limit);
	if (!rc && b.oom) {
		msg_set(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
	}
	if (!rc && (fwrite(b.data, 1, b.len, out) != b.len || fflush(out) != 0)) {
		msg_set(err, err_sz, "cannot write the dry run");
		rc = AL_IOERR;
	}
	buf_free(&b);
	return rc;
}
