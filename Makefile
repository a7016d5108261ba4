# Qujat — document-workflow server.
#
# The two commands of the README:
#   make run    install what is missing, build, start PostgreSQL under var/,
#               migrate, seed the demo university, run Kore on 127.0.0.1:8080
#   make test   install what is missing, build, run unit and integration tests
#
# Layers (dependencies point one way): app/http (Kore) -> app/api ->
# app/store (libpq) -> app/core (no Kore, no libpq).  app/cli -> store -> core.

SHELL        := /bin/bash
Q            := $(if $(V),,@)
.SUFFIXES:
.DELETE_ON_ERROR:

CC           ?= cc
PKGS         := jansson libargon2 libxml-2.0 libxslt xmlsec1-openssl libzip \
                openssl libpq
KORE_FEATURES = $(shell cat /usr/share/kore/features 2>/dev/null)

WARN         := -std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
                -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
DEFS         := -D_GNU_SOURCE
PKG_CFLAGS    = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS      = $(shell pkg-config --libs $(PKGS)) -lpthread
CHECK_CFLAGS  = $(shell pkg-config --cflags check libcurl)
CHECK_LIBS    = $(shell pkg-config --libs check libcurl)

CFLAGS_BASE   = $(WARN) $(DEFS) -Iapp -Ibuild/gen $(PKG_CFLAGS) -g
CFLAGS_REL    = $(CFLAGS_BASE) -O2 -fPIC -D_FORTIFY_SOURCE=2 -fstack-protector-strong
SANITIZE     := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
CFLAGS_SAN    = $(CFLAGS_BASE) -I. -O1 -fPIC $(SANITIZE) -DQJ_TEST

