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
# quick: each experiment in well under a minute (the whole bench in a few minutes on 2 cores), JMH
# 1 fork, 3x1s warm-up, 5x1s measurement (about 10 s a benchmark); full: longer experiment windows
# and more runs, JMH 2 forks, 5x2s, 10x2s.
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

# One directory per bench run: raw JSON of every experiment, JMH's JSON and log, the charts.
BENCH_RUN := $(RESULTS)/$(shell date -u +%Y%m%d-%H%M%S)-$(GIT_SHA)

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

# The main job: every experiment (socklab experiment all: each in a JVM and, as root, a network
# namespace of its own), then the JMH benchmarks, then the report built from the run's files alone.
# Everything lands in $(BENCH_RUN); the report in $(RESULTS)/report-$(GIT_SHA).{md,html}. A failed
# experiment does not stop the rest: the report shows what ran, and bench exits 1 at the end.
bench: build | $(RESULTS)
	@mkdir -p $(BENCH_RUN)
	@echo "bench: profile $(PROFILE), $$(nproc) cores, load average $$(cut -d' ' -f1-3 /proc/loadavg); results in $(BENCH_RUN)"
	@status=0; \
	  ./socklab experiment all --profile $(PROFILE) --results $(BENCH_RUN) || status=1; \
	  echo "bench: JMH"; \
	  $(JAVA) @jvm.options -jar $(BENCH_JAR) $(JMH_ARGS) -rf json -rff $(BENCH_RUN)/jmh-$(PROFILE)-$(GIT_SHA).json \
	    > $(BENCH_RUN)/jmh-$(PROFILE)-$(GIT_SHA).log || status=1; \
	  ./socklab report --run $(BENCH_RUN) --out $(RESULTS) || status=1; \
	  exit $$status

clean:
	$(MAVEN) clean
	rm -rf $(NATIVE_OUT)
