#!/usr/bin/env bash
# A CI step that previews what a change to owner manifests would reap, before it merges:
# `reaper plan --owners-from DIR` compares the runtime with the owners the branch declares, and
# removes nothing (a plan is always a dry run).
#
#   examples/ci/reaper-plan.sh POLICY_FILE OWNERS_DIR [OUT_DIR]
#
# Writes OUT_DIR (default reaper-plan/): plan.json (for review, or for `reaper apply` later),
# plan.txt (the table) and summary.md (for the pull request; appended to $GITHUB_STEP_SUMMARY when
# that is set). Environment:
#   REAPER            the reaper command (default: reaper), e.g. "node /opt/reaper/dist/controllers/main.js"
#   DOCKER_HOST       the engine the policy reaps (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for tcp://)
#   REAPER_PLAN_MAX   fail when more than this many resources would be reaped (default: never)
# Exit: 0 the plan is fine; 2 reaper would be blocked or is blind (fix before merging); 3 more than
# REAPER_PLAN_MAX would be reaped; 64 the policy or a manifest is invalid.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 POLICY_FILE OWNERS_DIR [OUT_DIR]" >&2
  exit 64
fi
policy=$1
owners=$2
out=${3:-reaper-plan}
read -r -a reaper <<<"${REAPER:-reaper}"
mkdir -p "$out"

code=0
"${reaper[@]}" plan --policy "$policy" --owners-from "$owners" --out "$out/plan.json" --format table \
  >"$out/plan.txt" || code=$?
cat "$out/plan.txt"
case $code in
  0 | 1) ;;
  2)
    echo "reaper-plan: reaper would reap nothing: the sweep is blocked by the blast-radius guard or cannot see every owner (see above)" >&2
    ;;
  *)
    echo "reaper-plan: reaper plan failed (exit $code)" >&2
    exit "$code"
    ;;
esac

# The numbers a reviewer needs, from the plan file (node is there wherever reaper runs): summary.md,
# and on stdout how many resources would be reaped now or after the grace period.
# shellcheck disable=SC2016 # JavaScript, not shell
would_reap=$(node --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs";
  const [planFile, summaryFile] = process.argv.slice(1);
  const plan = JSON.parse(readFileSync(planFile, "utf8"));
  const { report, selected } = plan;
  const kinds = Object.entries(report.counts);
  const sum = (field) => kinds.reduce((n, [, c]) => n + (c[field] ?? 0), 0);
  const lines = [
    `### reaper plan: ${report.policy}`,
    "",
    `Outcome **${report.outcome}** with ${report.liveOwners} live owners from the manifests.`,
    "",
    "| kind | attributable | out of scope | orphaned | would reap now | after the grace period |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...kinds.map(([kind, c]) => {
      const now = selected.filter((item) => `${item.resource.kind}s` === kind).length;
      return `| ${kind} | ${c.attributable} | ${c.outOfScope ?? 0} | ${c.orphaned} | ${now} | ${c.pending} |`;
    }),
  ];
  // Matched by the policy but not labelled into its scope (owner kind or namespace): never reaped.
  if (sum("outOfScope") > 0)
    lines.push(
      "",
      `${sum("outOfScope")} resources match the policy but their labels do not place their owner in its scope ` +
        "(reaper.dev/owner-kind, reaper.dev/owner-namespace): reaper leaves them alone; plan.txt says why.",
    );
  if (selected.length > 0) {
    lines.push("", "| would reap | name | owner key |", "| --- | --- | --- |");
    for (const item of selected.slice(0, 50)) {
      lines.push(`| ${item.resource.kind} | ${item.resource.name} | ${item.ownerKey ?? "-"} |`);
    }
    if (selected.length > 50) lines.push("", `… and ${selected.length - 50} more (plan.json has them all)`);
  }
  writeFileSync(summaryFile, lines.join("\n") + "\n");
  console.log(selected.length + sum("pending"));
' "$out/plan.json" "$out/summary.md")
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"; fi

if [ "$code" -eq 2 ]; then exit 2; fi
if [ -n "${REAPER_PLAN_MAX:-}" ] && [ "$would_reap" -gt "$REAPER_PLAN_MAX" ]; then
  echo "reaper-plan: this change would reap $would_reap resources, more than REAPER_PLAN_MAX=$REAPER_PLAN_MAX: review $out/plan.txt" >&2
  exit 3
fi
echo "reaper-plan: $would_reap resources would be reaped once this change is applied (now or after the grace period)"
