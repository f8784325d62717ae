package org.securebroker.server.rbac;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.securebroker.store.io.AtomicFiles;

/**
 * An authorization policy: roles that allow and deny actions on resource patterns, and the
 * bindings that give principals roles. Loaded from a YAML file (see {@code conf/policy.yaml}):
 *
 * <pre>
 * roles:
 *   orders-consumer:
 *     allow:
 *       - actions: [consume]
 *         resources: ["orders.*"]
 *     deny:
 *       - actions: [consume]
 *         resources: ["orders.audit"]
 * principals:   {alice: [orders-producer]}           # any mechanism
 * tokenRoles:   {idp-orders-writers: [orders-producer]} # JWT roles claim value -> roles (only these)
 * certificates: {svc-billing: [orders-consumer]}      # EXTERNAL principals
 * </pre>
 *
 * <p>Deny by default: nothing is allowed unless an allow grant of one of the principal's roles
 * covers the action and resource; a deny grant of any of its roles beats every allow. Each
 * {@link Decision} names the grant that decided it ({@code orders-consumer/deny[0]}) and the
 * policy {@link #version()}. When several grants could decide, the first in policy order (roles
 * by name, then position in their list) is named, so equal versions name equal rules.
 *
 * <p>The version is {@code sha256:} and 16 hex digits of the SHA-256 of a canonical JSON form of
 * the roles, grants and bindings (sorted, wildcards expanded): editing comments, whitespace or the
 * order of roles and bindings keeps it; any change of meaning, or of a rule's id, changes it.
 *
 * <p>Thread-safety: immutable.
 */
public final class Policy {

    /** The policy file's name in the data directory, where the CLI looks when no file is named. */
    public static final String DEFAULT_FILE_NAME = "policy.yaml";

    /** The largest policy file read. */
    public static final int MAX_FILE_BYTES = 1 << 20;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Policy DEFAULTS = builtIn();

    /** A role as defined: its allow and deny grants in file order. */
    record Role(String name, List<Grant> allows, List<Grant> denies) {
        Role {
            allows = List.copyOf(allows);
            denies = List.copyOf(denies);
        }
    }

    /** One resource pattern of a grant for one action, with the decision it makes. */
    private record Rule(ResourcePattern pattern, int order, Decision decision) {
    }

    /** A role's rules by action, each array in policy order. */
    private record Compiled(Map<Action, Rule[]> allows, Map<Action, Rule[]> denies) {
    }

    private final String source;
    private final Map<String, Role> roles;
    private final Map<String, List<String>> principals;
    private final Map<String, List<String>> tokenRoles;
    private final Map<String, List<String>> certificates;
    private final String version;
    private final Decision defaultDeny;
    private final Map<String, Compiled> compiled = new HashMap<>();
    private final Map<String, Grant> byRuleId = new HashMap<>();

    Policy(String source, List<Role> roles, Map<String, List<String>> principals, Map<String, List<String>> tokenRoles,
           Map<String, List<String>> certificates) {
        this.source = source;
        Map<String, Role> sorted = new TreeMap<>();
        roles.forEach(r -> sorted.put(r.name(), r));
        this.roles = Collections.unmodifiableMap(sorted);
        this.principals = Collections.unmodifiableMap(new TreeMap<>(principals));
        this.tokenRoles = Collections.unmodifiableMap(new TreeMap<>(tokenRoles));
        this.certificates = Collections.unmodifiableMap(new TreeMap<>(certificates));
        this.version = hash(canonical());
        this.defaultDeny = Decision.defaultDeny(version);
        int order = 0;
        for (Role r : this.roles.values()) {
            Map<Action, List<Rule>> allows = perAction();
            Map<Action, List<Rule>> denies = perAction();
            for (Grant g : r.allows()) {
                add(allows, g, order++);
            }
            for (Grant g : r.denies()) {
                add(denies, g, order++);
            }
            compiled.put(r.name(), new Compiled(toArrays(allows), toArrays(denies)));
        }
    }

