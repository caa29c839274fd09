#!/usr/bin/env bash
# The extension kit, end to end (run by scripts/test.sh and CI):
# 1. Examples/SlackChannel, a separate package that adds a Slack channel: its tests, and
#    its `slack-connector` checking the example's configuration;
# 2. `swift package new-adapter`: providers scaffolded into a copy of that package (Swift
#    on a channel of one's own and on email, declarative files on SMS and push), whose
#    generated tests must pass without edits.
# Both share this checkout's .build, so only their own modules compile.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=(--scratch-path "$root/.build")

swift build --package-path Examples/SlackChannel "${build[@]}" --build-tests
swift test --package-path Examples/SlackChannel "${build[@]}" --skip-build
(cd Examples/SlackChannel && CONNECTOR_STORE=/nonexistent/never-opened.sqlite CONNECTOR_PORT=0 \
    CONNECTOR_API_KEY=example-api-key-0123456789 CONNECTOR_TRACKING_KEY=0123456789abcdef0123456789abcdef \
    SLACK_TOKEN=xoxb-check SLACK_BASE_URL=http://127.0.0.1:9 "$root/.build/debug/slack-connector" check --config connector.yaml)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/SlackChannel"
(cd Examples/SlackChannel && tar --exclude=.build --exclude=Package.resolved -cf - .) | tar -xf - -C "$work/SlackChannel"
export CONNECTOR_PACKAGE_PATH="$root"
scaffolds=("pager-gateway --channel pager" "acme-mail --channel email" "acme-sms --channel sms --declarative" "acme-push --channel push --declarative")
for arguments in "${scaffolds[@]}"; do
    # shellcheck disable=SC2086
    swift package --package-path "$work/SlackChannel" "${build[@]}" --allow-writing-to-package-directory new-adapter $arguments
done
swift build --package-path "$work/SlackChannel" "${build[@]}" --build-tests
out=$(swift test --package-path "$work/SlackChannel" "${build[@]}" --skip-build --filter 'PagerGateway|AcmeMail|AcmeSms|AcmePush' 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^(✔|✘) (Suite|Test run)' || true
for suite in "pager-gateway provider" "acme-mail provider" "acme-sms provider file" "acme-push provider file"; do
    grep -qF "Suite \"$suite\" passed" <<<"$out" || { echo "the scaffolded suite '$suite' did not pass" >&2; echo "$out" >&2; exit 1; }
done
echo "scaffolded adapters pass their generated tests"
