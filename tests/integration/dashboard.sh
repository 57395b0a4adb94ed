# The dashboard for real: the LA 311 requests in a city node, the page
# written, then rendered by headless Chromium: it must make a screenshot,
# run its script without an error, fetch nothing and escape what it shows.
. "$(dirname "$0")/lib.sh"

command -v chromium >/dev/null || fail "chromium is not installed (tools/deps.sh test installs it)"
LA=${GRIDMESH_DATA:-$GM_TOP/data}/la311-2020-01-requests.csv
C=$T/city
ctl "$C" init --level city --code 4401 >/dev/null
ctl "$C" calendar set utc_offset=-08:00 >/dev/null
ctl "$C" import-csv "$LA" >/dev/null
# a title that would be markup if the page did not escape it, overdue so it is listed
ctl "$C" ticket add --category 0102 --title '<script>alert("x")</script> & <b>bold</b>' \
	--scope 440101001001001 --deadline 1577836800 --lat 34.05 --lon -118.25 >/dev/null

say "write the page"
ctl "$C" dashboard -o "$T/dash.html" --now 1578153600
size=$(wc -c <"$T/dash.html")
echo "dashboard: $size bytes"
[ "$size" -gt 50000 ] || fail "page too small"
for id in kpi-tickets kpi-overdue kpi-closure_rate kpi-on_time_rate by-status by-category \
	per-day overdue-table grid-table map; do
	grep -q "id=\"$id\"" "$T/dash.html" || fail "no #$id on the page"
done
grep -q '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;' \
	"$T/dash.html" || fail "title not escaped"
if grep -q '<script>alert' "$T/dash.html"; then fail "raw markup from the store"; fi
# self-contained: nothing to fetch
if grep -Eiq '(src|href)=|url\(|https?://|@import' "$T/dash.html"; then
	fail "the page refers to something outside itself"
fi
[ "$(grep -c '<script>' "$T/dash.html")" = 1 ] || fail "one inline script only"
grep -q '<circle' "$T/dash.html" || fail "no points on the map"

say "render it in headless Chromium"
chrome() {
	prof=$(mktemp -d "$T/chrome-XXXXXX")
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --user-data-dir="$prof" "$@" "file://$T/dash.html"
}
chrome --screenshot="$T/dash.png" --window-size=1280,2000 \
	--enable-logging=stderr --v=0 >"$T/shot.out" 2>"$T/shot.log" ||
	{ cat "$T/shot.log"; fail "chromium failed"; }
[ -s "$T/dash.png" ] || fail "no screenshot"
head -c 8 "$T/dash.png" | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a" || fail "not a PNG"
png=$(wc -c <"$T/dash.png")
echo "screenshot: $png bytes"
[ "$png" -gt 30000 ] || fail "the screenshot is nearly empty ($png bytes)"
if grep -E "Uncaught|SyntaxError|ReferenceError|TypeError" "$T/shot.log"; then
	fail "script error in the page"
fi
chrome --dump-dom >"$T/dom.html" 2>"$T/dom.log" || { cat "$T/dom.log"; fail "dump-dom failed"; }
grep -q 'data-gm-ready="1"' "$T/dom.html" || fail "the inline script did not run"
grep -q "tables: 2 sortable" "$T/dom.html" || fail "the script did not find the tables"
echo "dashboard: ok"
