/**
 * The vocabulary of a log: offset ranges and records as read back. The bottom layer of the store:
 * imports nothing of it.
 */
package org.securebroker.store.record;
