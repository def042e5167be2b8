/* Client-side messages.
 *
 * rules[] maps what the user sees to a message (first match wins, so
 * the most specific rows come first: a pasted kubectl session shows the
 * plugin's reason above kubectl's generic "Unauthorized"); msgs[] holds
 * each message's name, cause and authenticator class; clientmsg_fix()
 * writes the fix in code, because every value it puts into a command
 * must first pass its validator.
 *
 * Wording sources: kubectl/client-go (kubernetes/kubernetes #63128,
 * kubernetes-sigs/aws-iam-authenticator #892), aws-cli #6920 and #6308
 * (v1alpha1 removed in Kubernetes 1.24; AWS CLI 1.20.9 / 2.2.24 write
 * v1beta1), eksctl #1562 and aws-cli #4675 (plugin not in PATH),
 * aws-iam-authenticator #374 (IncompleteSignature), aws-sdk-go #413
 * (NoCredentialProviders), aws-cli #5971 and 61418/aws-sso-util #83 (SSO
 * and ExpiredToken texts), gruntwork-io/terragrunt #2604 (Go SDK SSO). */
#include "clientmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "status.h"

/* What a rule's capture groups hold. */
enum capture { CAP_NONE = 0, CAP_EXECUTABLE, CAP_ASSUME_ROLE };

struct rule {
	enum clientmsg_id id; /* NONE: the text is the authenticator's, not a client's */
	const char *sts_code;
	enum capture cap;
	const char *pattern;
};

