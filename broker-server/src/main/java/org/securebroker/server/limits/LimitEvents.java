package org.securebroker.server.limits;

/**
 * Where enforced limits are reported. The broker counts every one
 * ({@code securebroker_limit_refusals_total{limit}}) and audits the first of each episode
 * ({@code limit.exceeded}).
 *
 * <p>Thread-safety: implementations are thread-safe and never block (they are called from
 * event loops and queue threads).
 */
@FunctionalInterface
public interface LimitEvents {

    LimitEvents NONE = refusal -> { };

    void refused(Refusal refusal);
}
