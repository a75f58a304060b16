/*
 * socklab_jni: the JNI shim behind socklab.sys.JniCalls (the `jni` binding).
 *
 * Thin on purpose: each entry point makes one libc call with the primitives and raw addresses it is
 * given and returns the result, or -errno on failure. Nothing is retried or interpreted here: EINTR,
 * EAGAIN and the exception text are the Java side's policy (socklab.sys.ErrnoBinding), shared with the
 * jnr binding. The prototypes come from the header `javac -h` generates from JniCalls.java, so a
 * signature that disagrees with the Java declaration does not compile. Built with -fvisibility=hidden:
 * only the JNIEXPORT entry points are visible (the Makefile checks the dynamic symbol table).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socklab_sys_JniCalls.h"

/* Every entry point is a static native method: the JNIEnv and the class are not used. */
#define ARGS JNIEnv *env __attribute__((unused)), jclass cls __attribute__((unused))
#define PTR(address) ((void *)(intptr_t)(address))
#define RESULT(r) ((r) < 0 ? -errno : (r))

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_getpid(ARGS) {
    return getpid();
}

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_socket(ARGS, jint domain, jint type, jint protocol) {
    int r = socket(domain, type, protocol);
    return RESULT(r);
}

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_setsockopt(ARGS, jint fd, jint level, jint optname, jlong value,
                                                            jint length) {
    int r = setsockopt(fd, level, optname, PTR(value), (socklen_t)length);
    return RESULT(r);
}

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_getsockopt(ARGS, jint fd, jint level, jint optname, jlong value,
                                                            jlong length) {
    int r = getsockopt(fd, level, optname, PTR(value), PTR(length));
    return RESULT(r);
}

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_bind(ARGS, jint fd, jlong address, jint length) {
    int r = bind(fd, PTR(address), (socklen_t)length);
    return RESULT(r);
}

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_listen(ARGS, jint fd, jint backlog) {
    int r = listen(fd, backlog);
    return RESULT(r);
}

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_accept4(ARGS, jint fd, jint flags) {
    int r = accept4(fd, NULL, NULL, flags);
    return RESULT(r);
}

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_connect(ARGS, jint fd, jlong address, jint length) {
    int r = connect(fd, PTR(address), (socklen_t)length);
    return RESULT(r);
}

JNIEXPORT jlong JNICALL Java_socklab_sys_JniCalls_read(ARGS, jint fd, jlong buf, jlong count) {
    ssize_t r = read(fd, PTR(buf), (size_t)count);
    return RESULT(r);
}

JNIEXPORT jlong JNICALL Java_socklab_sys_JniCalls_write(ARGS, jint fd, jlong buf, jlong count) {
    ssize_t r = write(fd, PTR(buf), (size_t)count);
    return RESULT(r);
}

JNIEXPORT jlong JNICALL Java_socklab_sys_JniCalls_recv(ARGS, jint fd, jlong buf, jlong count, jint flags) {
    ssize_t r = recv(fd, PTR(buf), (size_t)count, flags);
    return RESULT(r);
}

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_close(ARGS, jint fd) {
    int r = close(fd);
    return RESULT(r);
}

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_shutdown(ARGS, jint fd, jint how) {
    int r = shutdown(fd, how);
    return RESULT(r);
}

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_epollCreate1(ARGS, jint flags) {
    int r = epoll_create1(flags);
    return RESULT(r);
}

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_epollCtl(ARGS, jint epfd, jint op, jint fd, jlong event) {
    int r = epoll_ctl(epfd, op, fd, PTR(event));
    return RESULT(r);
}

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_epollWait(ARGS, jint epfd, jlong events, jint maxEvents,
                                                           jint timeoutMillis) {
    int r = epoll_wait(epfd, PTR(events), maxEvents, timeoutMillis);
    return RESULT(r);
}

JNIEXPORT jint JNICALL Java_socklab_sys_JniCalls_eventfd(ARGS, jint initialValue, jint flags) {
    int r = eventfd((unsigned int)initialValue, flags);
    return RESULT(r);
}
