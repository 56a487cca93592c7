# podflow — one GNU Makefile for both programs, their tests and benchmarks.
#
#   make                 build podflow-capture and podflow-analyze under build/
#   make analyze         build the analyzer alone (needs neither libpcap nor libnl)
#   make test            unit + integration tests, then unit tests under ASan+UBSan
#   make demo            run the sample case end to end
#   make bench           print performance figures (never a timed test; installs
#                        trafgen and tcpdump for the live one)
#   make bench-scale     100M flows: time and peak memory of open, check, report
#   make fuzz            every libFuzzer target for FUZZ_SECONDS (300) each, clang
#   make fuzz-smoke      the same for 5 s each (CI)
#   make conformance     replay the NetworkPolicy conformance corpus through check
#   make install         PREFIX=/usr/local DESTDIR= (stripped; man pages; completion)
#   make deb             build/podflow_<version>_<arch>.deb (and podflow-analyze_...)
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
            -fno-common -Wconversion -Wsign-conversion
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
# The report's service graph is laid out by graphviz (Debian: libgraphviz-dev).
ANALYZE_PKGS := libgvc libcgraph
TEST_PKGS    := cmocka

ALL_CFLAGS = $(STD) $(WARN) $(OPT) $(DEBUG) -MMD -MP -I. -I$(B)/gen \
             -DPODFLOW_VERSION='"$(VERSION)"' $(CFLAGS)
LDFLAGS_SAN = $(if $(SANITIZE),-fsanitize=$(SANITIZE))

