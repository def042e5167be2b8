#!/bin/sh
# Builds the seed corpora for the libFuzzer targets:
#   fuzz/seeds.sh [DIR]     (DIR defaults to the fuzz/ directory of this tree)
# creates DIR/corpus-<target>/ (gitignored) for parse, reader, results, csv
# and classify from whatever exists under fixtures/ plus the hand-written
# seeds committed in fuzz/seeds/<target>/; awsconfig, credprocess, eks,
# clientmsg, esc and k8s get their committed seeds only (AWS files, what
# clients print and values to escape, not log data: kept out of the rest),
# kubeconfig and awsauth their seeds plus fixtures/kubeconfig/ and
# fixtures/aws-auth/:
#   parse     one file per log line (bare logrus lines, and the same lines
#             with any stern/kubectl/S3 prefix cut off)
#   classify  one file per error="..." text (roughly unquoted) and per ARN
#   reader    whole files (first 1 MiB)
#   results   whole files that are JSON documents (first 64 KiB)
#   csv       whole files whose first line names @message (first 64 KiB)
#   awsconfig   fuzz/seeds/awsconfig/ (config, a NUL byte, credentials)
#   credprocess fuzz/seeds/credprocess/ (credential_process answers, commands)
#   eks         fuzz/seeds/eks/ (EKS answers: ListClusters, DescribeCluster, access entries)
#   clientmsg   fuzz/seeds/clientmsg/ (kubectl / AWS CLI / SDK messages, pasted typography)
#   esc         fuzz/seeds/esc/ (values to escape: shell, controls, bidi, markdown)
#   k8s         fuzz/seeds/k8s/ (SelfSubjectReview answers, a cluster CA in base64)
#   kubeconfig  fuzz/seeds/kubeconfig/ and fixtures/kubeconfig/ (kubeconfig files)
#   awsauth     fuzz/seeds/awsauth/ and fixtures/aws-auth/ (aws-auth ConfigMaps, YAML and JSON)
#   logs        fuzz/seeds/logs/ (CloudWatch Logs answers: queryId, groups, streams, FilterLogEvents)
#   raw         the parse lines, and fuzz/seeds/raw/ (lines whose values repeat or hold controls)
# Files are only ever added (libFuzzer's own finds are kept); rerun after
# the fixtures change.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${1:-$here}
fixtures=$root/fixtures
seeds=$here/seeds
max_lines=4000 # per line-based corpus, spread over all fixture lines

for t in parse reader results csv classify awsconfig credprocess eks clientmsg esc k8s kubeconfig awsauth logs raw; do
	mkdir -p "$out/corpus-$t"
	if [ -d "$seeds/$t" ]; then
		find "$seeds/$t" -type f -exec cp {} "$out/corpus-$t/" \;
	fi
