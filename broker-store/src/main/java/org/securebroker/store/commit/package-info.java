/**
 * Group commit: {@link org.securebroker.store.commit.GroupCommit} is the one writer thread behind
 * the store's logs, its subscription journal and the broker's audit log. It owns queueing,
 * batching, the fsync of each round, completion and the fail-stop rule; what is written, and in
 * which files, stays with its owner (a {@link org.securebroker.store.commit.Committer}).
 */
package org.securebroker.store.commit;
