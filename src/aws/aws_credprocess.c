#include "aws_credprocess.h"
#include "aws_credprocess_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "aws_creds.h"
#include "aws_creds_int.h"
#include "aws_doc.h"
#include "aws_secret.h"
#include "buf.h"
#include "msg.h"
#include "status.h"
#include "timeutil.h"

extern char **environ;

#define MAX_PROCESS_OUTPUT (1u << 20)

/* The fields of credential_process output, in f[] order. */
enum { F_VERSION, F_KEY_ID, F_SECRET, F_TOKEN, F_EXPIRATION, NFIELDS };

static int check_version(const struct aws_doc_field *v, const char *pn, char *err, size_t err_sz)
{
	if (v->type == AWS_DOC_ABSENT) {
		msg_set(err, err_sz, "profile %s: credential_process: the output has no \"Version\" (must be 1)", pn);
		return AL_CONFIG;
	}
	if (v->type != AWS_DOC_NUMBER || strtod(v->val, NULL) != 1.0) {
		char vtmp[40];
		msg_set(err, err_sz, "profile %s: credential_process: unsupported \"Version\" %s (must be 1)", pn,
		       v->val ? msg_printable(v->val, vtmp, 24) : "(not a number)");
		return AL_CONFIG;
	}
	return AL_OK;
}

/* AccessKeyId and SecretAccessKey are required, SessionToken optional
 * (empty or null: none); each must pass aws_secret_token_ok. */
static int check_keys(const struct aws_doc_field *f, const char *pn, char *err, size_t err_sz)
{
	for (int i = F_KEY_ID; i <= F_SECRET; i++) {
		if (f[i].type != AWS_DOC_STRING || !*f[i].val) {
			msg_set(err, err_sz, "profile %s: credential_process: the output has no \"%s\"", pn,
			       f[i].path);
			return AL_CONFIG;
		}
		if (!aws_secret_token_ok(f[i].val)) {
			msg_set(err, err_sz, "profile %s: credential_process: \"%s\" holds a space or control character",
			       pn, f[i].path);
			return AL_CONFIG;
		}
	}
	const struct aws_doc_field *t = &f[F_TOKEN];
	if (t->type != AWS_DOC_ABSENT && t->type != AWS_DOC_NULL &&
	    (t->type != AWS_DOC_STRING || (*t->val && !aws_secret_token_ok(t->val)))) {
		msg_set(err, err_sz, "profile %s: credential_process: \"SessionToken\" must be a string of printable characters", pn);
		return AL_CONFIG;
	}
	return AL_OK;
}

/* An optional Expiration into *expiration (0: none); already past is an
 * error. */
static int check_expiration(const struct aws_doc_field *x, const char *pn, int64_t *expiration, char *err,
			    size_t err_sz)
{
	if (x->type == AWS_DOC_ABSENT || x->type == AWS_DOC_NULL)
		return AL_OK;
	char etmp[48];
	if (x->type != AWS_DOC_STRING || aws_doc_time(x, 0, expiration)) {
		msg_set(err, err_sz, "profile %s: credential_process: \"Expiration\" %s is not an RFC 3339 time", pn,
		       x->type == AWS_DOC_STRING ? msg_printable(x->val, etmp, 40) : "(not a string)");
		return AL_CONFIG;
	}
	if (*expiration <= aws_creds_now()) {
		char iso[TIME_ISO_LEN];
		time_format(*expiration, iso);
		msg_set(err, err_sz, "profile %s: credential_process returned credentials that expired at %s", pn,
		       iso);
		*expiration = 0;
		return AL_CONFIG;
	}
	return AL_OK;
}

int aws_credprocess_parse_output(const char *json, size_t len, const char *profile,
				   struct aws_credentials *out, char *err, size_t err_sz)
{
	struct aws_doc_field f[NFIELDS] = {
		[F_VERSION] = {"Version", AWS_DOC_ABSENT, NULL},
		[F_KEY_ID] = {"AccessKeyId", AWS_DOC_ABSENT, NULL},
		[F_SECRET] = {"SecretAccessKey", AWS_DOC_ABSENT, NULL},
		[F_TOKEN] = {"SessionToken", AWS_DOC_ABSENT, NULL},
		[F_EXPIRATION] = {"Expiration", AWS_DOC_ABSENT, NULL},
	};
	char tmp[128];
	const char *pn = msg_printable(profile, tmp, sizeof tmp);

