# podflow — one GNU Makefile for both programs, their tests and benchmarks.
#
#   make                 build podflow-capture and podflow-analyze under build/
#   make analyze         build the analyzer alone (needs neither libpcap nor libnl)
#   make test            unit + integration tests, then unit tests under ASan+UBSan
#   make demo            run the sample case end to end
#   make bench           print performance figures (never a timed test)
#   make install         PREFIX=/usr/local DESTDIR=
#   make deps            install the Debian -dev packages the build needs
#
# CFLAGS are composed from named parts (STD, WARN, OPT, DEBUG) plus the
# user's own CFLAGS; DEVELOPER=1 or CI=<anything> adds -Werror;
# SANITIZE=address,undefined builds an instrumented tree under build/san.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
CC         ?= cc
PKG_CONFIG ?= pkg-config

ifdef SANITIZE
B          ?= build/san
else
B          ?= build
endif

STD      := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wvla -Wwrite-strings -Wformat=2 -Wundef \
            -fno-common
OPT      ?= -O2
DEBUG    ?= -g
ifneq ($(strip $(DEVELOPER)$(CI)),)
WARN     += -Werror
endif
ifdef SANITIZE
DEBUG    += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT      := -O1
endif

# Quiet by default, like git and Linux: V=1 shows the commands.
ifeq ($(V),1)
Q :=
q  =
else
Q := @
q  = printf '  %-7s %s\n' $(1) $@;
endif

# Third-party headers are system headers: their warnings are not ours.
pc_cflags = $(patsubst -I%,-isystem %,$(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null))
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

COMMON_PKGS  := sqlite3 yaml-0.1
CAPTURE_PKGS := libpcap libnl-3.0 libnl-route-3.0 libnl-nf-3.0
ANALYZE_PKGS :=
TEST_PKGS    := cmocka

ALL_CFLAGS = $(STD) $(WARN) $(OPT) $(DEBUG) -MMD -MP -I. -I$(B)/gen \
             -DPODFLOW_VERSION='"$(VERSION)"' $(CFLAGS)
LDFLAGS_SAN = $(if $(SANITIZE),-fsanitize=$(SANITIZE))

