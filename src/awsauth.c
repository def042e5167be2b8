/* aws-auth ConfigMap parsing and checking: the rules are in awsauth.h.
 *
 * The authenticator decodes each data value with sigs.k8s.io/yaml (YAML
 * 1.1 through go-yaml v2, then encoding/json into its mapping structs);
 * libyaml reads the same YAML 1.1, and the few places where the two differ
 * in what they accept are handled explicitly (a non-scalar mapping key,
 * which go-yaml refuses and libyaml does not). */
#include "awsauth.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arn.h"
#include "buf.h"
#include "msg.h"
#include "status.h"
#include "yamldoc.h"

const char *awsauth_finding_name(enum awsauth_finding_kind k)
{
	static const char *const names[AWSAUTH_FINDING_KINDS] = {
		[AWSAUTH_EXACT_MATCH] = "exact_match",
		[AWSAUTH_ACCOUNT_MAPPED] = "account_mapped",
		[AWSAUTH_PATH_IN_ARN] = "path_in_arn",
		[AWSAUTH_ASSUMED_ROLE_ARN] = "assumed_role_arn",
		[AWSAUTH_OTHER_ACCOUNT] = "other_account",
		[AWSAUTH_NEAR_MISS] = "near_miss",
		[AWSAUTH_DUPLICATE] = "duplicate",
		[AWSAUTH_UNQUOTED_TEMPLATE] = "unquoted_template",
		[AWSAUTH_RESERVED_USERNAME] = "reserved_username",
		[AWSAUTH_INVALID_YAML] = "invalid_yaml",
		[AWSAUTH_WRONG_SECTION] = "wrong_section",
		[AWSAUTH_INVALID_ARN] = "invalid_arn",
		[AWSAUTH_MISSING_ARN] = "missing_arn",
		[AWSAUTH_MISSPELLED_SECTION] = "misspelled_section",
	};
	return (unsigned)k < AWSAUTH_FINDING_KINDS ? names[k] : NULL;
}

const char *awsauth_section_name(enum awsauth_section s)
{
	switch (s) {
	case AWSAUTH_MAP_ROLES: return "mapRoles";
	case AWSAUTH_MAP_USERS: return "mapUsers";
	case AWSAUTH_MAP_ACCOUNTS: return "mapAccounts";
	default: return NULL;
	}
}

/* ---- parsing ---- */

struct aa_parse {
	struct yamldoc d;
	struct awsauth *a;
	char *err;
	size_t err_sz;
	size_t cap_entries;
};

static int aa_fail(struct aa_parse *p, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int aa_fail(struct aa_parse *p, size_t line, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (line)
		msg_set(p->err, p->err_sz, "%s:%zu: %s", p->a->source, line, what);
	else
		msg_set(p->err, p->err_sz, "%s: %s", p->a->source, what);
	return AL_DATAERR;
}

static int aa_oom(struct aa_parse *p)
{
	msg_set(p->err, p->err_sz, "%s: out of memory", p->a->source);
	return AL_SOFTWARE;
}

static struct awsauth_section_info *section_info(struct awsauth *a, enum awsauth_section s)
{
	return s == AWSAUTH_MAP_ROLES ? &a->roles : s == AWSAUTH_MAP_USERS ? &a->users : &a->accounts_info;
}

/* The source line of line `inner` of a section's text. */
static size_t src_line(const struct awsauth_pos *sp, size_t inner)
{
	if (!sp->base)
		return sp->value_line;
	return sp->base + (inner > sp->max_inner ? sp->max_inner : inner);
}

/* The authenticator skips a value that is blank or an empty quoted string
 * (configmap.go isSkippable). */
static int skippable(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r' ||
		     s[n - 1] == '\f' || s[n - 1] == '\v'))
		n--;
	return n == 0 || (n == 2 && (strncmp(s, "``", 2) == 0 || strncmp(s, "\"\"", 2) == 0 ||
				     strncmp(s, "''", 2) == 0));
}

/* A mapping key that is not a scalar ({{SessionName}} unquoted reads as a
 * flow mapping used as a key): go-yaml refuses the whole text with
 * "invalid map key". The line of the first, or 0. */
static size_t bad_map_key(struct yamldoc *d)
{
	for (yaml_node_t *n = d->doc.nodes.start; n < d->doc.nodes.top; n++) {
		if (n->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(&d->doc, pr->key);
			if (k->type != YAML_SCALAR_NODE)
				return yamldoc_line(k);
		}
	}
	return 0;
}

static int set_section_error(struct awsauth_section_info *si, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int set_section_error(struct awsauth_section_info *si, size_t line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&si->error, fmt, ap);
	va_end(ap);
	si->parsed = 0;
	si->error_line = line;
	if (n < 0) {
		si->error = NULL;
		return -1;
	}
	return 0;
}