	memset(out, 0, sizeof *out);
	int rc = aws_doc_json(json, len, f, NFIELDS, NULL, 0);
	if (rc == AL_SOFTWARE) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	if (rc) {
		msg_set(err, err_sz, "profile %s: credential_process: the output is not a JSON object", pn);
		return AL_CONFIG;
	}
	rc = check_version(&f[F_VERSION], pn, err, err_sz);
	if (!rc)
		rc = check_keys(f, pn, err, err_sz);
	if (!rc)
		rc = check_expiration(&f[F_EXPIRATION], pn, &out->expiration, err, err_sz);
	if (!rc) {
		struct aws_doc_field *t = &f[F_TOKEN];
		if (t->type == AWS_DOC_STRING && !*t->val) {
			aws_secret_free(t->val);
			t->val = NULL;
		}
		aws_credentials_take(out, &f[F_KEY_ID].val, &f[F_SECRET].val, t->type == AWS_DOC_STRING ? &t->val : NULL);
	}
	aws_doc_fields_free(f, NFIELDS);
	return rc;
}

void aws_credprocess_free_argv(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		aws_secret_free(*a);
	free(argv);
}

/* Appends a copy of the token (may be empty) to argv (n used of *cap,
 * always NULL-terminated).  0, or -1 on out-of-memory. */
static int push_arg(char ***argv, size_t *n, size_t *cap, const struct buf *tok)
{
	if (*n + 2 > *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		char **na = realloc(*argv, nc * sizeof *na);
		if (!na)
			return -1;
		*argv = na;
		*cap = nc;
	}
	(*argv)[*n] = strdup(buf_str(tok));
	if (!(*argv)[*n])
		return -1;
	(*argv)[++*n] = NULL;
	return 0;
}

/* One quoted, escaped or plain piece of a token at *s onto tok, *s moved
 * past it.  AL_OK, AL_CONFIG (err set) or AL_SOFTWARE. */
static int read_piece(const char **sp, struct buf *tok, char *err, size_t err_sz)
{
	const char *s = *sp;
	if (*s == '\'') {
		const char *e = strchr(s + 1, '\'');
		if (!e) {
			msg_set(err, err_sz, "no closing quotation");
			return AL_CONFIG;
		}
		if (aws_secret_buf_append(tok, s + 1, (size_t)(e - s - 1)))
			return AL_SOFTWARE;
		*sp = e + 1;
	} else if (*s == '"') {
		for (s++;; s++) {
			if (*s == '\0') {
				msg_set(err, err_sz, "no closing quotation");
				return AL_CONFIG;
			}
			if (*s == '"')
				break;
			/* POSIX shlex: inside "", '\' escapes only '"' and '\' */
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++;
			if (aws_secret_buf_append(tok, s, 1))
				return AL_SOFTWARE;
		}
		*sp = s + 1;
	} else if (*s == '\\') {
		if (s[1] == '\0') {
			msg_set(err, err_sz, "no escaped character after '\\'");
			return AL_CONFIG;
		}
		if (aws_secret_buf_append(tok, s + 1, 1))
			return AL_SOFTWARE;
		*sp = s + 2;
	} else {
		if (aws_secret_buf_append(tok, s, 1))
			return AL_SOFTWARE;
		*sp = s + 1;
	}
	return AL_OK;
}

int aws_credprocess_split(const char *cmd, char ***argv_out, char *err, size_t err_sz)
{
	char **argv = NULL;
	size_t n = 0, cap = 0;
	struct buf tok = BUF_INIT;
	int in_tok = 0, rc = AL_OK;
	const char *s = cmd;

	*argv_out = NULL;
	for (;;) {
		char ch = *s;
		if (ch == '\0' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			if (in_tok && push_arg(&argv, &n, &cap, &tok)) {
				rc = AL_SOFTWARE;
				break;
			}
			aws_secret_buf_free(&tok);
			in_tok = 0;
			if (ch == '\0')
				break;
			s++;
			continue;
		}
		in_tok = 1;
		if ((rc = read_piece(&s, &tok, err, err_sz)) != AL_OK)
			break;
	}
	if (rc == AL_OK && n == 0) {
		msg_set(err, err_sz, "the command is empty");
		rc = AL_CONFIG;
	}
	if (rc == AL_SOFTWARE)
		msg_set(err, err_sz, "out of memory");
	aws_secret_buf_free(&tok);
	if (rc == AL_OK)
		*argv_out = argv;
	else
		aws_credprocess_free_argv(argv);
	return rc;
}

