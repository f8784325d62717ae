package org.securebroker.server.rbac;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.securebroker.server.config.ConfigException;
import org.securebroker.server.config.ConfigNode;
import org.securebroker.server.config.YamlReader;
import org.securebroker.server.identity.PrincipalNames;

/**
 * Binds a policy file's YAML tree to a {@link Policy}, collecting every problem (with its line,
 * the key and what is allowed) before refusing the file as a whole.
 *
 * <p>Thread-safety: not thread-safe; one instance parses one file.
 */
final class PolicyParser {

    private static final List<String> TOP_KEYS = List.of("roles", "principals", "tokenRoles", "certificates");
    private static final List<String> ROLE_KEYS = List.of("allow", "deny");
    private static final List<String> GRANT_KEYS = List.of("actions", "resources");
    private static final Pattern ROLE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");
    private static final int MAX_NAME = 255;

    private final String source;
    private final List<String> problems = new ArrayList<>();

    private PolicyParser(String source) {
        this.source = source;
    }

    /**
     * @throws PolicyException listing every problem
     */
    static Policy parse(String text, String source) {
        ConfigNode root;
        try {
            root = YamlReader.read(text, source);
        } catch (ConfigException e) {
            throw new PolicyException(source, e.problems());
        }
        return new PolicyParser(source).policy(root);
    }

    private Policy policy(ConfigNode root) {
        if (!(root instanceof ConfigNode.MapNode top)) {
            throw new PolicyException(source, List.of("line " + root.line() + ": the policy must be a mapping with "
                    + "the keys " + String.join(", ", TOP_KEYS)));
        }
        unknownKeys(top, "", TOP_KEYS);
        List<Policy.Role> roles = new ArrayList<>();
        ConfigNode.MapNode roleMap = mapping(top, "roles");
        if (roleMap == null && !top.entries().containsKey("roles")) {
            problems.add("line " + top.line() + ": roles: required: define the roles (an empty mapping {} denies "
                    + "everything)");
        } else if (roleMap != null) {
            roleMap.entries().forEach((name, node) -> role(roleMap, name, node, roles));
        }
        Set<String> defined = new LinkedHashSet<>();
        roles.forEach(r -> defined.add(r.name()));
        Map<String, List<String>> principals = bindings(top, "principals", defined, PolicyParser::principalProblem,
                false);
        Map<String, List<String>> tokenRoles = bindings(top, "tokenRoles", defined, PolicyParser::claimProblem, true);
        Map<String, List<String>> certificates = bindings(top, "certificates", defined,
                PolicyParser::certificateProblem, false);
        if (!problems.isEmpty()) {
            throw new PolicyException(source, problems);
        }
        return new Policy(source, roles, principals, tokenRoles, certificates);
    }

    private void role(ConfigNode.MapNode roleMap, String name, ConfigNode node, List<Policy.Role> roles) {
        String path = "roles." + name;
        int line = roleMap.keyLines().get(name);
        if (!ROLE_NAME.matcher(name).matches()) {
            problems.add("line " + line + ": " + path + ": invalid role name; use 1-128 letters, digits and . _ - : @, "
                    + "starting with a letter or digit");
        }
        if (!(node instanceof ConfigNode.MapNode body)) {
            problems.add("line " + line + ": " + path + ": expected a mapping with allow and/or deny lists, found "
                    + ConfigNode.kind(node));
            return;
        }
        unknownKeys(body, path, ROLE_KEYS);
        List<Grant> allows = grants(body, name, Grant.Effect.ALLOW);
        List<Grant> denies = grants(body, name, Grant.Effect.DENY);
        roles.add(new Policy.Role(name, allows, denies));
    }

