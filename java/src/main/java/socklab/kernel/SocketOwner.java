package socklab.kernel;

/** A descriptor that refers to a socket: the process, its command name and the fd number, as {@code ss -p} prints them. */
public record SocketOwner(long pid, String command, int fd) {
    @Override
    public String toString() {
        return command + " pid=" + pid + " fd=" + fd;
    }
}
