/* Denial classification.
 *
 * All knowledge about the authenticator's error texts lives in two
 * tables: rules[] (pattern -> class, first match wins, so specific rows
 * come before general ones) and classes[] (name, cause, fix template per
 * class). The code below only compiles, matches and renders them. */
#include "classify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "arn.h"
#include "esc.h"
#include "status.h"

enum rule_on { ON_ERROR = 0, ON_MSG };

struct rule {
	enum rule_on on;      /* which text the pattern is matched against */
	enum error_class cls;
	int http_status;      /* implied status when the text carries none */
	const char *pattern;
};

/* Ordered: mapping errors wrap SDK texts that would otherwise look like
 * STS or token problems, so they come first; body codes before the
 * generic "error from AWS" row. Escaped quotes (\") are tolerated where
 * a quote is part of the text. */
static const struct rule rules[] = {
	/* v0.1/v0.2: the denial is the msg itself, there is no error field */
	{ON_MSG, CLASS_NOT_MAPPED, 0, "^access denied because ARN is not mapped"},

	/* 4.C identity mapping */
	{ON_ERROR, CLASS_ARN_USERID_MISMATCH, 0, "ARN does not match User ID"},
	{ON_ERROR, CLASS_TEMPLATE_NO_INSTANCE_ID, 0, "SessionName did not contain an instance id"},
	{ON_ERROR, CLASS_EC2_DESCRIBE_DENIED, 0,
	 "failed querying private DNS from EC2 API.*(?:UnauthorizedOperation"
	 "|not authorized to perform: ec2:DescribeInstances|AccessDenied)"},
	{ON_ERROR, CLASS_EC2_INSTANCE_NOT_FOUND, 0,
	 "InvalidInstanceID\\.NotFound|failed to find node|instance id not found"},
	{ON_ERROR, CLASS_RESERVED_USERNAME, 0,
	 "username must not begin with|invalid username '[^']*' for mapper"},
	{ON_ERROR, CLASS_INVALID_USERNAME, 0, "not a DNS-1123 hostname"},
	{ON_ERROR, CLASS_NOT_MAPPED, 0, "ARN is not mapped|[Ii]dentity is not mapped"},
	{ON_ERROR, CLASS_MAPPER_ERROR, 0,
	 "mapper \\S+ (?:Map|renderTemplates) error|failed mapping (?:username|group)"
	 "|error rendering (?:username|group) template|IAMIdentityMapping"},

	/* 4.A token format and pre-signed URL checks */
	{ON_ERROR, CLASS_TOKEN_EXPIRED, 0, "X-Amz-Date parameter is expired"},
	{ON_ERROR, CLASS_TOKEN_NOT_IAM, 0,
	 "token is too large|missing expected \\\\?\"k8s-aws-v1\\.\\\\?\" prefix"},
	{ON_ERROR, CLASS_TOKEN_UNSIGNED_CLUSTER_ID, 0, "(?i)did not sign the x-k8s-aws-id header"},
	{ON_ERROR, CLASS_TOKEN_WRONG_HOST, 0,
	 "unexpected hostname|could not parse region for pre-signed URL"
	 "|global endpoint unsupported in partition|invalid region identifier format"
	 "|does not support hostname|invalid host format, too few labels"},
	{ON_ERROR, CLASS_TOKEN_BAD_PARAMS, 0,
	 "duplicate query parameter found|non-whitelisted query parameter"
	 "|query parameter with multiple values not supported"
	 "|unexpected action parameter in pre-signed URL|invalid X-Amz-Expires parameter"
	 "|X-Amz-Date parameter must be present|error parsing X-Amz-Date parameter"},
	{ON_ERROR, CLASS_TOKEN_MALFORMED, 0,
	 "illegal base64 data|unexpected scheme .* in pre-signed URL"
	 "|unexpected path in pre-signed URL|malformed query parameter"
	 "|error creating HTTP request|not properly formatted: (?:parse |net/url: )"},

	/* 4.B STS: body codes and messages first, then the generic status */
	{ON_ERROR, CLASS_STS_THROTTLED, 429, "sts getCallerIdentity was throttled"},
	{ON_ERROR, CLASS_CLOCK_SKEW, 0, "Signature (?:expired|not yet current)"},
	{ON_ERROR, CLASS_INVALID_CLIENT_TOKEN, 0, "InvalidClientTokenId|UnrecognizedClientException"},
	{ON_ERROR, CLASS_SIGNATURE_MISMATCH, 0, "SignatureDoesNotMatch"},
	{ON_ERROR, CLASS_EXPIRED_CREDENTIALS, 0,
	 "ExpiredToken|security token included in the request is expired"},
	{ON_ERROR, CLASS_STS_REGION_DISABLED, 0,
	 "RegionDisabledException|STS is not (?:activated|enabled)"
	 "|(?i:region)[^.]{0,80} is not (?:activated|enabled)"},
	{ON_ERROR, CLASS_STS_THROTTLED, 0, "Throttling|Rate exceeded"},
	{ON_ERROR, CLASS_STS_UNREACHABLE, 0, "error during GET|error reading HTTP result"},
	{ON_ERROR, CLASS_STS_BAD_RESPONSE, 0,
	 "sts getCallerIdentity failed: (?:invalid character|unexpected end of JSON input|json: )"
	 "|arn '[^']*' (?:is invalid|does not have a recognized partition)"
	 "|assumed-role arn '[^']*' does not have a role|unrecognized resource \\S+ for service (?:sts|iam)"
	 "|is not a valid service for identities|malformed ARN|malformed UserID"},
	{ON_ERROR, CLASS_STS_REJECTED, 0, "error from AWS \\(expected 200, got \\d+\\)"},
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

/* Field extraction, run on every error text independent of its class. */
enum { X_CODE, X_STATUS, X_REGION, X_MAPPED, X__COUNT };
static const char *const extract_patterns[X__COUNT] = {
	[X_CODE] = "(?:\\\\?\"Code\\\\?\"\\s*:\\s*\\\\?\"|<Code>)([A-Za-z0-9_.]+)",
	[X_STATUS] = "\\(expected 200, got (\\d{3})\\)",
	[X_REGION] = " on ([a-z0-9-]+) endpoint",
	[X_MAPPED] = "ARN is not mapped: ([^\\s\"',\\\\]+)",
};

/* Fix templates: one line each, a command unless it starts with "# "
 * (then it is a note: what to know before running the commands). ${var}
 * is filled in by classify_fix. A leading [cond ...] keeps the line only
 * when every cond holds ("!" negates):
 *   path, sso, role, user  the ARN (role: anything but an IAM user; path:
 *                          the role had an IAM path)
 *   human, node, linux, win, fargate  the principal's kind (node = linux
 *                          or win; linux also when Windows is possible)
 *   cm, ae, unknown, both  the authentication mode: cm = aws-auth is read
 *                          (CONFIG_MAP, API_AND_CONFIG_MAP, unknown), ae =
 *                          access entries are read (API,
 *                          API_AND_CONFIG_MAP, unknown), both =
 *                          API_AND_CONFIG_MAP
 *   admin, narrow          the grant (narrow: edit or view)
 *   iam                    the access-entry ARN (${ae_arn}) is known
 *   guess                  the kind is human only because no session
 *                          name of the role was at hand to say otherwise
 * {{EC2PrivateDNSName}} and {{SessionName}} are authenticator syntax,
 * printed as they are. */
#define FIX_UPDATE_KUBECONFIG "aws eks update-kubeconfig --name ${cluster} --region ${region}\n"
#define FIX_GET_TOKEN "aws eks get-token --cluster-name ${cluster} --region ${region}\n"
#define FIX_WHO "aws sts get-caller-identity\n"
/* The cluster role's name: the last part of its ARN (a role may have a path). */
#define FIX_CLUSTER_ROLE                                                                                  \
	"\"$(aws eks describe-cluster --name ${cluster} --region ${region} --query cluster.roleArn --output text" \
	" | sed 's,.*/,,')\""
#define FIX_EDIT_AWS_AUTH "# Without eksctl: kubectl edit configmap aws-auth -n kube-system, and add under "

/* The mode decides the form: CONFIG_MAP clusters read only aws-auth, API
 * clusters only access entries, API_AND_CONFIG_MAP both, access entries
 * first (https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html,
 * https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html).
 * When it is not known, the first command tells it and the notes say
 * which commands go with which answer. */
#define FIX_MODE \
	"[unknown]aws eks describe-cluster --name ${cluster} --region ${region} --query cluster.accessConfig.authenticationMode --output text\n"
#define FIX_MODE_NOTES(C)                                                                                        \
	"[" C "unknown]# If the first command prints CONFIG_MAP, the cluster reads only aws-auth: run the eksctl "   \
	"and kubectl commands, not the access-entry ones (create-access-entry fails there).\n"                      \
	"[" C "unknown]# If it prints API, the cluster reads only access entries: run the aws eks access-entry "      \
	"commands, not eksctl (aws-auth is ignored there).\n"                                                       \
	"[" C "unknown]# If it prints API_AND_CONFIG_MAP, access entries are read first: the access-entry commands " \
	"are enough, the eksctl command is the aws-auth alternative.\n"                                             \
	"[" C "both]# The cluster reads access entries first, then aws-auth: the access-entry commands are enough, " \
	"the eksctl command is the aws-auth alternative.\n"

/* create-access-entry refuses the path-less ARN of a role that has a path
 * (IAM Identity Center roles always have one), aws-auth needs it without. */
#define FIX_AE_NOTE(C)                                                                                          \
	"[" C "ae role !iam]# Access entries take the role's IAM ARN with its path, which the log does not show: the " \
	"commands look it up with aws iam get-role.\n"

/* The mapping of a principal by its kind: nodes and Fargate as the EKS
 * user guide maps them (create-node-role.html, pod-execution-role.html),
 * never as admins; people and CI jobs with the grant asked for. C adds
 * conditions to every line. */
#define FIX_MAP(C)                                                                                                    \
	"[" C "path cm]# The path ${path} was removed from the ARN for aws-auth: it never matches a rolearn that "        \
	"contains a path.\n"                                                                                             \
	"[" C "sso]# IAM Identity Center role: the permission-set suffix of the name changes when the permission set "   \
	"is re-provisioned, so update the mapping then.\n"                                                              \
	"[" C "node]# ${name} is an EC2 node role (STS sessions named after instance ids): it is mapped as a node, "      \
	"never as a cluster admin, which would make every pod on those nodes cluster admin. If people or jobs use "     \
	"this role too, give them a role of their own: one role has one mapping.\n"                                   \
	"[" C "linux]# The log cannot tell Windows nodes from Linux ones: for Windows nodes use --type EC2_WINDOWS "     \
	"and add --group eks:kube-proxy-windows to the eksctl command.\n"                                              \
	"[" C "fargate]# ${name} is a Fargate pod execution role: it is mapped as a Fargate node, never as "            \
	"a cluster admin.\n"                                                                            \
	"[" C "guess]# Nothing at hand shows what ${name} is (its STS sessions would): these commands are for a "       \
	"person or a CI job. A node role is mapped with system:node:{{EC2PrivateDNSName}} and the groups "              \
	"system:bootstrappers and system:nodes (access entry --type EC2_LINUX), never as system:masters.\n"             \
	"[" C "human admin]# Caution: system:masters and AmazonEKSClusterAdminPolicy make ${name} cluster admin; "       \
	"--grant edit or --grant view gives the built-in edit or view permissions instead.\n"                          \
	"[" C "human narrow cm]# aws-auth maps to RBAC groups: the kubectl create clusterrolebinding command binds the " \
	"group ${group} to the built-in ClusterRole ${clusterrole} (once per cluster, as a cluster admin).\n"           \
	FIX_AE_NOTE(C)                                                                                                  \
	"[" C "cm human role]" FIX_EDIT_AWS_AUTH "mapRoles: - {rolearn: ${arn}, username: ${username}, groups: [${group}]}\n" \
	"[" C "cm human user]" FIX_EDIT_AWS_AUTH "mapUsers: - {userarn: ${arn}, username: ${username}, groups: [${group}]}\n" \
	"[" C "cm linux]" FIX_EDIT_AWS_AUTH "mapRoles: - {rolearn: ${arn}, username: \"system:node:{{EC2PrivateDNSName}}\", " \
	"groups: [system:bootstrappers, system:nodes]}\n"                                                              \
	"[" C "cm win]" FIX_EDIT_AWS_AUTH "mapRoles: - {rolearn: ${arn}, username: \"system:node:{{EC2PrivateDNSName}}\", " \
	"groups: [system:bootstrappers, system:nodes, eks:kube-proxy-windows]}\n"                                      \
	"[" C "cm fargate]" FIX_EDIT_AWS_AUTH "mapRoles: - {rolearn: ${arn}, username: \"system:node:{{SessionName}}\", "  \
	"groups: [system:bootstrappers, system:nodes, system:node-proxier]}\n"                                         \
	"[" C "ae human]aws eks create-access-entry --cluster-name ${cluster} --region ${region} --principal-arn ${ae_arn}\n" \
	"[" C "ae !human]aws eks create-access-entry --cluster-name ${cluster} --region ${region} --principal-arn "      \
	"${ae_arn} --type ${type}\n"                                                                                    \
	"[" C "ae human]aws eks associate-access-policy --cluster-name ${cluster} --region ${region} --principal-arn "   \
	"${ae_arn} --policy-arn arn:${partition}:eks::aws:cluster-access-policy/${policy} --access-scope type=cluster\n" \
	"[" C "cm human narrow]kubectl create clusterrolebinding ${group} --clusterrole=${clusterrole} --group=${group}\n" \
	"[" C "cm human]eksctl create iamidentitymapping --cluster ${cluster} --region ${region} --arn ${arn} "          \
	"--username ${username} --group ${group}\n"                                                                     \
	"[" C "cm linux]eksctl create iamidentitymapping --cluster ${cluster} --region ${region} --arn ${arn} "          \
	"--username 'system:node:{{EC2PrivateDNSName}}' --group system:bootstrappers --group system:nodes\n"            \
	"[" C "cm win]eksctl create iamidentitymapping --cluster ${cluster} --region ${region} --arn ${arn} "            \
	"--username 'system:node:{{EC2PrivateDNSName}}' --group system:bootstrappers --group system:nodes "             \
	"--group eks:kube-proxy-windows\n"                                                                              \
	"[" C "cm fargate]eksctl create iamidentitymapping --cluster ${cluster} --region ${region} --arn ${arn} "        \
	"--username 'system:node:{{SessionName}}' --group system:bootstrappers --group system:nodes "                    \
	"--group system:node-proxier\n"

struct class_info {
	const char *name;
	const char *cause;
	const char *fix;
};

static const struct class_info classes[CLASS__COUNT] = {
	[CLASS_NONE] = {"none", "The request was not denied.", ""},
	[CLASS_NOT_MAPPED] = {"not_mapped",
		"The IAM identity authenticated correctly, but no aws-auth entry or EKS access entry "
		"matches its canonical ARN. Common reasons are a role path or an SSO "
		"aws-reserved path in the mapped ARN, the wrong profile, or a deleted and re-created principal.",
		FIX_MODE
		"[human]" FIX_WHO
		"[human]" FIX_UPDATE_KUBECONFIG
		FIX_MODE_NOTES("")
		FIX_MAP("")
		"[human ae]# If the principal was deleted and re-created, delete and re-create its access entry: it still holds the old unique ID.\n"},
	[CLASS_ARN_USERID_MISMATCH] = {"arn_userid_mismatch",
		"An access entry matched the principal's unique ID, but the ARN stored with it differs from the caller's: "
		"the IAM user or role was renamed, or the entry holds a malformed ARN.",
		"[human]" FIX_WHO
		"aws eks list-access-entries --cluster-name ${cluster} --region ${region}\n"
		"aws eks list-associated-access-policies --cluster-name ${cluster} --region ${region} --principal-arn ${ae_arn}\n"
		"aws eks delete-access-entry --cluster-name ${cluster} --region ${region} --principal-arn ${ae_arn}\n"
		"[human]aws eks create-access-entry --cluster-name ${cluster} --region ${region} --principal-arn ${ae_arn}\n"
		"[!human]aws eks create-access-entry --cluster-name ${cluster} --region ${region} --principal-arn ${ae_arn} --type ${type}\n"
		FIX_AE_NOTE("")
		"[human]# Then associate again, with aws eks associate-access-policy, the policies list-associated-access-policies printed.\n"},
	[CLASS_TEMPLATE_NO_INSTANCE_ID] = {"template_no_instance_id",
		"The mapping uses the node template system:node:{{EC2PrivateDNSName}}, but the caller's session name is "
		"not an EC2 instance id: a human, CI or controller role is mapped like a node.",
		FIX_MODE
		"[cm]eksctl get iamidentitymapping --cluster ${cluster} --region ${region} --arn ${arn}\n"
		"[ae]aws eks describe-access-entry --cluster-name ${cluster} --region ${region} --principal-arn ${ae_arn}\n"
		"[node]# ${name} is also the role of EC2 nodes (some of its sessions are instance ids), but this caller is not an instance: give that workload a role of its own and keep the node mapping.\n"
		"[!node]# The mapping of ${name} uses the node template system:node:{{EC2PrivateDNSName}}, which only node instance roles can use: the commands replace it.\n"
		FIX_MODE_NOTES("!node ")
		"[!node cm]eksctl delete iamidentitymapping --cluster ${cluster} --region ${region} --arn ${arn}\n"
		"[!node ae]aws eks delete-access-entry --cluster-name ${cluster} --region ${region} --principal-arn ${ae_arn}\n"
		FIX_MAP("!node ")},
	[CLASS_EC2_DESCRIBE_DENIED] = {"ec2_describe_denied",
		"To render {{EC2PrivateDNSName}} the authenticator must call ec2:DescribeInstances, and the cluster IAM role "
		"is not allowed to: it usually lost the AmazonEKSClusterPolicy managed policy.",
		"aws eks describe-cluster --name ${cluster} --region ${region} --query cluster.roleArn --output text\n"
		"aws iam list-attached-role-policies --role-name " FIX_CLUSTER_ROLE "\n"
		"aws iam attach-role-policy --role-name " FIX_CLUSTER_ROLE " --policy-arn arn:${partition}:iam::aws:policy/AmazonEKSClusterPolicy\n"
		"# If the error names sts:AssumeRole, the role the authenticator assumes to describe instances must trust the cluster role and allow ec2:DescribeInstances.\n"},
	[CLASS_EC2_INSTANCE_NOT_FOUND] = {"ec2_instance_not_found",
		"The node's instance could not be found in the cluster's account: it was terminated, or it lives in another "
		"account, where {{EC2PrivateDNSName}} cannot be resolved.",
		"aws ec2 describe-instances --region ${region} --instance-ids <instance-id>\n"
		"# <instance-id> is the one the error names.\n"
		"# If the node runs in another account, map its role with a static username instead of system:node:{{EC2PrivateDNSName}}.\n"
		"# If the instance was terminated, nothing is needed: the denials stop with it.\n"},
	[CLASS_RESERVED_USERNAME] = {"reserved_username",
		"The mapped Kubernetes username starts with a prefix reserved for that mapper (system:, eks:, aws:, amazon:, iam:).",
		"eksctl get iamidentitymapping --cluster ${cluster} --region ${region}\n"
		"# Change the username of ${arn} in aws-auth to one without a reserved prefix (e.g. ${username}): kubectl edit configmap aws-auth -n kube-system\n"
		"# For an access entry, the update-access-entry command changes it.\n"
		FIX_AE_NOTE("")
		"aws eks update-access-entry --cluster-name ${cluster} --region ${region} --principal-arn ${ae_arn} --username ${username}\n"},
	[CLASS_INVALID_USERNAME] = {"invalid_username",
		"The mapping rendered an unusable Kubernetes username or group, in practice an empty username: field.",
		"kubectl describe configmap aws-auth -n kube-system\n"
		"# Set a non-empty username for ${arn} (e.g. ${username}): kubectl edit configmap aws-auth -n kube-system\n"},
	[CLASS_MAPPER_ERROR] = {"mapper_error",
		"A mapper (aws-auth ConfigMap, access entries or CRD) failed to map or render the identity, "
		"typically because of a broken entry or template.",
		"kubectl describe configmap aws-auth -n kube-system\n"
		"eksctl get iamidentitymapping --cluster ${cluster} --region ${region}\n"
		"aws eks list-access-entries --cluster-name ${cluster} --region ${region}\n"
		"# Quote templates (username: \"{{SessionName}}\") and validate the YAML before applying it.\n"},
	[CLASS_INVALID_CLIENT_TOKEN] = {"invalid_client_token",
		"STS does not know the access key that signed the token: it was deleted or rotated, belongs to a "
		"disabled user, or comes from another partition.",
		FIX_WHO
		"# Fix the credentials of that profile: aws configure, or aws sso login.\n"
		"# Make sure the IAM identity still exists and its access key is active.\n"
		FIX_UPDATE_KUBECONFIG},
	[CLASS_SIGNATURE_MISMATCH] = {"signature_mismatch",
		"STS could not verify the token's signature: most often the token was made for another cluster name, "
		"or a custom generator signed headers the server does not replay.",
		"aws eks describe-cluster --name ${cluster} --region ${region} --query cluster.name --output text\n"
		FIX_UPDATE_KUBECONFIG
		"# Custom token generators: sign only host and x-k8s-aws-id, or use aws eks get-token.\n"},
	[CLASS_CLOCK_SKEW] = {"clock_skew",
		"The client's clock is too far off for STS to accept the signature.",
		"date -u\n"
		"sudo timedatectl set-ntp true\n"
		"# Where chrony keeps the time instead: sudo systemctl enable --now chronyd\n"
		FIX_GET_TOKEN},
	[CLASS_EXPIRED_CREDENTIALS] = {"expired_credentials",
		"The AWS credentials that signed the token (an SSO or assumed-role session) had expired, even though the token itself was fresh.",
		FIX_WHO
		"# Refresh the session: aws sso login, or assume the role again.\n"
		"# Use a session duration longer than the 15-minute token lifetime.\n"
		FIX_UPDATE_KUBECONFIG},
	[CLASS_STS_REGION_DISABLED] = {"sts_region_disabled",
		"The regional STS endpoint used for the token is not activated in the caller's account.",
		"# IAM console > Account settings > Security Token Service (STS) > Endpoints: activate ${region}.\n"
		"# Or make the token against an STS region that is active, as the command does with --region.\n"
		FIX_GET_TOKEN},
	[CLASS_STS_THROTTLED] = {"sts_throttled",
		"STS throttled GetCallerIdentity for the account: too many clients are authenticating too often.",
		"# Count 'STS response' lines per minute and principal in the authenticator log to find the noisiest caller.\n"
		"# Reuse tokens for their 15-minute lifetime instead of making one per request.\n"
		"# Keep the kubeconfig exec plugin (aws eks get-token), which caches tokens by expirationTimestamp.\n"},
	[CLASS_STS_UNREACHABLE] = {"sts_unreachable",
		"The authenticator could not reach STS or read its answer; on EKS this is normally transient.",
		"# Retry the kubectl command.\n"
		"# Self-managed authenticator: check DNS, egress and any STS VPC endpoint in ${region}.\n"},
	[CLASS_STS_REJECTED] = {"sts_rejected",
		"STS refused the pre-signed GetCallerIdentity request; the log does not say why (old authenticators omit the body).",
		FIX_WHO
		FIX_UPDATE_KUBECONFIG
		"date -u\n"
		"# date -u shows the clock: clock skew also makes STS refuse.\n"},
	[CLASS_STS_BAD_RESPONSE] = {"sts_bad_response",
		"STS answered, but with a body or an identity the authenticator could not interpret.",
		"# Retry; if it persists, open an AWS support case with the log line.\n"
		FIX_WHO},
	[CLASS_TOKEN_EXPIRED] = {"token_expired",
		"The token was older than 15 minutes when it arrived: the client reused a cached token, or its clock is far behind.",
		"date -u\n"
		FIX_UPDATE_KUBECONFIG
		"# Upgrade the AWS CLI / aws-iam-authenticator so the exec plugin reports expirationTimestamp; do not cache tokens.\n"},
	[CLASS_TOKEN_NOT_IAM] = {"token_not_iam",
		"The bearer token is not an EKS IAM token (a service-account or OIDC token, or stale text in the kubeconfig).",
		FIX_UPDATE_KUBECONFIG
		"# Check that the kubeconfig user runs aws eks get-token instead of carrying a static token.\n"},
	[CLASS_TOKEN_MALFORMED] = {"token_malformed",
		"The token could not be decoded into a valid pre-signed STS URL: it was truncated or corrupted, or a custom generator built it wrongly.",
		FIX_GET_TOKEN
		"# Custom generators: presign GetCallerIdentity with an AWS SDK (https, path /).\n"},
	[CLASS_TOKEN_WRONG_HOST] = {"token_wrong_host",
		"The token was signed for an STS host the authenticator does not accept (another partition, global vs regional, FIPS or VPC endpoint name).",
		FIX_GET_TOKEN
		"export AWS_STS_REGIONAL_ENDPOINTS=regional\n"
		"# Use the regional STS endpoint of the cluster's partition, not a FIPS, dual-stack or VPC endpoint host.\n"},
	[CLASS_TOKEN_UNSIGNED_CLUSTER_ID] = {"token_unsigned_cluster_id",
		"A custom token generator did not add and sign the x-k8s-aws-id header with the cluster name.",
		"# Add the header x-k8s-aws-id: ${cluster} before presigning and include it in the signed headers, or use the command.\n"
		FIX_GET_TOKEN},
	[CLASS_TOKEN_BAD_PARAMS] = {"token_bad_params",
		"The pre-signed URL has query parameters the authenticator rejects (extra, duplicate, missing or invalid X-Amz-Expires/X-Amz-Date).",
		FIX_GET_TOKEN
		"# Custom generators: presign only GetCallerIdentity, set X-Amz-Expires=60, add no other query parameters.\n"},
	[CLASS_UNKNOWN] = {"unknown",
		"The error text is not one authlog-scan knows; read it in full.",
		FIX_WHO
		FIX_UPDATE_KUBECONFIG},
};

static pcre2_code *rule_re[N_RULES];
static pcre2_code *extract_re[X__COUNT];
static pcre2_match_data *md; /* shared: classify_error is not reentrant */

static int all_jit = 1; /* every pattern has JIT code: call it directly */

static pcre2_code *compile(const char *pattern)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_DOTALL,
				       &err, &off, NULL);
	if (!re) {
		/* The patterns are constants: this is a bug, say where. */
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(err, msg, sizeof(msg));
		fprintf(stderr, "classify: pattern %s: offset %zu: %s\n", pattern, (size_t)off,
			(const char *)msg);
		return NULL;
	}
	/* JIT is an optimisation only; without it pcre2_match interprets. */
	if (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0)
		all_jit = 0;
	return re;
}

