package socklab.sys;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Addresses print as ss and ip print them: IPv6 in RFC 5952's short form, in brackets. */
class SockAddrTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "127.0.0.1, 127.0.0.1:8080",
            "::, [::]:8080",
            "::1, [::1]:8080",
            "fe80:0:0:0:0:0:0:1, [fe80::1]:8080",
            "2001:db8:0:1:1:1:1:1, [2001:db8:0:1:1:1:1:1]:8080",
            "2001:0:0:1:0:0:0:1, [2001:0:0:1::1]:8080",
            "2001:db8:0:0:1:0:0:1, [2001:db8::1:0:0:1]:8080",
            "1:0:0:0:0:0:0:0, [1::]:8080"})
    void formatPrintsTheShortForm(String ip, String expected) throws Exception {
        assertEquals(expected, SockAddr.format(new InetSocketAddress(InetAddress.getByName(ip), 8080)));
    }
}