static const struct rule rules[] = {
	/* The authenticator wraps the STS answer it got; those texts name the
	 * same codes as a client does and are classify.c's. */
	{CLIENTMSG_NONE, NULL, CAP_NONE,
	 "sts getCallerIdentity (?:failed|was throttled)|input token was not properly formatted"
	 "|error from AWS \\(expected 200"},

	/* client-go before 1.20 quoted the name: exec: "aws": executable file not found in $PATH */
	{CLIENTMSG_EXEC_NOT_FOUND, NULL, CAP_EXECUTABLE, "exec: \"([^\"]+)\": executable file not found"},
	{CLIENTMSG_EXEC_NOT_FOUND, NULL, CAP_EXECUTABLE, "executable (?!file not found)(\\S+) not found"},
	{CLIENTMSG_EXEC_PLUGIN_V1ALPHA1, NULL, CAP_NONE,
	 "invalid apiVersion \\\\?\"client\\.authentication\\.k8s\\.io/v1alpha1"
	 "|(?:plugin returned|configured to use API) version client\\.authentication\\.k8s\\.io/v1alpha1"},
	{CLIENTMSG_SSO_SESSION_EXPIRED, NULL, CAP_NONE,
	 "(?i)Error when retrieving token from sso|SSO session (?:associated with this profile )?has expired"
	 "|SSOProviderInvalidToken|Error loading SSO Token|refresh cached SSO token failed"
	 "|Token has expired and refresh failed"},
	{CLIENTMSG_ASSUME_ROLE_DENIED, "AccessDenied", CAP_ASSUME_ROLE,
	 "User: (\\S+) is not authorized to perform: sts:AssumeRole on resource: ([^\\s\"',]+?)\\.?(?=[\\s\"',]|\\z)"},
	{CLIENTMSG_INCOMPLETE_SIGNATURE, "IncompleteSignature", CAP_NONE,
	 "IncompleteSignature|Credential must have exactly 5 slash-delimited elements"},
	{CLIENTMSG_SIGNATURE_EXPIRED, "SignatureDoesNotMatch", CAP_NONE, "Signature (?:expired|not yet current)"},
	{CLIENTMSG_SIGNATURE_DOES_NOT_MATCH, "SignatureDoesNotMatch", CAP_NONE,
	 "SignatureDoesNotMatch|request signature we calculated does not match"},
	{CLIENTMSG_SIGNATURE_DOES_NOT_MATCH, "InvalidSignatureException", CAP_NONE, "InvalidSignatureException"},
	{CLIENTMSG_EXPIRED_TOKEN, "ExpiredToken", CAP_NONE,
	 "ExpiredToken|security token included in the request is expired"},
	{CLIENTMSG_INVALID_CLIENT_TOKEN_ID, "InvalidClientTokenId", CAP_NONE,
	 "InvalidClientTokenId|security token included in the request is invalid"},
	{CLIENTMSG_INVALID_CLIENT_TOKEN_ID, "UnrecognizedClientException", CAP_NONE, "UnrecognizedClientException"},
	{CLIENTMSG_NO_CREDENTIAL_PROVIDERS, NULL, CAP_NONE,
	 "NoCredentialProviders|no valid providers in chain|no EC2 IMDS role found"},
	{CLIENTMSG_UNABLE_TO_LOCATE_CREDENTIALS, NULL, CAP_NONE, "Unable to locate credentials"},
	{CLIENTMSG_KUBECTL_CREDENTIALS_REQUIRED, NULL, CAP_NONE,
	 "the server has asked for the client to provide credentials"},
	{CLIENTMSG_KUBECTL_UNAUTHORIZED, NULL, CAP_NONE,
	 "(?m)You must be logged in to the server|^error: Unauthorized\\s*$"},
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

/* A profile the text names (an "aws ... --profile P" it quotes, a
 * kubeconfig env line); "-profile" too, an en dash normalised. */
static const char profile_pattern[] =
	"(?:(?<![\\w-])--?profile[= ]+|\\bAWS_PROFILE[=:] *)[\"']?([^\\s\"',;)]+)";

/* Validators: only what passes one goes into a printed command. IAM
 * names and session names are [\w+=,.@-] (IAM API reference, RoleName,
 * UserName, RoleSessionName), paths are /segment/.../, accounts 12
 * digits; EKS cluster names [0-9A-Za-z][A-Za-z0-9-_]* up to 100. */
#define NAMECH "[A-Za-z0-9_+=,.@-]"
#define PARTITION "aws(?:-[a-z]+)*"
enum valid { V_PRINCIPAL, V_ROLE, V_PROFILE, V_CLUSTER, V_REGION, V_EXECUTABLE, V__COUNT };
static const char *const valid_patterns[V__COUNT] = {
	[V_PRINCIPAL] = "\\Aarn:" PARTITION ":(?:iam::\\d{12}:(?:(?:user|role)(?:/" NAMECH "+)*/" NAMECH "{1,64}|root)"
			"|sts::\\d{12}:(?:assumed-role/" NAMECH "{1,64}/" NAMECH "{2,64}|federated-user/" NAMECH
			"{2,32}))\\z",
	[V_ROLE] = "\\Aarn:" PARTITION ":iam::\\d{12}:role(?:/" NAMECH "+)*/" NAMECH "{1,64}\\z",
	[V_PROFILE] = "\\A" NAMECH "{1,64}\\z",
	[V_CLUSTER] = "\\A[A-Za-z0-9][A-Za-z0-9_-]{0,99}\\z",
	[V_REGION] = "\\A[a-z]{2}(?:-[a-z]+)+-\\d{1,2}\\z",
	[V_EXECUTABLE] = "\\A[A-Za-z0-9_./+-]{1,255}\\z",
};

struct msg {
	const char *name;
	enum error_class cls;
	const char *cause;
};

static const struct msg msgs[CLIENTMSG__COUNT] = {
	[CLIENTMSG_KUBECTL_UNAUTHORIZED] = {"kubectl_unauthorized", CLASS_UNKNOWN,
		"The API server refused kubectl's token (401): the authenticator could not map the IAM identity that "
		"signed it, or STS refused the token. The reason is written only to the cluster's authenticator log."},
	[CLIENTMSG_KUBECTL_CREDENTIALS_REQUIRED] = {"kubectl_credentials_required", CLASS_UNKNOWN,
		"The API server answered 401 to kubectl (newer kubectl wording of Unauthorized): the token was not "
		"accepted. The reason is written only to the cluster's authenticator log."},
	[CLIENTMSG_EXEC_PLUGIN_V1ALPHA1] = {"exec_plugin_v1alpha1", CLASS_UNKNOWN,
		"The kubeconfig's exec section (or the plugin's answer) uses client.authentication.k8s.io/v1alpha1, "
		"which Kubernetes 1.24 removed from kubectl; AWS CLI 1.20.9 / 2.2.24 and later write v1beta1."},
	[CLIENTMSG_EXEC_NOT_FOUND] = {"exec_not_found", CLASS_UNKNOWN,
		"kubectl runs the credential plugin the kubeconfig names (users[].user.exec.command) and did not find "
		"it in its PATH: not installed, or kubectl runs with another PATH (IDE, CI, cron)."},
	[CLIENTMSG_ASSUME_ROLE_DENIED] = {"assume_role_denied", CLASS_UNKNOWN,
		"The credential plugin must assume a role first (kubeconfig --role-arn / -r, or the profile's "
		"role_arn) and STS refused: the role's trust policy does not trust the caller, or the caller's "
		"policies do not allow sts:AssumeRole on the role."},
	[CLIENTMSG_UNABLE_TO_LOCATE_CREDENTIALS] = {"unable_to_locate_credentials", CLASS_UNKNOWN,
		"The AWS CLI that kubectl runs (aws eks get-token) found no credentials: no keys or AWS_PROFILE in "
		"kubectl's environment and no usable default profile."},
	[CLIENTMSG_NO_CREDENTIAL_PROVIDERS] = {"no_credential_providers", CLASS_UNKNOWN,
		"aws-iam-authenticator (or another AWS SDK for Go tool) found no credentials in its chain: "
		"environment, shared files, container or instance role."},
	[CLIENTMSG_SSO_SESSION_EXPIRED] = {"sso_session_expired", CLASS_UNKNOWN,
		"The IAM Identity Center (SSO) session of the profile has expired and cannot be refreshed without "
		"a new login."},
	[CLIENTMSG_INCOMPLETE_SIGNATURE] = {"incomplete_signature", CLASS_UNKNOWN,
		"STS could not read the request's credential scope because the value sent as the access key id "
		"contains '/': the secret access key (which may contain '/') is in the key id's place, or an old "
		"client mishandled a key with '/'."},
	[CLIENTMSG_SIGNATURE_EXPIRED] = {"signature_expired", CLASS_CLOCK_SKEW,
		"The client's clock is more than 5 minutes off, so AWS refused the signature's time."},
	[CLIENTMSG_SIGNATURE_DOES_NOT_MATCH] = {"signature_does_not_match", CLASS_SIGNATURE_MISMATCH,
		"AWS computed another signature: the secret access key does not belong to the access key id "
		"(mistyped, cut, with trailing blanks, or from another key pair)."},
	[CLIENTMSG_EXPIRED_TOKEN] = {"expired_token", CLASS_EXPIRED_CREDENTIALS,
		"The temporary credentials the client signed with (an assumed role, an SSO session, a session "
		"token in the environment) have expired."},
	[CLIENTMSG_INVALID_CLIENT_TOKEN_ID] = {"invalid_client_token_id", CLASS_INVALID_CLIENT_TOKEN,
		"AWS does not know the access key id: deleted or rotated, of another partition (China, GovCloud), "
		"or a session's key used without its session token."},
};

static pcre2_code *rule_re[N_RULES];
static pcre2_code *profile_re;
static pcre2_code *valid_re[V__COUNT];
static pcre2_match_data *md;

static pcre2_code *compile(const char *pattern)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	if (!re) {
		/* The patterns are constants: this is a bug, say where. */
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(err, msg, sizeof(msg));
		fprintf(stderr, "clientmsg: pattern %s: offset %zu: %s\n", pattern, (size_t)off, (const char *)msg);
		return NULL;
	}
	/* JIT is an optimisation only; pcre2_match uses it when it is there. */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

int clientmsg_init(void)
{
	if (md)
		return AL_OK;
	for (size_t i = 0; i < N_RULES; i++)
		if (!(rule_re[i] = compile(rules[i].pattern)))
			goto fail;
	for (size_t i = 0; i < V__COUNT; i++)
		if (!(valid_re[i] = compile(valid_patterns[i])))
			goto fail;
	if (!(profile_re = compile(profile_pattern)) || !(md = pcre2_match_data_create(3, NULL)))
		goto fail;
	return AL_OK;
fail:
	clientmsg_cleanup();
	return AL_SOFTWARE;
}

void clientmsg_cleanup(void)
{
	for (size_t i = 0; i < N_RULES; i++) {
		pcre2_code_free(rule_re[i]);
		rule_re[i] = NULL;
	}
	for (size_t i = 0; i < V__COUNT; i++) {
		pcre2_code_free(valid_re[i]);
		valid_re[i] = NULL;
	}
	pcre2_code_free(profile_re);
	profile_re = NULL;
	pcre2_match_data_free(md);
	md = NULL;
}

static int match(const pcre2_code *re, const char *s, size_t n)
{
	return pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL) >= 0;
}