int classify_init(void)
{
	if (md)
		return AL_OK;
	all_jit = 1;
	for (size_t i = 0; i < N_RULES; i++)
		if (!(rule_re[i] = compile(rules[i].pattern)))
			goto fail;
	for (size_t i = 0; i < X__COUNT; i++)
		if (!(extract_re[i] = compile(extract_patterns[i])))
			goto fail;
	md = pcre2_match_data_create(4, NULL);
	if (!md)
		goto fail;
	return AL_OK;
fail:
	classify_cleanup();
	return AL_SOFTWARE;
}

void classify_cleanup(void)
{
	for (size_t i = 0; i < N_RULES; i++) {
		pcre2_code_free(rule_re[i]);
		rule_re[i] = NULL;
	}
	for (size_t i = 0; i < X__COUNT; i++) {
		pcre2_code_free(extract_re[i]);
		extract_re[i] = NULL;
	}
	pcre2_match_data_free(md);
	md = NULL;
}

static int match(pcre2_code *re, const char *s, size_t n)
{
	/* pcre2_jit_match skips pcre2_match's checks of its arguments, a
	 * good part of the cost of a call on these short texts. */
	if (all_jit)
		return pcre2_jit_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL) >= 0;
	return pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL) >= 0;
}

/* Copies capture group 1 of the last match; refuses values that do not
 * fit rather than storing a truncated code, region or ARN. */
