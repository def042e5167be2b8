/* awsauth_parse on any text, then awsauth_check without a principal, with
 * fixed principals and with the ARN of every entry. Checks the contract:
 * an error is one line naming the source; every finding has a known kind,
 * a one-line detail and a line inside the text; the verdict agrees with
 * the findings (an exact, effective entry maps; the entry used matches the
 * principal; mapAccounts mapping has its finding). */
#include "fuzz_common.h"

#include <strings.h>

#include "arn.h"
#include "awsauth.h"
#include "status.h"

static size_t text_lines;
static struct arn_info pinfo; /* large: off the stack */

static void check_findings(const struct awsauth *a, const char *principal, const struct awsauth_findings *f)
{
	int about_seen_other = 0, has_account = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct awsauth_finding *x = &f->v[i];
		FUZZ_CHECK(awsauth_finding_name(x->kind) != NULL);
		size_t n = touch_str(x->detail);
		FUZZ_CHECK(n > 0 && !memchr(x->detail, '\n', n));
		FUZZ_CHECK(x->line <= text_lines);
		if (!principal)
			FUZZ_CHECK(!x->about_principal);
		/* about-principal findings come first */
		if (!x->about_principal)
			about_seen_other = 1;
		else
			FUZZ_CHECK(!about_seen_other);
		if (x->entry)
			FUZZ_CHECK(x->entry >= a->entries && x->entry < a->entries + a->nentries);
		if (x->kind == AWSAUTH_ACCOUNT_MAPPED)
			has_account = 1;
		if (x->kind == AWSAUTH_EXACT_MATCH || x->kind == AWSAUTH_OTHER_ACCOUNT || x->kind == AWSAUTH_NEAR_MISS ||
		    x->kind == AWSAUTH_ACCOUNT_MAPPED)
			FUZZ_CHECK(principal && x->about_principal);
	}
	if (!principal) {
		FUZZ_CHECK(!f->mapped && !f->used);
		return;
	}
	FUZZ_CHECK(arn_parse(principal, strlen(principal), &pinfo) == 0);
	if (f->used) {
		FUZZ_CHECK(f->mapped && f->used->arn && strcasecmp(f->used->arn, pinfo.canonical) == 0);
		FUZZ_CHECK(!f->used->dropped);
	}
	if (f->mapped && !f->used)
		FUZZ_CHECK(has_account);
	/* an entry spelled as the canonical ARN, in a section the
	 * authenticator loads, maps the principal */
	const struct awsauth_section_info *roles = &a->roles, *users = &a->users;
	for (size_t i = 0; i < a->nentries; i++) {
		const struct awsauth_entry *e = &a->entries[i];
		const struct awsauth_section_info *si = e->section == AWSAUTH_MAP_ROLES ? roles : users;
		if (e->arn && !e->dropped && si->parsed && strcasecmp(e->arn, pinfo.canonical) == 0)
			FUZZ_CHECK(f->used != NULL);
	}
}

static void run_check(const struct awsauth *a, const char *principal)
{
	struct awsauth_findings f;
	char err[256];
	int rc = awsauth_check(a, principal, &f, err, sizeof err);
	FUZZ_CHECK(rc == AL_OK || rc == AL_USAGE || rc == AL_SOFTWARE);
	if (rc == AL_OK)
		check_findings(a, principal, &f);
	else
		FUZZ_CHECK(touch_str(err) > 0);
	awsauth_findings_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct awsauth *a = (struct awsauth *)&a; /* must be overwritten */
	char err[512];
	/* lines as YAML (and so libyaml) counts them: \r\n, \r, \n, NEL,
	 * LS and PS each end one */
	text_lines = 1;
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\r' && i + 1 < size && data[i + 1] == '\n')
			continue;
		text_lines += data[i] == '\n' || data[i] == '\r' ||
			      (i + 1 < size && data[i] == 0xC2 && data[i + 1] == 0x85) ||
			      (i + 2 < size && data[i] == 0xE2 && data[i + 1] == 0x80 &&
			       (data[i + 2] == 0xA8 || data[i + 2] == 0xA9));
	}
	int rc = awsauth_parse((const char *)data, size, "cm", &a, err, sizeof err);
	FUZZ_CHECK(rc == AL_OK || rc == AL_DATAERR || rc == AL_SOFTWARE);
	if (rc != AL_OK) {
		FUZZ_CHECK(a == NULL);
		size_t n = touch_str(err);
		FUZZ_CHECK(n > 3 && strncmp(err, "cm:", 3) == 0 && !memchr(err, '\n', n));
		return 0;
	}
	FUZZ_CHECK(a != NULL);
	touch_str(a->name);
	touch_str(a->namespace_);
	for (size_t i = 0; i < a->naccounts; i++)
		touch_str(a->accounts[i]);
	run_check(a, NULL);
	run_check(a, "arn:aws:iam::111122223333:role/deploy");
	run_check(a, "arn:aws:iam::111122223333:user/ops/alice");
	run_check(a, "arn:aws:sts::123456789012:assumed-role/admin/s");
	/* each entry's own ARN, as a principal (at most a few, for speed) */
	for (size_t i = 0, n = 0; i < a->nentries && n < 8; i++) {
		const struct awsauth_entry *e = &a->entries[i];
		touch_str(e->username);
		for (size_t j = 0; j < e->ngroups; j++)
			touch_str(e->groups[j]);
		if (e->arn && touch_str(e->arn) < 512) {
			run_check(a, e->arn);
			n++;
		}
	}
	awsauth_free(a);
	return 0;
}
