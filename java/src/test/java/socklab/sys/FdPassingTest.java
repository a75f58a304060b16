package socklab.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SCM_RIGHTS over a SOCK_SEQPACKET pair: the descriptor that arrives is the same connection. */
class FdPassingTest {

    @Test
    void aPassedConnectionIsTheSameSocketUnderANewCloseOnExecNumber() {
        int[] pair = Sockets.socketpair(SockAddr.AF_UNIX, Sockets.SOCK_SEQPACKET | Sockets.SOCK_CLOEXEC);
        int listener = Loopback.listen(Loopback.V4, 4, 0);
        int client = Loopback.connect(Sockets.localAddress(listener));
        int accepted = Sockets.accept(listener, Sockets.SOCK_CLOEXEC);
        int received = -1;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = FdPassing.allocateMessage(arena);
            MemorySegment in = FdPassing.allocateMessage(arena);
            assertEquals(1, FdPassing.send(pair[0], out, (byte) 'C', accepted));
            assertEquals(1, FdPassing.receive(pair[1], in));
            assertEquals('C', FdPassing.tag(in));
            assertFalse(FdPassing.truncated(in));
            received = FdPassing.receivedFd(in);
            assertTrue(received >= 0 && received != accepted, "a new descriptor number: " + received);
            assertEquals(Fd.FD_CLOEXEC, Fd.fcntl(received, Fd.F_GETFD, 0) & Fd.FD_CLOEXEC, "MSG_CMSG_CLOEXEC");
            Fd.close(accepted);
            accepted = -1;
            Loopback.writeAll(received, "through the passed descriptor");
            assertEquals("through the passed descriptor", Loopback.readExactly(client, 29));

            assertEquals(1, FdPassing.send(pair[1], out, (byte) 'A', -1));
            assertEquals(1, FdPassing.receive(pair[0], in));
            assertEquals('A', FdPassing.tag(in));
            assertEquals(-1, FdPassing.receivedFd(in), "a message without a descriptor");

            Fd.setNonBlocking(pair[0], true);
            assertEquals(-Errno.EAGAIN, FdPassing.receive(pair[0], in), "nothing waiting");
            Sockets.shutdown(pair[1], Sockets.SHUT_RDWR);
            assertEquals(0, FdPassing.receive(pair[0], in), "end of stream once the peer shut down");
            NativeException gone = assertThrows(NativeException.class,
                    () -> FdPassing.send(pair[0], out, (byte) 'C', -1));
            assertEquals(Errno.EPIPE, gone.errno(), gone.getMessage());
        } finally {
            for (int fd : new int[] {received, accepted, client, listener, pair[0], pair[1]}) {
                if (fd >= 0) {
                    Fd.close(fd);
                }
            }
        }
    }
}
