package org.securebroker.server.request;

import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.PeerText;
import org.securebroker.store.Store;

/**
 * The one rule for the names a client gives to what the broker keeps: queues and subscriptions
 * alike follow the store's log-name rule ({@link Store#LOG_NAME_RULE}), since a queue's name is
 * its directory's name and a subscription's name is written beside it and shown in logs and
 * metrics.
 *
 * <p>Thread-safety: stateless.
 */
public final class Names {

    /** What a name names, as a refusal says it. */
    public enum Kind {
        QUEUE("queue"), SUBSCRIPTION("subscription");

        private final String word;

        Kind(String word) {
            this.word = word;
        }

        @Override
        public String toString() {
            return word;
        }
    }

    private Names() {
    }

    /**
     * @throws RequestException {@code INVALID_REQUEST} naming the name (escaped and bounded) and
     *     what is allowed
     */
    public static void require(Kind kind, String name) {
        if (!Store.isValidLogName(name)) {
            throw new RequestException(ErrorCode.INVALID_REQUEST, "invalid " + kind + " name " + PeerText.quote(name)
                    + ": use " + Store.LOG_NAME_RULE);
        }
    }
}
