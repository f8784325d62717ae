/**
 * Configuration: {@code broker.yaml} read into a tree that remembers line numbers, bound to typed
 * records and validated once at start, with every problem reported together, naming the key and
 * line and what is allowed.
 *
 * <p>The bottom layer: plain typed records, imports nothing of the server.
 */
package org.securebroker.server.config;