COMMON_SRC  := $(sort $(wildcard common/*.c))
CAPTURE_SRC := $(sort $(filter-out capture/main.c,$(wildcard capture/*.c)))
ANALYZE_SRC := $(sort $(filter-out analyze/main.c,$(wildcard analyze/*.c)))
TEST_SRC    := $(sort $(wildcard tests/test_*.c))

COMMON_OBJ  := $(COMMON_SRC:%.c=$(B)/%.o) $(B)/gen/schema_sql.o
CAPTURE_OBJ := $(CAPTURE_SRC:%.c=$(B)/%.o)
ANALYZE_OBJ := $(ANALYZE_SRC:%.c=$(B)/%.o)

# Unit tests see static functions marked TESTABLE (common/testable.h), so
# their objects are compiled apart, with -DPODFLOW_TEST.
T := $(B)/t
TCOMMON_OBJ  := $(COMMON_SRC:%.c=$(T)/%.o) $(B)/gen/schema_sql.o
TCAPTURE_OBJ := $(CAPTURE_SRC:%.c=$(T)/%.o)
TANALYZE_OBJ := $(ANALYZE_SRC:%.c=$(T)/%.o)
TEST_BIN     := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TEST_HELPERS := $(sort $(wildcard tests/helpers/*.c))
THELP_OBJ    := $(TEST_HELPERS:%.c=$(T)/%.o)

CAPTURE_BIN := $(B)/podflow-capture
ANALYZE_BIN := $(B)/podflow-analyze

.PHONY: all capture analyze test unit unit-san integration demo bench fuzz \
        deps deps-analyze install clean
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SECONDARY:

all: capture analyze
capture: $(CAPTURE_BIN)
analyze: $(ANALYZE_BIN)

# --- the embedded schema: schema.sql is its only source -------------------
$(B)/gen/schema_sql.c: schema.sql tools/embed.sh
	@mkdir -p $(@D)
	$(Q)$(call q,GEN)sh tools/embed.sh db_schema_sql < $< > $@.tmp && mv $@.tmp $@

$(B)/gen/schema_sql.o: $(B)/gen/schema_sql.c
	$(Q)$(call q,CC)$(CC) $(STD) $(OPT) -c -o $@ $<

# --- objects ----------------------------------------------------------------
$(B)/common/%.o: common/%.c
	@mkdir -p $(@D)
	$(Q)$(call q,CC)$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(COMMON_PKGS)) -c -o $@ $<
$(B)/capture/%.o: capture/%.c
	@mkdir -p $(@D)
	$(Q)$(call q,CC)$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(COMMON_PKGS) $(CAPTURE_PKGS)) -c -o $@ $<
$(B)/analyze/%.o: analyze/%.c
	@mkdir -p $(@D)
	$(Q)$(call q,CC)$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(COMMON_PKGS) $(ANALYZE_PKGS)) -c -o $@ $<
$(T)/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(call q,CC)$(CC) $(ALL_CFLAGS) -DPODFLOW_TEST \
	    $(call pc_cflags,$(COMMON_PKGS) $(CAPTURE_PKGS) $(TEST_PKGS)) -c -o $@ $<

# The packet decoders and flow table take -Wconversion on top of WARN: they
# do the byte and length arithmetic on untrusted input.
CONV_OBJ := $(foreach o,decode flow_table flow_state,$(B)/capture/$(o).o $(T)/capture/$(o).o)
$(CONV_OBJ): CFLAGS += -Wconversion -Wsign-conversion

# An archive of no objects is still a valid (empty) archive.
mkar = @mkdir -p $(@D); rm -f $@; $(if $(Q),printf '  %-7s %s\n' AR $@;) $(if $^,$(AR) rcs $@ $^,printf '!<arch>\n' > $@)

$(B)/libcommon.a: $(COMMON_OBJ)
	$(mkar)
$(B)/libcapture.a: $(CAPTURE_OBJ)
	$(mkar)
$(B)/libanalyze.a: $(ANALYZE_OBJ)
	$(mkar)
$(T)/libcommon.a: $(TCOMMON_OBJ)
	$(mkar)
$(T)/libcapture.a: $(TCAPTURE_OBJ)
	$(mkar)
$(T)/libanalyze.a: $(TANALYZE_OBJ)
	$(mkar)

# --- programs ---------------------------------------------------------------
$(CAPTURE_BIN): $(B)/capture/main.o $(B)/libcapture.a $(B)/libcommon.a
	$(Q)$(call q,LINK)$(CC) $(LDFLAGS_SAN) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(COMMON_PKGS) $(CAPTURE_PKGS)) -lm
$(ANALYZE_BIN): $(B)/analyze/main.o $(B)/libanalyze.a $(B)/libcommon.a
	$(Q)$(call q,LINK)$(CC) $(LDFLAGS_SAN) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(COMMON_PKGS) $(ANALYZE_PKGS)) -lm

# --- tests --------------------------------------------------------------------
# Every test binary links all three libraries; the archive linker pulls in
# only what a test uses.
$(B)/tests/%: $(T)/tests/%.o $(THELP_OBJ) $(T)/libanalyze.a $(T)/libcapture.a $(T)/libcommon.a
	@mkdir -p $(@D)
	$(Q)$(call q,LINK)$(CC) $(LDFLAGS_SAN) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(COMMON_PKGS) $(CAPTURE_PKGS) $(ANALYZE_PKGS) $(TEST_PKGS)) -lm

unit: $(TEST_BIN)
	@LABEL=$(if $(SANITIZE),unit-san,unit) sh tests/run-unit.sh $(TEST_BIN)

integration: all $(TEST_BIN)
	@B=$(B) sh tests/run-integration.sh

unit-san:
	@$(MAKE) --no-print-directory SANITIZE=address,undefined unit

test: deps
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory unit-san

demo: deps all
	@B=$(B) sh samples/demo.sh

# The bench's own tools: a pcap generator and a bare pcap_loop counter.
BENCH_BIN := $(B)/bench/pcapgen $(B)/bench/pcapcount
$(B)/bench/%: tests/bench/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pc_cflags,libpcap) -o $@ $< $(call pc_libs,libpcap)

bench: deps all $(BENCH_BIN)
	@B=$(B) sh tests/bench/run.sh

# --- dependencies (Debian) -------------------------------------------------
DEB_PKGS := build-essential pkg-config libpcap-dev libnl-3-dev libnl-route-3-dev \
            libnl-nf-3-dev libsqlite3-dev libyaml-dev libcmocka-dev sqlite3 \
            iproute2 nftables
deps:
	@sh tools/deps.sh "$(PKG_CONFIG)" "$(COMMON_PKGS) $(CAPTURE_PKGS) $(TEST_PKGS)" $(DEB_PKGS)

# --- install ----------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(CAPTURE_BIN) $(ANALYZE_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(wildcard docs/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