COMMON_SRC  := $(sort $(wildcard common/*.c))
CAPTURE_SRC := $(sort $(filter-out capture/main.c,$(wildcard capture/*.c)))
# analyze/ is built from its rooms (docs/architecture.md): case, policy,
# engine, out, cmd; analyze/main.c is the program's door.
ANALYZE_ROOMS := case policy engine out cmd
ANALYZE_SRC := $(sort $(foreach r,$(ANALYZE_ROOMS),$(wildcard analyze/$(r)/*.c)))
TEST_SRC    := $(sort $(wildcard tests/test_*.c))

COMMON_OBJ  := $(COMMON_SRC:%.c=$(B)/%.o) $(B)/gen/schema_sql.o
CAPTURE_OBJ := $(CAPTURE_SRC:%.c=$(B)/%.o)
ANALYZE_OBJ := $(ANALYZE_SRC:%.c=$(B)/%.o)

# Unit tests see static functions marked TESTABLE (common/compat.h), so
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

.PHONY: lint format all capture analyze test unit unit-san integration demo bench bench-deps \
        bench-merge bench-scale fuzz fuzz-smoke fuzz-deps fuzz-seeds testbed conformance deps \
        deps-analyze install install-analyze install-capture deb clean
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
# Like git's GIT-CFLAGS: every object depends on the flags it was built
# with, so DEVELOPER=1, CI=... or another CFLAGS rebuilds instead of keeping
# an object whose warnings -Werror never saw.
FLAGS_STAMP := $(B)/CFLAGS
$(FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@f='$(subst ','\'',$(ALL_CFLAGS))'; \
	if [ "$$f" != "$$(cat $@ 2>/dev/null)" ]; then printf '%s\n' "$$f" > $@; fi
.PHONY: FORCE
FORCE:

$(B)/common/%.o: common/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call q,CC)$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(COMMON_PKGS)) -c -o $@ $<
$(B)/capture/%.o: capture/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call q,CC)$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(COMMON_PKGS) $(CAPTURE_PKGS)) -c -o $@ $<
$(B)/analyze/%.o: analyze/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call q,CC)$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(COMMON_PKGS) $(ANALYZE_PKGS)) -c -o $@ $<
$(T)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call q,CC)$(CC) $(ALL_CFLAGS) -DPODFLOW_TEST \
	    $(call pc_cflags,$(COMMON_PKGS) $(CAPTURE_PKGS) $(ANALYZE_PKGS) $(TEST_PKGS)) -c -o $@ $<

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

# tests/test_oom.c fails libyaml's allocations through a copy of libyaml.a
# whose malloc, realloc, free and strdup are renamed to the injector's
# (tests/helpers/oom.h); without the static library the test is left out.
LIBYAML_A := $(wildcard $(shell $(PKG_CONFIG) --variable=libdir yaml-0.1 2>/dev/null)/libyaml.a)
ifeq ($(LIBYAML_A),)
TEST_BIN := $(filter-out $(B)/tests/test_oom,$(TEST_BIN))
endif
OOM_REDEFINE := $(foreach f,malloc realloc free strdup,--redefine-sym $(f)=oom_yaml_$(f))
$(B)/oom/libyaml-oom.a: $(LIBYAML_A)
	@mkdir -p $(@D)
	$(Q)$(call q,OBJCOPY)objcopy $(OOM_REDEFINE) $< $@
$(B)/tests/test_oom: $(T)/tests/test_oom.o $(THELP_OBJ) $(T)/libanalyze.a $(T)/libcapture.a \
                     $(T)/libcommon.a $(B)/oom/libyaml-oom.a
	@mkdir -p $(@D)
	$(Q)$(call q,LINK)$(CC) $(LDFLAGS_SAN) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(COMMON_PKGS) $(CAPTURE_PKGS) $(ANALYZE_PKGS) $(TEST_PKGS)) -lm

# --- the netns testbed's traffic helper (tests/testbed/) --------------------
TBTRAFFIC := $(B)/tbtraffic
$(TBTRAFFIC): tests/testbed/tbtraffic.c $(B)/libcommon.a
	@mkdir -p $(@D)
	$(Q)$(call q,CCLD)$(CC) $(ALL_CFLAGS) $(LDFLAGS_SAN) $(LDFLAGS) -o $@ $< $(B)/libcommon.a

testbed: $(TBTRAFFIC)

# --- the NetworkPolicy conformance corpus (tests/conformance/) ---------------
CONFORM := $(B)/conform
$(CONFORM): tests/conformance/conform.c $(B)/libcommon.a
	@mkdir -p $(@D)
	$(Q)$(call q,CCLD)$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(COMMON_PKGS)) $(LDFLAGS_SAN) \
	    $(LDFLAGS) -o $@ $< $(B)/libcommon.a $(call pc_libs,$(COMMON_PKGS)) -lm

# The corpus: the repository's sibling shared/ as CI and every checkout
# have it, or PODFLOW_CONFORMANCE; a missing corpus fails.
PODFLOW_CONFORMANCE ?= $(abspath ../shared/conformance/netpol)
export PODFLOW_CONFORMANCE
conformance: $(ANALYZE_BIN) $(CONFORM)
	@$(CONFORM) $(ANALYZE_BIN)

# Every fuzz target also links with tests/fuzz/replay.c (a plain main, the
# compiler of the build): make unit replays the seed corpora and every kept
# crash input (tests/fuzz/regress/) through it, so no clang is needed.
FUZZ_SRC    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES  := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
REPLAY_BIN  := $(FUZZ_NAMES:%=$(B)/fuzz-replay/fuzz_%)
$(B)/fuzz-replay/fuzz_%: $(T)/tests/fuzz/fuzz_%.o $(T)/tests/fuzz/replay.o $(T)/libanalyze.a \
                         $(T)/libcapture.a $(T)/libcommon.a
	@mkdir -p $(@D)
	$(Q)$(call q,LINK)$(CC) $(LDFLAGS_SAN) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(COMMON_PKGS) $(CAPTURE_PKGS) $(ANALYZE_PKGS)) -lm

# fuzz_oom also links the allocation failure injector and libyaml-oom.a
# (tests/helpers/oom.h); without a static libyaml it is left out.
ifeq ($(LIBYAML_A),)
FUZZ_NAMES := $(filter-out oom,$(FUZZ_NAMES))
REPLAY_BIN := $(filter-out $(B)/fuzz-replay/fuzz_oom,$(REPLAY_BIN))
endif
$(B)/fuzz-replay/fuzz_oom: $(T)/tests/fuzz/fuzz_oom.o $(T)/tests/fuzz/replay.o \
                           $(T)/tests/helpers/oom.o $(T)/libanalyze.a $(T)/libcapture.a \
                           $(T)/libcommon.a $(B)/oom/libyaml-oom.a
	@mkdir -p $(@D)
	$(Q)$(call q,LINK)$(CC) $(LDFLAGS_SAN) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(COMMON_PKGS) $(CAPTURE_PKGS) $(ANALYZE_PKGS)) -lm

unit: $(TEST_BIN) $(REPLAY_BIN)
	@LABEL=$(if $(SANITIZE),unit-san,unit) sh tests/run-unit.sh $(TEST_BIN)
	@LABEL=$(if $(SANITIZE),fuzz-replay-san,fuzz-replay) sh tests/fuzz/replay.sh $(B)/fuzz-replay $(FUZZ_NAMES)

integration: all $(TEST_BIN) $(TBTRAFFIC) $(CONFORM)
	@B=$(B) sh tests/run-integration.sh

unit-san:
	@$(MAKE) --no-print-directory SANITIZE=address,undefined unit

test: deps
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory unit-san

demo: deps all
	@B=$(B) sh samples/demo.sh

# The bench's own tools: a pcap generator and a bare pcap_loop counter.
BENCH_BIN := $(B)/bench/pcapgen $(B)/bench/pcapcount
$(B)/bench/%: tests/bench/%.c
	@mkdir -p $(@D)
	$(Q)$(call q,CCLD)$(CC) $(ALL_CFLAGS) $(call pc_cflags,libpcap) -o $@ $< $(call pc_libs,libpcap)

# The analyzer bench's baseline: a bare SQLite scan opened as check opens
# a case (libcommon's db_open_reader), in as many threads.
$(B)/bench/scan: tests/bench/scan.c $(B)/libcommon.a
	@mkdir -p $(@D)
	$(Q)$(call q,CCLD)$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(COMMON_PKGS)) -o $@ $< \
	    $(B)/libcommon.a $(call pc_libs,$(COMMON_PKGS)) -lm

# The capture's integration tests make their pcaps with pcapgen; the fault
# tests (tests/it/fault_*.sh) also drive the inventory loader through its
# fuzz replay driver.
integration: $(BENCH_BIN) $(REPLAY_BIN)
# tests/it/redact_capture.sh writes its pcaps with mkflows (pcapw.c).
integration: $(B)/tests/tools/mkflows

# The analyzer built from the test objects (-DPODFLOW_TEST): the same
# program with the test oracles in it (PODFLOW_PAIR_SQL=1: pairing by
# SQL, analyze/case/pair_sql.c), which tests/it/ compares with the real one.
ANALYZE_TBIN := $(T)/podflow-analyze
$(ANALYZE_TBIN): $(T)/analyze/main.o $(T)/libanalyze.a $(T)/libcommon.a
	$(Q)$(call q,LINK)$(CC) $(LDFLAGS_SAN) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(COMMON_PKGS) $(ANALYZE_PKGS)) -lm
integration: $(ANALYZE_TBIN)

# Every benchmark prints its figures next to a baseline measured in the
# same run (bare pcap_loop, bare SQLite scan); none is a timed test.
bench: deps bench-deps all $(BENCH_BIN) $(B)/bench/scan
	@B=$(B) sh tests/bench/run.sh
	@B=$(B) sh tests/bench/live.sh
	@B=$(B) sh tests/bench/analyze.sh

# 100M flows generated with SQL, paired, checked (an hour, ~25 GB of disk
# at the peak in $$TMPDIR and build/; apart from bench and test).
bench-scale: all $(B)/bench/scan
	@B=$(B) sh tests/bench/scale.sh

# The live benchmark's sender and baseline (tests/bench/live.sh): installed
# here (as root) when missing, so that make deps stays what the build needs.
BENCH_PKGS := netsniff-ng tcpdump
bench-deps:
	@if command -v trafgen >/dev/null 2>&1 && command -v tcpdump >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	    echo "bench-deps: installing: $(BENCH_PKGS)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq --no-install-recommends $(BENCH_PKGS) >/dev/null; \
	else \
	    echo "bench-deps: as root run: apt-get install $(BENCH_PKGS)" >&2; exit 1; \
	fi

# merge of 10 per-node cases of 1M flows each (minutes; apart from bench).
bench-merge: all
	@B=$(B) sh tests/bench/merge.sh

# --- fuzzing: clang's libFuzzer with ASan+UBSan ------------------------------
# Objects of every module compiled with clang under build/fuzz/, one binary
# per tests/fuzz/fuzz_<target>.c; tests/fuzz/run.sh runs each on a copy of
# tests/fuzz/corpus/<target>/ and fails on any crash, leak or timeout.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FZ           := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = $(STD) -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP -I. \
                -DPODFLOW_VERSION='"$(VERSION)"' \
                $(call pc_cflags,$(COMMON_PKGS) $(CAPTURE_PKGS) $(ANALYZE_PKGS))
FUZZ_LIB_SRC := $(COMMON_SRC) $(CAPTURE_SRC) $(ANALYZE_SRC)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FZ)/%.o) $(FZ)/gen/schema_sql.o
FUZZ_BIN     := $(FUZZ_NAMES:%=$(FZ)/fuzz_%)
FUZZ_PKGS    := clang libclang-rt-14-dev

$(FZ)/gen/schema_sql.o: $(B)/gen/schema_sql.c
	@mkdir -p $(@D)
	$(Q)$(call q,CC)$(FUZZ_CC) $(STD) -O1 -c -o $@ $<
$(FZ)/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(call q,CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
$(FZ)/libpodflow.a: $(FUZZ_LIB_OBJ)
	$(mkar)
$(FZ)/fuzz_%: $(FZ)/tests/fuzz/fuzz_%.o $(FZ)/libpodflow.a
	$(Q)$(call q,LINK)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ \
	    $(call pc_libs,$(COMMON_PKGS) $(CAPTURE_PKGS) $(ANALYZE_PKGS)) -lm
$(FZ)/fuzz_oom: $(FZ)/tests/fuzz/fuzz_oom.o $(FZ)/tests/helpers/oom.o $(FZ)/libpodflow.a \
                $(B)/oom/libyaml-oom.a
	$(Q)$(call q,LINK)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ \
	    $(call pc_libs,$(COMMON_PKGS) $(CAPTURE_PKGS) $(ANALYZE_PKGS)) -lm

# clang and its libFuzzer runtime: installed here (as root) when missing, so
# that make deps stays what the plain build needs.
fuzz-deps:
	@if command -v $(FUZZ_CC) >/dev/null 2>&1 && \
	    [ -e "$$($(FUZZ_CC) -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	    echo "fuzz-deps: installing: $(FUZZ_PKGS)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq --no-install-recommends $(FUZZ_PKGS) >/dev/null; \
	else \
	    echo "fuzz-deps: as root run: apt-get install $(FUZZ_PKGS)" >&2; exit 1; \
	fi

fuzz: deps fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FZ) $(FUZZ_NAMES)

# Regenerate the packet seed corpora from tests/helpers/pcapw.c sequences.
$(B)/fuzz-replay/mkseeds: $(T)/tests/fuzz/mkseeds.o $(THELP_OBJ) $(T)/libcommon.a
	@mkdir -p $(@D)
	$(Q)$(call q,LINK)$(CC) $(LDFLAGS_SAN) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(COMMON_PKGS))
fuzz-seeds: $(B)/fuzz-replay/mkseeds
	@mkdir -p tests/fuzz/corpus/decode tests/fuzz/corpus/pcap tests/fuzz/corpus/decode_fast
	$(B)/fuzz-replay/mkseeds tests/fuzz/corpus

fuzz-smoke:
	@$(MAKE) --no-print-directory FUZZ_SECONDS=5 fuzz

# --- lint: what the compiler does not check -----------------------------------
# The rooms and their doors (tools/house.sh: includes, and calls between
# modules read from the objects, point one way, with no loop), every `§`
# a comment cites having its section in docs/semantics.md
# (tools/semantics.sh), and the formatting of every C file (.clang-format;
# `make format` applies it).
# -Wconversion is part of WARN, so every build checks it on every file.
CLANG_FORMAT ?= clang-format
FORMAT_SRC    = $(sort $(shell find common capture analyze tests tools -name '*.[ch]'))
lint: all
	@sh tools/house.sh $(B) $(filter-out %/gen/schema_sql.o,$(COMMON_OBJ)) $(CAPTURE_OBJ) \
	    $(ANALYZE_OBJ) $(B)/capture/main.o $(B)/analyze/main.o
	@sh tools/semantics.sh
	@bad=$$(for f in $(FORMAT_SRC); do $(CLANG_FORMAT) "$$f" | cmp -s - "$$f" || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "lint: not formatted as .clang-format says (make format):"; \
	    echo "$$bad" | sed 's/^/    /'; exit 1; fi; \
	echo "lint: $(words $(FORMAT_SRC)) C files formatted as .clang-format says"
format:
	$(CLANG_FORMAT) -i $(FORMAT_SRC)

# --- dependencies (Debian) -------------------------------------------------
DEB_PKGS := build-essential pkg-config libpcap-dev libnl-3-dev libnl-route-3-dev \
            libnl-nf-3-dev libsqlite3-dev libyaml-dev libgraphviz-dev libcmocka-dev sqlite3 \
            iproute2 nftables iputils-ping netcat-openbsd clang-format curl python3
deps:
	@sh tools/deps.sh "$(PKG_CONFIG)" "$(COMMON_PKGS) $(CAPTURE_PKGS) $(ANALYZE_PKGS) $(TEST_PKGS)" $(DEB_PKGS)

# --- install ----------------------------------------------------------------
# Stripped programs, man pages, and bash and zsh completion where the
# shells look.  podflow-analyze's completion is written by the program from
# its command table (podflow-analyze completion bash|zsh), so it cannot
# fall behind; podflow-capture's (tools/completion/) is checked against its
# --help by tests/it/completion.sh.  install-analyze: the analyzer alone.
BINDIR      := $(PREFIX)/bin
MAN1DIR     := $(PREFIX)/share/man/man1
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  := $(PREFIX)/share/zsh/site-functions
STRIP       ?= strip
COMPL       := $(B)/completion

$(COMPL)/podflow-analyze.bash: $(ANALYZE_BIN)
	@mkdir -p $(@D)
	$(Q)$(call q,GEN)$(ANALYZE_BIN) completion bash > $@.tmp && mv $@.tmp $@
$(COMPL)/_podflow-analyze: $(ANALYZE_BIN)
	@mkdir -p $(@D)
	$(Q)$(call q,GEN)$(ANALYZE_BIN) completion zsh > $@.tmp && mv $@.tmp $@

install-analyze: $(ANALYZE_BIN) $(COMPL)/podflow-analyze.bash $(COMPL)/_podflow-analyze
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(BASHCOMPDIR) \
	    $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 -s --strip-program=$(STRIP) $(ANALYZE_BIN) $(DESTDIR)$(BINDIR)/
	install -m 0644 docs/podflow-analyze.1 $(DESTDIR)$(MAN1DIR)/
	install -m 0644 $(COMPL)/podflow-analyze.bash $(DESTDIR)$(BASHCOMPDIR)/podflow-analyze
	install -m 0644 $(COMPL)/_podflow-analyze $(DESTDIR)$(ZSHCOMPDIR)/

install-capture: $(CAPTURE_BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(BASHCOMPDIR) \
	    $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 -s --strip-program=$(STRIP) $(CAPTURE_BIN) $(DESTDIR)$(BINDIR)/
	install -m 0644 docs/podflow-capture.1 $(DESTDIR)$(MAN1DIR)/
	install -m 0644 tools/completion/podflow-capture.bash \
	    $(DESTDIR)$(BASHCOMPDIR)/podflow-capture
	install -m 0644 tools/completion/_podflow-capture $(DESTDIR)$(ZSHCOMPDIR)/

install: install-analyze install-capture

# --- Debian packages ------------------------------------------------------------
# build/podflow_<version>_<arch>.deb: both programs; build/podflow-analyze_
# <version>_<arch>.deb: the analyzer alone (a vendor laptop needs neither
# libpcap nor libnl).  They conflict: install one.  tools/deb.sh stages a
# make install under /usr, computes Depends with dpkg-shlibdeps, and builds
# with dpkg-deb; tests/it/package_deb.sh installs them in a throwaway root.
DEB_ARCH ?= $(shell dpkg --print-architecture 2>/dev/null)
DEB      := $(B)/podflow_$(VERSION)_$(DEB_ARCH).deb
DEB_AN   := $(B)/podflow-analyze_$(VERSION)_$(DEB_ARCH).deb
deb: all $(COMPL)/podflow-analyze.bash $(COMPL)/_podflow-analyze
	@rm -rf $(B)/deb
	@$(MAKE) --no-print-directory install DESTDIR=$(abspath $(B))/deb/podflow PREFIX=/usr >/dev/null
	@$(MAKE) --no-print-directory install-analyze DESTDIR=$(abspath $(B))/deb/podflow-analyze \
	    PREFIX=/usr >/dev/null
	@sh tools/deb.sh $(B)/deb/podflow podflow $(VERSION) $(DEB_ARCH) $(DEB)
	@sh tools/deb.sh $(B)/deb/podflow-analyze podflow-analyze $(VERSION) $(DEB_ARCH) $(DEB_AN)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
