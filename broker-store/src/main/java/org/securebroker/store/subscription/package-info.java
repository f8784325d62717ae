/**
 * Durable subscription state: per subscription a committed cursor plus the ranges acknowledged
 * above it, kept in memory and made durable through a group-committed journal and snapshots,
 * authenticated (HMAC-SHA256 under a KEK-derived key, entries chained) and checked on open against
 * the checkpoint the store's state file recorded.
 */
package org.securebroker.store.subscription;
