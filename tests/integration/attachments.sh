# Photos on tickets: the blob follows its record up the tree, in chunks
# that resume after a kill, is refused and sent again when corrupt, and
# flows down eagerly or lazily (on first read) as configured.
. "$(dirname "$0")/lib.sh"

mknode d district 440106
mknode s street 440106012 d
mknode g grid 440106012001001 s
mknode g2 grid 440106012001002 s
printf '[blobs]\nfetch = lazy\n' >>"$T/g2/gridnode.conf"

hashof() { b2sum -l 256 "$1" | cut -d' ' -f1; }
blobfile() { echo "$T/$1/blobs/$(echo "$2" | cut -c1-2)/$2"; }
has_blob() { [ -f "$(blobfile "$1" "$2")" ] && cmp -s "$(blobfile "$1" "$2")" "$3"; }

head -c 700000 /dev/urandom >"$T/photo.jpg"
head -c 3000000 /dev/urandom >"$T/video.mp4"
P=$(hashof "$T/photo.jpg")
V=$(hashof "$T/video.mp4")

say "a grid worker attaches a photo offline"
A=$(ctl "$T/g" ticket add --category 0102 --title "overflowing bin")
assert_eq "$(ctl "$T/g" ticket attach "$A" "$T/photo.jpg" --mime image/jpeg)" "$P" "blob name"
# the same bytes twice: stored once
ctl "$T/g" ticket attach "$A" "$T/photo.jpg" >/dev/null
assert_eq "$(find "$T/g/blobs" -type f | wc -l)" 1 "deduplicated"
expect_fail ctl "$T/g" ticket attach "$A" "$T/nonexistent.jpg"

say "a corrupt partial copy at the street is refused and the blob sent again"
mkdir -p "$(dirname "$(blobfile s "$P")")"
head -c 699999 /dev/urandom >"$(blobfile s "$P").part"

start d; start s; start g; start g2
wait_for 30 has_blob s "$P" "$T/photo.jpg" || fail "the photo did not reach the street intact"
wait_for 30 has_blob d "$P" "$T/photo.jpg" || fail "the photo did not reach the district"
ctl "$T/s" status | grep -q "corrupt blob" || fail "the corrupt copy was not counted"

say "a large blob resumes after the street is killed mid-transfer"
ctl "$T/g" ticket attach "$A" "$T/video.mp4" >/dev/null
wait_for 30 test -f "$(blobfile s "$V").part" || fail "the transfer never started"
stop s KILL
part=$(stat -c %s "$(blobfile s "$V").part")
echo "partial copy at the street: $part bytes"
start s
wait_for 60 has_blob s "$V" "$T/video.mp4" || fail "the video did not resume"
grep -q "blob .* complete" "$T/s.log" || true

say "down: eager by default, lazy when configured"
B=$(ctl "$T/d" ticket add --category 0401 --title "collapse" --scope 440106012001002)
Q=$(ctl "$T/d" ticket attach "$B" "$T/photo.jpg")
C=$(ctl "$T/d" ticket add --category 0401 --title "collapse too" --scope 440106012001001)
ctl "$T/d" ticket attach "$C" "$T/video.mp4" >/dev/null
wait_for 30 has_blob g "$V" "$T/video.mp4" || fail "eager grid did not fetch the attachment"
wait_for 20 sh -c "'$GRIDCTL' -d '$T/g2' ticket show '$B' >/dev/null 2>&1" || fail "ticket not at g2"
# the attachment record is its own change and may come a round later
wait_for 20 sh -c "[ \"\$(sqlite3 '$T/g2/gridmesh.db' \"SELECT count(*) FROM attachment WHERE ticket = '$B'\")\" = 1 ]" ||
	fail "attachment record not at g2"
sleep 1
[ -f "$(blobfile g2 "$Q")" ] && fail "a lazy grid fetched before being asked"
mkdir -p "$T/out"
ctl "$T/g2" ticket fetch "$B" --out "$T/out"
cmp "$T/out/photo.jpg" "$T/photo.jpg" || fail "fetched photo differs"
echo ok