static struct awsauth_entry *new_entry(struct aa_parse *p, enum awsauth_section s, size_t index, size_t line)
{
	struct awsauth *a = p->a;
	if (a->nentries == p->cap_entries) {
		size_t nc = p->cap_entries ? p->cap_entries * 2 : 8;
		struct awsauth_entry *v = realloc(a->entries, nc * sizeof *v);
		if (!v)
			return NULL;
		a->entries = v;
		p->cap_entries = nc;
	}
	struct awsauth_entry *e = &a->entries[a->nentries++];
	memset(e, 0, sizeof *e);
	e->section = s;
	e->index = index;
	e->line = line;
	return e;
}

static int dup_or_null(const char *s, char **dst)
{
	*dst = s ? strdup(s) : NULL;
	return s && !*dst ? -1 : 0;
}

/* One mapRoles / mapUsers list, already loaded in d. */
static int load_entries(struct aa_parse *p, struct yamldoc *d, enum awsauth_section s, const struct awsauth_pos *sp)
{
	yaml_node_t *list = yamldoc_root(d);
	size_t n = yamldoc_len(list);
	const char *arn_key = s == AWSAUTH_MAP_ROLES ? "rolearn" : "userarn";
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yamldoc_item(d, list, i);
		struct awsauth_entry *e = new_entry(p, s, i, src_line(sp, yamldoc_line(it)));
		if (!e)
			return -1;
		if (it->type != YAML_MAPPING_NODE) {
			e->dropped = 1; /* encoding/json leaves it empty: no ARN */
			continue;
		}
		if (dup_or_null(yamldoc_value(yamldoc_get(d, it, arn_key, 1, NULL)), &e->arn) ||
		    dup_or_null(yamldoc_str(yamldoc_get(d, it, "username", 1, NULL)), &e->username))
			return -1;
		/* mapRoles' alternative to rolearn: the SSORoleMatch matcher
		 * (an alpha feature gate), valid without one */
		int sso = s == AWSAUTH_MAP_ROLES && yamldoc_get(d, it, "sso", 1, NULL);
		e->dropped = !e->arn && !sso;
		yaml_node_t *g = yamldoc_get(d, it, "groups", 1, NULL);
		size_t ng = yamldoc_len(g);
		if (ng && !(e->groups = calloc(ng, sizeof *e->groups)))
			return -1;
		for (size_t j = 0; j < ng; j++) {
			const char *gs = yamldoc_str(yamldoc_item(d, g, j));
			if (gs && !(e->groups[e->ngroups++] = strdup(gs)))
				return -1;
		}
	}
	return 0;
}

static int load_accounts(struct awsauth *a, struct yamldoc *d, const struct awsauth_pos *sp)
{
	yaml_node_t *list = yamldoc_root(d);
	size_t n = yamldoc_len(list);
	if (!n)
		return 0;
	if (!(a->accounts = calloc(n, sizeof *a->accounts)) || !(a->account_lines = calloc(n, sizeof(size_t))))
		return -1;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yamldoc_item(d, list, i);
		const char *v = yamldoc_value(it);
		if (!v)
			continue;
		a->account_lines[a->naccounts] = src_line(sp, yamldoc_line(it));
		if (!(a->accounts[a->naccounts++] = strdup(v)))
			return -1;
	}
	return 0;
}

