# socklab: the one entry point. `make bench` runs the main job, `make test` the tests.
SHELL := /bin/bash
.DEFAULT_GOAL := build

# Knobs (override on the command line: make bench PROFILE=full, make test FUZZ_INPUTS=1000000).
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
# The fuzzer in make test (socklab.http.FuzzTest): how many inputs, from which seed (empty: the test's defaults, 100000 and a fixed seed).
FUZZ_INPUTS ?=
FUZZ_SEED ?=
# Connect/request/close cycles per model in socklab.server.LeakTest, each model in a serve JVM of its own (empty: the test's
# default, 10000, about a minute for all 11 variants; the issue's full run: 1000000, about 25 minutes on 2 cores).
LEAK_CYCLES ?=

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
# The jni binding's shim: header from `javac -h`, library where java/pom.xml picks it up as a jar
# resource (socklab.sys.JniBinding loads /native/linux-<cpu>/libsocklab_jni.so from the class path).
JNI_HEADER := $(NATIVE_OUT)/include/socklab_sys_JniCalls.h
JNI_LIB := $(NATIVE_OUT)/resources/native/linux-$(shell uname -m)/libsocklab_jni.so
JNI_CFLAGS := -fPIC -shared -fvisibility=hidden -I$(JAVA_HOME)/include -I$(JAVA_HOME)/include/linux -I$(dir $(JNI_HEADER))
CFLOOR := $(NATIVE_OUT)/cfloor
SOCKLAB_JAR := java/target/socklab-all.jar
BENCH_JAR := benchmarks/target/benchmarks.jar

# One directory per bench run: raw JSON of every experiment, JMH's JSON and log, the charts.
BENCH_RUN := $(RESULTS)/$(shell date -u +%Y%m%d-%H%M%S)-$(GIT_SHA)

JMH_quick := -f 1 -wi 3 -w 1s -i 5 -r 1s
JMH_full := -f 2 -wi 5 -w 2s -i 10 -r 2s
JMH_ARGS := $(or $(JMH_$(PROFILE)),$(error PROFILE must be quick or full, not '$(PROFILE)'))

# The FFI cost table (socklab.bench.ffi: 23 JMH runs, 5 calls x the ways in). quick: 1 fork, 2x1s
# warm-up, 5x1s measurement each, so that `make bench-ffi` stays under 5 minutes on 2 cores.
FFI_BENCHMARKS := socklab\.bench\.ffi\.
JMH_FFI_quick := -f 1 -wi 2 -w 1s -i 5 -r 1s
JMH_FFI_full := $(JMH_full)
CFLOOR_quick := --rounds 10 --round-ms 100
CFLOOR_full := --rounds 20 --round-ms 200
FFI_RESULT := $(RESULTS)/ffi-$(PROFILE)-$(GIT_SHA)

# socklab next to nginx, Netty, JDK NIO and the C server (socklab.peers, peers/): 13 servers x 2 loaders
# x rounds. quick: 3 s runs, 3 rounds (about 6 minutes on 2 cores); full: 10 s runs, 5 rounds.
# PEERS_ARGS adds flags, e.g. PEERS_ARGS='--servers socklab-reuseport,nginx-2w-reuseport --connections 256'.
PEERS_JAR := peers/target/socklab-peers.jar
PEERS_quick := --duration 3s --rounds 3
PEERS_full := --duration 10s --rounds 5
PEERS_ARGS ?=
# make bench PEERS=1 runs bench-peers as part of the bench.
PEERS ?=

.PHONY: build test bench bench-ffi bench-peers native clean

native: $(SYSCONST) $(CSERVER) $(JNI_LIB) $(CFLOOR)

# Prints every constant, struct size and field offset the Java layer uses, from the system headers.
$(SYSCONST): native/sysconst.c native/sysconst_tcpinfo.c | $(NATIVE_OUT)
	$(CC) $(CFLAGS) -o $@ $^

# The C baseline HTTP server (single and reuseport): the limit this machine reaches for GET /.
$(CSERVER): native/cserver.c | $(NATIVE_OUT)
	$(CC) $(CFLAGS) -pthread -o $@ $^

$(JNI_HEADER): java/src/main/java/socklab/sys/JniCalls.java | $(NATIVE_OUT)
	$(JAVA_HOME)/bin/javac -h $(@D) -d $(NATIVE_OUT)/javac-h $<

# Only the JNIEXPORT entry points may be visible: the check fails the build if anything else is exported.
$(JNI_LIB): native/socklab_jni.c $(JNI_HEADER)
	mkdir -p $(@D)
	$(CC) $(CFLAGS) $(JNI_CFLAGS) -o $@ $<
	@extra=$$(nm -D --defined-only $@ | awk '$$3 !~ /^Java_socklab_sys_JniCalls_/ {print $$3}'); \
	  if [[ -n "$$extra" ]]; then rm -f $@; echo "$@ exports more than its JNI entry points: $$extra" >&2; exit 1; fi

# The C floor of the FFI cost table: the same calls as the JMH benchmarks, from C.
$(CFLOOR): native/cfloor.c | $(NATIVE_OUT)
	$(CC) $(CFLAGS) -o $@ $<

