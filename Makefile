# mynahoken: PGXS build.
#
# The install script is generated from the fragments in sql/install/ (one per
# subsystem, applied in name order).  Once a version ships, its generated
# script is frozen and later changes go into an upgrade script.

EXTENSION   = mynahoken
EXTVERSION  = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big  = mynahoken
CORE_SRCS   = $(sort $(wildcard src/core/*.c))
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)) $(CORE_SRCS))

# The current version's script is generated; the scripts of shipped versions
# (sql/mynahoken--0.1.sql, ...) and the upgrade scripts are committed as they are.
INSTALL_SQL = sql/$(EXTENSION)--$(EXTVERSION).sql
FRAGMENTS   = $(sort $(wildcard sql/install/*.sql))
DATA_built  = $(INSTALL_SQL)
DATA        = $(filter-out $(INSTALL_SQL),$(wildcard sql/$(EXTENSION)--*.sql))

# pg_regress files live apart from the install fragments: test/regress/sql and
# test/regress/expected; results and diffs go to test/regress as well.
REGRESS     = $(sort $(notdir $(basename $(wildcard test/regress/sql/*.sql))))
REGRESS_OPTS = --load-extension=$(EXTENSION) --inputdir=test/regress --outputdir=test/regress

PG_CPPFLAGS = -Isrc -Isrc/core -Wall -Wextra -Werror -Wno-unused-parameter \
              -Wno-missing-field-initializers
SHLIB_LINK  = -lcrypto
EXTRA_CLEAN = test/unit/bin test/fuzz/bin

PG_CONFIG  ?= pg_config
PGXS       := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(INSTALL_SQL): $(FRAGMENTS) $(EXTENSION).control
	{ printf '%s\n' '-- Generated from sql/install/*.sql by make; edit the fragments.' \
	    '\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \quit'; \
	  for f in $(FRAGMENTS); do printf '\n-- ---- %s\n' $$f; cat $$f; done; } > $@

# Pure C core: unit tests and fuzz targets build without a server.
CORE_CFLAGS = -std=c99 -O2 -g -Wall -Wextra -Werror -Isrc/core
UNIT_TESTS  = $(patsubst test/unit/%.c,test/unit/bin/%,$(filter-out test/unit/unit.c,$(wildcard test/unit/test_*.c)))
FUZZ_TARGETS = $(patsubst test/fuzz/%.c,test/fuzz/bin/%,$(wildcard test/fuzz/fuzz_*.c))
FUZZ_CC    ?= clang

test/unit/bin/%: test/unit/%.c test/unit/unit.h $(CORE_SRCS) $(wildcard src/core/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -Itest/unit -o $@ $< $(CORE_SRCS) -lcrypto

test/fuzz/bin/%: test/fuzz/%.c $(CORE_SRCS) $(wildcard src/core/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -Isrc/core -o $@ $< $(CORE_SRCS) -lcrypto

.PHONY: unit fuzz
unit: $(UNIT_TESTS)
fuzz: $(FUZZ_TARGETS)