/* Copies capture group g of the last match; a value too long to hold is
 * left out (""), never cut: a cut ARN names another principal. */
static void group(const char *s, int g, char *dst, size_t cap)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	dst[0] = '\0';
	if (ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] - ov[2 * g] >= cap)
		return;
	memcpy(dst, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	dst[ov[2 * g + 1] - ov[2 * g]] = '\0';
}

int clientmsg_match(const char *text, size_t len, struct clientmsg_result *out)
{
	if (!out)
		return -1;
	memset(out, 0, sizeof(*out));
	if (!md)
		return -1;
	if (!text)
		return 0;
	for (size_t i = 0; i < N_RULES; i++) {
		if (!match(rule_re[i], text, len))
			continue;
		if (rules[i].id == CLIENTMSG_NONE)
			return 0;
		out->id = rules[i].id;
		out->sts_code = rules[i].sts_code;
		if (rules[i].cap == CAP_EXECUTABLE) {
			group(text, 1, out->executable, sizeof(out->executable));
		} else if (rules[i].cap == CAP_ASSUME_ROLE) {
			group(text, 1, out->caller_arn, sizeof(out->caller_arn));
			group(text, 2, out->role_arn, sizeof(out->role_arn));
		}
		break;
	}
	if (out->id != CLIENTMSG_NONE && match(profile_re, text, len))
		group(text, 1, out->profile, sizeof(out->profile));
	return 0;
}

