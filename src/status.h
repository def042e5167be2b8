/* The one error contract of authlog-scan, for every module (src/ and
 * src/aws/ alike), the way curl has CURLcode and SQLite its result codes:
 *
 *  - A function that can fail returns int holding an enum al_status: AL_OK
 *    (0) on success, otherwise the code that says what kind of failure it
 *    was. The codes are the process exit codes (sysexits.h values), so a
 *    failure deep in a module reaches main() unchanged and the exit-code
 *    contract lives here.
 *  - It takes `char *err, size_t err_sz` as its last two parameters and, on
 *    failure, writes one line there (msg_set: no program name, no newline,
 *    untrusted text through msg_printable). A NULL or empty buffer means
 *    the caller does not want the text.
 *  - Results go through out-parameters; the caller that allocates frees.
 *  - A caller that must decide something (retry, split a window, stop a
 *    run, print a hint) reads a typed field of an out-parameter (a kind
 *    enum, an HTTP status, a flag), never the message text.
 *  - A SQLite failure becomes a status in one place: store_sql_error().
 */
#ifndef AUTHLOG_STATUS_H
#define AUTHLOG_STATUS_H

enum al_status {
	AL_OK = 0,
	AL_FINDINGS = 1,     /* report/scan --exit-code: denials present */
	AL_USAGE = 64,       /* EX_USAGE */
	AL_DATAERR = 65,     /* EX_DATAERR: bad input data */
	AL_NOINPUT = 66,     /* EX_NOINPUT: input file or database missing */
	AL_UNAVAILABLE = 69, /* EX_UNAVAILABLE: AWS unreachable after retries */
	AL_SOFTWARE = 70,    /* EX_SOFTWARE: internal error, out of memory */
	AL_CANTCREAT = 73,   /* EX_CANTCREAT: cannot create or write the database */
	AL_IOERR = 74,       /* EX_IOERR: output could not be written (stdout, stderr) */
	AL_TEMPFAIL = 75,    /* EX_TEMPFAIL: database locked by another run */
	AL_NOPERM = 77,      /* EX_NOPERM: AWS access denied */
	AL_CONFIG = 78,      /* EX_CONFIG: no credentials or no region */
};

#endif