    /**
     * Loads a policy file (UTF-8, at most {@value #MAX_FILE_BYTES} bytes).
     *
     * @throws PolicyException listing every problem, each with its line
     */
    public static Policy load(Path file) {
        return parse(read(file), file.toString());
    }

    /**
     * Parses policy YAML; {@code sourceName} names it in problems.
     *
     * @throws PolicyException listing every problem, each with its line
     */
    public static Policy parse(String yaml, String sourceName) {
        return PolicyParser.parse(yaml, sourceName);
    }

    /**
     * The policy in force when none is configured: only the role {@code admin}, allowed every
     * action on every resource, and no bindings, so only principals whose users-file entry
     * carries the role {@code admin} may do anything at all (a token's claim values grant
     * nothing without {@code tokenRoles}).
     */
    public static Policy defaults() {
        return DEFAULTS;
    }

    private static Policy builtIn() {
        Grant all = new Grant(Grant.ruleId("admin", Grant.Effect.ALLOW, 0), "admin", Grant.Effect.ALLOW,
                EnumSet.allOf(Action.class), List.of(ResourcePattern.parse("*")), 0);
        return new Policy("(built-in defaults)", List.of(new Role("admin", List.of(all), List.of())), Map.of(), Map.of(),
                Map.of());
    }

    /** Reads a policy file's bytes, bounded, as strict UTF-8. */
    static String read(Path file) {
        try {
            return decode(AtomicFiles.read(file, MAX_FILE_BYTES), file.toString());
        } catch (NoSuchFileException e) {
            throw new PolicyException(file.toString(), List.of("the file does not exist"));
        } catch (IOException e) {
            throw new PolicyException(file.toString(), List.of("cannot read it: " + e.getMessage()));
        }
    }