const char *clientmsg_name(enum clientmsg_id id)
{
	if (id <= CLIENTMSG_NONE || id >= CLIENTMSG__COUNT)
		return NULL;
	return msgs[id].name;
}

const char *clientmsg_cause(enum clientmsg_id id)
{
	if (id <= CLIENTMSG_NONE || id >= CLIENTMSG__COUNT)
		return NULL;
	return msgs[id].cause;
}

enum error_class clientmsg_class(enum clientmsg_id id)
{
	if (id <= CLIENTMSG_NONE || id >= CLIENTMSG__COUNT)
		return CLASS_UNKNOWN;
	return msgs[id].cls;
}

/* ---- the fix ---- */

static int valid(enum valid v, const char *s)
{
	return s && *s && match(valid_re[v], s, strlen(s));
}

struct fix {
	struct buf *notes, *cmds;
	int lines;
	/* Validated values, NULL when unknown or malformed. */
	const char *cluster, *region, *profile;
	int profile_bad; /* a profile was named but is malformed */
	/* " --region 'R'" and " --profile 'P'", or "". */
	char region_opt[64], profile_opt[96];
};

static void line(struct fix *f, struct buf *b, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(struct fix *f, struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	buf_putc(b, '\n');
	f->lines++;
}

#define NOTE(f, ...) line((f), (f)->notes, __VA_ARGS__)
#define CMD(f, ...) line((f), (f)->cmds, __VA_ARGS__)

/* Picks the usable value of what, or says in a note why there is none. */
static const char *checked(struct fix *f, enum valid v, const char *value, const char *what)
{
	if (!value || !*value)
		return NULL;
	if (valid(v, value))
		return value;
	NOTE(f, "The %s is malformed, so no command uses it.", what);
	return NULL;
}

static void who_am_i(struct fix *f)
{
	CMD(f, "aws sts get-caller-identity%s", f->profile_opt);
}

static void update_kubeconfig(struct fix *f)
{
	if (f->cluster)
		CMD(f, "aws eks update-kubeconfig --name '%s'%s%s", f->cluster, f->region_opt, f->profile_opt);
	else
		NOTE(f, "Give explain --cluster NAME (and --region) for the aws eks update-kubeconfig command "
			"that writes the kubeconfig entry again.");
}

static void fix_unauthorized(struct fix *f)
{
	NOTE(f, "kubectl signs its token as the identity of the kubeconfig's exec section (its AWS_PROFILE, "
		"--role-arn), not necessarily your shell's; that identity's IAM ARN must be mapped in aws-auth or "
		"have an access entry.");
	NOTE(f, "The authenticator log says why it refused: authlog-scan scan reads it and prints the cause "
		"and fix for each denial (or paste one denial line into authlog-scan explain).");
	who_am_i(f);
	CMD(f, "kubectl config view --minify -o jsonpath='{.users[0].user.exec}'");
	if (f->cluster)
		CMD(f, "authlog-scan scan --cluster '%s'%s --since 1h", f->cluster, f->region_opt);
	else
		NOTE(f, "Give explain --cluster NAME (and --region) for the authlog-scan scan command of that "
			"cluster's authenticator log.");
}

static void fix_v1alpha1(struct fix *f)
{
	NOTE(f, "Upgrade the AWS CLI (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html) "
		"and write the kubeconfig entry again: it then says client.authentication.k8s.io/v1beta1. "
		"aws-iam-authenticator entries: upgrade it too, or write the entry with the AWS CLI.");
	CMD(f, "aws --version");
	CMD(f, "kubectl config view --minify -o jsonpath='{.users[0].user.exec.apiVersion}'");
	update_kubeconfig(f);
}

static void fix_exec_not_found(struct fix *f, const struct clientmsg_result *r)
{
	const char *exe = checked(f, V_EXECUTABLE, r->executable, "program name in the message");
	const char *base = exe ? strrchr(exe, '/') : NULL;
	base = base ? base + 1 : exe;
	if (base && strcmp(base, "aws-iam-authenticator") == 0)
		NOTE(f, "Install aws-iam-authenticator, or write the entry again with the AWS CLI, which uses "
			"aws eks get-token instead.");
	else
		NOTE(f, "Install the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html), "
			"or put the plugin's full path in the kubeconfig's exec command when kubectl runs with a "
			"shorter PATH than your shell.");
	CMD(f, "kubectl config view --minify -o jsonpath='{.users[0].user.exec.command}'");
	if (exe)
		CMD(f, "command -v '%s'", exe);
	update_kubeconfig(f);
}

/* The role an assumed-role ARN is a session of, as the IAM ARN without
 * its path (STS does not show it). */
static void role_of_session(const char *arn, char *dst, size_t cap, const char **name)
{
	/* arn:P:sts::A:assumed-role/NAME/SESSION, validated */
	const char *res = strstr(arn, ":assumed-role/");
	const char *n = res + strlen(":assumed-role/");
	const char *slash = strchr(n, '/');
	int part_len = (int)(strchr(arn + 4, ':') - (arn + 4));
	snprintf(dst, cap, "arn:%.*s:iam::%.12s:role/%.*s", part_len, arn + 4, res - 12, (int)(slash - n), n);
	*name = strrchr(dst, '/') + 1;
}

static void fix_assume_role(struct fix *f, const struct clientmsg_result *r)
{
	const char *caller = checked(f, V_PRINCIPAL, r->caller_arn, "caller ARN in the message");
	const char *role = checked(f, V_ROLE, r->role_arn, "role ARN in the message");
	char session_role[ARN_MAX + 64] = "";
	const char *session_role_name = NULL;
	if (caller && strstr(caller, ":assumed-role/"))
		role_of_session(caller, session_role, sizeof(session_role), &session_role_name);
	const char *trusted = session_role[0] ? session_role : caller;

	if (role && trusted)
		NOTE(f, "The trust policy of %s must allow %s%s to call sts:AssumeRole (Principal AWS), and the "
			"policies of %s must allow sts:AssumeRole on %s.", role, trusted,
			session_role[0] ? " (the role of the calling session, with its IAM path if it has one)" : "",
			trusted, role);
	else
		NOTE(f, "The trust policy of the role must allow the caller to call sts:AssumeRole, and the "
			"caller's policies must allow sts:AssumeRole on the role.");
	NOTE(f, "Change a trust policy with aws iam update-assume-role-policy, in the role's account; or use "
		"the role or profile the kubeconfig was meant to use.");
	who_am_i(f);
	if (role)
		CMD(f, "aws iam get-role --role-name '%s' --query Role.AssumeRolePolicyDocument",
		    strrchr(role, '/') + 1);
	if (!role || !caller)
		return;
	if (session_role_name)
		CMD(f, "aws iam simulate-principal-policy --policy-source-arn \"$(aws iam get-role --role-name '%s' "
		       "--query Role.Arn --output text)\" --action-names sts:AssumeRole --resource-arns '%s'",
		    session_role_name, role);
	else if (strstr(caller, ":user/") || strstr(caller, ":role/"))
		CMD(f, "aws iam simulate-principal-policy --policy-source-arn '%s' --action-names sts:AssumeRole "
		       "--resource-arns '%s'", caller, role);
}

static void fix_no_credentials(struct fix *f, enum clientmsg_id id)
{
	NOTE(f, "kubectl gives the plugin only the environment it has plus the exec section's env (AWS_PROFILE): "
		"a profile or keys set in your shell do not reach an IDE, CI job or cron.");
	if (id == CLIENTMSG_NO_CREDENTIAL_PROVIDERS)
		NOTE(f, "Old aws-iam-authenticator builds do not read SSO profiles; writing the entry again with "
			"the AWS CLI makes kubectl use aws eks get-token.");
	if (!f->profile)
		NOTE(f, "Give explain --profile NAME to get the commands for the profile kubectl should use.");
	CMD(f, "aws configure list%s", f->profile_opt);
	who_am_i(f);
	update_kubeconfig(f);
}

static void fix_sso(struct fix *f)
{
	if (!f->profile)
		NOTE(f, "Log in with the profile the kubeconfig's exec env names (AWS_PROFILE); without "
			"--profile aws sso login uses $AWS_PROFILE or the default profile.");
	/* Logging in to the default profile would not renew a named one. */
	if (!f->profile_bad)
		CMD(f, "aws sso login%s", f->profile_opt);
	who_am_i(f);
}

static void fix_keys(struct fix *f, enum clientmsg_id id)
{
	switch (id) {
	case CLIENTMSG_INCOMPLETE_SIGNATURE:
		NOTE(f, "An access key id starts with AKIA or ASIA and never contains '/'; a secret access key may. "
			"Put each in its own place (aws_access_key_id, aws_secret_access_key) and upgrade old "
			"clients. If the message showed a secret key and was shared, rotate that key.");
		break;
	case CLIENTMSG_SIGNATURE_DOES_NOT_MATCH:
		NOTE(f, "Enter the key pair again (aws configure) or create a new access key; also check that no "
			"tool mangled a secret with '/' or '+' on the way.");
		break;
	case CLIENTMSG_SIGNATURE_EXPIRED:
		NOTE(f, "Sync the clock with NTP (systemd: timedatectl set-ntp true), then retry.");
		CMD(f, "date -u");
		break;
	case CLIENTMSG_EXPIRED_TOKEN:
		NOTE(f, "Get new credentials: aws sso login for an SSO profile, assume the role again, or unset "
			"stale AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN variables that "
			"override the profile.");
		break;
	default: /* CLIENTMSG_INVALID_CLIENT_TOKEN_ID */
		NOTE(f, "Check which keys are used and where from; replace a deleted or rotated key, and use keys of "
			"the cluster's partition.");
		break;
	}
	CMD(f, "aws configure list%s", f->profile_opt);
	who_am_i(f);
}

int clientmsg_fix(const struct clientmsg_result *r, const struct clientmsg_ctx *ctx, struct buf *notes,
		  struct buf *commands)
{
	if (!r || r->id <= CLIENTMSG_NONE || r->id >= CLIENTMSG__COUNT || !notes || !commands || !md)
		return -1;
	struct fix f = {.notes = notes, .cmds = commands};
	const char *profile = ctx && ctx->profile && *ctx->profile ? ctx->profile : r->profile;
	f.cluster = checked(&f, V_CLUSTER, ctx ? ctx->cluster : NULL, "cluster name");
	f.region = checked(&f, V_REGION, ctx ? ctx->region : NULL, "region");
	f.profile = checked(&f, V_PROFILE, profile, "profile name");
	if (f.region)
		snprintf(f.region_opt, sizeof(f.region_opt), " --region '%s'", f.region);
	f.profile_bad = profile && *profile && !f.profile;
	if (f.profile)
		snprintf(f.profile_opt, sizeof(f.profile_opt), " --profile '%s'", f.profile);

	switch (r->id) {
	case CLIENTMSG_KUBECTL_UNAUTHORIZED:
	case CLIENTMSG_KUBECTL_CREDENTIALS_REQUIRED:
		fix_unauthorized(&f);
		break;
	case CLIENTMSG_EXEC_PLUGIN_V1ALPHA1:
		fix_v1alpha1(&f);
		break;
	case CLIENTMSG_EXEC_NOT_FOUND:
		fix_exec_not_found(&f, r);
		break;
	case CLIENTMSG_ASSUME_ROLE_DENIED:
		fix_assume_role(&f, r);
		break;
	case CLIENTMSG_UNABLE_TO_LOCATE_CREDENTIALS:
	case CLIENTMSG_NO_CREDENTIAL_PROVIDERS:
		fix_no_credentials(&f, r->id);
		break;
	case CLIENTMSG_SSO_SESSION_EXPIRED:
		fix_sso(&f);
		break;
	default:
		fix_keys(&f, r->id);
		break;
	}
	return notes->oom || commands->oom ? -1 : f.lines;
}

/* ---- input normalisation ---- */

struct typo {
	const char *utf8;
	char ascii;
};

static const struct typo typos[] = {
	{"\xe2\x80\x9c", '"'},  {"\xe2\x80\x9d", '"'},  {"\xe2\x80\x9e", '"'},  {"\xe2\x80\x9f", '"'},
	{"\xe2\x80\x98", '\''}, {"\xe2\x80\x99", '\''}, {"\xe2\x80\x9a", '\''}, {"\xe2\x80\x9b", '\''},
	{"\xe2\x80\x90", '-'},  {"\xe2\x80\x91", '-'},  {"\xe2\x80\x93", '-'},  {"\xe2\x80\x94", '-'},
	{"\xe2\x88\x92", '-'},  {"\xc2\xa0", ' '},      {"\xe2\x80\xaf", ' '},
};

int clientmsg_normalize(const char *s, size_t len, struct buf *out)
{
	size_t i = 0, run = 0; /* s[run..i) is copied as it is */
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		const struct typo *t = NULL;
		if (c == 0xc2 || c == 0xe2) {
			for (size_t k = 0; k < sizeof(typos) / sizeof(typos[0]); k++) {
				size_t n = strlen(typos[k].utf8);
				if (n <= len - i && memcmp(s + i, typos[k].utf8, n) == 0) {
					t = &typos[k];
					break;
				}
			}
		}
		if (!t) {
			i++;
			continue;
		}
		buf_append(out, s + run, i - run);
		buf_putc(out, t->ascii);
		i += strlen(t->utf8);
		run = i;
	}
	buf_append(out, s + run, len - run);
	return out->oom ? -1 : 0;
}