static int group1(const char *s, char *dst, size_t cap)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	if (ov[2] == PCRE2_UNSET || ov[3] - ov[2] >= cap)
		return -1;
	memcpy(dst, s + ov[2], ov[3] - ov[2]);
	dst[ov[3] - ov[2]] = '\0';
	return 0;
}

static void extract(const char *s, size_t n, struct classify_result *out)
{
	char status[4];
	if (match(extract_re[X_CODE], s, n))
		group1(s, out->sts_code, sizeof(out->sts_code));
	if (match(extract_re[X_STATUS], s, n) && group1(s, status, sizeof(status)) == 0)
		out->http_status = atoi(status);
	if (match(extract_re[X_REGION], s, n))
		group1(s, out->sts_region, sizeof(out->sts_region));
	if (match(extract_re[X_MAPPED], s, n))
		group1(s, out->mapped_arn, sizeof(out->mapped_arn));
}

int classify_error(const char *msg, const char *error, size_t error_len,
		   struct classify_result *out)
{
	if (!out)
		return -1;
	memset(out, 0, sizeof(*out));
	out->cls = CLASS_UNKNOWN;
	if (!md)
		return -1;
	if (!msg)
		msg = "";
	if (!error) {
		error = "";
		error_len = 0;
	}
	size_t msg_len = strlen(msg);
	for (size_t i = 0; i < N_RULES; i++) {
		int on_msg = rules[i].on == ON_MSG;
		if (match(rule_re[i], on_msg ? msg : error, on_msg ? msg_len : error_len)) {
			out->cls = rules[i].cls;
			out->http_status = rules[i].http_status;
			break;
		}
	}
	extract(error, error_len, out);
	return 0;
}