    static String decode(byte[] bytes, String source) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new PolicyException(source, List.of("not UTF-8 text"));
        }
    }

    /** Where the policy came from: its file, or {@code (built-in defaults)}. */
    public String source() {
        return source;
    }

    /** {@code sha256:} and the first 16 hex digits of the hash of the canonical form. */
    public String version() {
        return version;
    }

    /** The defined role names, sorted. */
    public Set<String> roleNames() {
        return roles.keySet();
    }

    /** {@code principals}: principal to roles, sorted by principal. */
    public Map<String, List<String>> principalBindings() {
        return principals;
    }

    /** {@code tokenRoles}: JWT roles-claim value to roles, sorted by value. */
    public Map<String, List<String>> tokenRoleBindings() {
        return tokenRoles;
    }

    /** {@code certificates}: certificate principal to roles, sorted by principal. */
    public Map<String, List<String>> certificateBindings() {
        return certificates;
    }

    /** Every allow grant, in policy order (roles by name, then list position). */
    public List<Grant> grants() {
        List<Grant> out = new ArrayList<>();
        roles.values().forEach(r -> out.addAll(r.allows()));
        return out;
    }

    /** Every deny grant, in policy order. */
    public List<Grant> denies() {
        List<Grant> out = new ArrayList<>();
        roles.values().forEach(r -> out.addAll(r.denies()));
        return out;
    }

    /** The grant with this rule id, if there is one. */
    public Optional<Grant> grant(String ruleId) {
        return Optional.ofNullable(byRuleId.get(ruleId));
    }

    /**
     * The defined roles a subject has, in the order of {@link #explain}'s role origins: its asserted
     * roles (for JWT, claim values through {@code tokenRoles} only: a value it does not list grants
     * nothing, even where a role of the same name exists),
     * then {@code certificates} (EXTERNAL only), then {@code principals}. Roles the policy does not
     * define are left out.
     */
    public Set<String> rolesOf(Subject subject) {
        Set<String> out = new LinkedHashSet<>();
        for (RoleOrigin o : origins(subject)) {
            if (o.defined()) {
                out.add(o.role());
            }
        }
        return Collections.unmodifiableSet(out);
    }

    /** Decides for a subject; see {@link #decide(Set, Action, String)}. */
    public Decision decide(Subject subject, Action action, String resource) {
        return decide(rolesOf(subject), action, resource);
    }

    /**
     * Decides whether these roles may do {@code action} on {@code resource}: the first covering
     * deny of any role if there is one, else the first covering allow, else {@link Decision#DEFAULT_DENY}.
     * Unknown role names are ignored. Allocates nothing beyond iterating {@code roles}.
     */
    public Decision decide(Set<String> roles, Action action, String resource) {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(resource, "resource");
        Rule deny = first(roles, action, resource, true);
        if (deny != null) {
            return deny.decision();
        }
        Rule allow = first(roles, action, resource, false);
        return allow != null ? allow.decision() : defaultDeny;
    }

    private Rule first(Set<String> roles, Action action, String resource, boolean deny) {
        Rule best = null;
        for (String role : roles) {
            Compiled c = compiled.get(role);
            if (c == null) {
                continue;
            }
            for (Rule r : (deny ? c.denies() : c.allows()).get(action)) {
                if (best != null && r.order() > best.order()) {
                    break;
                }
                if (r.pattern().matches(resource)) {
                    best = r;
                    break;
                }
            }
        }
        return best;
    }

    /** The decision with everything that led to it. */
    public Explanation explain(Subject subject, Action action, String resource) {
        List<RoleOrigin> origins = origins(subject);
        Set<String> used = rolesOf(subject);
        Decision decision = decide(used, action, resource);
        List<Grant> allows = new ArrayList<>();
        List<Grant> denies = new ArrayList<>();
        for (Role r : roles.values()) {
            if (used.contains(r.name())) {
                r.allows().stream().filter(g -> g.covers(action, resource)).forEach(allows::add);
                r.denies().stream().filter(g -> g.covers(action, resource)).forEach(denies::add);
            }
        }
        return new Explanation(subject, action, resource, decision, grant(decision.ruleId()), origins, used, allows,
                denies);
    }

    /** Who can do it according to the policy alone; see {@link #whoCan(Action, String, Map)}. */
    public List<Holder> whoCan(Action action, String resource) {
        return whoCan(action, resource, Map.of());
    }

    /**
     * Who can do {@code action} on {@code resource}: each role that allows it (a deny in the same
     * role counts), then each binding whose roles together allow it: {@code principals} entries
     * alone, {@code users} (name to users-file roles, which the policy does not hold) with their
     * {@code principals} entry, {@code certificates} entries with their {@code principals} entry,
     * and token claim values ({@code tokenRoles} entries). A session that combines bindings (a token with several claim values) can still
     * be denied by a deny in another of its roles; {@link #explain} answers for one subject.
     */
    public List<Holder> whoCan(Action action, String resource, Map<String, List<String>> users) {
        List<Holder> out = new ArrayList<>();
        for (String role : roles.keySet()) {
            holder(out, Holder.Kind.ROLE, role, Set.of(role), action, resource);
        }
        principals.forEach((p, bound) -> holder(out, Holder.Kind.PRINCIPAL, p, bound, action, resource));
        new TreeMap<>(users).forEach((u, stored) -> holder(out, Holder.Kind.USER, u,
                union(stored, principals.get(u)), action, resource));
        certificates.forEach((p, bound) -> holder(out, Holder.Kind.CERTIFICATE, p, union(bound, principals.get(p)),
                action, resource));
        Map<String, Set<String>> claims = new TreeMap<>();
        tokenRoles.forEach((v, bound) -> claims.put(v, new TreeSet<>(bound)));
        claims.forEach((v, bound) -> holder(out, Holder.Kind.TOKEN_CLAIM, v, bound, action, resource));
        return out;
    }

    private void holder(List<Holder> out, Holder.Kind kind, String name, Iterable<String> bound, Action action,
                        String resource) {
        Set<String> set = new TreeSet<>();
        bound.forEach(r -> {
            if (roles.containsKey(r)) {
                set.add(r);
            }
        });
        Decision d = decide(set, action, resource);
        if (d.allowed()) {
            out.add(new Holder(kind, name, new ArrayList<>(set), d.ruleId()));
        }
    }

    private static Set<String> union(List<String> a, List<String> b) {
        Set<String> out = new LinkedHashSet<>(a);
        if (b != null) {
            out.addAll(b);
        }
        return out;
    }

    private List<RoleOrigin> origins(Subject s) {
        List<RoleOrigin> out = new ArrayList<>();
        for (String asserted : new LinkedHashSet<>(s.assertedRoles())) {
            if (!s.fromToken()) {
                out.add(new RoleOrigin(asserted, RoleOrigin.Source.USERS_FILE, s.principal(), roles.containsKey(asserted)));
            } else if (tokenRoles.containsKey(asserted)) {
                tokenRoles.get(asserted).forEach(r -> out.add(new RoleOrigin(r, RoleOrigin.Source.TOKEN_ROLES, asserted,
                        true)));
            } else {
                // an identity provider's value is not a broker role, whatever it is called
                out.add(new RoleOrigin(asserted, RoleOrigin.Source.TOKEN_CLAIM, asserted, false));
            }
        }
        if (s.fromCertificate()) {
            certificates.getOrDefault(s.principal(), List.of()).forEach(r -> out.add(new RoleOrigin(r,
                    RoleOrigin.Source.CERTIFICATES, s.principal(), true)));
        }
        principals.getOrDefault(s.principal(), List.of()).forEach(r -> out.add(new RoleOrigin(r,
                RoleOrigin.Source.PRINCIPALS, s.principal(), true)));
        return out;
    }

    /** The form the version hashes: sorted, wildcards expanded, comments and layout gone. */
    String canonical() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", 1);
        ObjectNode rs = root.putObject("roles");
        for (Role r : roles.values()) {
            ObjectNode role = rs.putObject(r.name());
            canonicalGrants(role.putArray("allow"), r.allows());
            canonicalGrants(role.putArray("deny"), r.denies());
        }
        canonicalBindings(root.putObject("principals"), principals);
        canonicalBindings(root.putObject("tokenRoles"), tokenRoles);
        canonicalBindings(root.putObject("certificates"), certificates);
        try {
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the canonical policy", e);
        }
    }

    private static void canonicalGrants(ArrayNode out, List<Grant> grants) {
        for (Grant g : grants) {
            ObjectNode n = out.addObject();
            ArrayNode actions = n.putArray("actions");
            g.actions().forEach(a -> actions.add(a.wireName()));
            ArrayNode resources = n.putArray("resources");
            new TreeSet<>(g.resources().stream().map(ResourcePattern::text).toList()).forEach(resources::add);
        }
    }

    private static void canonicalBindings(ObjectNode out, Map<String, List<String>> bindings) {
        bindings.forEach((name, bound) -> {
            ArrayNode list = out.putArray(name);
            new TreeSet<>(bound).forEach(list::add);
        });
    }

    private static String hash(String canonical) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static Map<Action, List<Rule>> perAction() {
        Map<Action, List<Rule>> lists = new EnumMap<>(Action.class);
        for (Action a : Action.values()) {
            lists.put(a, new ArrayList<>());
        }
        return lists;
    }

    private void add(Map<Action, List<Rule>> byAction, Grant g, int order) {
        byRuleId.put(g.ruleId(), g);
        Decision decision = Decision.of(g, version);
        for (Action a : g.actions()) {
            for (ResourcePattern p : g.resources()) {
                byAction.get(a).add(new Rule(p, order, decision));
            }
        }
    }

    private static Map<Action, Rule[]> toArrays(Map<Action, List<Rule>> byAction) {
        Map<Action, Rule[]> out = new EnumMap<>(Action.class);
        byAction.forEach((action, rules) -> out.put(action, rules.toArray(new Rule[0])));
        return out;
    }

    @Override
    public String toString() {
        return "Policy[" + source + ", " + version + ", roles " + roles.keySet() + "]";
    }
}
