package org.securebroker.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.securebroker.server.auth.ExternalMechanism;
import org.securebroker.server.auth.JwtMechanism;
import org.securebroker.server.auth.PlainMechanism;
import org.securebroker.server.auth.ScramMechanism;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.identity.PrincipalNames;
import org.securebroker.server.rbac.Decision;
import org.securebroker.server.rbac.Action;
import org.securebroker.server.rbac.Explanation;
import org.securebroker.server.rbac.Grant;
import org.securebroker.server.rbac.Holder;
import org.securebroker.server.rbac.Policy;
import org.securebroker.server.rbac.PolicyException;
import org.securebroker.server.rbac.ResourcePattern;
import org.securebroker.server.rbac.RoleOrigin;
import org.securebroker.server.rbac.Subject;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code broker rbac ...}: asks the authorization policy questions offline, from its file.
 *
 * <p>The policy is {@code --policy FILE}, else {@code policy.yaml} in the data directory (of
 * {@code --config}, or {@code --data}) if it exists, else the built-in policy. Users and their
 * roles come from the configured users file when it exists. {@code explain} answers for the roles
 * it is told to assume, and adds a warning line when a live session of that principal and
 * mechanism would have other roles, or could not exist, under the configuration.
 *
 * <p>Exit codes: {@code explain} and {@code who-can} exit 0 whenever they answered, whether the
 * answer is ALLOW or DENY; {@code check} exits 0 for a valid file and 1 for an invalid one; all
 * exit 1 when the policy or users file cannot be used and 2 for bad usage.
 *
 * <p>Thread-safety: not thread-safe (command objects are used once).
 */
@Command(name = "rbac", mixinStandardHelpOptions = true,
        description = "Ask the authorization policy: explain a decision, list who can act, check a policy file.",
        subcommands = {RbacCommand.Explain.class, RbacCommand.WhoCan.class, RbacCommand.Check.class,
            RbacUnusedCommand.class})
final class RbacCommand implements Runnable {