/* One data value: the section text, parsed as the authenticator does. */
static int load_section(struct aa_parse *p, enum awsauth_section s, yaml_node_t *key, yaml_node_t *v)
{
	struct awsauth *a = p->a;
	struct awsauth_section_info *si = section_info(a, s);
	const char *name = awsauth_section_name(s);
	int rc = 0;

	si->present = 1;
	si->parsed = 1;
	si->line = yamldoc_line(key);
	free(si->error);
	si->error = NULL;
	const char *text = yamldoc_str(v);
	if (!text)
		return set_section_error(si, yamldoc_line(v),
					 "%s is not a string: its value must be YAML text (`%s: |`)", name, name);
	struct awsauth_pos sp = {0, yamldoc_line(v), 1};
	if (v->data.scalar.style == YAML_LITERAL_SCALAR_STYLE)
		sp.base = sp.value_line;
	for (const char *c = text; *c; c++)
		sp.max_inner += *c == '\n' && c[1];
	if (s != AWSAUTH_MAP_ACCOUNTS) {
		char **keep = s == AWSAUTH_MAP_ROLES ? &a->roles_text : &a->users_text;
		free(*keep);
		if (!(*keep = strdup(text)))
			return -1;
		if (s == AWSAUTH_MAP_ROLES)
			a->roles_pos = sp;
		else
			a->users_pos = sp;
	}
	if (skippable(text))
		return 0;

	struct yamldoc inner;
	char msg[256];
	size_t line = 0, bad;
	int lr = yamldoc_load(&inner, text, strlen(text), name, 0, &line, msg, sizeof msg);
	if (lr == AL_SOFTWARE) {
		rc = -1;
	} else if (lr) {
		rc = set_section_error(si, src_line(&sp, line), "%s", msg);
	} else if ((bad = bad_map_key(&inner))) {
		/* dropped, but its entries are still read: a principal mapped in
		 * it is told why its entry does not count */
		rc = set_section_error(si, src_line(&sp, bad),
				       "%s:%zu: a YAML map used as a key (an unquoted {{...}} template): "
				       "yaml: invalid map key", name, bad);
		if (!rc && yamldoc_len(yamldoc_root(&inner)))
			rc = s == AWSAUTH_MAP_ACCOUNTS ? load_accounts(a, &inner, &sp)
						       : load_entries(p, &inner, s, &sp);
	} else if (yamldoc_root(&inner) && yamldoc_root(&inner)->type != YAML_SEQUENCE_NODE &&
		   !(yamldoc_root(&inner)->type == YAML_SCALAR_NODE && !yamldoc_value(yamldoc_root(&inner)))) {
		rc = set_section_error(si, src_line(&sp, yamldoc_line(yamldoc_root(&inner))),
				       "%s:%zu: not a list of entries", name, yamldoc_line(yamldoc_root(&inner)));
	} else if (s == AWSAUTH_MAP_ACCOUNTS) {
		rc = load_accounts(a, &inner, &sp);
	} else {
		rc = load_entries(p, &inner, s, &sp);
	}
	yamldoc_free(&inner);
	return rc;
}

/* The ConfigMap in root: itself, or the aws-auth item of a List. */
static yaml_node_t *find_configmap(struct aa_parse *p, yaml_node_t *root, int *rc)
{
	*rc = 0;
	const char *kind = yamldoc_value(yamldoc_get(&p->d, root, "kind", 0, NULL));
	if (!kind || strcmp(kind, "ConfigMap") == 0)
		return root;
	if (strcmp(kind, "List") != 0 && strcmp(kind, "ConfigMapList") != 0) {
		char q[MSG_QUOTE_MAX + 1];
		*rc = aa_fail(p, yamldoc_line(root), "kind: %s is not a ConfigMap", msg_printable(kind, q, sizeof q));
		return NULL;
	}
	yaml_node_t *items = yamldoc_get(&p->d, root, "items", 0, NULL);
	for (size_t i = 0; i < yamldoc_len(items); i++) {
		yaml_node_t *it = yamldoc_item(&p->d, items, i);
		yaml_node_t *md = yamldoc_get(&p->d, it, "metadata", 0, NULL);
		const char *nm = yamldoc_value(yamldoc_get(&p->d, md, "name", 0, NULL));
		if (nm && strcmp(nm, "aws-auth") == 0)
			return it;
	}
	*rc = aa_fail(p, yamldoc_line(root), "the List holds no ConfigMap named aws-auth");
	return NULL;
}

static int parse_configmap(struct aa_parse *p, const char *text, size_t len)
{
	struct awsauth *a = p->a;
	int rc = yamldoc_load(&p->d, text, len, a->source, 0, NULL, p->err, p->err_sz);
	if (rc)
		return rc;
	yaml_node_t *root = yamldoc_root(&p->d), *cm, *dk;
	if (!root || root->type != YAML_MAPPING_NODE)
		return aa_fail(p, yamldoc_line(root), "not a ConfigMap (an empty file?)");
	if (!(cm = find_configmap(p, root, &rc)))
		return rc;
	yaml_node_t *md = yamldoc_get(&p->d, cm, "metadata", 0, NULL);
	if (dup_or_null(yamldoc_value(yamldoc_get(&p->d, md, "name", 0, NULL)), &a->name) ||
	    dup_or_null(yamldoc_value(yamldoc_get(&p->d, md, "namespace", 0, NULL)), &a->namespace_))
		return aa_oom(p);
	yaml_node_t *data = yamldoc_get(&p->d, cm, "data", 0, &dk);
	if (!dk) {
		/* a ConfigMap without data maps nothing; anything else is not one */
		if (yamldoc_get(&p->d, cm, "kind", 0, NULL))
			return AL_OK;
		return aa_fail(p, yamldoc_line(cm), "no data: not a ConfigMap");
	}
	if (data && data->type == YAML_SCALAR_NODE && !yamldoc_value(data))
		return AL_OK;
	if (data->type != YAML_MAPPING_NODE)
		return aa_fail(p, yamldoc_line(data), "data: not a mapping");

	static const enum awsauth_section secs[] = {AWSAUTH_MAP_ROLES, AWSAUTH_MAP_USERS, AWSAUTH_MAP_ACCOUNTS};
	/* the last of a repeated key wins, as in the API server's decoding */
	for (size_t i = 0; i < 3; i++) {
		yaml_node_t *key, *v = yamldoc_get(&p->d, data, awsauth_section_name(secs[i]), 0, &key);
		if (v && load_section(p, secs[i], key, v))
			return aa_oom(p);
	}
	size_t npairs = (size_t)(data->data.mapping.pairs.top - data->data.mapping.pairs.start);
	for (size_t j = 0; j < npairs; j++) {
		yaml_node_t *k = yaml_document_get_node(&p->d.doc, data->data.mapping.pairs.start[j].key);
		const char *ks = yamldoc_str(k);
		for (size_t i = 0; ks && i < 3; i++) {
			const char *want = awsauth_section_name(secs[i]);
			if (strcmp(ks, want) == 0 || strcasecmp(ks, want) != 0)
				continue;
			if (!a->misspelled && (!(a->misspelled = calloc(npairs, sizeof *a->misspelled)) ||
					       !(a->misspelled_lines = calloc(npairs, sizeof(size_t)))))
				return aa_oom(p);
			a->misspelled_lines[a->nmisspelled] = yamldoc_line(k);
			if (!(a->misspelled[a->nmisspelled++] = strdup(ks)))
				return aa_oom(p);
		}
	}
	return AL_OK;
}