/* First line-ish of a child's stderr for a message: printable, <= 300. */
static void stderr_excerpt(const struct buf *e, char *out, size_t out_sz)
{
	size_t i = 0, o = 0;
	const char *s = e->data ? e->data : "";
	while (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
		i++;
	for (; s[i] && o + 1 < out_sz && o < 300; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\n' || ch == '\r' || ch == '\t')
			ch = ' ';
		else if (ch < 0x20 || ch == 0x7f)
			ch = '?';
		if (ch == ' ' && o && out[o - 1] == ' ')
			continue;
		out[o++] = (char)ch;
	}
	while (o && out[o - 1] == ' ')
		o--;
	if (out_sz)
		out[o] = '\0';
}

/* Reads the child's stdout into out and the first 4 KiB of its stderr into
 * errb until both pipes close (fd[0] stdout, fd[1] stderr; closed here). 1
 * when stdout was over MAX_PROCESS_OUTPUT (or could not be stored). */
static int drain(int fd[2], struct buf *out, struct buf *errb)
{
	char chunk[4096];
	struct pollfd pf[2] = {{fd[0], POLLIN, 0}, {fd[1], POLLIN, 0}};
	int open_fds = 2, too_big = 0;
	while (open_fds) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(pf[i].fd, chunk, sizeof chunk);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(pf[i].fd);
				fd[i] = pf[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0) {
				if (out->len + (size_t)n > MAX_PROCESS_OUTPUT)
					too_big = 1;
				else if (aws_secret_buf_append(out, chunk, (size_t)n))
					too_big = 1;
			} else if (errb->len < 4096) {
				aws_secret_buf_append(errb, chunk, (size_t)n);
			}
		}
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	return too_big;
}

/* Waits for the child: 0 when it exited with status 0, else -1 with
 * what happened ("exited with status 2") in what. */
static int reap(pid_t pid, char *what, size_t what_sz)
{
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(what, what_sz, "failed");
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		snprintf(what, what_sz, "was killed by signal %d", WTERMSIG(status));
	else if (WIFEXITED(status))
		snprintf(what, what_sz, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(what, what_sz, "failed");
	return -1;
}

/* Starts argv with its stdout on out_fd[1] and stderr on err_fd[1]. */
static int spawn(char **argv, const int out_fd[2], const int err_fd[2], pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	if (posix_spawn_file_actions_init(&fa))
		return ENOMEM;
	posix_spawn_file_actions_adddup2(&fa, out_fd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_fd[1], 2);
	int e = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return e;
}

/* Runs the command without a shell; its stdout goes into out. */
static int run_process(const char *profile, const char *cmd, struct buf *out, char *err, size_t err_sz)
{
	char **argv = NULL, why[160], tmp[128], tmp2[128], what[48], ex[320];
	int op[2] = {-1, -1}, ep[2] = {-1, -1}, rc = AL_CONFIG, e;
	struct buf errb = BUF_INIT;
	pid_t pid;
	const char *pn = msg_printable(profile, tmp, sizeof tmp);

	if (aws_credprocess_split(cmd, &argv, why, sizeof why)) {
		msg_set(err, err_sz, "profile %s: credential_process: %s", pn, why);
		return AL_CONFIG;
	}
	if (pipe2(op, O_CLOEXEC) || pipe2(ep, O_CLOEXEC)) {
		msg_set(err, err_sz, "profile %s: credential_process: pipe: %s", pn, strerror(errno));
		rc = AL_SOFTWARE;
		goto out;
	}
	e = spawn(argv, op, ep, &pid);
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	if (e) {
		msg_set(err, err_sz, "profile %s: credential_process: cannot run '%s': %s", pn,
		       msg_printable(argv[0], tmp2, sizeof tmp2), strerror(e));
		goto out;
	}
	int fds[2] = {op[0], ep[0]};
	int too_big = drain(fds, out, &errb);
	op[0] = fds[0];
	ep[0] = fds[1];
	if (reap(pid, what, sizeof what)) {
		stderr_excerpt(&errb, ex, sizeof ex);
		msg_set(err, err_sz, "profile %s: credential_process '%s' %s%s%s", pn,
		       msg_printable(argv[0], tmp2, sizeof tmp2), what, *ex ? ": " : "", ex);
		goto out;
	}
	if (too_big) {
		msg_set(err, err_sz, "profile %s: credential_process: the output is over %u bytes", pn,
		       MAX_PROCESS_OUTPUT);
		goto out;
	}
	if (!out->data && aws_secret_buf_append(out, "", 0)) {
		rc = AL_SOFTWARE;
		goto out;
	}
	rc = AL_OK;
out:
	for (int i = 0; i < 2; i++) {
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	aws_secret_buf_free(&errb);
	aws_credprocess_free_argv(argv);
	return rc;
}

int aws_credprocess_fetch(const char *profile, const char *cmd, struct aws_credentials *out,
			  char *err, size_t err_sz)
{
	struct buf o = BUF_INIT;
	int rc = run_process(profile, cmd, &o, err, err_sz);
	if (rc == AL_OK)
		rc = aws_credprocess_parse_output(o.data, o.len, profile, out, err, err_sz);
	aws_secret_buf_free(&o);
	return rc;
}