done
for f in "$fixtures"/kubeconfig/*.yaml; do
	if [ -f "$f" ]; then cp "$f" "$out/corpus-kubeconfig/fx-$(basename "$f")"; fi
done
for f in "$fixtures"/aws-auth/*.yaml "$fixtures"/aws-auth/*.json; do
	if [ -f "$f" ]; then cp "$f" "$out/corpus-awsauth/fx-$(basename "$f")"; fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Every input file: fixtures (if any yet) and the committed whole-file seeds.
{
	if [ -d "$fixtures" ]; then
		# log data only: not the generators or notes that live beside it
		find "$fixtures" -type f ! -name '.*' ! -name '*.gz' ! -name '*.zst' \
			! -name '*.py' ! -name '*.sh' ! -name '*.md' ! -name 'README*' \
			! -path "$fixtures/kubeconfig/*" ! -path "$fixtures/aws-auth/*"
	fi
	find "$seeds" -type f ! -path "$seeds/awsconfig/*" ! -path "$seeds/credprocess/*" ! -path "$seeds/eks/*" \
		! -path "$seeds/clientmsg/*" ! -path "$seeds/esc/*" ! -path "$seeds/k8s/*" ! -path "$seeds/kubeconfig/*" \
		! -path "$seeds/awsauth/*" ! -path "$seeds/logs/*"
} | LC_ALL=C sort >"$tmp/files"

n=0
while IFS= read -r f; do
	n=$((n + 1))
	name=$(printf '%s' "${f#"$root"/}" | tr '/ ' '__')
	head -c 1048576 "$f" >"$out/corpus-reader/fx-$name"
	# First line without BOM and leading blanks, to tell the shape.
	first=$(head -c 4096 "$f" | sed -e '1s/^\xEF\xBB\xBF//' | tr -d '\r' | sed -n '/[^[:space:]]/{p;q;}')
	case $first in
	'{"log":'*) ;; # docker json-file: line mode
	[[:space:]]*'{'* | '{'*) head -c 65536 "$f" >"$out/corpus-results/fx-$name" ;;
	esac
	case $first in
	*@message*) head -c 65536 "$f" >"$out/corpus-csv/fx-$name" ;;
	esac
	case $f in
	*.csv) head -c 65536 "$f" >"$out/corpus-csv/fx-$name" ;;
	esac
	# Lines, CR-stripped, for parse and classify.
	tr -d '\r' <"$f" >>"$tmp/lines" || true
	printf '\n' >>"$tmp/lines"
done <"$tmp/files"

# Logrus lines as they come, plus with a transport prefix cut off, plus the
# @message of docker / JSON / CSV wrappers roughly unwrapped.
{
	cat "$tmp/lines"
	sed -n 's/^[^"]*[ ,"]\(time=\\*"\)/\1/p; s/^[^"]*[ ,"]\(level=\)/\1/p' "$tmp/lines" |
		sed 's/\\"/"/g; s/""/"/g; s/\\n",.*$//; s/",*$//'
} | awk 'length($0) > 0 && length($0) <= 65536' | LC_ALL=C sort -u >"$tmp/parse"

# Error texts (the error="..." value, Go %q roughly undone) and ARNs.
{
	grep -ao 'error=\\*"\([^"\\]\|\\[^"]\|\\"\)*"' "$tmp/parse" |
		sed -e 's/^error=\\*"//' -e 's/\\*"$//' -e 's/\\\(["\\]\)/\1/g' || true
	grep -ao 'arn:aws[a-z-]*:[a-z]*::[^" ,\\]*' "$tmp/lines" || true
} | awk 'length($0) > 0' | LC_ALL=C sort -u >"$tmp/classify"

# Writes at most $max_lines lines of $1, evenly spread, one file each.
split_lines() {
	total=$(wc -l <"$1")
	awk -v dir="$2" -v total="$total" -v max="$max_lines" '
		BEGIN { step = total > max ? total / max : 1; next_pick = 0 }
		NR - 1 >= next_pick {
			f = sprintf("%s/line-%06d", dir, NR)
			printf "%s", $0 > f
			close(f)
			next_pick += step
		}' "$1"
}
# A line of exactly READER_MAX_LINE bytes: the overlong-line path, which no
# small file reaches (run.sh allows the reader inputs of 1 MiB).
if [ ! -f "$out/corpus-reader/gen-overlong" ]; then
	{ printf 'time="2022-12-26T20:46:48Z" level=info msg="access granted" arn='
	  head -c 1048576 /dev/zero | tr '\0' a; } | head -c 1048576 >"$out/corpus-reader/gen-overlong"
fi

split_lines "$tmp/parse" "$out/corpus-parse"
split_lines "$tmp/parse" "$out/corpus-raw"
split_lines "$tmp/classify" "$out/corpus-classify"

echo "seeds: $n input files"
for t in parse reader results csv classify awsconfig credprocess eks clientmsg esc k8s kubeconfig awsauth logs raw; do
	printf '  %-11s %6d files in %s\n' "$t" "$(find "$out/corpus-$t" -type f | wc -l)" "$out/corpus-$t"
done
