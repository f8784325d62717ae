package org.securebroker.cli.check;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.securebroker.server.access.GrantUsage;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.rbac.Action;
import org.securebroker.server.rbac.Grant;
import org.securebroker.server.rbac.Policy;
import org.securebroker.server.rbac.PolicyException;
import org.securebroker.server.rbac.ResourcePattern;
import org.securebroker.store.crypto.KeyringFile;

/**
 * Authorization: {@code authorization.disabledForBenchmarks} (high), {@code queues.autoCreate}
 * (medium), a missing or invalid policy file (high: the broker refuses to start), wildcard
 * administration grants, and grants the audit log shows unused since {@code --unused-since}
 * ({@link GrantUsage}, as {@code broker rbac unused}; low, info when the log does not reach back
 * that far).
 *
 * <p>A wildcard administration grant is an allow of {@code admin}, {@code manage-users} or every
 * action on the resource {@code *}. It is low when its role is {@code admin} and only the
 * principal {@code admin} holds it (the setup {@code broker init} makes) or nobody does, and
 * medium when another principal, certificate or token claim holds it, or another role has it.
 *
 * <p>Thread-safety: stateless.
 */
public final class PolicyCheck implements SecurityCheck {

    /** The principal and the role {@code broker init} creates. */
    static final String ADMIN = "admin";

    @Override
    public String name() {
        return "policy";
    }

    @Override
    public List<Finding> run(CheckContext context) throws IOException {
        List<Finding> out = new ArrayList<>();
        BrokerConfig config = context.config();
        if (config.authorization().disabledForBenchmarks()) {
            out.add(Finding.high("authorization-disabled", "authorization.disabledForBenchmarks",
                    "authorization.disabledForBenchmarks is true: every authenticated client may do everything and "
                            + "nothing is audited", "remove authorization.disabledForBenchmarks from the configuration "
                            + "file (or set it to false) and restart the broker"));
        }
        if (config.queues().autoCreate()) {
            out.add(Finding.medium("queues-auto-create", "queues.autoCreate", "queues.autoCreate is true: publishing or "
                    + "subscribing to a missing queue creates it, so a mistyped name makes a new queue without limits "
                    + "or dead-letter queue", "set queues.autoCreate: false and declare queues in queues.define or with "
                    + "'broker queue create'"));
        }
        Path file = config.authorization().policyFile();
        if (!Files.exists(file)) {
            out.add(Finding.high("policy-invalid", file.toString(), "the authorization policy " + file + " does not "
                    + "exist; the broker refuses to start without it", "write one (conf/policy.yaml shows every "
                    + "option; 'broker init' writes the default) and check it: broker rbac check --policy " + file));
            return out;
        }
        Policy policy;
        try {
            policy = Policy.load(file);
        } catch (PolicyException e) {
            out.add(Finding.high("policy-invalid", file.toString(), "the authorization policy " + file + " is invalid: "
                    + String.join("; ", e.problems()), "correct it and check it: broker rbac check --policy " + file));
            return out;
        }
        Map<String, List<String>> userRoles = userRoles(config.auth().usersFile());
        for (Grant g : policy.grants()) {
            if (isWildcardAdmin(g)) {
                out.add(wildcard(g, file, holders(policy, userRoles, g.role()), config));
            }
        }
        if (!config.authorization().disabledForBenchmarks()) {
            unused(out, context, policy, file);
        }
        return out;
    }

    /** Whether {@code g} allows administration, user management or everything, on every resource. */
    static boolean isWildcardAdmin(Grant g) {
        boolean powerful = g.actions().contains(Action.ADMIN) || g.actions().contains(Action.MANAGE_USERS)
                || g.actions().size() == Action.values().length;
        return g.effect() == Grant.Effect.ALLOW && powerful
                && g.resources().stream().map(ResourcePattern::text).anyMatch("*"::equals);
    }