const char *classify_name(enum error_class c)
{
	if ((unsigned)c >= (unsigned)CLASS__COUNT)
		return NULL;
	return classes[c].name;
}

int classify_from_name(const char *name, enum error_class *out)
{
	if (!name)
		return -1;
	for (int c = 0; c < CLASS__COUNT; c++) {
		if (strcmp(classes[c].name, name) == 0) {
			if (out)
				*out = (enum error_class)c;
			return 0;
		}
	}
	return -1;
}

const char *classify_cause(enum error_class c)
{
	if ((unsigned)c >= (unsigned)CLASS__COUNT)
		return NULL;
	return classes[c].cause;
}

int classify_grant_from_name(const char *name, enum fix_grant *out)
{
	static const char *const names[] = {[GRANT_ADMIN] = "admin", [GRANT_EDIT] = "edit", [GRANT_VIEW] = "view"};
	for (size_t g = 0; name && g < sizeof(names) / sizeof(names[0]); g++) {
		if (strcmp(name, names[g]) == 0) {
			*out = (enum fix_grant)g;
			return 0;
		}
	}
	return -1;
}

/* A value from the caller (log data) that is outside its character set:
 * no command is printed with it, a note says so. */
struct bad_value {
	const char *what, *value, *why;
};

/* Everything a fix template can refer to, resolved once. */
struct fix_vars {
	struct arn_info ai;
	int have_arn;
	char username[ARN_MAX + 1];
	int username_derived; /* from the ARN's name, not the caller */
	/* The access entry's principal as shell text: the IAM ARN with its
	 * path, quoted, or the command substitution that looks it up. */
	char ae_arn[2 * ARN_MAX + 80];
	int iam_known;
	const char *cluster, *region;
	enum auth_mode mode;
	enum principal_kind kind;
	int guessed; /* kind is human for want of a session to tell */
	enum fix_grant grant;
	/* Malformed values: each a bit, that of its entry in bad[]. */
	unsigned arn_bad, cluster_bad, region_bad, username_bad;
	struct bad_value bad[5]; /* at most one per value validate() checks */
	size_t nbad;
};

