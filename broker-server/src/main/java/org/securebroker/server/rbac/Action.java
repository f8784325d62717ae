package org.securebroker.server.rbac;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a principal may be allowed to do. The action implies the kind of resource it acts on:
 * queue names for {@link #PUBLISH}, {@link #CONSUME}, {@link #CREATE}, {@link #DELETE} and
 * {@link #PURGE}; user names for {@link #MANAGE_USERS}; the single resource {@value #AUDIT_RESOURCE}
 * for {@link #READ_AUDIT}; the single resource {@value #METRICS_RESOURCE} for
 * {@link #READ_METRICS} (the admin listener's {@code /metrics}); the single resource
 * {@value #BROKER_RESOURCE} for {@link #ADMIN} (reload and other broker-wide operations).
 *
 * <p>Thread-safety: immutable.
 */
public enum Action {
    PUBLISH("publish"),
    CONSUME("consume"),
    CREATE("create"),
    DELETE("delete"),
    PURGE("purge"),
    MANAGE_USERS("manage-users"),
    READ_AUDIT("read-audit"),
    READ_METRICS("read-metrics"),
    ADMIN("admin");

    /** The resource {@link #READ_AUDIT} acts on. */
    public static final String AUDIT_RESOURCE = "audit";
    /** The resource {@link #READ_METRICS} acts on. */
    public static final String METRICS_RESOURCE = "metrics";
    /** The resource {@link #ADMIN} acts on. */
    public static final String BROKER_RESOURCE = "broker";

    private static final Action[] ALL = values();

    private final String wireName;

    Action(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in policy files, the CLI and audit records. */
    public String wireName() {
        return wireName;
    }

    /**
     * The one resource this action acts on, or null when it acts on named queues or users.
     */
    public String fixedResource() {
        return switch (this) {
            case READ_AUDIT -> AUDIT_RESOURCE;
            case READ_METRICS -> METRICS_RESOURCE;
            case ADMIN -> BROKER_RESOURCE;
            default -> null;
        };
    }

    /**
     * Parses a wire name, e.g. {@code manage-users}; letter case is ignored.
     *
     * @throws IllegalArgumentException naming the allowed names
     */
    public static Action parse(String name) {
        if (name != null) {
            String n = name.strip().toLowerCase(Locale.ROOT);
            for (Action a : ALL) {
                if (a.wireName.equals(n)) {
                    return a;
                }
            }
        }
        throw new IllegalArgumentException("unknown action '" + name + "'; allowed: " + String.join(", ", wireNames()));
    }

    /** Every wire name, in declaration order. */
    public static List<String> wireNames() {
        List<String> names = new ArrayList<>(ALL.length);
        for (Action a : ALL) {
            names.add(a.wireName);
        }
        return names;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