    /**
     * Who holds {@code role}: {@code user NAME} (users file), {@code principal NAME} (policy
     * principals), {@code certificate NAME} (policy certificates), {@code token claim VALUE}
     * (policy tokenRoles).
     */
    static Set<String> holders(Policy policy, Map<String, List<String>> userRoles, String role) {
        Set<String> out = new LinkedHashSet<>();
        userRoles.forEach((user, roles) -> {
            if (roles.contains(role)) {
                out.add("user " + user);
            }
        });
        policy.principalBindings().forEach((p, roles) -> {
            if (roles.contains(role)) {
                out.add("principal " + p);
            }
        });
        policy.certificateBindings().forEach((p, roles) -> {
            if (roles.contains(role)) {
                out.add("certificate " + p);
            }
        });
        policy.tokenRoleBindings().forEach((claim, roles) -> {
            if (roles.contains(role)) {
                out.add("token claim " + claim);
            }
        });
        return out;
    }

    private static Finding wildcard(Grant g, Path file, Set<String> holders, BrokerConfig config) {
        Set<String> others = new LinkedHashSet<>(holders);
        others.remove("user " + ADMIN);
        others.remove("principal " + ADMIN);
        others.remove("certificate " + ADMIN);
        boolean onlyInitialAdmin = g.role().equals(ADMIN) && others.isEmpty();
        String subject = g.ruleId();
        BrokerConfig.Jwt jwt = config.auth().jwt();
        String tokens = jwt != null && jwt.rolesClaim() != null
                ? "; a token whose " + jwt.rolesClaim() + " claim names '" + g.role() + "' also gets it" : "";
        String finding = "role " + g.role() + ": " + g.text() + " (" + file + (g.line() > 0 ? " line " + g.line() : "")
                + "); held by " + (holders.isEmpty() ? "nobody" : String.join(", ", holders)) + tokens;
        if (onlyInitialAdmin || holders.isEmpty()) {
            return Finding.low("policy-wildcard-admin", subject, finding, "keep it to the broker's administrators; give "
                    + "applications roles limited to their actions and queues");
        }
        return Finding.medium("policy-wildcard-admin", subject, finding, "bind the role to administrators only, or "
                + "narrow the grant to the actions and queues needed, in " + file + "; then: broker rbac check --policy "
                + file);
    }

    private static void unused(List<Finding> out, CheckContext context, Policy policy, Path file) {
        Path dir = context.config().audit().dir();
        GrantUsage usage;
        try {
            usage = Files.isDirectory(dir) ? GrantUsage.read(policy, dir, context.thresholds().unusedSince()) : null;
        } catch (IOException | UncheckedIOException e) {
            out.add(Finding.info("policy-usage-unknown", dir.toString(), "unused grants were not checked: the audit log "
                    + "cannot be read (" + e.getMessage() + ")", null));
            return;
        }
        if (usage == null || usage.auditStarts() == null) {
            out.add(Finding.info("policy-usage-unknown", dir.toString(), "there is no audit log in " + dir + " (yet): "
                    + "unused grants cannot be told", null));
            return;
        }
        boolean covered = usage.windowCovered();
        String since = usage.since().toString();
        for (Grant g : usage.unused()) {
            String finding = "grant " + g.ruleId() + " (" + g.text() + ") was not used since " + since
                    + (covered ? "" : "; the audit log starts at " + usage.auditStarts() + ", so it may have been used "
                    + "before");
            String fix = "if no one needs it, remove it from " + file + " (broker rbac who-can shows who holds it)";
            out.add(covered ? Finding.low("policy-unused-grant", g.ruleId(), finding, fix)
                    : Finding.info("policy-unused-grant", g.ruleId(), finding, fix));
        }
    }

    /** The users file's roles by user; empty when it cannot be read (the user check reports why). */
    private static Map<String, List<String>> userRoles(Path usersFile) throws IOException {
        if (!Files.exists(usersFile) || !KeyringFile.permissionsIfLoose(usersFile).isEmpty()) {
            return Map.of();
        }
        try {
            Map<String, List<String>> out = new TreeMap<>();
            for (User u : UserStore.load(usersFile).all()) {
                if (!u.disabled()) {
                    out.put(u.name(), u.roles());
                }
            }
            return out;
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
    }
}