    private List<Grant> grants(ConfigNode.MapNode body, String role, Grant.Effect effect) {
        String key = effect.wireName();
        String path = "roles." + role + "." + key;
        List<Grant> grants = new ArrayList<>();
        ConfigNode node = body.entries().get(key);
        if (node == null) {
            return grants;
        }
        if (!(node instanceof ConfigNode.ListNode list)) {
            problems.add("line " + body.keyLines().get(key) + ": " + path + ": expected a list of grants "
                    + "(- actions: [...]  resources: [...]), found " + ConfigNode.kind(node));
            return grants;
        }
        for (int i = 0; i < list.items().size(); i++) {
            ConfigNode item = list.items().get(i);
            String at = path + "[" + i + "]";
            if (!(item instanceof ConfigNode.MapNode grant)) {
                problems.add("line " + item.line() + ": " + at + ": expected a mapping with actions and resources, found "
                        + ConfigNode.kind(item));
                continue;
            }
            unknownKeys(grant, at, GRANT_KEYS);
            Set<Action> actions = actions(grant, at);
            List<ResourcePattern> resources = resources(grant, at);
            if (actions.isEmpty() || resources.isEmpty()) {
                continue;
            }
            checkFixedResources(grant, at, actions, resources);
            grants.add(new Grant(Grant.ruleId(role, effect, i), role, effect, actions, resources, grant.line()));
        }
        return grants;
    }

    private Set<Action> actions(ConfigNode.MapNode grant, String at) {
        Set<Action> actions = EnumSet.noneOf(Action.class);
        for (ScalarAt value : scalars(grant, "actions", at)) {
            if (value.text().equals("*")) {
                actions.addAll(EnumSet.allOf(Action.class));
                continue;
            }
            try {
                actions.add(Action.parse(value.text()));
            } catch (IllegalArgumentException e) {
                problems.add("line " + value.line() + ": " + at + ".actions: unknown action '" + value.text()
                        + "'; allowed: \"*\" (every action), " + String.join(", ", Action.wireNames()));
            }
        }
        return actions;
    }

    private List<ResourcePattern> resources(ConfigNode.MapNode grant, String at) {
        Set<ResourcePattern> patterns = new LinkedHashSet<>();
        for (ScalarAt value : scalars(grant, "resources", at)) {
            String problem = ResourcePattern.problem(value.text());
            if (problem != null) {
                problems.add("line " + value.line() + ": " + at + ".resources: " + problem);
            } else {
                patterns.add(ResourcePattern.parse(value.text()));
            }
        }
        return new ArrayList<>(patterns);
    }

    /**
     * read-audit and admin act on one resource each; a grant of only those actions whose pattern
     * matches neither resource can never apply, which is a mistake worth stopping for.
     */
    private void checkFixedResources(ConfigNode.MapNode grant, String at, Set<Action> actions,
                                     List<ResourcePattern> resources) {
        List<String> fixed = new ArrayList<>();
        for (Action a : actions) {
            if (a.fixedResource() == null) {
                return;
            }
            fixed.add(a.wireName() + " acts only on '" + a.fixedResource() + "'");
        }
        for (ResourcePattern p : resources) {
            boolean applies = false;
            for (Action a : actions) {
                applies |= p.matches(a.fixedResource());
            }
            if (!applies) {
                problems.add("line " + grant.keyLines().get("resources") + ": " + at + ".resources: '" + p.text()
                        + "' can never match: " + String.join(", ", fixed));
            }
        }
    }

    private record ScalarAt(String text, int line) {
    }

    /** A required, non-empty list of values. */
    private List<ScalarAt> scalars(ConfigNode.MapNode map, String key, String at) {
        List<ScalarAt> out = new ArrayList<>();
        ConfigNode node = map.entries().get(key);
        if (node == null) {
            problems.add("line " + map.line() + ": " + at + "." + key + ": required: a list such as "
                    + (key.equals("actions") ? "[publish, consume] or [\"*\"]" : "[\"orders.*\"]"));
            return out;
        }
        int line = map.keyLines().get(key);
        if (!(node instanceof ConfigNode.ListNode list)) {
            problems.add("line " + line + ": " + at + "." + key + ": expected a list, found " + ConfigNode.kind(node)
                    + (node instanceof ConfigNode.ScalarNode s && s.value() != null ? "; write [" + s.value() + "]" : ""));
            return out;
        }
        if (list.items().isEmpty()) {
            problems.add("line " + line + ": " + at + "." + key + ": an empty list grants nothing; name at least one");
            return out;
        }
        for (ConfigNode item : list.items()) {
            if (item instanceof ConfigNode.ScalarNode s && s.value() != null && !s.value().isBlank()) {
                out.add(new ScalarAt(s.value().strip(), s.line()));
            } else {
                problems.add("line " + item.line() + ": " + at + "." + key + ": expected a single non-empty value in "
                        + "the list, found " + ConfigNode.kind(item));
            }
        }
        return out;
    }

