/**
 * The encrypted, append-only segment store: many named logs plus durable subscription state.
 */
package org.securebroker.store;
