/* sigv4_sign_cli: drives sigv4_sign from a text description, for the botocore
 * oracle (tests/sigv4_oracle.py) and for poking at the signer by hand.
 *
 * Input (stdin): one or more request blocks.  Each block is lines of
 * "KEY VALUE" (one space; VALUE may be empty) ended by a line "sign".  Fields
 * that can hold arbitrary bytes are hex-encoded, so spaces, UTF-8 and control
 * bytes survive the trip:
 *
 *   method TOKEN            e.g. POST                 (default GET)
 *   path HEX                request-line path         (default "/")
 *   query HEX               bytes after '?'           (default: no query)
 *   header HEXNAME HEXVALUE repeatable, order kept
 *   body HEX                payload bytes             (default: empty)
 *   payload-hash TEXT       precomputed hash; body is then ignored
 *   access-key TEXT
 *   secret HEX
 *   token HEX               session token             (default: none)
 *   omit-token 0|1
 *   region TEXT
 *   service TEXT
 *   time EPOCH-SECONDS
 *   normalize 0|1           (default 1)
 *   sign-body 0|1
 *   mode header|query       (default header)
 *   expires SECONDS         query mode
 *
 * Output (stdout), per block:
 *
 *   canonical-request LEN\n<LEN bytes>\n
 *   string-to-sign LEN\n<LEN bytes>\n
 *   signature HEX
 *   authorization VALUE           header mode
 *   add-header NAME VALUE         header mode, one per header to add
 *   presign-params VALUE          query mode
 *   signed-query VALUE            query mode
 *   end
 *
 * or "error MESSAGE" then "end" when sigv4_sign refuses the request.
 * Exit status: 0, or 2 on malformed input.  Secrets are never printed. */
#include "buf.h"
#include "aws/sigv4.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct block {
	struct sigv4_request req;
	struct sigv4_credentials creds;
	struct sigv4_header *headers;
	size_t n_headers, cap_headers;
	struct buf path, query, body, secret, token;
	char *method, *access_key, *region, *service, *payload_hash;
	int has_query, has_token;
};

static int unhex(struct buf *out, const char *s, size_t len)
{
	if (len % 2)
		return -1;
	for (size_t i = 0; i < len; i += 2) {
		char pair[3] = {s[i], s[i + 1], '\0'};
		char *end;
		long v = strtol(pair, &end, 16);
		if (*end)
			return -1;
		buf_putc(out, (char)v);
	}
	buf_append(out, "", 0); /* terminate even when empty */
	return out->oom ? -1 : 0;
}