CORE_SRC     := $(sort $(wildcard app/core/*.c))
STORE_SRC    := $(sort $(wildcard app/store/*.c))
FLOW_SRC     := $(sort $(wildcard app/flow/*.c))
API_SRC      := $(sort $(wildcard app/api/*.c))
HTTP_SRC     := $(sort $(wildcard app/http/*.c))
CLI_SRC      := $(sort $(wildcard app/cli/*.c))
GEN_SRC      := build/gen/embedded.c
MIGRATIONS   := $(sort $(wildcard migrations/*.sql))

LIB_SRC      := $(CORE_SRC) $(STORE_SRC) $(FLOW_SRC) $(GEN_SRC)
REL_OBJ       = $(patsubst %.c,build/rel/%.o,$(1))
SAN_OBJ       = $(patsubst %.c,build/san/%.o,$(1))

UNIT_SRC     := $(sort $(wildcard tests/unit/test_*.c))
INTEG_SRC    := $(sort $(wildcard tests/integration/test_*.c))
TESTLIB_SRC  := $(sort $(wildcard tests/lib/*.c))
UNIT_BIN     := $(patsubst tests/unit/%.c,build/tests/%,$(UNIT_SRC))
INTEG_BIN    := $(patsubst tests/integration/%.c,build/tests/%,$(INTEG_SRC))

.PHONY: all deps build run test test-build check-unit check-integration \
        certs demo clean distclean bench

all: build

deps:
	@sh tools/deps.sh

build: build/qujat.so bin/qujat

# --- generated sources -------------------------------------------------------

build/gen/embedded.c: tools/embed.sh $(MIGRATIONS) | build/gen
	sh tools/embed.sh $(MIGRATIONS) > $@

build/gen:
	mkdir -p $@

# --- release objects: the Kore module and the CLI -----------------------------

build/rel/app/http/%.o: app/http/%.c
	@mkdir -p $(dir $@)
	@echo '  CC   $<'
	$(Q)$(CC) $(CFLAGS_REL) $(KORE_FEATURES) -MMD -MP -c $< -o $@

build/rel/%.o: %.c | build/gen/embedded.c
	@mkdir -p $(dir $@)
	@echo '  CC   $<'
	$(Q)$(CC) $(CFLAGS_REL) -MMD -MP -c $< -o $@

build/qujat.so: $(call REL_OBJ,$(LIB_SRC) $(API_SRC) $(HTTP_SRC))
	@echo '  LD   $@'
	$(Q)$(CC) -shared -o $@ $^ $(PKG_LIBS)

bin/qujat: $(call REL_OBJ,$(LIB_SRC) $(CLI_SRC))
	@mkdir -p bin
	@echo '  LD   $@'
	$(Q)$(CC) -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs libcurl)

# --- sanitizer objects: every test binary --------------------------------------

build/san/app/http/%.o: app/http/%.c
	@mkdir -p $(dir $@)
	@echo '  CC   $< (asan+ubsan)'
	$(Q)$(CC) $(CFLAGS_SAN) $(KORE_FEATURES) -MMD -MP -c $< -o $@

# The server module with sanitizers, loaded into Kore by the integration
# tests (Kore itself is not instrumented: the runtime is preloaded).
build/san/qujat.so: $(call SAN_OBJ,$(LIB_SRC) $(API_SRC) $(HTTP_SRC))
	@echo '  LD   $@'
	$(Q)$(CC) -shared $(SANITIZE) -o $@ $^ $(PKG_LIBS)

build/san/%.o: %.c | build/gen/embedded.c
	@mkdir -p $(dir $@)
	@echo '  CC   $< (asan+ubsan)'
	$(Q)$(CC) $(CFLAGS_SAN) $(CHECK_CFLAGS) -MMD -MP -c $< -o $@

build/tests/test_%: build/san/tests/unit/test_%.o $(call SAN_OBJ,$(CORE_SRC))
	@mkdir -p $(dir $@)
	@echo '  LD   $@'
	$(Q)$(CC) $(SANITIZE) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

# Unit tests that craft signatures with tests/lib/sigvec.c (core and Check
# only: no libpq, no curl).
build/tests/test_xades build/tests/test_archive_xades build/tests/test_archive: \
    build/san/tests/lib/sigvec.o

$(INTEG_BIN): build/tests/%: build/san/tests/integration/%.o \
    $(call SAN_OBJ,$(LIB_SRC) $(TESTLIB_SRC))
	@mkdir -p $(dir $@)
	@echo '  LD   $@'
	$(Q)$(CC) $(SANITIZE) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

# --- benchmarks (release build; the scripts in bench/ run them) -------------

build/rel/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@echo '  CC   $<'
	$(Q)$(CC) $(CFLAGS_REL) -I. $(CHECK_CFLAGS) -MMD -MP -c $< -o $@

build/rel/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	@echo '  CC   $<'
	$(Q)$(CC) $(CFLAGS_REL) -I. $(CHECK_CFLAGS) -MMD -MP -c $< -o $@

build/bench/%: build/rel/bench/%.o $(call REL_OBJ,$(LIB_SRC) $(TESTLIB_SRC))
	@mkdir -p $(dir $@)
	@echo '  LD   $@'
	$(Q)$(CC) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

# --- the two commands ---------------------------------------------------------

run: deps
	@$(MAKE) --no-print-directory build certs
	@sh tools/run.sh

test: deps
	@$(MAKE) --no-print-directory test-build
	@sh tools/test.sh $(UNIT_BIN) -- $(INTEG_BIN)

test-build: build certs build/san/qujat.so $(UNIT_BIN) $(INTEG_BIN)

# --- make demo: one academic-leave case sealed and verified (tools/demo.sh) --

DEMO_OBJ      = $(call REL_OBJ,tools/demo.c $(TESTLIB_SRC) $(LIB_SRC))

$(call REL_OBJ,tools/demo.c $(TESTLIB_SRC)): CFLAGS_REL += -I.

build/demo: $(DEMO_OBJ)
	@echo '  LD   $@'
	$(Q)$(CC) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

demo: deps
	@$(MAKE) --no-print-directory build certs build/demo
	@sh tools/demo.sh

# --- development CA (NCA-RK-shaped certificates for the demo users) ---------

certs: certs/dev/.done

certs/dev/.done: certs/devca.sh tools/demo-people.tsv
	sh certs/devca.sh certs/dev tools/demo-people.tsv
	touch $@

clean:
	rm -rf build bin

distclean: clean
	rm -rf var certs/dev

-include $(shell find build -name '*.d' 2>/dev/null)
