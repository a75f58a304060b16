package socklab.server;

import java.util.Locale;

/** How {@link ReuseportServer}'s kernel picks the socket of its SO_REUSEPORT group for a new connection. */
public enum Steer {
    /** The kernel's default: a hash of the connection's addresses and ports. */
    HASH,
    /** A classic BPF program returns the index {@code cpu % workers}: the CPU that received the SYN picks the socket. */
    CPU;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The value called {@code name}; an unknown name gives one line listing the known ones. */
    public static Steer byName(String name) {
        return ServerConfig.byCliName(values(), Steer::cliName, "steering", name);
    }
}
