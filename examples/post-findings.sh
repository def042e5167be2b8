#!/bin/sh
# Post what the last scan or import found for the first time to a chat
# channel through a Slack-compatible incoming webhook (Slack, Mattermost,
# Rocket.Chat and Discord's /slack endpoint all take {"text": "..."}).
#
#   AUTHLOG_WEBHOOK_URL=https://hooks.slack.com/services/T000/B000/XXXX \
#       examples/post-findings.sh [REPORT OPTIONS...]
#
# Run it after `authlog-scan scan` (cron, the systemd timer). Each line is
#   cluster class principal count first-fix-command
# (report --format lines; the values of the command are validated and
# shell-quoted). Nothing new: nothing is posted. The webhook URL is a
# secret: keep it in the environment or a file only you can read, not in
# the crontab itself. Needs curl and jq (which builds the JSON exactly,
# whatever the log values hold).
set -eu

: "${AUTHLOG_WEBHOOK_URL:?set AUTHLOG_WEBHOOK_URL to the incoming webhook URL}"
AUTHLOG_SCAN=${AUTHLOG_SCAN:-authlog-scan}

lines=$("$AUTHLOG_SCAN" report --format lines "$@")
[ -n "$lines" ] || exit 0

# Slack shows at most 40,000 characters of text; a long list is cut there.
printf '%s\n' "$lines" |
	jq -Rs '{text: ("authlog-scan: new EKS authentication findings\n```\n" + .[0:39000] + "```")}' |
	curl --silent --show-error --fail --max-time 30 \
		-H 'Content-Type: application/json' --data-binary @- "$AUTHLOG_WEBHOOK_URL" >/dev/null