int awsauth_parse(const char *text, size_t len, const char *source, struct awsauth **out, char *err,
		  size_t err_sz)
{
	struct aa_parse p = {.err = err, .err_sz = err_sz};
	*out = NULL;
	if (!(p.a = calloc(1, sizeof *p.a)) || !(p.a->source = strdup(source ? source : "aws-auth"))) {
		free(p.a);
		msg_set(err, err_sz, "%s: out of memory", source ? source : "aws-auth");
		return AL_SOFTWARE;
	}
	int rc = parse_configmap(&p, text, len);
	yamldoc_free(&p.d);
	if (rc) {
		awsauth_free(p.a);
		return rc;
	}
	*out = p.a;
	return AL_OK;
}

void awsauth_free(struct awsauth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nentries; i++) {
		struct awsauth_entry *e = &a->entries[i];
		free(e->arn);
		free(e->username);
		for (size_t j = 0; j < e->ngroups; j++)
			free(e->groups[j]);
		free(e->groups);
	}
	free(a->entries);
	for (size_t i = 0; i < a->naccounts; i++)
		free(a->accounts[i]);
	free(a->accounts);
	free(a->account_lines);
	for (size_t i = 0; i < a->nmisspelled; i++)
		free(a->misspelled[i]);
	free(a->misspelled);
	free(a->misspelled_lines);
	free(a->roles.error);
	free(a->users.error);
	free(a->accounts_info.error);
	free(a->roles_text);
	free(a->users_text);
	free(a->source);
	free(a->name);
	free(a->namespace_);
	free(a);
}

/* ---- checking ---- */

/* 1 when a and b (case-insensitive) are exactly one edit apart: one
 * substitution, insertion, deletion or swap of two neighbours
 * (Damerau-Levenshtein distance 1). */
static int one_edit(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), i = 0;
	if (na < nb) {
		const char *t = a;
		a = b, b = t;
		size_t tn = na;
		na = nb, nb = tn;
	}
	if (na - nb > 1)
		return 0;
	while (i < nb && tolower((unsigned char)a[i]) == tolower((unsigned char)b[i]))
		i++;
	if (na == nb) {
		if (i == na)
			return 0; /* equal */
		if (strcasecmp(a + i + 1, b + i + 1) == 0)
			return 1; /* substitution */
		return i + 1 < na && tolower((unsigned char)a[i]) == tolower((unsigned char)b[i + 1]) &&
		       tolower((unsigned char)a[i + 1]) == tolower((unsigned char)b[i]) &&
		       strcasecmp(a + i + 2, b + i + 2) == 0; /* swap */
	}
	return strcasecmp(a + i + 1, b + i) == 0; /* a has one extra byte at i */
}

/* How an entry relates to the principal. */
enum relation {
	REL_NONE,
	REL_EXACT,         /* its ARN is the canonical ARN (case aside): it matches */
	REL_SAME_CANON,    /* same canonical ARN, another spelling (path, session): never matches */
	REL_OTHER_ACCOUNT, /* the principal's name in another account */
	REL_NEAR,          /* one edit away */
};

struct check {
	const struct awsauth *a;
	struct awsauth_findings *out;
	size_t cap;
	struct arn_info pi; /* the principal */
	int have_principal;
	struct arn_info ei; /* scratch: one entry's ARN */
};