$(NATIVE_OUT) $(RESULTS):
	mkdir -p $@

build: native
	$(MAVEN) package -DskipTests

test: native
	$(MAVEN) $(if $(FUZZ_INPUTS),-Dsocklab.fuzz.inputs=$(FUZZ_INPUTS)) $(if $(FUZZ_SEED),-Dsocklab.fuzz.seed=$(FUZZ_SEED)) $(if $(LEAK_CYCLES),-Dsocklab.leak.cycles=$(LEAK_CYCLES)) verify
	scripts/check-launcher.sh

# The main job: the FFI cost table (bench-ffi), every experiment (socklab experiment all: each in a JVM
# and, as root, a network namespace of its own), the other JMH benchmarks, then the report built from
# the run's files alone. Everything lands in $(BENCH_RUN); the report in $(RESULTS)/report-$(GIT_SHA).{md,html}.
# The side-by-side run with nginx, Netty, NIO and the C server is long, so it is in only when asked:
# PEERS=1 runs it into the run directory; otherwise the report includes the latest `make bench-peers`
# result of this commit when there is one. A failed part does not stop the rest: the report shows what
# ran, and bench exits 1 at the end.
bench: bench-ffi | $(RESULTS)
	@mkdir -p $(BENCH_RUN)
	@echo "bench: profile $(PROFILE), $$(nproc) cores, load average $$(cut -d' ' -f1-3 /proc/loadavg); results in $(BENCH_RUN)"
	@cp $(FFI_RESULT).txt $(BENCH_RUN)/
	@status=0; \
	  ./socklab experiment all --profile $(PROFILE) --results $(BENCH_RUN) || status=1; \
	  if [[ "$(PEERS)" == 1 ]]; then \
	    echo "bench: peers (bench-peers)"; \
	    $(JAVA) @jvm.options -jar $(PEERS_JAR) bench $(PEERS_$(PROFILE)) --results $(BENCH_RUN) --git-sha $(GIT_SHA) $(PEERS_ARGS) || status=1; \
	  else \
	    latest=$$(ls -t $(RESULTS)/peers-*-$(GIT_SHA).json 2>/dev/null | head -1); \
	    if [[ -n "$$latest" ]]; then cp "$$latest" $(BENCH_RUN)/ && echo "bench: the report includes $$latest"; fi; \
	  fi; \
	  if $(JAVA) @jvm.options -jar $(BENCH_JAR) -l -e '$(FFI_BENCHMARKS)' | grep -q '^socklab\.'; then \
	    echo "bench: JMH"; \
	    $(JAVA) @jvm.options -jar $(BENCH_JAR) $(JMH_ARGS) -e '$(FFI_BENCHMARKS)' -rf json -rff $(BENCH_RUN)/jmh-$(PROFILE)-$(GIT_SHA).json \
	      > $(BENCH_RUN)/jmh-$(PROFILE)-$(GIT_SHA).log || status=1; \
	  fi; \
	  ./socklab report --run $(BENCH_RUN) --out $(RESULTS) || status=1; \
	  exit $$status

# Per-call cost of five calls through every binding, next to the C floor. Keeps the C floor's rounds,
# the JMH JSON and log, and the printed table under $(RESULTS)/ffi-<profile>-<sha>.*; prints the table.
bench-ffi: build | $(RESULTS)
	@echo "bench-ffi: $$(nproc) cores, load average $$(cut -d' ' -f1-3 /proc/loadavg) at the start" | tee $(FFI_RESULT).txt
	$(CFLOOR) $(CFLOOR_$(PROFILE)) > $(FFI_RESULT)-cfloor.txt
	@echo "bench-ffi: JMH, one fork per benchmark and binding; progress below, full log in $(FFI_RESULT)-jmh.log"
	set -o pipefail; $(JAVA) @jvm.options -jar $(BENCH_JAR) $(JMH_FFI_$(PROFILE)) -rf json -rff $(FFI_RESULT).json \
	  '$(FFI_BENCHMARKS)' | tee $(FFI_RESULT)-jmh.log | grep --line-buffered -E '^# (Benchmark|Parameters): '
	./socklab ffi-table --jmh $(FFI_RESULT).json --floor $(FFI_RESULT)-cfloor.txt | tee -a $(FFI_RESULT).txt
	@echo "bench-ffi: table in $(FFI_RESULT).txt, JMH JSON in $(FFI_RESULT).json"

# Prints the table on stdout (progress on stderr); keeps it and the whole run as JSON under $(RESULTS)/peers-*.
bench-peers: build | $(RESULTS)
	@echo "bench-peers: $$(nproc) cores, load average $$(cut -d' ' -f1-3 /proc/loadavg) at the start"
	$(JAVA) @jvm.options -jar $(PEERS_JAR) bench $(PEERS_$(PROFILE)) --results $(RESULTS) --git-sha $(GIT_SHA) $(PEERS_ARGS)

clean:
	$(MAVEN) clean
	rm -rf $(NATIVE_OUT)
