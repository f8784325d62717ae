/**
 * The admin listener: health ({@code /livez}, {@code /readyz}) and Prometheus metrics
 * ({@code /metrics}) over HTTPS on a port of its own, loopback by default.
 */
package org.securebroker.server.admin;