static int add(struct check *c, enum awsauth_finding_kind kind, enum awsauth_section s,
	       const struct awsauth_entry *e, size_t line, int about, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static int add(struct check *c, enum awsauth_finding_kind kind, enum awsauth_section s,
	       const struct awsauth_entry *e, size_t line, int about, const char *fmt, ...)
{
	struct awsauth_findings *o = c->out;
	if (o->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 8;
		struct awsauth_finding *v = realloc(o->v, nc * sizeof *v);
		if (!v)
			return -1;
		o->v = v;
		c->cap = nc;
	}
	struct awsauth_finding *f = &o->v[o->n];
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&f->detail, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	f->kind = kind;
	f->section = s;
	f->entry = e;
	f->line = line;
	f->about_principal = about;
	o->n++;
	return 0;
}

/* Quoting helpers: untrusted text, printable and bounded, in a message. */
#define Q(s, buf) msg_printable((s), (buf), sizeof(buf))

static int role_like(enum principal_type t)
{
	return t == PRINCIPAL_ROLE || t == PRINCIPAL_ASSUMED_ROLE;
}

static enum relation relate(struct check *c, const struct awsauth_entry *e, int *parsed)
{
	*parsed = e->arn && arn_parse(e->arn, strlen(e->arn), &c->ei) == 0;
	if (!c->have_principal || !e->arn)
		return REL_NONE;
	const struct arn_info *p = &c->pi, *x = &c->ei;
	if (strcasecmp(e->arn, p->canonical) == 0)
		return REL_EXACT;
	if (!*parsed)
		return one_edit(e->arn, p->canonical) ? REL_NEAR : REL_NONE;
	if (strcasecmp(x->canonical, p->canonical) == 0)
		return REL_SAME_CANON;
	int same_kind = (role_like(x->type) && role_like(p->type)) || (x->type == p->type && x->type == PRINCIPAL_USER);
	if (!same_kind || strcasecmp(x->partition, p->partition) != 0)
		return REL_NONE;
	int same_name = strcasecmp(x->name, p->name) == 0;
	if (same_name && strcasecmp(x->account, p->account) != 0 &&
	    (p->type != PRINCIPAL_USER || strcasecmp(x->path, p->path) == 0))
		return REL_OTHER_ACCOUNT;
	if (strcasecmp(x->account, p->account) != 0)
		return REL_NONE;
	/* a user whose path differs, or a name one edit away */
	if ((same_name && p->type == PRINCIPAL_USER) || one_edit(x->name, p->name))
		return REL_NEAR;
	return REL_NONE;
}

static int effective(const struct awsauth *a, const struct awsauth_entry *e)
{
	const struct awsauth_section_info *si = e->section == AWSAUTH_MAP_ROLES ? &a->roles : &a->users;
	return !e->dropped && si->parsed && e->arn;
}

/* Of the effective entries whose ARN equals e's (case aside), the one the
 * authenticator uses, per awsauth.h; *uncertain when Go's map order picks. */
static const struct awsauth_entry *used_of(const struct awsauth *a, const char *arn, int *uncertain)
{
	const struct awsauth_entry *role = NULL, *user = NULL;
	*uncertain = 0;
	for (size_t i = 0; i < a->nentries; i++) {
		const struct awsauth_entry *x = &a->entries[i];
		if (!effective(a, x) || strcasecmp(x->arn, arn) != 0)
			continue;
		if (x->section == AWSAUTH_MAP_ROLES) {
			role = x;
		} else {
			if (user && strcmp(user->arn, x->arn) != 0)
				*uncertain = 1;
			user = x;
		}
	}
	if (role)
		*uncertain = 0;
	return role ? role : user;
}

static const char *section_of(const struct awsauth_entry *e)
{
	return awsauth_section_name(e->section);
}

/* The ConfigMap's own problems that do not depend on the principal
 * (about_principal set when the entry relates to it). */
static int check_entry(struct check *c, const struct awsauth_entry *e, enum relation rel, int parsed)
{
	char q1[MSG_QUOTE_MAX + 1], q2[MSG_QUOTE_MAX + 1];
	const char *sec = section_of(e);
	int about = rel != REL_NONE;

	if (e->dropped && !e->arn)
		return add(c, AWSAUTH_MISSING_ARN, e->section, e, e->line, 0,
			   "%s entry %zu has no %s: the authenticator drops it", sec, e->index + 1,
			   e->section == AWSAUTH_MAP_ROLES ? "rolearn" : "userarn");
	if (!e->arn)
		return 0; /* an sso: matcher entry */
	if (!parsed) {
		if (add(c, AWSAUTH_INVALID_ARN, e->section, e, e->line, about,
			"%s entry %zu: '%s' is not an IAM role or user ARN, so it never matches", sec, e->index + 1,
			Q(e->arn, q1)))
			return -1;
	} else if (c->ei.type == PRINCIPAL_ROLE && strcmp(c->ei.path, "/") != 0) {
		if (add(c, AWSAUTH_PATH_IN_ARN, e->section, e, e->line, about,
			c->ei.sso ? "%s entry %zu: '%s' has the IAM Identity Center path %s, which the authenticator "
				    "never sees (STS reports role/NAME only), so it never matches: map %s"
				  : "%s entry %zu: '%s' has the IAM path %s, which the authenticator never sees "
				    "(STS reports role/NAME only), so it never matches: map %s",
			sec, e->index + 1, Q(e->arn, q1), Q(c->ei.path, q2), c->ei.canonical))
			return -1;
	} else if (c->ei.type == PRINCIPAL_ASSUMED_ROLE) {
		if (add(c, AWSAUTH_ASSUMED_ROLE_ARN, e->section, e, e->line, about,
			"%s entry %zu: '%s' is an STS session ARN; the authenticator matches the role ARN, so it "
			"never matches: map %s under mapRoles",
			sec, e->index + 1, Q(e->arn, q1), c->ei.canonical))
			return -1;
	}
	if (parsed && ((c->ei.type == PRINCIPAL_ROLE && e->section == AWSAUTH_MAP_USERS) ||
		       (c->ei.type == PRINCIPAL_USER && e->section == AWSAUTH_MAP_ROLES))) {
		if (add(c, AWSAUTH_WRONG_SECTION, e->section, e, e->line, about,
			"%s entry %zu: '%s' is a %s under %s; the authenticator looks the ARN up in both lists, "
			"so it still matches, but eksctl and the EKS docs expect it under %s",
			sec, e->index + 1, Q(e->arn, q1), arn_type_name(c->ei.type), sec,
			c->ei.type == PRINCIPAL_ROLE ? "mapRoles (rolearn)" : "mapUsers (userarn)"))
			return -1;
	}
	static const char *const reserved[] = {"system:", "eks:", "aws:", "amazon:", "iam:"};
	/* system:node:{{EC2PrivateDNSName}} / {{SessionName}} are the
	 * documented node and Fargate usernames EKS writes itself */
	for (size_t i = 0; e->username && i < sizeof reserved / sizeof *reserved; i++) {
		if (strncmp(e->username, reserved[i], strlen(reserved[i])) != 0 ||
		    strncmp(e->username, "system:node:", 12) == 0)
			continue;
		if (add(c, AWSAUTH_RESERVED_USERNAME, e->section, e, e->line, about,
			"%s entry %zu: username '%s' starts with the reserved prefix '%s': an authenticator "
			"configured to reserve it (reservedPrefixConfig, honoured for aws-auth since v0.7.17) "
			"refuses it, and EKS access entries never accept it",
			sec, e->index + 1, Q(e->username, q1), reserved[i]))
			return -1;
		break;
	}
	return 0;
}

/* Duplicates: one finding per ARN mapped more than once, at its first entry. */
static int check_duplicate(struct check *c, size_t i, int about)
{
	const struct awsauth *a = c->a;
	const struct awsauth_entry *e = &a->entries[i];
	if (!effective(a, e))
		return 0;
	struct buf lines = BUF_INIT;
	size_t count = 0;
	for (size_t j = 0; j < a->nentries; j++) {
		const struct awsauth_entry *x = &a->entries[j];
		if (!effective(a, x) || strcasecmp(x->arn, e->arn) != 0)
			continue;
		if (j < i)
			return 0; /* reported at the first */
		buf_printf(&lines, "%s%s entry %zu (line %zu)", count ? ", " : "", section_of(x), x->index + 1,
			   x->line);
		count++;
	}
	int rc = 0;
	if (count > 1 && !lines.oom) {
		int uncertain;
		const struct awsauth_entry *u = used_of(a, e->arn, &uncertain);
		char q1[MSG_QUOTE_MAX + 1], q2[MSG_QUOTE_MAX + 1];
		if (uncertain)
			rc = add(c, AWSAUTH_DUPLICATE, e->section, e, e->line, about,
				 "'%s' is mapped %zu times: %s; its mapUsers entries differ in case, so "
				 "the authenticator keeps each and uses either one at random",
				 Q(e->arn, q1), count, buf_str(&lines));
		else
			rc = add(c, AWSAUTH_DUPLICATE, e->section, e, e->line, about,
				 "'%s' is mapped %zu times: %s; the authenticator uses the last, %s entry %zu "
				 "(username '%s'), and ignores the others",
				 Q(e->arn, q1), count, buf_str(&lines), section_of(u), u->index + 1,
				 Q(u->username, q2));
	}
	rc |= lines.oom ? -1 : 0;
	buf_free(&lines);
	return rc;
}

/* `key: {{...}}` or `- {{...}}` with the template unquoted, line by line
 * in the raw text: what go-yaml reads as a map. */
static int check_templates(struct check *c, enum awsauth_section s, const char *text,
			   const struct awsauth_pos *sp)
{
	size_t inner = 0;
	char q[MSG_QUOTE_MAX + 1];
	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		inner++;
		size_t i = 0;
		for (;;) { /* leading blanks and sequence dashes */
			while (i < n && (p[i] == ' ' || p[i] == '\t'))
				i++;
			if (i + 1 < n && p[i] == '-' && (p[i + 1] == ' ' || p[i + 1] == '\t'))
				i++;
			else
				break;
		}
		const char *hit = NULL;
		if (i + 1 < n && p[i] == '{' && p[i + 1] == '{') {
			hit = p + i;
		} else if (i < n && p[i] != '#' && p[i] != '"' && p[i] != '\'') {
			for (size_t j = i; j + 1 < n; j++) {
				if (p[j] != ':' || (p[j + 1] != ' ' && p[j + 1] != '\t'))
					continue;
				size_t k = j + 1;
				while (k < n && (p[k] == ' ' || p[k] == '\t'))
					k++;
				if (k + 1 < n && p[k] == '{' && p[k + 1] == '{')
					hit = p + k;
				break;
			}
		}
		if (hit) {
			char frag[MSG_QUOTE_MAX + 1];
			size_t fl = (size_t)(p + n - hit);
			if (fl > MSG_QUOTE_MAX)
				fl = MSG_QUOTE_MAX;
			memcpy(frag, hit, fl);
			frag[fl] = '\0';
			while (fl && (frag[fl - 1] == ' ' || frag[fl - 1] == '\r' || frag[fl - 1] == '\t'))
				frag[--fl] = '\0';
			if (add(c, AWSAUTH_UNQUOTED_TEMPLATE, s, NULL, src_line(sp, inner), 0,
				"%s line %zu: %s is not quoted: YAML reads it as a map, so the authenticator refuses "
				"all of %s (yaml: invalid map key) and every entry in it is unmapped; quote it: \"%s\"",
				awsauth_section_name(s), inner, Q(frag, q), awsauth_section_name(s), q))
				return -1;
		}
		p = eol ? eol + 1 : NULL;
	}
	return 0;
}

