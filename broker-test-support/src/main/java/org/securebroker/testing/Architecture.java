package org.securebroker.testing;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;

import com.tngtech.archunit.ArchConfiguration;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The architecture check each module's build runs: its main packages form layers, listed from
 * the bottom up, and a class may depend only on its own package and on packages of lower
 * layers. Packages of one layer are peers and do not depend on each other, so a back-edge (a
 * lower layer reaching up) and a cycle both fail, naming each offending dependency with its
 * source line. A package missing from the table fails too, so every new package is placed on
 * purpose. The layer tables are the ones docs/architecture.md draws.
 *
 * <p>It also checks that wall-clock time is read, and a {@link java.security.SecureRandom}
 * made, in one place only (the module's composition root), so everything else takes an injected
 * {@link java.time.Clock} and random source.
 *
 * <pre>{@code
 * Architecture.of("org.securebroker.store")
 *         .layer("io")
 *         .layer("crypto", "subscription")
 *         .layer("")                        // the root package itself
 *         .check();
 * }</pre>
 *
 * <p>Thread-safety: not thread-safe; build and check from one test.
 */
public final class Architecture {

    /**
     * Calls that read the wall clock or make a random source of their own: {@code owner#name} of
     * parameterless methods and constructors.
     */
    private static final Set<String> SYSTEM_SOURCES = Set.of(
            "java.security.SecureRandom#<init>",
            "java.lang.System#currentTimeMillis",
            "java.time.Clock#systemUTC", "java.time.Clock#systemDefaultZone",
            "java.time.Instant#now", "java.time.LocalDate#now", "java.time.LocalDateTime#now",
            "java.time.LocalTime#now", "java.time.OffsetDateTime#now", "java.time.ZonedDateTime#now",
            "java.util.Date#<init>");

    private final String root;
    private final Map<String, Integer> layerOf = new LinkedHashMap<>();
    private final Set<String> systemSourceOwners = new TreeSet<>();
    private Path compiled = Path.of("target", "classes");
    private int layers;
    private JavaClasses classes;

    private Architecture(String root) {
        this.root = root;
    }

    /** The check of the main classes under {@code rootPackage}. */
    public static Architecture of(String rootPackage) {
        return new Architecture(rootPackage);
    }

    /**
     * The next layer up: packages relative to the root ({@code "auth.jwt"}), {@code ""} for the
     * root package itself.
     */
    public Architecture layer(String... packages) {
        for (String p : packages) {
            String name = p.isEmpty() ? root : root + "." + p;
            if (layerOf.putIfAbsent(name, layers) != null) {
                throw new IllegalArgumentException(name + " is in two layers");
            }
        }
        layers++;
        return this;
    }

    /**
     * Classes (fully qualified) that may read the wall clock and make a {@code SecureRandom}; by
     * default none may.
     */
    public Architecture timeAndRandomnessOnlyIn(String... classNames) {
        systemSourceOwners.addAll(List.of(classNames));
        return this;
    }

    /** Reads the classes from {@code directory} instead of the module's {@code target/classes}. */
    public Architecture classesIn(Path directory) {
        compiled = directory;
        classes = null;
        return this;
    }

    /** Every dependency that breaks the layering, and every package in no layer; empty when none. */
    public List<String> layerViolations() {
        List<String> problems = new ArrayList<>();
        Set<String> unplaced = new TreeSet<>();
        for (JavaClass c : classes()) {
            Integer from = layerOf.get(c.getPackageName());
            if (from == null) {
                unplaced.add(c.getPackageName());
                continue;
            }
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                JavaClass target = d.getTargetClass();
                String to = target.getPackageName();
                if (to.equals(c.getPackageName()) || !inModule(to)) {
                    continue;
                }
                Integer toLayer = layerOf.get(to);
                if (toLayer != null && toLayer < from) {
                    continue;
                }
                problems.add(relative(c.getPackageName()) + " -> " + relative(to)
                        + (toLayer == null ? " (a package in no layer)"
                        : toLayer.equals(from) ? " (peers in one layer)" : " (a back-edge to a higher layer)")
                        + ": " + d.getDescription());
            }
        }
        for (String p : unplaced) {
            problems.add(0, "package " + p + " is in no layer: place it in the layer table (docs/architecture.md "
                    + "and this module's architecture test)");
        }
        return problems;
    }

    /** Every wall-clock read and every new {@code SecureRandom} outside the classes allowed them; empty when none. */
    public List<String> systemSourceViolations() {
        List<String> problems = new ArrayList<>();
        for (JavaClass c : classes()) {
            String top = c.getName().contains("$") ? c.getName().substring(0, c.getName().indexOf('$')) : c.getName();
            if (systemSourceOwners.contains(top)) {
                continue;
            }
            for (JavaMethodCall call : c.getMethodCallsFromSelf()) {
                if (isClockRead(call.getTargetOwner().getName(), call.getName(),
                        call.getTarget().getRawParameterTypes().size())) {
                    problems.add(call.getDescription());
                }
            }
            c.getConstructorCallsFromSelf().stream()
                    .filter(call -> isClockRead(call.getTargetOwner().getName(), "<init>",
                            call.getTarget().getRawParameterTypes().size()))
                    .forEach(call -> problems.add(call.getDescription()));
        }
        return problems;
    }

    /**
     * Fails with every layering and clock problem at once.
     *
     * @throws AssertionError listing them
     */
    public void check() {
        List<String> problems = new ArrayList<>(layerViolations());
        for (String p : systemSourceViolations()) {
            problems.add("reads the wall clock or makes a SecureRandom outside "
                    + (systemSourceOwners.isEmpty() ? "what is injected" : systemSourceOwners) + ": " + p);
        }
        if (classes().isEmpty()) {
            problems.add("no classes found under " + root);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(problems.size() + " architecture problem(s) in " + root + ":\n  "
                    + String.join("\n  ", problems));
        }
    }

    private static boolean isClockRead(String owner, String method, int parameters) {
        return parameters == 0 && SYSTEM_SOURCES.contains(owner + "#" + method);
    }

    private boolean inModule(String pkg) {
        return pkg.equals(root) || pkg.startsWith(root + ".");
    }

    private String relative(String pkg) {
        return pkg.equals(root) ? "(root)" : pkg.substring(root.length() + 1);
    }

    private JavaClasses classes() {
        if (classes == null) {
            // the module's own compiled main classes (tests run in the module's directory)
            if (!Files.isDirectory(compiled)) {
                throw new AssertionError("no compiled classes at " + compiled.toAbsolutePath()
                        + ": run the architecture check from the module's directory after compiling");
            }
            // only the module's own classes matter; resolving every JDK and library class they touch is slow
            ArchConfiguration.get().setResolveMissingDependenciesFromClassPath(false);
            classes = new ClassFileImporter().importPath(compiled).that(resideInAPackage(root + ".."));
        }
        return classes;
    }
}
