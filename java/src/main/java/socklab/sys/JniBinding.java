package socklab.sys;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The {@code jni} binding: {@link JniCalls}, a thin C shim, under the shared error policy of
 * {@link ErrnoBinding}.
 *
 * <p>The shared library travels inside the socklab jar as the resource {@link #RESOURCE} (the
 * Makefile builds it into native/build/resources before Maven packages the jar). On first use it is
 * copied to a temporary file, {@code System.load}ed and the file deleted (the mapping outlives the
 * name), as Netty loads its transports: nobody has to set java.library.path.
 */
final class JniBinding extends ErrnoBinding {
    /** Where the library sits in the jar: one directory per OS and CPU, as the Makefile names them. */
    static final String RESOURCE = "/native/linux-" + cpu() + "/libsocklab_jni.so";

    /** Why the library could not be loaded, or null when it was. */
    private static final String LOAD_FAILURE = load();
    private static final JniBinding INSTANCE = new JniBinding();

    private JniBinding() {}

    /** The binding, or one line naming why its library cannot be loaded and how to fix it. */
    static JniBinding instance() {
        return loaded(INSTANCE, LOAD_FAILURE);
    }

    private static String cpu() {
        String arch = System.getProperty("os.arch");
        return "amd64".equals(arch) ? "x86_64" : arch;
    }

    private static String load() {
        if (!System.getProperty("os.name").equals("Linux")) {
            return "the jni binding is built for Linux only, not " + System.getProperty("os.name");
        }
        try (InputStream library = JniBinding.class.getResourceAsStream(RESOURCE)) {
            if (library == null) {
                return "the jni binding's library " + RESOURCE + " is not on the class path: run 'make native' "
                        + "(or 'make build'), which builds it before Maven packages the jar";
            }
            Path copy = Files.createTempFile("libsocklab_jni", ".so");
            try {
                Files.copy(library, copy, StandardCopyOption.REPLACE_EXISTING);
                System.load(copy.toString());
            } finally {
                Files.deleteIfExists(copy);
            }
            return null;
        } catch (IOException | UnsatisfiedLinkError e) {
            return "the jni binding's library " + RESOURCE + " could not be loaded (" + e.getMessage()
                    + "): run 'make native' to rebuild it for this machine";
        }
    }

    @Override
    public String name() {
        return "jni";
    }

    @Override
    public int getpid() {
        return JniCalls.getpid();
    }

    @Override
    int socket0(int domain, int type, int protocol) {
        return JniCalls.socket(domain, type, protocol);
    }

    @Override
    int setsockopt0(int fd, int level, int optname, long value, int length) {
        return JniCalls.setsockopt(fd, level, optname, value, length);
    }

    @Override
    int getsockopt0(int fd, int level, int optname, long value, long length) {
        return JniCalls.getsockopt(fd, level, optname, value, length);
    }

    @Override
    int bind0(int fd, long address, int length) {
        return JniCalls.bind(fd, address, length);
    }

    @Override
    int listen0(int fd, int backlog) {
        return JniCalls.listen(fd, backlog);
    }

    @Override
    int accept0(int fd, int flags) {
        return JniCalls.accept4(fd, flags);
    }

    @Override
    int connect0(int fd, long address, int length) {
        return JniCalls.connect(fd, address, length);
    }

    @Override
    long read0(int fd, long buf, long count) {
        return JniCalls.read(fd, buf, count);
    }

    @Override
    long write0(int fd, long buf, long count) {
        return JniCalls.write(fd, buf, count);
    }

    @Override
    long recv0(int fd, long buf, long count, int flags) {
        return JniCalls.recv(fd, buf, count, flags);
    }

    @Override
    int close0(int fd) {
        return JniCalls.close(fd);
    }

    @Override
    int shutdown0(int fd, int how) {
        return JniCalls.shutdown(fd, how);
    }

    @Override
    int epollCreate0(int flags) {
        return JniCalls.epollCreate1(flags);
    }

    @Override
    int epollCtl0(int epfd, int op, int fd, long event) {
        return JniCalls.epollCtl(epfd, op, fd, event);
    }

    @Override
    int epollWait0(int epfd, long events, int maxEvents, int timeoutMillis) {
        return JniCalls.epollWait(epfd, events, maxEvents, timeoutMillis);
    }

    @Override
    int eventfd0(int initialValue, int flags) {
        return JniCalls.eventfd(initialValue, flags);
    }
}