static int check_principal(struct check *c, const struct awsauth_entry *e, enum relation rel)
{
	const struct awsauth *a = c->a;
	const struct arn_info *p = &c->pi;
	char q1[MSG_QUOTE_MAX + 1], q2[MSG_QUOTE_MAX + 1];
	const char *sec = section_of(e);

	if (rel == REL_EXACT) {
		int uncertain;
		const struct awsauth_entry *u = used_of(a, e->arn, &uncertain);
		struct buf d = BUF_INIT;
		buf_printf(&d, "%s entry %zu maps it: username '%s'", sec, e->index + 1, Q(e->username, q1));
		buf_puts(&d, ", groups [");
		for (size_t i = 0; i < e->ngroups; i++)
			buf_printf(&d, "%s%s", i ? " " : "", Q(e->groups[i], q2));
		buf_puts(&d, "]");
		if (strcmp(e->arn, p->canonical) != 0)
			buf_printf(&d, "; it differs from %s in case only, which the authenticator ignores",
				   p->canonical);
		if (!effective(a, e))
			buf_printf(&d, "; but the authenticator drops %s", e->dropped ? "this entry" : sec);
		else if (u != e && !uncertain)
			buf_printf(&d, "; not used: %s entry %zu (line %zu) is", section_of(u), u->index + 1, u->line);
		else if (uncertain)
			buf_puts(&d, "; another mapUsers entry differs in case: either is used");
		int rc = d.oom ? -1
			       : add(c, AWSAUTH_EXACT_MATCH, e->section, e, e->line, 1, "%s", buf_str(&d));
		buf_free(&d);
		return rc;
	}
	if (rel == REL_OTHER_ACCOUNT)
		return add(c, AWSAUTH_OTHER_ACCOUNT, e->section, e, e->line, 1,
			   "%s entry %zu: '%s' names %s in account %s, not %s: it never matches %s", sec,
			   e->index + 1, Q(e->arn, q1), Q(c->ei.name, q2), c->ei.account, p->account, p->canonical);
	if (rel == REL_NEAR)
		return add(c, AWSAUTH_NEAR_MISS, e->section, e, e->line, 1,
			   "%s entry %zu: '%s' is one edit away from %s (a typo?), so it never matches", sec,
			   e->index + 1, Q(e->arn, q1), p->canonical);
	return 0;
}

