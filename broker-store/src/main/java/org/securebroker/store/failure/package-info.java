/**
 * How the store fails: {@link org.securebroker.store.failure.StoreException} with its
 * {@link org.securebroker.store.failure.StoreException.Kind} (which callers map to what a client
 * is told), and the corrupted-record case. A bottom layer of the store: imports only the record
 * vocabulary.
 */
package org.securebroker.store.failure;
