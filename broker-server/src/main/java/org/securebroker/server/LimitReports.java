package org.securebroker.server;

import org.securebroker.server.admin.BrokerMetrics;
import org.securebroker.server.limits.LimitEvents;
import org.securebroker.server.limits.Refusal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the broker's enforced limits go: every refusal is counted
 * ({@code securebroker_limit_refusals_total{limit}}); the first of an episode is also written to
 * the audit log ({@code limit.exceeded}) and logged once, so a client hammering a limit neither
 * floods the log nor goes unrecorded.
 *
 * <p>Thread-safety: thread-safe; never blocks (the audit log queues).
 */
final class LimitReports implements LimitEvents {

    private static final Logger LOG = LoggerFactory.getLogger(LimitReports.class);

    private final BrokerMetrics metrics;
    private final BrokerAudit audit;

    LimitReports(BrokerMetrics metrics, BrokerAudit audit) {
        this.metrics = metrics;
        this.audit = audit;
    }

    @Override
    public void refused(Refusal r) {
        metrics.limitRefused(r.limit());
        if (r.firstOfEpisode()) {
            LOG.warn("limit '{}' reached by {}: {} ({}); further refusals of this episode are only counted",
                    r.limit(), r.principal() != null ? "'" + r.principal() + "'" + (r.subject().equals(r.principal())
                            ? "" : " on '" + r.subject() + "'") : r.subject(), r.value(), r.setting());
            audit.limitExceeded(r);
        }
    }
}