    private static final List<String> MECHANISMS = List.of(PlainMechanism.NAME, ScramMechanism.NAME, JwtMechanism.NAME,
            ExternalMechanism.NAME);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new Cli.UsageException("name an rbac command: explain, who-can, check");
    }

    /** Picocli conversion of {@code --action}, naming the allowed actions when it fails. */
    static final class ActionConverter implements CommandLine.ITypeConverter<Action> {
        @Override
        public Action convert(String value) {
            try {
                return Action.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** Where the policy and the users come from. */
    static final class Sources {
        @Option(names = "--policy", paramLabel = "FILE", description = "Policy file (default: the configuration's "
                + "authorization.policyFile, DATA/policy.yaml, if it exists, else the built-in policy).")
        Path policy;

        @Mixin
        Cli.ConfigOptions config;

        private BrokerConfig loaded;

        BrokerConfig brokerConfig() {
            if (loaded == null) {
                loaded = config.load();
            }
            return loaded;
        }

        /** The named file, else the data directory's, else null. */
        Path policyFile() {
            if (policy != null) {
                return policy;
            }
            Path configured = brokerConfig().authorization().policyFile();
            return Files.exists(configured) ? configured : null;
        }

        Policy load() {
            Path file = policyFile();
            return file == null ? Policy.defaults() : Policy.load(file);
        }

        /** The users file, if there is one. */
        Optional<UserStore> users() {
            Path file = brokerConfig().auth().usersFile();
            return Files.exists(file) ? Optional.of(UserStore.load(file)) : Optional.empty();
        }
    }

    private static String resource(String value) {
        if (value.indexOf('*') >= 0) {
            throw new Cli.UsageException("--resource: '" + value + "' is a pattern; ask about one name, e.g. orders.eu");
        }
        try {
            ResourcePattern.parse(value);
            return value;
        } catch (IllegalArgumentException e) {
            throw new Cli.UsageException("--resource: " + e.getMessage());
        }
    }

    /** The question both {@code explain} and {@code who-can} answer: an action on one resource, and the output form. */
    static final class Question {
        @Option(names = "--action", required = true, paramLabel = "ACTION", converter = ActionConverter.class,
                description = "publish, consume, create, delete, purge, manage-users, read-audit or admin.")
        Action action;
        @Option(names = "--resource", required = true, paramLabel = "NAME",
                description = "A queue or user name, 'audit' for read-audit, 'broker' for admin.")
        String resource;
        @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json")
        Cli.Output output;
    }

    private static String policyLine(Policy policy) {
        return policy.version() + " (" + policy.source() + ")";
    }

    @Command(name = "explain", mixinStandardHelpOptions = true,
            description = {"Explain whether a principal may do an action on a resource, which rule decides it, "
                + "and where each role came from.",
                "Exits 0 whenever it answered, ALLOW or DENY alike."})
    static final class Explain implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Sources sources;
        @Option(names = "--principal", required = true, paramLabel = "NAME", description = "The authenticated name.")
        String principal;
        @Option(names = "--mechanism", paramLabel = "MECHANISM", defaultValue = "PLAIN",
                description = "PLAIN, SCRAM-SHA-256, JWT or EXTERNAL (default: ${DEFAULT-VALUE}).")
        String mechanism;
        @Option(names = "--role", paramLabel = "ROLE", description = "A role the session asserts (repeatable): for "
                + "JWT a value of the token's roles claim (it grants roles only through the policy's tokenRoles), "
                + "otherwise a role as stored with a user, added to the users file's. A warning says when a live "
                + "session would not have it.")
        List<String> roles = new ArrayList<>();
        @Mixin
        Question question;

        @Override
        public Integer call() throws Exception {
            String mech = mechanism(mechanism);
            String res = resource(question.resource);
            Policy policy = sources.load();
            boolean token = mech.equals(JwtMechanism.NAME);
            Optional<User> user = token ? Optional.empty()
                    : sources.users().flatMap(u -> u.find(principal));
            List<String> asserted = new ArrayList<>(user.map(User::roles).orElse(List.of()));
            asserted.addAll(roles);
            Subject subject = new Subject(principal, mech, asserted, user.isPresent());
            Explanation e = policy.explain(subject, question.action, res);
            Optional<String> warning = liveSessionWarning(sources.brokerConfig(), policy, mech, user, e);
            PrintWriter out = spec.commandLine().getOut();
            if (question.output == Cli.Output.JSON) {
                ObjectNode n = json(policy, e, user);
                warning.ifPresent(w -> n.put("warning", w));
                out.println(Cli.JSON.writeValueAsString(n));
                return 0;
            }
            out.println((e.decision().allowed() ? "ALLOW" : "DENY") + ": " + principal + " "
                    + question.action.wireName() + " on " + res);
            warning.ifPresent(w -> out.println("warning: " + w));
            out.println("decided by: " + e.decision().ruleId() + " (" + e.decision().ruleText() + ")"
                    + e.rule().map(g -> line(g)).orElse(""));
            out.println("policy:     " + policyLine(policy));
            out.println("subject:    " + principal + " via " + mech + ", " + (user.isPresent()
                    ? "user of the users file" + (user.get().disabled() ? " (disabled: cannot log in)" : "")
                    : "not a user of the users file"));
            out.println("roles:");
            if (e.roleOrigins().isEmpty()) {
                out.println("  (none)");
            }
            e.roleOrigins().forEach(o -> out.println("  " + o.describe()));
            grants(out, "covering allow grants:", e.allows());
            grants(out, "covering deny grants:", e.denies());
            return 0;
        }

        /**
         * What a live session would differ in: the answer above takes the asserted roles as given,
         * while the broker takes a JWT session's roles from the configured roles claim through
         * tokenRoles, and a password or certificate session's from the users file, never from the
         * client. Empty when the live session would have the same roles and decision.
         */
        private Optional<String> liveSessionWarning(BrokerConfig config, Policy policy, String mech,
                                                    Optional<User> user, Explanation assumed) {
            if (!PrincipalNames.isValid(principal)) {
                return Optional.of("no live session can have this principal: '" + principal + "' is not a valid user "
                        + "name (" + PrincipalNames.RULE + "), so every mechanism refuses it");
            }
            String source;
            List<String> liveAsserted;
            String unmapped = "";
            if (mech.equals(JwtMechanism.NAME)) {
                BrokerConfig.Jwt jwt = config.auth().jwt();
                if (jwt == null) {
                    return Optional.of("no live JWT session exists: this configuration does not offer JWT (auth.jwt "
                            + "is not set)");
                }
                if (jwt.rolesClaim() == null || jwt.rolesClaim().isBlank()) {
                    source = "principals only (auth.jwt.rolesClaim is not set, so token claims count for nothing)";
                    liveAsserted = List.of();
                } else {
                    source = "the token's '" + jwt.rolesClaim() + "' claim through the policy's tokenRoles, and "
                            + "principals";
                    liveAsserted = roles;
                    List<String> notMapped = roles.stream().distinct()
                            .filter(r -> !policy.tokenRoleBindings().containsKey(r)).toList();
                    if (!notMapped.isEmpty()) {
                        unmapped = "; not in tokenRoles, so granting nothing: " + String.join(", ", notMapped);
                    }
                }
            } else if (mech.equals(ExternalMechanism.NAME)) {
                if (config.tls().clientAuth() == BrokerConfig.ClientAuth.NONE) {
                    return Optional.of("no live EXTERNAL session exists: client certificates are off (tls.clientAuth "
                            + "none)");
                }
                source = "the users file" + (user.isPresent() ? "" : " (no entry)") + ", certificates and principals";
                liveAsserted = user.map(User::roles).orElse(List.of());
            } else {
                if (user.isEmpty()) {
                    return Optional.of("no live " + mech + " session exists: '" + principal + "' is not a user of the "
                            + "users file (" + config.auth().usersFile() + ")");
                }
                source = "the users file and principals";
                liveAsserted = user.get().roles();
            }
            Subject live = new Subject(principal, mech, liveAsserted, !mech.equals(JwtMechanism.NAME) && user.isPresent());
            Set<String> liveRoles = policy.rolesOf(live);
            Decision d = policy.decide(live, question.action, assumed.resource());
            if (unmapped.isEmpty() && liveRoles.equals(assumed.roles()) && d.equals(assumed.decision())) {
                return Optional.empty();
            }
            return Optional.of("a live " + mech + " session gets its roles from " + source + unmapped + "; it would have "
                    + (liveRoles.isEmpty() ? "no roles" : "the roles " + String.join(", ", liveRoles)) + " and be "
                    + (d.allowed() ? "ALLOW" : "DENY") + " (" + d.ruleId() + ")");
        }

        private static String mechanism(String value) {
            String upper = value.strip().toUpperCase(Locale.ROOT);
            if (!MECHANISMS.contains(upper)) {
                throw new Cli.UsageException("--mechanism: '" + value + "' is not one of " + String.join(", ", MECHANISMS));
            }
            return upper;
        }

        private static void grants(PrintWriter out, String title, List<Grant> grants) {
            out.println(title);
            if (grants.isEmpty()) {
                out.println("  (none)");
            }
            grants.forEach(g -> out.println("  " + g.ruleId() + ": " + g.text() + line(g)));
        }

        private static String line(Grant g) {
            return g.line() > 0 ? ", line " + g.line() : "";
        }

        private ObjectNode json(Policy policy, Explanation e, Optional<User> user) {
            ObjectNode n = Cli.JSON.createObjectNode();
            n.put("decision", e.decision().allowed() ? "ALLOW" : "DENY");
            n.put("ruleId", e.decision().ruleId());
            n.put("rule", e.decision().ruleText());
            n.put("policyVersion", e.decision().policyVersion());
            n.put("policySource", policy.source());
            n.put("principal", e.subject().principal());
            n.put("mechanism", e.subject().mechanism());
            n.put("user", user.isPresent());
            user.ifPresent(u -> n.put("disabled", u.disabled()));
            n.put("action", e.action().wireName());
            n.put("resource", e.resource());
            ArrayNode origins = n.putArray("roles");
            for (RoleOrigin o : e.roleOrigins()) {
                ObjectNode r = origins.addObject();
                r.put("role", o.role());
                r.put("source", o.source().label());
                r.put("via", o.via());
                r.put("defined", o.defined());
            }
            grantsJson(n.putArray("allows"), e.allows());
            grantsJson(n.putArray("denies"), e.denies());
            return n;
        }

        private static void grantsJson(ArrayNode out, List<Grant> grants) {
            for (Grant g : grants) {
                ObjectNode r = out.addObject();
                r.put("ruleId", g.ruleId());
                r.put("rule", g.text());
                r.put("line", g.line());
            }
        }
    }

    @Command(name = "who-can", mixinStandardHelpOptions = true,
            description = {"List the roles, principals, users, certificate principals and token claim values that "
                + "may do an action on a resource.", "Exits 0 whenever it answered, even if nobody may."})
    static final class WhoCan implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Sources sources;
        @Mixin
        Question question;

        @Override
        public Integer call() throws Exception {
            String res = resource(question.resource);
            Policy policy = sources.load();
            Map<String, List<String>> users = new LinkedHashMap<>();
            sources.users().ifPresent(store -> store.all().stream().filter(u -> !u.disabled())
                    .forEach(u -> users.put(u.name(), u.roles())));
            List<Holder> holders = policy.whoCan(question.action, res, users);
            PrintWriter out = spec.commandLine().getOut();
            if (question.output == Cli.Output.JSON) {
                ObjectNode n = Cli.JSON.createObjectNode();
                n.put("action", question.action.wireName());
                n.put("resource", res);
                n.put("policyVersion", policy.version());
                n.put("policySource", policy.source());
                ArrayNode list = n.putArray("holders");
                for (Holder h : holders) {
                    ObjectNode item = list.addObject();
                    item.put("kind", h.kind().label());
                    item.put("name", h.name());
                    ArrayNode roles = item.putArray("roles");
                    h.roles().forEach(roles::add);
                    item.put("ruleId", h.ruleId());
                }
                out.println(Cli.JSON.writeValueAsString(n));
                return 0;
            }
            out.println("who can " + question.action.wireName() + " on " + res + ", policy " + policyLine(policy) + ":");
            if (holders.isEmpty()) {
                out.println("nobody: no role allows it");
                return 0;
            }
            out.printf("%-12s %-28s %-32s %s%n", "KIND", "NAME", "ROLES", "ALLOWED BY");
            for (Holder h : holders) {
                out.printf("%-12s %-28s %-32s %s%n", h.kind().label(), h.name(), String.join(",", h.roles()), h.ruleId());
            }
            return 0;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Validate a policy file: print its version, or every problem with its line.",
                "Exits 0 if it is valid, 1 if not."})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Sources sources;

        @Override
        public Integer call() {
            Path file = sources.policyFile();
            if (file == null) {
                throw new Cli.UsageException("no policy file to check: pass --policy FILE (the configured "
                        + "authorization.policyFile does not exist)");
            }
            Policy policy;
            try {
                policy = Policy.load(file);
            } catch (PolicyException e) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("invalid policy " + file + " (" + e.problems().size() + " problem"
                        + (e.problems().size() == 1 ? "" : "s") + "):");
                e.problems().forEach(p -> err.println("  " + p));
                return 1;
            }
            spec.commandLine().getOut().println("valid policy " + file + ": version " + policy.version() + ", "
                    + policy.roleNames().size() + " roles, " + policy.grants().size() + " allow and "
                    + policy.denies().size() + " deny grants, " + policy.principalBindings().size() + " principals, "
                    + policy.tokenRoleBindings().size() + " token claim values, "
                    + policy.certificateBindings().size() + " certificate principals");
            return 0;
        }
    }
}
