/* Status codes shared by every module: they are the process exit codes
 * (sysexits.h values), so a failure deep in a module reaches main()
 * unchanged and the exit-code contract lives in one place. */
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
	AL_TEMPFAIL = 75,    /* EX_TEMPFAIL: database locked by another run */
	AL_NOPERM = 77,      /* EX_NOPERM: AWS access denied */
	AL_CONFIG = 78,      /* EX_CONFIG: no credentials or no region */
};

#endif