static char *unhex_dup(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	if (unhex(&b, s, len)) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

static void block_free(struct block *b)
{
	for (size_t i = 0; i < b->n_headers; i++) {
		free((char *)b->headers[i].name);
		free((char *)b->headers[i].value);
	}
	free(b->headers);
	buf_free(&b->path);
	buf_free(&b->query);
	buf_free(&b->body);
	if (b->secret.data)
		OPENSSL_cleanse(b->secret.data, b->secret.cap);
	buf_free(&b->secret);
	buf_free(&b->token);
	free(b->method);
	free(b->access_key);
	free(b->region);
	free(b->service);
	free(b->payload_hash);
	memset(b, 0, sizeof(*b));
}

/* One "KEY VALUE" line into b; -1 on an unknown key or bad hex. */
static int parse_line(struct block *b, const char *key, const char *val)
{
	size_t vlen = strlen(val);

	if (strcmp(key, "method") == 0) {
		free(b->method);
		b->method = strdup(val);
	} else if (strcmp(key, "path") == 0) {
		buf_reset(&b->path);
		return unhex(&b->path, val, vlen);
	} else if (strcmp(key, "query") == 0) {
		buf_reset(&b->query);
		b->has_query = 1;
		return unhex(&b->query, val, vlen);
	} else if (strcmp(key, "header") == 0) {
		const char *sp = strchr(val, ' ');
		if (!sp)
			return -1;
		if (b->n_headers == b->cap_headers) {
			size_t cap = b->cap_headers ? b->cap_headers * 2 : 8;
			struct sigv4_header *h = realloc(b->headers, cap * sizeof(*h));
			if (!h)
				return -1;
			b->headers = h;
			b->cap_headers = cap;
		}
		char *n = unhex_dup(val, (size_t)(sp - val));
		char *v = unhex_dup(sp + 1, strlen(sp + 1));
		if (!n || !v) {
			free(n);
			free(v);
			return -1;
		}
		b->headers[b->n_headers].name = n;
		b->headers[b->n_headers].value = v;
		b->n_headers++;
	} else if (strcmp(key, "body") == 0) {
		buf_reset(&b->body);
		return unhex(&b->body, val, vlen);
	} else if (strcmp(key, "payload-hash") == 0) {
		free(b->payload_hash);
		b->payload_hash = strdup(val);
	} else if (strcmp(key, "access-key") == 0) {
		free(b->access_key);
		b->access_key = strdup(val);
	} else if (strcmp(key, "secret") == 0) {
		buf_reset(&b->secret);
		return unhex(&b->secret, val, vlen);
	} else if (strcmp(key, "token") == 0) {
		buf_reset(&b->token);
		b->has_token = 1;
		return unhex(&b->token, val, vlen);
	} else if (strcmp(key, "omit-token") == 0) {
		b->creds.omit_session_token = atoi(val);
	} else if (strcmp(key, "region") == 0) {
		free(b->region);
		b->region = strdup(val);
	} else if (strcmp(key, "service") == 0) {
		free(b->service);
		b->service = strdup(val);
	} else if (strcmp(key, "time") == 0) {
		b->req.time = (time_t)strtoll(val, NULL, 10);
	} else if (strcmp(key, "normalize") == 0) {
		b->req.normalize_path = atoi(val);
	} else if (strcmp(key, "sign-body") == 0) {
		b->req.sign_body = atoi(val);
	} else if (strcmp(key, "mode") == 0) {
		if (strcmp(val, "query") == 0)
			b->req.mode = SIGV4_MODE_QUERY;
		else if (strcmp(val, "header") == 0)
			b->req.mode = SIGV4_MODE_HEADER;
		else
			return -1;
	} else if (strcmp(key, "expires") == 0) {
		b->req.expires = strtol(val, NULL, 10);
	} else {
		return -1;
	}
	return 0;
}

static void print_counted(const char *label, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	printf("%s %zu\n", label, n);
	if (n)
		fwrite(s, 1, n, stdout);
	putchar('\n');
}

static void sign_block(struct block *b)
{
	struct sigv4_result res;

	b->req.method = b->method ? b->method : "GET";
	b->req.path = b->path.data ? buf_str(&b->path) : "/";
	b->req.query = b->has_query ? buf_str(&b->query) : NULL;
	b->req.headers = b->headers;
	b->req.n_headers = b->n_headers;
	b->req.body = b->body.data;
	b->req.body_len = b->body.len;
	b->req.payload_hash = b->payload_hash;
	b->req.region = b->region;
	b->req.service = b->service;
	b->creds.access_key_id = b->access_key;
	b->creds.secret_access_key = b->secret.data ? buf_str(&b->secret) : NULL;
	b->creds.session_token = b->has_token ? buf_str(&b->token) : NULL;

	char why[256] = "";
	if (sigv4_sign(&b->req, &b->creds, &res, why, sizeof why)) {
		printf("error %s\nend\n", why);
		sigv4_result_free(&res);
		return;
	}
	print_counted("canonical-request", res.canonical_request);
	print_counted("string-to-sign", res.string_to_sign);
	printf("signature %s\n", res.signature);
	if (b->req.mode == SIGV4_MODE_HEADER) {
		printf("authorization %s\n", res.authorization);
		for (size_t i = 0; i < res.n_add_headers; i++)
			printf("add-header %s %s\n", res.add_headers[i].name, res.add_headers[i].value);
	} else {
		printf("presign-params %s\n", res.presign_params);
		printf("signed-query %s\n", res.signed_query);
	}
	printf("end\n");
	sigv4_result_free(&res);
}

int main(void)
{
	struct block b;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int rc = 0;

	memset(&b, 0, sizeof(b));
	b.req.normalize_path = 1;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (strcmp(line, "sign") == 0) {
			sign_block(&b);
			fflush(stdout);
			block_free(&b);
			b.req.normalize_path = 1;
			continue;
		}
		char *sp = strchr(line, ' ');
		const char *val = "";
		if (sp) {
			*sp = '\0';
			val = sp + 1;
		}
		if (parse_line(&b, line, val)) {
			fprintf(stderr, "sigv4_sign_cli: line %ld: bad field '%s'\n", lineno, line);
			rc = 2;
			break;
		}
	}
	block_free(&b);
	if (line)
		OPENSSL_cleanse(line, cap); /* it held the secret's hex */
	free(line);
	return rc;
}
