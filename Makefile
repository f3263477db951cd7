# leakscope - offline DNS-leak analyzer.  See README.md.

CC      ?= cc
PKGS    := libndpi libpcap libxml-2.0 zlib libzstd liblz4 libgcrypt
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wcast-qual -Wwrite-strings -Wundef
# nDPI's and libxml2's headers are included as system headers so that our
# warnings apply to our code only.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
ifeq ($(CI),true)
WERROR  := -Werror
endif
# No build or install path is compiled in: the schema is embedded (tunnel_xsd.h).
# CPPFLAGS and LDFLAGS as the caller gives them (dpkg-buildflags: hardening).
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(WERROR) $(CPPFLAGS) $(CFLAGS) $(SAN) $(PKG_CFLAGS) -MMD -MP
LDLIBS  = $(PKG_LIBS) -lm -lpthread

BUILD   ?= build
SRCS    := $(wildcard analyzer/*.c)
OBJS    := $(SRCS:analyzer/%.c=$(BUILD)/%.o)
LIBOBJS := $(filter-out $(BUILD)/main.o,$(OBJS))
TSRCS   := $(wildcard tests/test_*.c)
TLIBSRCS:= $(wildcard tests/lib/*.c)
TOBJS   := $(TSRCS:tests/%.c=$(BUILD)/tests/%.o)
TLIBOBJS:= $(TLIBSRCS:tests/%.c=$(BUILD)/tests/%.o)
TESTBIN := $(BUILD)/run-tests
TOOLS   := $(BUILD)/gencap $(BUILD)/genscale

# Debian 12 packages: what building needs, and what the tests use.
BUILD_DEPS := gcc make pkg-config libpcap-dev libndpi-dev libxml2-dev libcriterion-dev \
              zlib1g-dev libzstd-dev liblz4-dev libgcrypt20-dev
TEST_DEPS  := libxml2-utils tshark python3 chromium time libndpi-bin parallel valgrind man-db \
              gzip zstd lz4 python3-jsonschema tcpdump poppler-utils

.PHONY: all deps test test-run sanitize sanitize-run demo samples clean install uninstall

# make install [PREFIX=/usr/local] [DESTDIR=staging]: the GNU layout.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/leakscope
MANDIR  ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR  ?= $(PREFIX)/share/doc/leakscope
INSTALL ?= install

all: leakscope

leakscope: $(OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: analyzer/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# reports/report.css as a C string (report_css[]): output-html.c embeds it in every page.
$(BUILD)/report_css.h: reports/report.css
	@mkdir -p $(dir $@)
	sed -e '1i static const char report_css[] =' -e 's/\\/\\\\/g; s/"/\\"/g; s/?/\\?/g; s/^/"/; s/$$/\\n"/' -e '$$a ;' $< > $@.tmp && mv $@.tmp $@
$(BUILD)/output-html.o: $(BUILD)/report_css.h
$(BUILD)/output-html.o: ALL_CFLAGS += -I$(BUILD)

# rules/tunnel.xsd as a C string (tunnel_xsd[]): rules.c validates against it,
# so an installed or moved binary needs no data folder.
$(BUILD)/tunnel_xsd.h: rules/tunnel.xsd
	@mkdir -p $(dir $@)
	sed -e '1i static const char tunnel_xsd[] =' -e 's/\\/\\\\/g; s/"/\\"/g; s/?/\\?/g; s/^/"/; s/$$/\\n"/' -e '$$a ;' $< > $@.tmp && mv $@.tmp $@
$(BUILD)/rules.o: $(BUILD)/tunnel_xsd.h
$(BUILD)/rules.o: ALL_CFLAGS += -I$(BUILD)
# rules/campaign.xsd likewise (campaign_xsd[]), for leakscope audit
$(BUILD)/campaign_xsd.h: rules/campaign.xsd
	@mkdir -p $(dir $@)
	sed -e '1i static const char campaign_xsd[] =' -e 's/\\/\\\\/g; s/"/\\"/g; s/?/\\?/g; s/^/"/; s/$$/\\n"/' -e '$$a ;' $< > $@.tmp && mv $@.tmp $@
$(BUILD)/campaign.o: $(BUILD)/campaign_xsd.h
$(BUILD)/campaign.o: ALL_CFLAGS += -I$(BUILD)

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ianalyzer -Itests/lib -c -o $@ $<

$(BUILD)/gencap: $(BUILD)/tests/gencap/gencap.o $(TLIBOBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# Large captures for the scale checks (tests/scale/README.md).
$(BUILD)/genscale: $(BUILD)/tests/scale/genscale.o $(BUILD)/tests/lib/capbuild.o
	$(CC) $(ALL_CFLAGS) -o $@ $^

$(TESTBIN): $(LIBOBJS) $(TOBJS) $(TLIBOBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

# Installs what is missing, as root or through sudo; says what to install otherwise.
# DEBIAN_FRONTEND goes through env after sudo: sudo drops the caller's environment.
deps:
	@missing=""; for p in $(BUILD_DEPS) $(TEST_DEPS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "deps: all present"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "deps: not root and no sudo; run as root: apt-get install$$missing" >&2; exit 1; fi; \
	$$SUDO apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing \
	  || { echo "deps: apt-get failed; install by hand:$$missing" >&2; exit 1; }

# test, sanitize and demo first make sure the dependencies are there, then
# run a fresh make, so that pkg-config's flags are read after the install.
test: deps
	@$(MAKE) --no-print-directory test-run

test-run: leakscope $(TESTBIN) $(BUILD)/fuzz-replay
	TZ=UTC LS_TOP=$(CURDIR) LEAKSCOPE=$(CURDIR)/leakscope $(TESTBIN) --jobs 2 $(TESTFLAGS)
	TZ=UTC LEAKSCOPE=$(CURDIR)/leakscope sh tests/golden/regen.sh --check
	TZ=UTC $(BUILD)/fuzz-replay $(FUZZ_INPUTS)
	TZ=UTC python3 tests/compare-tshark.py $(CURDIR)/leakscope
	TZ=UTC python3 tests/corpus-carriers.py $(CURDIR)/leakscope
	TZ=UTC python3 tests/html-screenshot.py $(CURDIR)/leakscope
	TZ=UTC python3 tests/print-pdf-test.py $(CURDIR)/leakscope
	TZ=UTC python3 tests/matrix-screenshot.py $(CURDIR)/leakscope
	TZ=UTC sh tests/parallel-recipe.sh $(CURDIR)/leakscope
	TZ=UTC sh tests/install-test.sh
	TZ=UTC sh tests/cli-test.sh $(CURDIR)/leakscope
	TZ=UTC python3 tests/output-test.py $(CURDIR)/leakscope

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer, in its own build folder.
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
sanitize: deps
	@$(MAKE) --no-print-directory sanitize-run

sanitize-run:
	$(MAKE) BUILD=build-san SAN="$(SANFLAGS)" OPT=-O1 build-san/leakscope build-san/run-tests build-san/fuzz-replay
	TZ=UTC LS_TOP=$(CURDIR) LEAKSCOPE=$(CURDIR)/build-san/leakscope ASAN_OPTIONS=detect_leaks=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 build-san/run-tests --jobs 2 $(TESTFLAGS)
	TZ=UTC ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  build-san/fuzz-replay $(FUZZ_INPUTS)
	TZ=UTC ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  python3 tests/compare-tshark.py $(CURDIR)/build-san/leakscope
	@# analyze without --tunnel over every corpus capture and sample (skips the corpus when ../shared is absent)
	TZ=UTC sh tests/sanitize-corpus.sh $(CURDIR)/build-san/leakscope
	@# valgrind cannot run an ASan binary: the end-to-end commands on the plain build
	$(MAKE) leakscope
	TZ=UTC sh tests/valgrind-e2e.sh $(CURDIR)/leakscope

build-san/leakscope: $(OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

demo: deps
	@$(MAKE) --no-print-directory all
	@rm -rf reports/out
	@sh samples/demo.sh ./leakscope reports/out

# Regenerates the bundled captures in network namespaces (needs root; not part of make test).
samples:
	sh samples/lab/run.sh

# Speed and memory on large generated captures against a bare libpcap loop,
# ndpiReader and tshark (tests/bench/README.md).  Besides tshark it needs the
# packages time and libndpi-bin; run.sh installs them when run as root.
.PHONY: bench
$(BUILD)/bench/genbench: tests/bench/genbench.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -lm

$(BUILD)/bench/bareloop: tests/bench/bareloop.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(shell pkg-config --libs libpcap)

bench: leakscope $(BUILD)/bench/genbench $(BUILD)/bench/bareloop
	BENCH_BUILD=$(CURDIR)/$(BUILD) LEAKSCOPE=$(CURDIR)/leakscope bash tests/bench/run.sh

# Fuzz targets, one per parser (tests/fuzz/README.md).  make test and make
# sanitize replay every seed and regression input through fuzz-replay, one
# binary in which each target is renamed fuzz_<name>.  make fuzz builds the
# same targets with clang's libFuzzer into build-fuzz/ and runs each for
# FUZZ_SECONDS.
.PHONY: fuzz
FUZZ_TARGETS := dns tcp tls doh capture rules campaign import dhcp pipeline
FUZZ_INPUTS   = $(wildcard tests/fuzz/*/seeds tests/fuzz/*/regressions)
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_SAN     := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=undefined

.PRECIOUS: $(BUILD)/fuzz/%.o
$(BUILD)/fuzz/replay-%.o: tests/fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ianalyzer -DLLVMFuzzerTestOneInput=fuzz_$* -c -o $@ $<

$(BUILD)/fuzz/replay.o: tests/fuzz/replay.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/fuzz-replay: $(BUILD)/fuzz/replay.o $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay-%.o) $(LIBOBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/lf-%.o: tests/fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ianalyzer -c -o $@ $<

$(BUILD)/fuzz/fuzz-%: $(BUILD)/fuzz/lf-%.o $(LIBOBJS)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# make fuzz needs clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev).
FUZZ_DEPS := clang libclang-rt-14-dev
fuzz:
	@$(MAKE) --no-print-directory deps BUILD_DEPS="$(BUILD_DEPS) $(FUZZ_DEPS)" TEST_DEPS=
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) OPT=-O1 SAN="$(FUZZ_SAN)" \
	  $(FUZZ_TARGETS:%=build-fuzz/fuzz/fuzz-%)
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh build-fuzz $(FUZZ_TARGETS)

# The binary needs no data at run time (the schema is embedded); the data
# installed is for people: example descriptions, the schemas, the man pages.
install: leakscope
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/rules/examples $(DESTDIR)$(DATADIR)/reports \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 755 leakscope $(DESTDIR)$(BINDIR)/leakscope
	$(INSTALL) -m 644 rules/tunnel.xsd $(DESTDIR)$(DATADIR)/rules/
	$(INSTALL) -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md
	$(INSTALL) -m 644 rules/README.md $(DESTDIR)$(DOCDIR)/tunnel-description.md
	$(INSTALL) -m 644 rules/examples/*.xml $(DESTDIR)$(DATADIR)/rules/examples/
	$(INSTALL) -m 644 reports/report.xsd $(wildcard reports/*.schema.json) $(DESTDIR)$(DATADIR)/reports/
	$(INSTALL) -m 644 man/leakscope.1 $(DESTDIR)$(MANDIR)/man1/leakscope.1
	$(INSTALL) -m 644 man/leakscope-tunnel.5 $(DESTDIR)$(MANDIR)/man5/leakscope-tunnel.5
	$(INSTALL) -m 644 completions/leakscope.bash $(DESTDIR)$(BASHCOMPDIR)/leakscope

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/leakscope $(DESTDIR)$(MANDIR)/man1/leakscope.1 \
	  $(DESTDIR)$(MANDIR)/man5/leakscope-tunnel.5 $(DESTDIR)$(BASHCOMPDIR)/leakscope
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

# A Debian package built from a copy of the tree (dpkg-buildpackage, then
# lintian); the .deb lands in build/deb/.  Needs debhelper and lintian.
DEB_DEPS := debhelper lintian dpkg-dev
.PHONY: deb
deb:
	@$(MAKE) --no-print-directory deps BUILD_DEPS="$(BUILD_DEPS) $(DEB_DEPS)" TEST_DEPS=
	sh tests/deb-build.sh $(BUILD)/deb

clean:
	rm -rf build build-san leakscope reports/out tests/out

-include $(OBJS:.o=.d) $(TOBJS:.o=.d) $(TLIBOBJS:.o=.d) $(wildcard $(BUILD)/fuzz/*.d)
