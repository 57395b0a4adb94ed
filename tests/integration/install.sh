# make install into a DESTDIR: binaries, man pages, the systemd unit and its
# sysusers/tmpfiles companions, docs and the example config land where they
# belong; the man pages render without warnings and name every gridctl
# command and option, every gridnode option and every setting; the unit
# passes systemd-analyze verify (when systemd-analyze is there).
. "$(dirname "$0")/lib.sh"

top=${GM_TOP:?run me from tests/run-integration.sh}
D=$T/root
say "make install DESTDIR=... (default PREFIX: nothing is rebuilt)"
make -s -C "$top" install DESTDIR="$D" >"$T/install.out" 2>&1 || { cat "$T/install.out"; fail "make install"; }
P=$D/usr/local
for f in bin/gridctl sbin/gridnode; do
	[ -x "$P/$f" ] || fail "$f not installed executable"
done
for f in share/man/man1/gridctl.1 share/man/man5/gridnode.conf.5 share/man/man8/gridnode.8 \
	lib/systemd/system/gridnode@.service lib/sysusers.d/gridmesh.conf lib/tmpfiles.d/gridmesh.conf \
	share/doc/gridmesh/gridnode.conf.example share/doc/gridmesh/operations.md \
	share/gridmesh/gbt30428-events.csv; do
	[ -f "$P/$f" ] || fail "$f not installed"
	[ "$(stat -c %a "$P/$f")" = 644 ] || fail "$f is not 0644"
done
U=$P/lib/systemd/system/gridnode@.service
grep -q '^ExecStart=/usr/local/sbin/gridnode -d /var/lib/gridmesh/%i$' "$U" || fail "unit ExecStart"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$U" || fail "unit ExecReload"
for k in Type=simple User=gridmesh Restart=on-failure RestartPreventExitStatus=78 \
	ProtectSystem=strict PrivateTmp=yes NoNewPrivileges=yes StateDirectory=gridmesh/%i; do
	grep -qx "$k" "$U" || fail "unit lacks $k"
done
grep -q '@' "$P/lib/sysusers.d/gridmesh.conf" && fail "placeholder left in sysusers"
grep -q '^u gridmesh ' "$P/lib/sysusers.d/gridmesh.conf" || fail "sysusers"
grep -q '^d /var/lib/gridmesh 0750 gridmesh gridmesh' "$P/lib/tmpfiles.d/gridmesh.conf" || fail "tmpfiles"

say "the installed binaries run"
[ "$("$P/bin/gridctl" --version)" = "$(gridctl --version)" ] || fail "installed gridctl"
"$P/sbin/gridnode" --version | grep -q "^gridnode " || fail "installed gridnode"

say "man pages render without warnings"
if command -v man >/dev/null 2>&1; then
	for m in man1/gridctl.1 man5/gridnode.conf.5 man8/gridnode.8; do
		LC_ALL=C MANWIDTH=80 man --warnings -l "$P/share/man/$m" >"$T/page" 2>"$T/warn" ||
			fail "man -l $m"
		[ ! -s "$T/warn" ] || { cat "$T/warn"; fail "$m renders with warnings"; }
		[ "$(wc -l <"$T/page")" -gt 40 ] || fail "$m renders almost nothing"
	done
else
	echo "(man-db not installed: rendering not checked)"
fi

# the roff source as text: fonts and escapes gone, so words can be found
plain() { sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\e/\\/g' "$1"; }
plain "$top/man/gridctl.1" >"$T/gridctl.txt"
plain "$top/man/gridnode.8" >"$T/gridnode.txt"
plain "$top/man/gridnode.conf.5" >"$T/conf.txt"

say "gridctl(1) names every command of gridctl's table, with every option"
python3 - "$top/tools/gridctl.c" "$T/gridctl.txt" <<'EOF' || fail "gridctl(1) is incomplete"
import re, sys
src = open(sys.argv[1]).read()
page = open(sys.argv[2]).read()
table = src[src.index("static const struct ctl_cmd cmds[]"):]
table = table[:table.index("};")]
missing = []
n = 0
for m in re.finditer(r'\{\s*"([a-z-]+)",\s*(?:"([a-z-]+)"|NULL),\s*cmd_\w+,\s*((?:"[^"]*"\s*)+),', table):
    n += 1
    cmd = m.group(1) + (" " + m.group(2) if m.group(2) else "")
    if not re.search(r"^\.B " + re.escape(cmd) + r"\b", page, re.M):
        missing.append("command " + cmd)
    usage = "".join(re.findall(r'"([^"]*)"', m.group(3)))
    for opt in set(re.findall(r"--[a-z][a-z-]*", usage)):
        if opt not in page:
            missing.append(cmd + " " + opt)
# global options, from main()'s parser
for opt in set(re.findall(r'"(--[a-z][a-z-]*)', src[src.index("int main("):])):
    opt = opt.rstrip("=")
    if opt not in page:
        missing.append("global " + opt)
assert n > 30, "parsed only %d commands" % n
if missing:
    print("\n".join(missing))
    sys.exit(1)
print("%d commands checked" % n)
EOF

say "gridnode(8) names every option of gridnode's usage"
for o in $(gridnode --help | grep -o -- '--\?[a-z][a-z-]*' | sort -u); do
	grep -q -- "$o" "$T/gridnode.txt" || fail "gridnode(8) lacks $o"
done
for o in --config --check --verbose --version SIGHUP SIGTERM JOURNAL_STREAM 78; do
	grep -q -- "$o" "$T/gridnode.txt" || fail "gridnode(8) lacks $o"
done

say "gridnode.conf(5) documents every section and setting gridnode knows"
mknode n street 440106012
gridnode -d "$T/n" -n -v >"$T/dump"
sections=$(sed -n 's/^\[\([a-z]*\)\]$/\1/p' "$T/dump")
[ -n "$sections" ] || fail "no sections in gridnode -n -v"
for s in $sections; do
	grep -q "^\.SH \"\[$s\]\"" "$T/conf.txt" || fail "gridnode.conf(5) lacks [$s]"
done
keys=$(sed -n 's/^\([a-z_]*\) =.*/\1/p' "$T/dump")
[ "$(echo "$keys" | wc -l)" -gt 10 ] || fail "too few keys in gridnode -n -v"
for k in $keys; do
	grep -q "^\.BI $k \" = " "$T/conf.txt" || fail "gridnode.conf(5) lacks $k"
done

say "the unit passes systemd-analyze verify"
if command -v systemd-analyze >/dev/null 2>&1; then
	# the unit as installed, but pointing at the DESTDIR's binary (verify
	# checks it exists) and finding the DESTDIR's man pages
	mkdir -p "$T/units"
	sed "s|/usr/local/sbin/gridnode|$P/sbin/gridnode|" "$U" >"$T/units/gridnode@.service"
	MANPATH=$P/share/man systemd-analyze verify "$T/units/gridnode@440106012.service" \
		>"$T/verify" 2>&1 || { cat "$T/verify"; fail "systemd-analyze verify"; }
	[ ! -s "$T/verify" ] || { cat "$T/verify"; fail "systemd-analyze verify complains"; }
else
	echo "(systemd-analyze not installed: unit not verified)"
fi

say "make uninstall removes it all again"
make -s -C "$top" uninstall DESTDIR="$D" >/dev/null 2>&1 || fail "make uninstall"
left=$(find "$D" -type f | wc -l)
assert_eq "$left" 0 "files left after uninstall"
echo ok
