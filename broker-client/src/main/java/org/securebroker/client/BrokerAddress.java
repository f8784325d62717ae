package org.securebroker.client;

import java.util.Objects;

/**
 * A broker endpoint. The host is also the name the server certificate must match and the TLS
 * SNI host name.
 *
 * <p>Thread-safety: immutable.
 *
 * @param host DNS name or IP literal
 * @param port TCP port, 1..65535
 */
record BrokerAddress(String host, int port) {

    public BrokerAddress {
        Objects.requireNonNull(host, "host");
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
