/* Import format detection and every reader path: the input is written to
 * a memfd and reader_run() sniffs and reads it like a real file. Also
 * reader_unwrap_line() on the input as one line: it cuts only a known
 * prefix, and marks only a named foreign stream. */
#include "fuzz_common.h"

#include <sys/mman.h>
#include <unistd.h>

#include "reader.h"
#include "status.h"

static int memfd = -1;

struct seen {
	long entries;
	long last_line;
};

static int on_entry(void *ctx, const struct reader_entry *e)
{
	struct seen *s = ctx;
	s->entries++;
	if (e->message)
		touch(e->message, e->message_len);
	else
		FUZZ_CHECK(e->message_len == 0); /* overlong line, skipped */
	touch_str(e->log_stream);
	touch_str(e->log_group);
	touch_str(e->ptr);
	touch_str(e->timestamp);
	FUZZ_CHECK(e->skip == READER_KEEP || e->skip == READER_FOREIGN_STREAM || e->skip == READER_MALFORMED);
	/* A stream is foreign only when it is named, and not authenticator-*. */
	if (e->skip == READER_FOREIGN_STREAM)
		FUZZ_CHECK(e->log_stream && strncmp(e->log_stream, READER_STREAM_PREFIX,
						    sizeof(READER_STREAM_PREFIX) - 1) != 0);
	/* No record kept is made of two lines (a line break is a blank to the parser). */
	if (e->skip == READER_KEEP && e->message)
		FUZZ_CHECK(!memchr(e->message, '\n', e->message_len));
	FUZZ_CHECK(e->line >= 1);
	/* Physical lines (lines, CSV records) and JSON row numbers only go up. */
	FUZZ_CHECK(e->line > s->last_line);
	s->last_line = e->line;
	return AL_OK;
}

static void run_reader(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("fuzz_reader", MFD_CLOEXEC);
		if (memfd < 0) {
			perror("memfd_create");
			abort();
		}
	}
	if (ftruncate(memfd, 0) != 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t n = pwrite(memfd, data + off, size - off, (off_t)off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	if (lseek(memfd, 0, SEEK_SET) != 0)
		abort();

	struct seen s = {0, 0};
	enum reader_format fmt = (enum reader_format)-1;
	char err[512] = "";
	int rc = reader_run(memfd, "fuzz", on_entry, &s, &fmt, err, sizeof(err));
	FUZZ_CHECK(fmt == READER_LINES || fmt == READER_CSV || fmt == READER_JSON);
	FUZZ_CHECK(rc == AL_OK || rc == AL_DATAERR);
	FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc == AL_DATAERR)
		FUZZ_CHECK(err[0] != '\0');
	if (fmt == READER_LINES)
		FUZZ_CHECK(rc == AL_OK); /* line mode has no malformed documents */
}

static int starts(const char *s, size_t len, const char *lit)
{
	return len >= strlen(lit) && memcmp(s, lit, strlen(lit)) == 0;
}

static void run_unwrap(const uint8_t *data, size_t size, size_t stream_sz, size_t ts_sz)
{
	const char *line = (const char *)data;
	char *stream = malloc(stream_sz), *ts = malloc(ts_sz);
	if (!stream || !ts)
		abort();
	struct reader_entry e = {.line = 1};
	reader_unwrap_line(line, size, &e, stream, stream_sz, ts, ts_sz);
	/* The message is a slice of the line. */
	FUZZ_CHECK(e.message != NULL);
	FUZZ_CHECK(e.message >= line && e.message_len <= size &&
		   (size_t)(e.message - line) <= size - e.message_len);
	touch(e.message, e.message_len);
	/* Either nothing is cut, or a known prefix before a logrus line is. */
	FUZZ_CHECK(e.message == line || (e.message[-1] == ' ' && (starts(e.message, e.message_len, "time=\"") ||
								    starts(e.message, e.message_len, "level="))));
	FUZZ_CHECK(e.skip == READER_KEEP || (e.skip == READER_FOREIGN_STREAM && e.log_stream && e.timestamp));
	if (e.log_stream) {
		FUZZ_CHECK(e.log_stream == stream);
		FUZZ_CHECK(touch_str(e.log_stream) < stream_sz);
	}
	if (e.timestamp) {
		FUZZ_CHECK(e.timestamp == ts);
		FUZZ_CHECK(touch_str(e.timestamp) < ts_sz);
	}
	FUZZ_CHECK(e.log_group == NULL && e.ptr == NULL);
	free(stream);
	free(ts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_reader(data, size);
	/* The sizes the reader itself uses, then tight exact-size buffers
	 * (chosen from the input's hash) so ASan sees any overrun. */
	run_unwrap(data, size, 256, 64);
	uint64_t h = fuzz_hash(data, size);
	run_unwrap(data, size, 1 + (size_t)(h % 40), 1 + (size_t)((h >> 8) % 40));
	return 0;
}