static const char *nonempty(const char *s, const char *fallback)
{
	return s && *s ? s : fallback;
}

/* A username for the suggested mapping: the caller's choice, else the
 * role or user name; SSO names lose their per-provisioning suffix
 * (AWSReservedSSO_Admin_0123abcd -> AWSReservedSSO_Admin). */
static void derive_username(const struct fix_ctx *ctx, struct fix_vars *v)
{
	const char *u = ctx ? nonempty(ctx->username, NULL) : NULL;
	if (!u) {
		u = v->have_arn && v->ai.type != PRINCIPAL_ROOT ? v->ai.name : "<username>";
		v->username_derived = 1;
	}
	snprintf(v->username, sizeof(v->username), "%s", u);
	if (u == v->ai.name && v->ai.sso) {
		char *last = strrchr(v->username, '_');
		if (last && last - v->username >= (ptrdiff_t)strlen("AWSReservedSSO_") + 1)
			*last = '\0';
	}
}

/* s as one shell word into dst; an empty string when it cannot be one
 * (the value is then marked bad by the caller's validation already). */
static void shell_word(char *dst, size_t dst_sz, const char *s)
{
	struct buf b = BUF_INIT;
	dst[0] = '\0';
	if (esc_shell(&b, s, strlen(s)) == 0 && b.len < dst_sz)
		memcpy(dst, buf_str(&b), b.len + 1);
	buf_free(&b);
}

