# socklab: the one entry point. `make bench` runs the main job, `make test` the tests.
SHELL := /bin/bash
.DEFAULT_GOAL := build

# Knobs (override on the command line: make bench PROFILE=full).
JAVA_HOME ?=
MVN ?= mvn
MVN_FLAGS ?= -B --no-transfer-progress
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
# The jni binding's shim: header from `javac -h`, library where java/pom.xml picks it up as a jar
# resource (socklab.sys.JniBinding loads /native/linux-<cpu>/libsocklab_jni.so from the class path).
JNI_HEADER := $(NATIVE_OUT)/include/socklab_sys_JniCalls.h
JNI_LIB := $(NATIVE_OUT)/resources/native/linux-$(shell uname -m)/libsocklab_jni.so
JNI_CFLAGS := -fPIC -shared -fvisibility=hidden -I$(JAVA_HOME)/include -I$(JAVA_HOME)/include/linux -I$(dir $(JNI_HEADER))
CFLOOR := $(NATIVE_OUT)/cfloor
SOCKLAB_JAR := java/target/socklab-all.jar
BENCH_JAR := benchmarks/target/benchmarks.jar

JMH_quick := -f 1 -wi 3 -w 1s -i 5 -r 1s
JMH_full := -f 2 -wi 5 -w 2s -i 10 -r 2s
JMH_ARGS := $(or $(JMH_$(PROFILE)),$(error PROFILE must be quick or full, not '$(PROFILE)'))

.PHONY: build test bench native clean

native: $(SYSCONST) $(JNI_LIB) $(CFLOOR)

# Prints every constant, struct size and field offset the Java layer uses, from the system headers.
$(SYSCONST): native/sysconst.c native/sysconst_tcpinfo.c | $(NATIVE_OUT)
	$(CC) $(CFLAGS) -o $@ $^

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
	$(MAVEN) verify
	scripts/check-launcher.sh

bench: build | $(RESULTS)
	$(JAVA) @jvm.options -jar $(BENCH_JAR) $(JMH_ARGS) \
	  -rf json -rff $(RESULTS)/jmh-$(PROFILE)-$(GIT_SHA).json
	@echo "JMH results: $(RESULTS)/jmh-$(PROFILE)-$(GIT_SHA).json"

clean:
	$(MAVEN) clean
	rm -rf $(NATIVE_OUT)
