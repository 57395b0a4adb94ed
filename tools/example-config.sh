#!/bin/sh
# example-config.sh [GRIDNODE GRIDCTL] - prints the commented example
# gridnode.conf (dist/gridnode.conf.example): a header, then the settings
# table as `gridnode -n -v` prints it for a new node, every setting
# commented out at its default.  tests/integration/config.sh checks that
# the shipped file is what this prints, so the two cannot drift:
#   tools/example-config.sh > dist/gridnode.conf.example
set -eu
GRIDNODE=${1:-build/gridnode}
GRIDCTL=${2:-build/gridctl}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gridmesh-conf-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
"$GRIDCTL" -d "$tmp/n" init --level street --code 440106012 >/dev/null 2>&1
cat <<'HEAD'
# gridnode.conf - the settings of one gridmesh node, read from
# NODE_DIR/gridnode.conf (see gridnode.conf(5)).
#
# Every setting with its meaning, range and default, as `gridnode -d DIR
# -n -v` prints them; a setting left commented out keeps its default.
# An unknown setting or a bad value is refused with "file:line: why" and
# gridnode does not start; check a file with `gridnode -d DIR -n`.
# `systemctl reload gridnode@CODE` (SIGHUP) applies changes; listen and
# parent take effect at the next restart.
#
# A street office serving its grids, enrolled (DTLS), for instance:
#   [node]
#   listen = coaps://0.0.0.0:5684
#   parent = coaps://district.example:5684

HEAD
"$GRIDNODE" -d "$tmp/n" -n -v | sed -e '1d' -e 's/^\([a-z_]* =\)/#\1/'
