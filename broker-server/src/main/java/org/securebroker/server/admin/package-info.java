/**
 * The admin listener: health ({@code /livez}, {@code /readyz}) and Prometheus metrics
 * ({@code /metrics}) over HTTPS on a port of its own, loopback by default.
 *
 * <p>Imports queue, session (connection events), audit and config; a top layer.
 */
package org.securebroker.server.admin;
