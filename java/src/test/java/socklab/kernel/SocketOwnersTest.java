package socklab.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import socklab.sys.Fd;
import socklab.sys.Loopback;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Owners of sockets through /proc/PID/fd, as ss -p finds them. */
class SocketOwnersTest {

    @Test
    void aListenerOfThisProcessIsFoundWithOurPidAndFd() {
        int listener = Loopback.listen(Loopback.V4, 3, 0);
        try {
            long inode = SocketOwners.inodeOf(ProcFs.DEFAULT, listener);
            Map<Long, List<SocketOwner>> owners = SocketOwners.find(ProcFs.DEFAULT, Set.of(inode));
            SocketOwner owner = owners.get(inode).getFirst();
            assertEquals(List.of(owner), owners.get(inode), "one descriptor holds it");
            assertEquals(ProcessHandle.current().pid(), owner.pid());
            assertEquals(listener, owner.fd());
            assertEquals("java", owner.command());
            assertEquals("java pid=" + owner.pid() + " fd=" + listener, owner.toString());
        } finally {
            Fd.close(listener);
        }
    }

    @Test
    void aDescriptorThatIsNotASocketIsNamed() {
        int eventfd = Fd.eventfd(0, Fd.EFD_CLOEXEC);
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SocketOwners.inodeOf(ProcFs.DEFAULT, eventfd));
            assertEquals("fd " + eventfd + " is not a socket: it refers to anon_inode:[eventfd]", e.getMessage());
        } finally {
            Fd.close(eventfd);
        }
        UncheckedIOException closed = assertThrows(UncheckedIOException.class, () -> SocketOwners.inodeOf(ProcFs.DEFAULT, eventfd));
        assertTrue(closed.getMessage().startsWith("fd " + eventfd + " is not open in this process"), closed.getMessage());
    }

    @Test
    void linkTargetsOtherThanSocketsAreNotInodes() {
        assertEquals(123, SocketOwners.socketInode("socket:[123]"));
        assertEquals(-1, SocketOwners.socketInode("pipe:[123]"));
        assertEquals(-1, SocketOwners.socketInode("socket:[x]"));
        assertEquals(-1, SocketOwners.socketInode("/dev/null"));
    }

    @Test
    void aMissingProcRootIsAClearError(@TempDir Path dir) {
        Path missing = dir.resolve("no-proc");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> SocketOwners.find(new ProcFs(missing), Set.of(1L)));
        assertTrue(e.getMessage().startsWith("cannot list " + missing + " ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("): socket owners come from its PID/fd links"), e.getMessage());
    }
}
