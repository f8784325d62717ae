/**
 * The queue engine: queues backed by store logs, durable subscriptions with competing consumers,
 * credit-based delivery, acknowledgement, redelivery, dead-lettering, TTL and producer
 * de-duplication.
 *
 * <p>Imports integrity, request and config; never the session or the front end.
 */
package org.securebroker.server.queue;