/* STS never shows a role's path, so the canonical ARN of a role only is
 * its IAM ARN when the log (or the caller) gave the ARN with its path;
 * otherwise IAM is asked. Users keep their path in the canonical ARN. */
static void derive_ae_arn(const struct fix_ctx *ctx, struct fix_vars *v)
{
	const struct arn_info *ai = &v->ai;
	const char *iam = ctx ? nonempty(ctx->iam_arn, NULL) : NULL;
	char arn[2 * ARN_MAX + 80];
	v->iam_known = 1;
	if (iam)
		snprintf(arn, sizeof(arn), "%s", iam);
	else if (!v->have_arn)
		snprintf(arn, sizeof(arn), "<arn>");
	else if (ai->type == PRINCIPAL_ROLE && strcmp(ai->path, "/") != 0)
		snprintf(arn, sizeof(arn), "arn:%s:iam::%s:role%s%s", ai->partition, ai->account, ai->path, ai->name);
	else if (ai->type == PRINCIPAL_ROLE || ai->type == PRINCIPAL_ASSUMED_ROLE) {
		char name[ARN_MAX + 3];
		shell_word(name, sizeof(name), ai->name);
		snprintf(v->ae_arn, sizeof(v->ae_arn),
			 "\"$(aws iam get-role --role-name %s --query Role.Arn --output text)\"", name);
		v->iam_known = 0;
		return;
	} else
		snprintf(arn, sizeof(arn), "%s", ai->canonical);
	shell_word(v->ae_arn, sizeof(v->ae_arn), arn);
}

