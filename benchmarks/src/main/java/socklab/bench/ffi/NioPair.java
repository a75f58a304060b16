package socklab.bench.ffi;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Two connected non-blocking AF_UNIX stream channels: java.nio's nearest equivalent of
 * socketpair(AF_UNIX, SOCK_STREAM), which nio cannot call. In the kernel both are the same kind of
 * socket, so the nio rows measure the same work as the socketpair rows. The socket file is removed as
 * soon as the pair is connected.
 */
final class NioPair implements AutoCloseable {
    final SocketChannel first;
    final SocketChannel second;

    NioPair() throws IOException {
        Path dir = Files.createTempDirectory("socklab-bench");
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("pair.sock"));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(address);
            first = SocketChannel.open(address);
            second = server.accept();
        } finally {
            Files.deleteIfExists(address.getPath());
            Files.delete(dir);
        }
        first.configureBlocking(false);
        second.configureBlocking(false);
    }

    @Override
    public void close() throws IOException {
        first.close();
        second.close();
    }
}
