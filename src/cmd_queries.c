/* authlog-scan queries — the bundled Logs Insights queries. Each file in
 * queries/ holds one query; its leading '#' lines are the header
 * (Logs Insights accepts '#' comments, so the file runs as it is). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "config.h"
#include "status.h"

static const char usage_text[] =
	"usage: authlog-scan queries [--show NAME] [--dir]\n"
	"\n"
	"List the bundled CloudWatch Logs Insights queries (name and summary).\n"
	"  --show NAME  print one query as it would be sent (header included)\n"
	"  --dir        print the directory the queries are read from\n"
	"$AUTHLOG_QUERIES_DIR overrides the directory.\n";


static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* First header line without "# " and without a leading "NAME: ". */
static void summary_of(const char *path, const char *name, char *out, size_t out_sz)
{
	FILE *f = fopen(path, "r");
	char line[512];
	out[0] = '\0';
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && line[0] == '#') {
		char *s = line + 1;
		while (*s == ' ')
			s++;
		size_t nl = strlen(name);
		if (strncmp(s, name, nl) == 0 && s[nl] == ':')
			s += nl + 1;
		while (*s == ' ')
			s++;
		s[strcspn(s, "\r\n")] = '\0';
		snprintf(out, out_sz, "%s", s);
	}
	fclose(f);
}

static int show(const char *dir, const char *name)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s%s", dir, name, has_suffix(name, ".insights") ? "" : ".insights");
	if (n < 0 || (size_t)n >= sizeof(path) || strchr(name, '/')) {
		cli_error("queries", "bad query name '%s'", name);
		return AL_USAGE;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		cli_error("queries", "%s: %s (see 'authlog-scan queries')", path, strerror(errno));
		return AL_NOINPUT;
	}
	char buf[4096];
	size_t got;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, got, stdout);
	fclose(f);
	return AL_OK;
}

int cmd_queries(int argc, char **argv)
{
	static const struct option opts[] = {
		{"show", required_argument, NULL, 's'},
		{"dir", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = cli_queries_dir(), *name = NULL;
	int c, rc = AL_OK;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's': name = optarg; break;
		case 'd': puts(dir); return AL_OK;
		case 'h': fputs(usage_text, stdout); return AL_OK;
		default: return cli_bad_option("queries", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("queries", "unexpected argument '%s'", argv[optind]);
	if (name)
		return show(dir, name);

	DIR *d = opendir(dir);
	if (!d) {
		cli_error("queries", "%s: %s", dir, strerror(errno));
		return AL_NOINPUT;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!has_suffix(de->d_name, ".insights"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **p = realloc(names, cap * sizeof(*p));
			if (!p) {
				rc = AL_SOFTWARE;
				goto out;
			}
			names = p;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = AL_SOFTWARE;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		char path[4096], summary[512];
		names[i][strlen(names[i]) - strlen(".insights")] = '\0';
		snprintf(path, sizeof(path), "%s/%s.insights", dir, names[i]);
		summary_of(path, names[i], summary, sizeof(summary));
		printf("%-24s %s\n", names[i], summary);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}
