# socklab: the one entry point. `make bench` runs the main job, `make test` the tests.
SHELL := /bin/bash
.DEFAULT_GOAL := build

# Knobs (override on the command line: make bench PROFILE=full).
JAVA_HOME ?=
MVN ?= mvn
MVN_FLAGS ?= -B --no-transfer-progress -Dstyle.color=never
# make's built-in default for CC is cc; socklab's C is checked with gcc.
ifeq ($(origin CC),default)
CC := gcc
endif
CFLAGS ?= -O2 -g -Wall -Wextra -Werror -std=gnu11
# quick: JMH 1 fork, 3x1s warm-up, 5x1s measurement (about 10 s a benchmark); full: 2 forks, 5x2s, 10x2s.
PROFILE ?= quick
RESULTS ?= results

export JAVA_HOME := $(shell JAVA_HOME='$(JAVA_HOME)' scripts/find-jdk.sh 2>/dev/null)
ifeq ($(JAVA_HOME),)
$(error $(shell scripts/find-jdk.sh 2>&1 >/dev/null))
endif
JAVA := $(JAVA_HOME)/bin/java
GIT_SHA := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
MAVEN := $(MVN) $(MVN_FLAGS) -Dgit.sha=$(GIT_SHA)

NATIVE_OUT := native/build
SYSCONST := $(NATIVE_OUT)/sysconst
CSERVER := $(NATIVE_OUT)/cserver
SOCKLAB_JAR := java/target/socklab-all.jar
BENCH_JAR := benchmarks/target/benchmarks.jar

JMH_quick := -f 1 -wi 3 -w 1s -i 5 -r 1s
JMH_full := -f 2 -wi 5 -w 2s -i 10 -r 2s
JMH_ARGS := $(or $(JMH_$(PROFILE)),$(error PROFILE must be quick or full, not '$(PROFILE)'))

.PHONY: build test bench native clean

native: $(SYSCONST) $(CSERVER)

# Prints every constant, struct size and field offset the Java layer uses, from the system headers.
$(SYSCONST): native/sysconst.c native/sysconst_tcpinfo.c | $(NATIVE_OUT)
	$(CC) $(CFLAGS) -o $@ $^

# The C baseline HTTP server (single and reuseport): the limit this machine reaches for GET /.
$(CSERVER): native/cserver.c | $(NATIVE_OUT)
	$(CC) $(CFLAGS) -pthread -o $@ $^

$(NATIVE_OUT) $(RESULTS):
	mkdir -p $@

build: native
	$(MAVEN) package -DskipTests

test: native
	$(MAVEN) verify
	scripts/check-launcher.sh

bench: build | $(RESULTS)
	$(JAVA) @jvm.options -jar $(BENCH_JAR) $(JMH_ARGS) \
	  -rf json -rff $(RESULTS)/jmh-$(PROFILE)-$(GIT_SHA).json
	@echo "JMH results: $(RESULTS)/jmh-$(PROFILE)-$(GIT_SHA).json"

clean:
	$(MAVEN) clean
	rm -rf $(NATIVE_OUT)