/* About the principal first, then by source line; ties keep the order
 * they were found in. */
static int cmp_index(const void *x, const void *y, void *base)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	const struct awsauth_finding *a = (const struct awsauth_finding *)base + i,
				     *b = (const struct awsauth_finding *)base + j;
	if (a->about_principal != b->about_principal)
		return b->about_principal - a->about_principal;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return i < j ? -1 : i > j;
}

static int sort_findings(struct awsauth_findings *o)
{
	size_t *idx = malloc(o->n * sizeof *idx);
	struct awsauth_finding *v = malloc(o->n * sizeof *v);
	if (!idx || !v) {
		free(idx);
		free(v);
		return -1;
	}
	for (size_t i = 0; i < o->n; i++)
		idx[i] = i;
	qsort_r(idx, o->n, sizeof *idx, cmp_index, o->v);
	for (size_t i = 0; i < o->n; i++)
		v[i] = o->v[idx[i]];
	free(o->v);
	o->v = v;
	free(idx);
	return 0;
}

static int run_check(struct check *c)
{
	const struct awsauth *a = c->a;
	struct awsauth_findings *o = c->out;
	char q[MSG_QUOTE_MAX + 1];

	for (size_t i = 0; i < a->nmisspelled; i++)
		if (add(c, AWSAUTH_MISSPELLED_SECTION, AWSAUTH_NONE, NULL, a->misspelled_lines[i], 0,
			"data key '%s' is ignored: the authenticator reads mapRoles, mapUsers and mapAccounts, "
			"spelled exactly so", Q(a->misspelled[i], q)))
			return -1;
	static const enum awsauth_section secs[] = {AWSAUTH_MAP_ROLES, AWSAUTH_MAP_USERS, AWSAUTH_MAP_ACCOUNTS};
	for (size_t i = 0; i < 3; i++) {
		const struct awsauth_section_info *si =
			secs[i] == AWSAUTH_MAP_ROLES ? &a->roles : secs[i] == AWSAUTH_MAP_USERS ? &a->users : &a->accounts_info;
		if (si->present && !si->parsed &&
		    add(c, AWSAUTH_INVALID_YAML, secs[i], NULL, si->error_line, 0,
			"%s; the authenticator drops all of %s", si->error, awsauth_section_name(secs[i])))
			return -1;
	}
	if (a->roles_text && check_templates(c, AWSAUTH_MAP_ROLES, a->roles_text, &a->roles_pos))
		return -1;
	if (a->users_text && check_templates(c, AWSAUTH_MAP_USERS, a->users_text, &a->users_pos))
		return -1;

	for (size_t i = 0; i < a->nentries; i++) {
		const struct awsauth_entry *e = &a->entries[i];
		int parsed;
		enum relation rel = relate(c, e, &parsed);
		if (check_entry(c, e, rel, parsed) || check_principal(c, e, rel) ||
		    check_duplicate(c, i, rel == REL_EXACT))
			return -1;
		if (rel == REL_EXACT && effective(a, e) && !o->used) {
			o->used = used_of(a, e->arn, &o->used_uncertain);
			o->mapped = 1;
		}
	}
	if (c->have_principal && a->accounts_info.parsed) {
		for (size_t i = 0; i < a->naccounts; i++) {
			if (strcmp(a->accounts[i], c->pi.account) != 0)
				continue;
			if (add(c, AWSAUTH_ACCOUNT_MAPPED, AWSAUTH_MAP_ACCOUNTS, NULL, a->account_lines[i], 1,
				"mapAccounts lists %s: %s is mapped%s with username %s and no groups",
				c->pi.account, c->pi.canonical, o->used ? " (its entry comes first)" : "",
				c->pi.canonical))
				return -1;
			o->mapped = 1;
			break;
		}
	}
	return o->n > 1 ? sort_findings(o) : 0;
}

int awsauth_check(const struct awsauth *a, const char *principal_arn, struct awsauth_findings *out,
		  char *err, size_t err_sz)
{
	memset(out, 0, sizeof *out);
	struct check *c = calloc(1, sizeof *c); /* two arn_info: 16 KiB, off the stack */
	if (!c) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	c->a = a;
	c->out = out;
	int rc = AL_OK;
	if (principal_arn) {
		if (arn_parse(principal_arn, strlen(principal_arn), &c->pi) != 0 ||
		    (c->pi.type != PRINCIPAL_ROLE && c->pi.type != PRINCIPAL_USER &&
		     c->pi.type != PRINCIPAL_ASSUMED_ROLE)) {
			char q[MSG_QUOTE_MAX + 1];
			msg_set(err, err_sz, "'%s' is not an IAM role, user or assumed-role ARN",
				msg_printable(principal_arn, q, sizeof q));
			rc = AL_USAGE;
			goto out;
		}
		c->have_principal = 1;
	}
	if (run_check(c)) {
		msg_set(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
	}
out:
	free(c);
	return rc;
}

void awsauth_findings_free(struct awsauth_findings *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].detail);
	free(f->v);
	memset(f, 0, sizeof *f);
}
