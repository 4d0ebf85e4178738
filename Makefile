# vector_ext: PGXS build of the one shared library (C glue + C API + C++ core).
#
# CMakeLists.txt builds the Postgres-free core for unit tests and benchmarks
# only; this Makefile is the only way to build the extension itself.

EXTENSION = vector_ext
MODULE_big = vector_ext
DATA = vector_ext--0.1.0.sql

PG_OBJS = src/pg/vector.o src/pg/hnsw.o src/pg/hnswbuild.o src/pg/hnswinsert.o src/pg/hnswscan.o \
	src/pg/hnswvacuum.o src/pg/hnswutils.o src/pg/hnswcheck.o
CAPI_OBJS = src/capi/vx_core.o src/capi/vx_hnsw.o
CORE_OBJS = src/core/vector_text.o src/core/vector_binary.o src/core/kernels_dispatch.o \
	src/core/kernels_base.o src/core/kernels_avx2.o src/core/kernels_avx512.o \
	src/core/hnsw.o src/core/hnsw_builder.o src/core/hnsw_callbacks.o
OBJS = $(PG_OBJS) $(CAPI_OBJS) $(CORE_OBJS)

VX_PG_HDRS = $(wildcard src/pg/*.h)
VX_CORE_HDRS = $(wildcard src/core/*.h) $(wildcard src/capi/*.h) $(wildcard src/capi/*.hpp)

PG_CPPFLAGS = -I$(srcdir)/src/capi -isystem /usr/include/eigen3
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
PG_CXXFLAGS = -std=c++20 -O2 -Wall -Wextra -Wno-unused-parameter -fno-semantic-interposition
SHLIB_LINK += -lstdc++

REGRESS = vector_input vector_output vector_functions vector_operators vector_cast vector_aggregate vector_btree vector_binary hnsw
REGRESS_OPTS = --inputdir=$(srcdir) --load-extension=vector_ext

ifneq ($(wildcard test/t/*.pl),)
TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))
endif

# JIT inlining of our functions buys nothing, and clang would have to compile
# Eigen a second time; build no LLVM bitcode.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Each kernel level gets its own instruction set; the others stay baseline.
src/core/kernels_avx2.o: override CXXFLAGS += -mavx2 -mfma
src/core/kernels_avx512.o: override CXXFLAGS += -mavx512f -mavx512dq -mavx512vl -mavx512bw -mavx2 -mfma

$(PG_OBJS): $(VX_PG_HDRS) src/capi/vx_core.h src/capi/vx_hnsw.h
$(CAPI_OBJS) $(CORE_OBJS): $(VX_CORE_HDRS)

# Replace the installed library by unlinking it first: install(1) would
# otherwise rewrite the file in place, under backends that have it mapped
# (they die with SIGBUS or SIGSEGV).  The new file gets a new inode; running
# backends keep the old one until they exit.
install-lib-shared: vx-unlink-installed-module
.PHONY: vx-unlink-installed-module
vx-unlink-installed-module:
	rm -f '$(DESTDIR)$(pkglibdir)/$(MODULE_big)$(DLSUFFIX)'
