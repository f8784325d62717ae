/**
 * Durable subscription state: per subscription a committed cursor plus the ranges acknowledged
 * above it, kept in memory and made durable through a group-committed journal and snapshots.
 */
package org.securebroker.store.subscription;