    /**
     * An optional mapping of names to lists of defined roles, sorted by name. An empty list is a
     * mistake except in {@code tokenRoles}, where it says outright that a claim value grants
     * nothing (as every value it does not list).
     */
    private Map<String, List<String>> bindings(ConfigNode.MapNode top, String key, Set<String> defined,
                                               Function<String, String> nameProblem, boolean emptyAllowed) {
        Map<String, List<String>> out = new TreeMap<>();
        ConfigNode.MapNode map = mapping(top, key);
        if (map == null) {
            return out;
        }
        map.entries().forEach((name, node) -> {
            String at = key + "." + name;
            int line = map.keyLines().get(name);
            String problem = nameProblem.apply(name);
            if (problem != null) {
                problems.add("line " + line + ": " + at + ": " + problem);
            }
            if (!(node instanceof ConfigNode.ListNode list)) {
                problems.add("line " + line + ": " + at + ": expected a list of roles, found " + ConfigNode.kind(node)
                        + (node instanceof ConfigNode.ScalarNode s && s.value() != null ? "; write [" + s.value() + "]" : ""));
                return;
            }
            if (list.items().isEmpty() && !emptyAllowed) {
                problems.add("line " + line + ": " + at + ": an empty list binds no role; name at least one or remove "
                        + "the entry");
                return;
            }
            Set<String> roles = new LinkedHashSet<>();
            for (ConfigNode item : list.items()) {
                if (!(item instanceof ConfigNode.ScalarNode s) || s.value() == null || s.value().isBlank()) {
                    problems.add("line " + item.line() + ": " + at + ": expected a role name in the list, found "
                            + ConfigNode.kind(item));
                    continue;
                }
                String role = s.value().strip();
                if (!defined.contains(role)) {
                    problems.add("line " + item.line() + ": " + at + ": role '" + role + "' is not defined under roles"
                            + (defined.isEmpty() ? "" : "; defined: " + String.join(", ", defined)));
                }
                roles.add(role);
            }
            out.put(name, List.copyOf(roles));
        });
        return out;
    }

    /** The mapping under {@code key}, or null if absent (fine) or not a mapping (a problem). */
    private ConfigNode.MapNode mapping(ConfigNode.MapNode parent, String key) {
        ConfigNode node = parent.entries().get(key);
        if (node == null) {
            return null;
        }
        if (node instanceof ConfigNode.MapNode m) {
            return m;
        }
        if (node instanceof ConfigNode.ScalarNode s && s.value() == null) {
            return new ConfigNode.MapNode(node.line(), Map.of(), Map.of());
        }
        problems.add("line " + parent.keyLines().get(key) + ": " + key + ": expected a mapping, found "
                + ConfigNode.kind(node));
        return null;
    }

    private void unknownKeys(ConfigNode.MapNode map, String path, List<String> allowed) {
        for (Map.Entry<String, Integer> e : map.keyLines().entrySet()) {
            if (!allowed.contains(e.getKey())) {
                problems.add("line " + e.getValue() + ": " + (path.isEmpty() ? "" : path + ".") + e.getKey()
                        + ": unknown key; allowed here: " + String.join(", ", allowed));
            }
        }
    }

    private static String principalProblem(String name) {
        return textProblem(name, "principal");
    }

    private static String claimProblem(String value) {
        return textProblem(value, "claim value");
    }

    /** Certificate principals come out of the principal mapping, which only yields user names. */
    private static String certificateProblem(String name) {
        try {
            PrincipalNames.validate(name);
            return null;
        } catch (IllegalArgumentException e) {
            return "a client certificate never maps to this principal: " + e.getMessage();
        }
    }

    private static String textProblem(String name, String what) {
        if (name.isBlank() || name.length() > MAX_NAME) {
            return "a " + what + " has 1 to " + MAX_NAME + " characters";
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                return "a " + what + " may not contain control characters";
            }
        }
        return null;
    }
}
