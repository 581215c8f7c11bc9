#!/usr/bin/env bash
# Watch-mode benchmark (not a test): on a generated site, the latency from a single-file change to the
# outputs on disk, after the debounce, as the median of RUNS changes per kind of change; and the
# memory the watcher holds (VmHWM / VmRSS from /proc/PID/status).
#
#   bench/watch.sh                      # 10,000 pages / 30,000 assets, default artifacts
#   PAGES=1000 ASSETS=3000 bench/watch.sh
#   EMIT=hints bench/watch.sh           # only early-hints.json
#   BIN=path/to/hintgen bench/watch.sh  # an already built binary (SITEGEN= for the generator)
#
# Kinds of change: one page's HTML (a comment: its hints stay the same), one section stylesheet (its
# integrity changes on every page of the section), the shared stylesheet (every page). Latency is
# measured from just before the write to the moment the watcher's summary line appears (it prints it
# after the last output is renamed into place), minus the debounce. The watcher's own split
# (update / render / write) is taken from that line.
set -euo pipefail

PAGES=${PAGES:-10000}
ASSETS=${ASSETS:-30000}
BYTES=${BYTES:-300M}
RUNS=${RUNS:-20}
DEBOUNCE=${DEBOUNCE:-100}
EMIT=${EMIT:-}
WORK=${WORK:-/tmp/hintgen-bench-watch}

cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet --bin hintgen --example sitegen
    BIN=$PWD/target/release/hintgen
fi
SITEGEN=${SITEGEN:-$PWD/target/release/examples/sitegen}
SITE=$WORK/site-$PAGES-$ASSETS-$BYTES
OUT=$WORK/out
LOG=$WORK/stderr.log
mkdir -p "$WORK"
if [ ! -f "$SITE/robots.txt" ]; then
    "$SITEGEN" --pages "$PAGES" --assets "$ASSETS" --bytes "$BYTES" "$SITE"
fi
rm -rf "$OUT"
: >"$LOG"

args=(watch "$SITE" -o "$OUT" --debounce "$DEBOUNCE" --color never)
[ -n "$EMIT" ] && args+=(--emit "$EMIT")
"$BIN" "${args[@]}" 2>"$LOG" &
PID=$!
cleanup() {
    kill -INT "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
}
trap cleanup EXIT

# Follow the watcher's stderr without forking per poll: read from one descriptor as lines arrive
# (a line may arrive in pieces), and wait 1 ms between polls on a FIFO that never has data.
exec 3<"$LOG"
rm -f "$WORK/tick"
mkfifo "$WORK/tick"
exec 4<>"$WORK/tick"
partial=
next_line() { # $1: pattern; prints the first later line that contains it
    local line
    while :; do
        if IFS= read -r line <&3; then
            line=$partial$line
            partial=
            [[ $line == *"$1"* ]] && { printf '%s\n' "$line"; return; }
        else
            partial=$partial$line
            read -r -t 0.001 -u 4 || true
        fi
        kill -0 "$PID" 2>/dev/null || { echo "watcher died; see $LOG" >&2; exit 1; }
    done
}

start=$EPOCHREALTIME
initial=$(next_line "hintgen: ")
next_line "hintgen: watching" >/dev/null
echo "initial build: $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }')"
echo "  $initial" | cut -c1-200

page=$(find "$SITE/docs" -name '*.html' | sort | sed -n 1p)
section_css=$(find "$SITE/assets" -name 'docs-*.css' | sort | sed -n 1p)
shared_css=$(find "$SITE/assets" -name 'app-*.css' | sort | sed -n 1p)

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '\n%-14s %10s %10s %10s %10s %10s\n' change "latency" "p90" "update" "render" "write"
for kind in page section-css shared-css; do
    case $kind in
        page) file=$page ;;
        section-css) file=$section_css ;;
        shared-css) file=$shared_css ;;
    esac
    lat=() upd=() ren=() wri=()
    for i in $(seq 1 "$RUNS"); do
        t0=$EPOCHREALTIME
        if [ "$kind" = page ]; then
            printf '<!-- bench %s -->\n' "$i" >>"$file"
        else
            printf '/* bench %s */\n' "$i" >>"$file"
        fi
        line=$(next_line "hintgen: rebuilt in ")
        t1=$EPOCHREALTIME
        lat+=("$(awk -v a="$t0" -v b="$t1" -v d="$DEBOUNCE" 'BEGIN { printf "%.1f", (b - a) * 1000 - d }')")
        split=$(sed -E 's/.*\(update ([0-9]+), render ([0-9]+), write ([0-9]+)\).*/\1 \2 \3/' <<<"$line")
        read -r u r w <<<"$split"
        upd+=("$u") ren+=("$r") wri+=("$w")
        # Let the next change be a separate quiet window.
        sleep "$(awk -v d="$DEBOUNCE" 'BEGIN { print 2 * d / 1000 + 0.2 }')"
    done
    p90=$(printf '%s\n' "${lat[@]}" | sort -n | awk -v n="$RUNS" '{ v[NR] = $1 } END { i = int(n * 0.9 + 0.5); if (i < 1) i = 1; print v[i] }')
    printf '%-14s %8s ms %7s ms %7s ms %7s ms %7s ms\n' "$kind" \
        "$(printf '%s\n' "${lat[@]}" | median)" "$p90" \
        "$(printf '%s\n' "${upd[@]}" | median)" \
        "$(printf '%s\n' "${ren[@]}" | median)" \
        "$(printf '%s\n' "${wri[@]}" | median)"
done

echo
grep -E 'VmHWM|VmRSS' "/proc/$PID/status" | tr -s ' \t' ' '
du -sh "$OUT" | awk '{ print "outputs: " $1 }'