static int word_is(const char *w, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

/* One condition word of a [cond ...] prefix; unknown words never hold. */
static int cond_word(const char *w, size_t n, const struct fix_vars *v)
{
	int user = v->have_arn && v->ai.type == PRINCIPAL_USER;
	int node = v->kind == KIND_EC2_LINUX || v->kind == KIND_EC2_WINDOWS;
	if (word_is(w, n, "path"))
		return v->have_arn && v->ai.type == PRINCIPAL_ROLE && strcmp(v->ai.path, "/") != 0;
	if (word_is(w, n, "sso"))
		return v->have_arn && v->ai.sso;
	if (word_is(w, n, "role"))
		return !user;
	if (word_is(w, n, "user"))
		return user;
	if (word_is(w, n, "human"))
		return !node && v->kind != KIND_FARGATE;
	if (word_is(w, n, "node"))
		return node;
	if (word_is(w, n, "linux"))
		return v->kind == KIND_EC2_LINUX;
	if (word_is(w, n, "win"))
		return v->kind == KIND_EC2_WINDOWS;
	if (word_is(w, n, "fargate"))
		return v->kind == KIND_FARGATE;
	if (word_is(w, n, "cm"))
		return v->mode != AUTH_MODE_API;
	if (word_is(w, n, "ae"))
		return v->mode != AUTH_MODE_CONFIG_MAP;
	if (word_is(w, n, "unknown"))
		return v->mode == AUTH_MODE_UNKNOWN;
	if (word_is(w, n, "both"))
		return v->mode == AUTH_MODE_API_AND_CONFIG_MAP;
	if (word_is(w, n, "admin"))
		return v->grant == GRANT_ADMIN;
	if (word_is(w, n, "narrow"))
		return v->grant != GRANT_ADMIN;
	if (word_is(w, n, "iam"))
		return v->iam_known;
	if (word_is(w, n, "guess"))
		return v->guessed;
	return 0;
}

/* Every space-separated word of cond (n bytes) holds; "!" negates one. */
static int cond_holds(const char *cond, size_t n, const struct fix_vars *v)
{
	const char *end = cond + n;
	while (cond < end) {
		const char *sp = memchr(cond, ' ', (size_t)(end - cond));
		const char *we = sp ? sp : end;
		int neg = *cond == '!';
		if (we > cond + neg && cond_word(cond + neg, (size_t)(we - cond - neg), v) == neg)
			return 0;
		cond = we + (sp ? 1 : 0);
	}
	return 1;
}

/* A value esc_shell refused: cannot happen after validate(), but a
 * command without it is withheld all the same. */
#define UNQUOTABLE (1u << 31)

/* One ${var}: its text, whether that is shell text already (else a
 * command gets it through esc_shell) and whether it comes from a
 * malformed value. */
struct var {
	const char *s;
	int shell;
	unsigned bad; /* the bits of the malformed values it comes from */
};

static int var_value(const char *name, size_t n, const struct fix_vars *v, struct var *out)
{
	static const char *const groups[] = {[GRANT_ADMIN] = "system:masters", [GRANT_EDIT] = "cluster-edit",
					     [GRANT_VIEW] = "cluster-view"};
	static const char *const policies[] = {[GRANT_ADMIN] = "AmazonEKSClusterAdminPolicy",
					       [GRANT_EDIT] = "AmazonEKSEditPolicy",
					       [GRANT_VIEW] = "AmazonEKSViewPolicy"};
	/* Access entry types (https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html). */
	static const char *const types[] = {[KIND_UNKNOWN] = "STANDARD", [KIND_HUMAN] = "STANDARD",
					    [KIND_EC2_LINUX] = "EC2_LINUX", [KIND_EC2_WINDOWS] = "EC2_WINDOWS",
					    [KIND_FARGATE] = "FARGATE_LINUX"};
	*out = (struct var){NULL, 0, 0};
	if (word_is(name, n, "cluster"))
		*out = (struct var){v->cluster, 0, v->cluster_bad};
	else if (word_is(name, n, "region"))
		*out = (struct var){v->region, 0, v->region_bad};
	else if (word_is(name, n, "arn"))
		*out = (struct var){v->have_arn ? v->ai.canonical : "<arn>", 0, v->arn_bad};
	else if (word_is(name, n, "partition"))
		out->s = v->have_arn ? v->ai.partition : "aws";
	else if (word_is(name, n, "username"))
		*out = (struct var){v->username, 0, v->username_derived ? v->arn_bad : v->username_bad};
	else if (word_is(name, n, "path"))
		*out = (struct var){v->ai.path, 0, v->arn_bad};
	else if (word_is(name, n, "name"))
		*out = (struct var){v->have_arn && v->ai.name[0] ? v->ai.name : "this principal", 0, v->arn_bad};
	else if (word_is(name, n, "ae_arn"))
		*out = (struct var){v->ae_arn, 1, v->arn_bad | (v->ae_arn[0] ? 0 : UNQUOTABLE)};
	else if (word_is(name, n, "group"))
		out->s = groups[v->grant];
	else if (word_is(name, n, "clusterrole"))
		out->s = v->grant == GRANT_VIEW ? "view" : "edit";
	else if (word_is(name, n, "policy"))
		out->s = policies[v->grant];
	else if (word_is(name, n, "type"))
		out->s = types[v->kind];
	return out->s ? 0 : -1;
}

/* One template line into out. In a command every value is one shell
 * word (esc_shell); in a note it is shown escaped for a terminal
 * (esc_term), so log data can neither run nor add a line. *uses_bad
 * (NULL: not wanted) gets the bits of the malformed values the line needs. */
static void render_line(const char *line, size_t n, const struct fix_vars *v, int command, struct buf *out,
			unsigned *uses_bad)
{
	const char *end = line + n;
	while (line < end) {
		const char *d = memchr(line, '$', (size_t)(end - line));
		const char *close = d && d + 1 < end && d[1] == '{' ?
			memchr(d, '}', (size_t)(end - d)) : NULL;
		struct var val;
		if (!close || var_value(d + 2, (size_t)(close - d - 2), v, &val) != 0) {
			/* No (known) variable: copy through the '$' and go on. */
			size_t k = d ? (size_t)(d - line) + 1 : (size_t)(end - line);
			buf_append(out, line, k);
			line += k;
			continue;
		}
		buf_append(out, line, (size_t)(d - line));
		if (!command)
			esc_term(out, val.s, strlen(val.s));
		else if (val.shell)
			buf_puts(out, val.s);
		else if (esc_shell(out, val.s, strlen(val.s)) != 0)
			val.bad |= UNQUOTABLE;
		if (uses_bad)
			*uses_bad |= val.bad;
		line = close + 1;
	}
	buf_putc(out, '\n');
}

static void mark_bad(struct fix_vars *v, unsigned *flag, const char *what, const char *value, const char *why)
{
	*flag |= 1u << v->nbad;
	v->bad[v->nbad++] = (struct bad_value){what, value, why};
}

/* Checks every value from the caller against its real character set
 * (arn_valid_*): a command is printed only with values that are what they
 * claim to be, so a crafted ARN or cluster name cannot become shell code
 * even where quoting alone would not stop it (an option, a newline). */
static void validate(const struct fix_ctx *ctx, struct fix_vars *v)
{
	const char *why;
	const char *arn = ctx ? nonempty(ctx->arn, NULL) : NULL;
	const char *iam = ctx ? nonempty(ctx->iam_arn, NULL) : NULL;
	const char *user = ctx ? nonempty(ctx->username, NULL) : NULL;
	if (arn && !arn_valid_principal(arn, strlen(arn), &why))
		mark_bad(v, &v->arn_bad, "principal ARN", arn, why);
	if (iam && !arn_valid_principal(iam, strlen(iam), &why))
		mark_bad(v, &v->arn_bad, "IAM ARN", iam, why);
	if (strcmp(v->cluster, "<cluster>") != 0 && !arn_valid_cluster_name(v->cluster, &why))
		mark_bad(v, &v->cluster_bad, "cluster name", v->cluster, why);
	if (strcmp(v->region, "<region>") != 0 && !arn_valid_region(v->region, &why))
		mark_bad(v, &v->region_bad, "region", v->region, why);
	/* Kubernetes allows almost any username; a command takes one only
	 * when it is printable ASCII (what esc_shell can quote). */
	for (const char *p = user; p && *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
			mark_bad(v, &v->username_bad, "username", user, "not printable ASCII");
			break;
		}
}

static void fix_vars_init(const struct fix_ctx *ctx, struct fix_vars *v)
{
	const char *arn = ctx ? nonempty(ctx->arn, NULL) : NULL;
	v->have_arn = arn && arn_parse(arn, strlen(arn), &v->ai) == 0;
	v->cluster = nonempty(ctx ? ctx->cluster : NULL, "<cluster>");
	v->region = nonempty(ctx ? ctx->region : NULL, "<region>");
	/* The authenticator writes "global" for sts.amazonaws.com: no region. */
	if (strcmp(v->region, "global") == 0)
		v->region = "<region>";
	v->mode = ctx ? ctx->mode : AUTH_MODE_UNKNOWN;
	v->grant = ctx && (unsigned)ctx->grant <= GRANT_VIEW ? ctx->grant : GRANT_ADMIN;
	v->kind = ctx && (unsigned)ctx->kind <= KIND_FARGATE ? ctx->kind : KIND_UNKNOWN;
	if (v->kind == KIND_UNKNOWN && v->have_arn) {
		v->kind = arn_kind(v->ai.name, v->ai.session);
		v->guessed = v->kind == KIND_HUMAN && !v->ai.session[0] && v->ai.type == PRINCIPAL_ROLE;
	}
	validate(ctx, v);
	derive_username(ctx, v);
	derive_ae_arn(ctx, v);
}

int classify_fix(enum error_class c, const struct fix_ctx *ctx, struct buf *notes, struct buf *commands)
{
	struct fix_vars *v = NULL;
	struct buf class_notes = BUF_INIT, cmds = BUF_INIT;
	unsigned withheld = 0;
	int lines = -1, nnotes = 0, ncmds = 0;

	if ((unsigned)c >= (unsigned)CLASS__COUNT || !notes || !commands)
		return -1;
	/* arn_info is several kilobytes: keep it off the stack. */
	v = calloc(1, sizeof(*v));
	if (!v)
		goto out;
	fix_vars_init(ctx, v);

	lines = 0;
	for (const char *p = classes[c].fix; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *line = p;
		p += n + (nl ? 1 : 0);
		if (line[0] == '[') {
			const char *rb = memchr(line, ']', n);
			if (!rb || !cond_holds(line + 1, (size_t)(rb - line - 1), v))
				continue;
			n -= (size_t)(rb + 1 - line);
			line = rb + 1;
		}
		int note = n >= 2 && line[0] == '#' && line[1] == ' ';
		if (note) {
			render_line(line + 2, n - 2, v, 0, &class_notes, NULL);
			nnotes++;
		} else {
			render_line(line, n, v, 1, &cmds, &withheld);
			ncmds++;
		}
	}
	/* The commands run in sequence: when one would need a malformed
	 * value, none is printed, and neither are the notes, which speak of
	 * those commands or give the same values as YAML to paste; a note
	 * says which value and why instead. */
	for (size_t i = 0; i < v->nbad; i++) {
		if (!(withheld & 1u << i))
			continue;
		buf_printf(notes, "The %s \"", v->bad[i].what);
		esc_term(notes, v->bad[i].value, strlen(v->bad[i].value));
		buf_printf(notes, "\" is malformed (%s): no command is printed, since the commands need it.\n",
			   v->bad[i].why);
		lines++;
	}
	if (!withheld) {
		buf_append(notes, buf_str(&class_notes), class_notes.len);
		buf_append(commands, buf_str(&cmds), cmds.len);
		lines += nnotes + ncmds;
	}
	if (notes->oom || commands->oom || class_notes.oom || cmds.oom)
		lines = -1;
out:
	buf_free(&class_notes);
	buf_free(&cmds);
	free(v);
	return lines;
}

/* https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateClusterConfig.html
 * (logging.clusterLogging: the types and whether they are enabled); the
 * values are validated, then shell-quoted anyway, so it runs as printed. */
int classify_fix_enable_logging(struct buf *commands, const char *cluster, const char *region)
{
	if (!arn_valid_cluster_name(cluster, NULL) || !arn_valid_region(region, NULL))
		return -1;
	/* valid values are printable ASCII: esc_shell fails only on OOM */
	buf_puts(commands, "aws eks update-cluster-config --name ");
	esc_shell(commands, cluster, strlen(cluster));
	buf_puts(commands, " --region ");
	esc_shell(commands, region, strlen(region));
	buf_puts(commands, " --logging '{\"clusterLogging\":[{\"types\":[\"authenticator\"],\"enabled\":true}]}'");
	return commands->oom ? -1 : 0;
}

/* ASCII case-insensitive substring test (the M1 ARN is lower-cased);
 * this runs for every stored row, so use glibc's optimised search. */
static int contains_ci(const char *hay, const char *needle)
{
	/* Candidates by the first two letters: far cheaper than strcasestr's
	 * two-way setup for the few bytes of an ARN. */
	size_t n = strlen(needle);
	if (n < 2)
		return strcasestr(hay, needle) != NULL;
	char c0 = (char)(needle[0] | 0x20), c1 = (char)(needle[1] | 0x20);
	for (; hay[0] && hay[1]; hay++)
		if ((hay[0] | 0x20) == c0 && (hay[1] | 0x20) == c1 && strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

static const char *const expected_sessions[] = {"EKSAuthTokenSession", "EKSClusterInsightsAuth"};

int classify_expected_arn(const char *arn)
{
	static const char *const roles[] = {"AWSWesleyClusterManagerLambda",
					    "AmazonEKSClusterInsightsViewOnlyRole"};
	if (!arn)
		return 0;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (contains_ci(arn, roles[i]))
			return 1;
	/* The session may only be known from a raw assumed-role ARN. */
	const char *tail = strrchr(arn, '/');
	if (!tail || !strstr(arn, ":assumed-role/"))
		return 0;
	for (size_t i = 0; i < sizeof(expected_sessions) / sizeof(expected_sessions[0]); i++)
		if (strcmp(tail + 1, expected_sessions[i]) == 0)
			return 1;
	return 0;
}

int classify_expected_identity(const char *username, const char *session)
{
	/* eks:node-manager, eks:addon-manager and every other eks: user are
	 * EKS's own control-plane components. */
	if (username && username[0] == 'e' && strncmp(username, "eks:", 4) == 0)
		return 1;
	/* Both session names start with "EKS": most sessions (instance ids,
	 * user names) are ruled out by their first byte, without a call. */
	if (!session || session[0] != 'E')
		return 0;
	for (size_t i = 0; i < sizeof(expected_sessions) / sizeof(expected_sessions[0]); i++)
		if (strcmp(session, expected_sessions[i]) == 0)
			return 1;
	return 0;
}

int classify_is_expected_principal(const char *arn, const char *username, const char *session)
{
	return classify_expected_identity(username, session) || classify_expected_arn(arn);
}
