/**
 * What bounds the broker under any load: memory budgets in bytes (frames being received,
 * publishes waiting for the disk, deliveries on their way out) with each principal's share of
 * the in-flight one, connection slots (before login
 * per source address, after login per principal), quotas per principal (queues, subscriptions,
 * consumers, publish rates) and how a refusal is reported: a metric for each, an audit entry
 * for the first of each episode.
 */
package org.securebroker.server.limits;
