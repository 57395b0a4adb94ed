# gridmesh - see README.md.  `make test` and `make demo` install what is
# missing first (tools/deps.sh), so a fresh Debian machine needs nothing else.

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
SBINDIR = $(PREFIX)/sbin
DATADIR = $(PREFIX)/share/gridmesh
MANDIR = $(PREFIX)/share/man

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS = sqlite3 libsodium msgpack libcoap-3-gnutls inih jansson libzstd
# libcsv has no .pc file on Debian: plain -lcsv

CFLAGS ?= -O2 -g
WARN = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wformat-security \
       -Wno-format-truncation
DEFS = -D_GNU_SOURCE -DGM_DATADIR='"$(DATADIR)"'
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lcsv
ALL_CFLAGS = $(WARN) $(DEFS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
LDLIBS = $(PKG_LIBS) -lm

B = build
# every .c in the library folders is part of libgridmesh; mains live apart
LIB_SRC := $(wildcard proto/*.c sync/*.c node/*.c)
LIB_SRC := $(filter-out node/gridnode.c,$(LIB_SRC))
CTL_SRC := $(wildcard tools/gridctl*.c tools/ctl_*.c)
BENCH_SRC := $(wildcard tools/bench*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)

LIB_OBJ = $(LIB_SRC:%.c=$(B)/obj/%.o)
CTL_OBJ = $(CTL_SRC:%.c=$(B)/obj/%.o)
BENCH_OBJ = $(BENCH_SRC:%.c=$(B)/obj/%.o)
UNIT_OBJ = $(UNIT_SRC:%.c=$(B)/obj/%.o)

# the sanitizer build of everything the unit tests link
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_LIB_OBJ = $(LIB_SRC:%.c=$(B)/asan/%.o)
SAN_UNIT_OBJ = $(UNIT_SRC:%.c=$(B)/asan/%.o)
SAN_CTL_OBJ = $(CTL_SRC:%.c=$(B)/asan/%.o)

.PHONY: all deps test unit unit-asan integration demo bench install clean check-deps
all: $(B)/gridctl $(B)/gridbench $(if $(wildcard node/gridnode.c),$(B)/gridnode)

# V=1 shows the compiler lines
Q = $(if $(V),,@)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC-SAN  $<")
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -c $< -o $@

$(B)/libgridmesh.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/gridctl: $(CTL_OBJ) $(B)/libgridmesh.a
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(B)/gridnode: $(B)/obj/node/gridnode.o $(B)/libgridmesh.a
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(B)/gridbench: $(BENCH_OBJ) $(B)/libgridmesh.a
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(B)/test_unit: $(UNIT_OBJ) $(B)/libgridmesh.a
	$(CC) $(CFLAGS) $^ $(LDLIBS) -lcunit -o $@

$(B)/asan/test_unit: $(SAN_UNIT_OBJ) $(SAN_LIB_OBJ)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $^ $(LDLIBS) -lcunit -o $@

$(B)/asan/gridctl: $(SAN_CTL_OBJ) $(SAN_LIB_OBJ)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $^ $(LDLIBS) -o $@

deps:
	@tools/deps.sh build

# --------------------------------------------------------------------- tests
unit: $(B)/test_unit
	$(B)/test_unit

unit-asan: $(B)/asan/test_unit $(B)/asan/gridctl
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(B)/asan/test_unit

integration: all $(B)/asan/gridctl
	tests/run-integration.sh

test:
	@tools/deps.sh test
	$(MAKE) unit unit-asan integration

demo:
	@tools/deps.sh build
	$(MAKE) all
	tools/demo.sh

bench:
	@tools/deps.sh build
	$(MAKE) all
	tools/bench.sh

# ------------------------------------------------------------------- install
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)
	install -m 755 $(B)/gridctl $(DESTDIR)$(BINDIR)/gridctl
	install -m 755 $(B)/gridnode $(DESTDIR)$(SBINDIR)/gridnode
	install -m 644 data/*.csv $(DESTDIR)$(DATADIR)/

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
