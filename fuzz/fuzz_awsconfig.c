/* The ~/.aws/config and ~/.aws/credentials parser (aws_config_load) and
 * the queries on what it built; the config part read again as a plain
 * file of ours (aws_config_load_plain) and as the fleet file (fleet_load).  The input is the config file up to its
 * first NUL byte and the credentials file after it (which may hold more
 * NULs: the "NUL byte" error); without a NUL the credentials file is empty.
 * Both are written to memfds (opened by path, /proc/self/fd/N), so nothing
 * is left behind in /tmp.  Profile, section and key names to query are
 * taken from the input's header and "key =" lines.  Every AWS_* variable is
 * unset, so the answers depend on the files alone. */
#include "fuzz_common.h"

#include <ctype.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aws/aws_config.h"
#include "fleet.h"
#include "status.h"
#include "aws/aws_secret_int.h"

extern char **environ;

static char cfg_path[64], creds_path[64];
static int cfg_fd = -1, creds_fd = -1;

/* Every buffer wiped before it is freed is all zeroes by then. */
static void wipe_check(const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(s[i] == 0);
}

static int make_file(char *path, size_t path_sz, const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(path, path_sz, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* no AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL*, AWS_USE_FIPS_ENDPOINT, ... */
	for (size_t i = 0; environ[i];) {
		if (strncmp(environ[i], "AWS_", 4) == 0) {
			char name[256];
			size_t n = strcspn(environ[i], "=");
			snprintf(name, sizeof name, "%.*s", (int)n, environ[i]);
			unsetenv(name); /* shifts environ down */
			continue;
		}
		i++;
	}
	cfg_fd = make_file(cfg_path, sizeof cfg_path, "fuzz-aws-config");
	creds_fd = make_file(creds_path, sizeof creds_path, "fuzz-aws-credentials");
	aws_secret_wipe_hook = wipe_check;
	return 0;
}

static void put_file(int fd, const uint8_t *data, size_t n)
{
	if (ftruncate(fd, 0) != 0)
		abort();
	size_t off = 0;
	while (off < n) {
		ssize_t w = pwrite(fd, data + off, n - off, (off_t)off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
}

static int is_sp(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

/* A value of a top-level key: the trimmed rest of its line, then for each
 * deeper-indented continuation line one or more '\n' (blank lines kept)
 * and that line trimmed; continuation lines that are comments are skipped.
 * So: no blank at either end, none next to a '\n', no '\n' at either end,
 * and no line after the first starts with '#' or ';'. */
static void check_value(const char *v)
{
	size_t n = touch_str(v);
	if (!v || !n)
		return;
	FUZZ_CHECK(!is_sp(v[0]) && !is_sp(v[n - 1]));
	FUZZ_CHECK(v[0] != '\n' && v[n - 1] != '\n');
	for (size_t i = 0; i < n; i++) {
		if (v[i] != '\n')
			continue;
		FUZZ_CHECK(!is_sp(v[i - 1]) && !is_sp(v[i + 1]));
		FUZZ_CHECK(v[i + 1] == '\n' || (v[i + 1] != '#' && v[i + 1] != ';'));
	}
}

/* A value inside a nested block (`s3 =` / `cloudwatch_logs =` lines): one line. */
static void check_sub_value(const char *v)
{
	size_t n = touch_str(v);
	if (!v)
		return;
	FUZZ_CHECK(!memchr(v, '\n', n));
	FUZZ_CHECK(!n || (!is_sp(v[0]) && !is_sp(v[n - 1])));
}

/* One line, not empty: what every error message must be. */
static void check_err_line(const char *err)
{
	size_t n = touch_str(err);
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(!memchr(err, '\n', n) && !memchr(err, '\r', n));
}

#define MAX_NAMES 12
#define MAX_KEYS 12
#define NAME_MAX_LEN 200

struct names {
	char *v[MAX_NAMES + MAX_KEYS + 32];
	size_t n;
};

static void add_name(struct names *l, const char *s, size_t n)
{
	if (l->n >= sizeof l->v / sizeof *l->v || n > NAME_MAX_LEN || memchr(s, '\0', n))
		return;
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == n && memcmp(l->v[i], s, n) == 0)
			return;
	l->v[l->n++] = fuzz_cstr((const uint8_t *)s, n);
}

static void trim(const char **s, size_t *n)
{
	while (*n && (is_sp(**s) || **s == '\r'))
		(*s)++, (*n)--;
	while (*n && (is_sp((*s)[*n - 1]) || (*s)[*n - 1] == '\r'))
		(*n)--;
}

/* Candidate names from "[...]" lines (the whole text, its last word, with
 * and without quotes) and candidate keys from "k = v" / "k: v" lines. */
static void collect(const char *d, size_t len, struct names *names, struct names *keys)
{
	const char *p = d, *end = d + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *s = p;
		size_t n = (size_t)((eol ? eol : end) - p);
		p = eol ? eol + 1 : end;
		trim(&s, &n);
		if (n >= 2 && s[0] == '[') {
			const char *h = s + 1, *c = memchr(h, ']', n - 1);
			size_t hl = c ? (size_t)(c - h) : n - 1;
			trim(&h, &hl);
			if (names->n < MAX_NAMES)
				add_name(names, h, hl);
			size_t w = hl;
			while (w && !is_sp(h[w - 1]))
				w--;
			const char *last = h + w;
			size_t ll = hl - w;
			if (names->n < MAX_NAMES)
				add_name(names, last, ll);
			if (ll >= 2 && (last[0] == '"' || last[0] == '\'') && names->n < MAX_NAMES)
				add_name(names, last + 1, ll - 2);
		} else if (n && s[0] != '#' && s[0] != ';' && keys->n < MAX_KEYS) {
			size_t kl = 0; /* the line is not NUL-terminated */
			while (kl < n && s[kl] != '=' && s[kl] != ':')
				kl++;
			const char *k = s;
			trim(&k, &kl);
			if (kl)
				add_name(keys, k, kl);
		}
	}
}

static void free_names(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* The same key in upper case finds the same value (keys are case-insensitive). */
static void check_key_case(const struct aws_config *cfg, const char *profile, const char *key,
			   const char *v)
{
	char up[NAME_MAX_LEN + 1];
	size_t n = strlen(key);
	if (n >= sizeof up)
		return;
	for (size_t i = 0; i <= n; i++)
		up[i] = (char)toupper((unsigned char)key[i]);
	FUZZ_CHECK(aws_config_get(cfg, profile, up) == v);
}

static void check_endpoint(const struct aws_config *cfg, const char *profile,
			   enum aws_service svc, const char *region)
{
	struct aws_endpoint ep;
	char err[512];
	err[0] = '\0';
	int rc = aws_config_endpoint(cfg, profile, svc, region, NULL, &ep, err, sizeof err);
	FUZZ_CHECK(rc == AL_OK || rc == AL_CONFIG);
	if (rc != 0) {
		check_err_line(err);
		return;
	}
	size_t ul = touch_str(ep.url), hl = touch_str(ep.host);
	touch_str(ep.signing_region);
	touch_str(ep.partition);
	touch_str(ep.origin);
	touch_str(aws_endpoint_source_name(ep.source));
	FUZZ_CHECK(ul > 0 && ul < sizeof ep.url && hl < sizeof ep.host);
	for (size_t i = 0; i < ul; i++)
		FUZZ_CHECK((unsigned char)ep.url[i] > 0x20 && ep.url[i] != 0x7f);
	/* a configured URL's host is lower-cased; a default one keeps the
	 * region's case (botocore builds logs.US-EAST-1.amazonaws.com too) */
	for (size_t i = 0; ep.source != AWS_ENDPOINT_DEFAULT && i < hl; i++)
		FUZZ_CHECK(!(ep.host[i] >= 'A' && ep.host[i] <= 'Z'));
	FUZZ_CHECK(ep.loopback == aws_host_is_loopback(ep.host));
	FUZZ_CHECK(ep.port <= 65535);
	if (ep.source == AWS_ENDPOINT_FROM_PROFILE)
		FUZZ_CHECK(strcmp(ep.url, aws_config_get(cfg, profile, "endpoint_url")) == 0);
	if (ep.source == AWS_ENDPOINT_FROM_SERVICES) {
		const char *v = aws_config_service_get(cfg, profile,
						       svc == AWS_SVC_STS ? "sts" : "cloudwatch_logs",
						       "endpoint_url");
		FUZZ_CHECK(v && strcmp(ep.url, v) == 0);
	}
	if (ep.source == AWS_ENDPOINT_DEFAULT) {
		FUZZ_CHECK(ep.https && region && aws_region_valid(region));
		FUZZ_CHECK(strncmp(ep.url, "https://", 8) == 0 && strcmp(ep.url + 8, ep.host) == 0);
	}
	FUZZ_CHECK(ep.source == AWS_ENDPOINT_DEFAULT || ep.source == AWS_ENDPOINT_FROM_PROFILE ||
		   ep.source == AWS_ENDPOINT_FROM_SERVICES); /* no env, no --endpoint-url */
}

static const char *const fixed_keys[] = {
	"region", "services", "endpoint_url", "credential_process", "aws_access_key_id",
	"aws_secret_access_key", "aws_session_token", "sso_session", "sso_start_url",
	"sso_region", "role_arn", "source_profile", "s3", "output",
};
static const char *const sub_keys[] = {"cloudwatch_logs", "sts", "s3"};
static const char *const sub_names[] = {"endpoint_url", "region", "addressing_style"};

static void query_profile(const struct aws_config *cfg, const char *name, const struct names *keys)
{
	int exists = aws_config_profile_exists(cfg, name);
	FUZZ_CHECK(exists == 0 || exists == 1);
	size_t nk = keys->n + sizeof fixed_keys / sizeof *fixed_keys;
	for (size_t i = 0; i < nk; i++) {
		const char *k = i < keys->n ? keys->v[i] : fixed_keys[i - keys->n];
		const char *v = aws_config_get(cfg, name, k);
		const char *vc = aws_config_file_get(cfg, AWS_CONFIG_FILE_CREDENTIALS, name, k);
		const char *vf = aws_config_file_get(cfg, AWS_CONFIG_FILE_CONFIG, name, k);
		FUZZ_CHECK(v == (vc ? vc : vf)); /* the credentials file wins */
		check_value(v);
		check_value(vf);
		if (v)
			FUZZ_CHECK(exists);
		check_key_case(cfg, name, k, v);
		/* nested blocks of the profile's services section */
		for (size_t j = 0; j < sizeof sub_names / sizeof *sub_names; j++) {
			const char *sv = aws_config_service_get(cfg, name, k, sub_names[j]);
			check_sub_value(sv);
			if (sv) {
				const char *svc = aws_config_get(cfg, name, "services");
				FUZZ_CHECK(svc && *svc);
			}
		}
	}
	for (size_t i = 0; i < sizeof sub_keys / sizeof *sub_keys; i++)
		for (size_t j = 0; j < keys->n; j++)
			check_sub_value(aws_config_service_get(cfg, name, sub_keys[i], keys->v[j]));

	/* --profile NAME: found exactly when the profile exists */
	char pname[128], err[512];
	enum aws_profile_source src;
	err[0] = '\0';
	int rc = aws_config_select_profile(cfg, name, pname, sizeof pname, &src, err, sizeof err);
	if (!*name) {
		FUZZ_CHECK(rc == 0 && src == AWS_PROFILE_FROM_DEFAULT && strcmp(pname, "default") == 0);
	} else if (strlen(name) >= sizeof pname) {
		FUZZ_CHECK(rc == AL_CONFIG);
		check_err_line(err);
	} else {
		FUZZ_CHECK(src == AWS_PROFILE_FROM_CLI && strcmp(pname, name) == 0);
		FUZZ_CHECK((rc == 0) == exists);
		if (rc)
			check_err_line(err);
	}

	/* region: the profile's, when valid (no --region, no env) */
	char region[64];
	enum aws_region_source rsrc;
	const char *pr = aws_config_get(cfg, name, "region");
	err[0] = '\0';
	rc = aws_config_region(cfg, name, NULL, region, sizeof region, &rsrc, err, sizeof err);
	if (pr && *pr && aws_region_valid(pr)) {
		FUZZ_CHECK(rc == 0 && rsrc == AWS_REGION_FROM_PROFILE && strcmp(region, pr) == 0);
	} else {
		FUZZ_CHECK(rc == AL_CONFIG && region[0] == '\0');
		FUZZ_CHECK(rsrc == (pr && *pr ? AWS_REGION_FROM_PROFILE : AWS_REGION_NONE));
		check_err_line(err);
	}
	touch_str(aws_partition_for_region(rc == 0 ? region : NULL)->name);

	check_endpoint(cfg, name, AWS_SVC_LOGS, rc == 0 ? region : NULL);
	check_endpoint(cfg, name, AWS_SVC_STS, rc == 0 ? region : NULL);
	check_endpoint(cfg, name, AWS_SVC_STS, "us-east-1");

	/* the same name as an sso-session */
	for (size_t i = 0; i < keys->n; i++)
		check_value(aws_config_sso_session_get(cfg, name, keys->v[i]));
	check_value(aws_config_sso_session_get(cfg, name, "sso_start_url"));
	check_value(aws_config_sso_session_get(cfg, name, "sso_region"));
}

/* A load error: "PATH:LINE: <fixed text>" naming one of the two files and a
 * line it has (it never quotes the file: it may hold secrets). */
static void check_load_error(const char *err, const uint8_t *cfg, size_t cfg_n,
			     const uint8_t *cr, size_t cr_n)
{
	static const char *const msgs[] = {
		"NUL byte",
		"expected 'key = value'",
		"expected ']' to close the section header",
		"unexpected text after ']'",
		"empty section name",
		"expected a [section] header before 'key = value'",
	};
	check_err_line(err);
	int is_cfg = strncmp(err, cfg_path, strlen(cfg_path)) == 0 && err[strlen(cfg_path)] == ':';
	int is_cr = strncmp(err, creds_path, strlen(creds_path)) == 0 && err[strlen(creds_path)] == ':';
	FUZZ_CHECK(is_cfg != is_cr);
	const char *rest = err + strlen(is_cfg ? cfg_path : creds_path) + 1;
	const uint8_t *d = is_cfg ? cfg : cr;
	size_t dn = is_cfg ? cfg_n : cr_n;
	char *end;
	unsigned long line = strtoul(rest, &end, 10);
	FUZZ_CHECK(end != rest && *end == ':' && end[1] == ' ');
	size_t lines = 1;
	for (size_t i = 0; i < dn; i++)
		lines += d[i] == '\n';
	FUZZ_CHECK(line >= 1 && line <= lines);
	int known = 0;
	for (size_t i = 0; i < sizeof msgs / sizeof *msgs; i++)
		known |= strcmp(end + 2, msgs[i]) == 0;
	FUZZ_CHECK(known);
	if (is_cfg) /* the config part ends at the first NUL */
		FUZZ_CHECK(strcmp(end + 2, "NUL byte") != 0);
}

/* The same text as a plain file: every section and key as written, in
 * file order, lines within the file, keys lower-case, values as the
 * config file's; an error is one line naming a line of the file. Then
 * as the fleet file: a loaded cluster has what fleet.h promises. */
static void check_plain(const uint8_t *data, size_t n)
{
	struct aws_config *cfg = NULL;
	char err[1024];
	size_t lines = 1, line, kline, prev = 0;
	for (size_t i = 0; i < n; i++)
		lines += data[i] == '\n';
	int rc = aws_config_load_plain(cfg_path, &cfg, err, sizeof err);
	FUZZ_CHECK(rc == AL_OK || rc == AL_CONFIG);
	if (rc) {
		FUZZ_CHECK(cfg == NULL);
		check_err_line(err);
		FUZZ_CHECK(strncmp(err, cfg_path, strlen(cfg_path)) == 0 && err[strlen(cfg_path)] == ':');
	}
	for (size_t i = 0; cfg && aws_config_section(cfg, i, &line); i++) {
		FUZZ_CHECK(line >= 1 && line <= lines && line > prev);
		prev = line;
		const char *key, *v;
		for (size_t k = 0; (key = aws_config_section_key(cfg, i, k, &v, &kline)); k++) {
			FUZZ_CHECK(kline > line && kline <= lines);
			for (const char *p = key; *p; p++)
				FUZZ_CHECK(!(*p >= 'A' && *p <= 'Z'));
			check_value(v);
		}
	}
	aws_config_free(cfg);

	struct fleet f;
	rc = fleet_load(cfg_path, &f, err, sizeof err);
	FUZZ_CHECK(rc == AL_OK || rc == AL_CONFIG);
	if (rc)
		check_err_line(err);
	else
		FUZZ_CHECK(f.n > 0);
	for (size_t i = 0; i < f.n; i++) {
		const struct fleet_cluster *c = &f.v[i];
		FUZZ_CHECK(c->name[0] && c->region[0] && c->log_group[0] && c->line >= 1 && c->line <= lines);
		FUZZ_CHECK(!c->external_id[0] || c->role_arn[0]);
		FUZZ_CHECK(fleet_log_group_valid(c->log_group) && aws_region_valid(c->region));
		FUZZ_CHECK(fleet_find(&f, c->name) == c);
	}
	fleet_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t cfg_n = nul ? (size_t)(nul - data) : size;
	const uint8_t *cr = nul ? nul + 1 : data + size;
	size_t cr_n = nul ? size - cfg_n - 1 : 0;

	put_file(cfg_fd, data, cfg_n);
	put_file(creds_fd, cr, cr_n);

	struct aws_config *cfg = (struct aws_config *)&cfg; /* must be overwritten */
	char err[1024];
	memset(err, 'x', sizeof err);
	err[sizeof err - 1] = '\0';
	check_plain(data, cfg_n);
	int rc = aws_config_load(cfg_path, creds_path, &cfg, err, sizeof err);
	FUZZ_CHECK(rc == AL_OK || rc == AL_CONFIG);
	if (rc != 0) {
		FUZZ_CHECK(cfg == NULL);
		check_load_error(err, data, cfg_n, cr, cr_n);
		return 0;
	}
	FUZZ_CHECK(cfg != NULL);
	FUZZ_CHECK(err[0] == '\0');

	struct names names = {0}, keys = {0};
	collect((const char *)data, cfg_n, &names, &keys);
	collect((const char *)cr, cr_n, &names, &keys);
	add_name(&names, "default", 7);
	add_name(&names, "", 0);

	for (size_t i = 0; i < names.n; i++)
		query_profile(cfg, names.v[i], &keys);

	/* the selected profile without --profile: "default", always */
	char pname[128];
	enum aws_profile_source src;
	FUZZ_CHECK(aws_config_select_profile(cfg, NULL, pname, sizeof pname, &src, err, sizeof err) == 0);
	FUZZ_CHECK(src == AWS_PROFILE_FROM_DEFAULT && strcmp(pname, "default") == 0);
	/* a NULL profile has nothing */
	FUZZ_CHECK(aws_config_get(cfg, NULL, "region") == NULL);
	FUZZ_CHECK(!aws_config_profile_exists(cfg, NULL));

	free_names(&names);
	free_names(&keys);
	aws_config_free(cfg);
	return 0;
}
