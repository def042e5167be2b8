/* A line through event_build and store_insert, and back out of the
 * `events` view: its raw column is the line, byte for byte, whatever the
 * line holds (schema version 11 stores a template with the row's values cut
 * out, and the view splices them back in SQL). One database for the run;
 * each input's row is rolled back. */
#include "fuzz_common.h"

#include <unistd.h>

#include "classify.h"
#include "event.h"
#include "store.h"

static struct store *store;
static struct event_builder *eb;
static sqlite3_stmt *get;

static void setup(void)
{
	char path[] = "/tmp/fuzz_raw-XXXXXX", err[256];
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	unlink(path); /* store_open creates it, 0600 */
	if (store_open(path, STORE_WRITE, &store, err, sizeof(err)) != 0 || classify_init() != 0 ||
	    event_builder_new(&eb, err, sizeof(err)) != 0 ||
	    sqlite3_prepare_v2(store_db(store), "SELECT raw FROM events", -1, &get, NULL) != SQLITE_OK) {
		fprintf(stderr, "fuzz_raw: %s\n", err);
		abort();
	}
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	if (!store)
		setup();
	/* A transport time, so a line without time= is stored too. */
	struct reader_entry e = {.message = (const char *)data, .message_len = size,
				 .timestamp = "2023-06-13T10:00:00Z", .line = 1};
	if (!event_build(eb, &(struct event_ctx){0}, &e))
		return 0;
	int inserted = 0;
	FUZZ_CHECK(store_begin(store, err, sizeof(err)) == 0);
	FUZZ_CHECK(store_insert(store, event_row(eb), &inserted, err, sizeof(err)) == 0);
	FUZZ_CHECK(inserted);
	FUZZ_CHECK(sqlite3_step(get) == SQLITE_ROW);
	const void *raw = sqlite3_column_blob(get, 0);
	FUZZ_CHECK((size_t)sqlite3_column_bytes(get, 0) == size);
	FUZZ_CHECK(size == 0 || memcmp(raw, data, size) == 0);
	FUZZ_CHECK(sqlite3_step(get) == SQLITE_DONE);
	sqlite3_reset(get);
	store_rollback(store);
	return 0;
}
