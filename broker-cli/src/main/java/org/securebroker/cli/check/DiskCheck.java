package org.securebroker.cli.check;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Free space on the file systems holding the store and the audit log: below 2% is high, below
 * 10% or below 1 GiB medium. When the audit log cannot be written the broker refuses every
 * command, and a full store refuses publishes. A directory that does not exist yet is judged by
 * the file system it will be created on.
 *
 * <p>Thread-safety: stateless.
 */
public final class DiskCheck implements SecurityCheck {

    static final long ONE_GIB = 1L << 30;

    /** Free space of one file system; {@code name} tells file systems apart. */
    public record Space(String name, long usable, long total) {
    }

    /** Measures the file system holding an existing path. */
    @FunctionalInterface
    public interface SpaceProbe {
        Space of(Path existing) throws IOException;
    }

    /** The real file systems, through {@link FileStore}. */
    public static final SpaceProbe FILE_STORES = path -> {
        FileStore store = Files.getFileStore(path);
        return new Space(store.toString(), store.getUsableSpace(), store.getTotalSpace());
    };

    private final SpaceProbe probe;

    public DiskCheck() {
        this(FILE_STORES);
    }

    public DiskCheck(SpaceProbe probe) {
        this.probe = probe;
    }

    @Override
    public String name() {
        return "disk";
    }

    @Override
    public List<Finding> run(CheckContext context) throws IOException {
        Map<String, Path> places = new LinkedHashMap<>();
        places.put("the store", context.config().storeDir());
        places.put("the audit log", context.config().audit().dir());
        Map<String, Space> spaces = new LinkedHashMap<>();
        Map<String, List<String>> holding = new LinkedHashMap<>();
        for (Map.Entry<String, Path> place : places.entrySet()) {
            Space space = probe.of(existingAncestor(place.getValue()));
            spaces.putIfAbsent(space.name(), space);
            holding.computeIfAbsent(space.name(), k -> new ArrayList<>()).add(place.getKey() + " (" + place.getValue()
                    + ")");
        }
        List<Finding> out = new ArrayList<>();
        spaces.forEach((name, space) -> {
            Finding f = judge(space, holding.get(name));
            if (f != null) {
                out.add(f);
            }
        });
        return out;
    }

    private static Finding judge(Space space, List<String> holding) {
        if (space.total() <= 0) {
            return null;
        }
        double percent = 100.0 * space.usable() / space.total();
        String subject = String.join(", ", holding);
        String finding = "the file system " + space.name() + " holding " + String.join(" and ", holding) + " has "
                + size(space.usable()) + " free of " + size(space.total()) + String.format(Locale.ROOT, " (%.1f%%)",
                percent);
        String fix = "free space there or move the directory to a larger file system; when the audit log cannot be "
                + "written the broker refuses every command";
        if (percent < 2) {
            return Finding.high("disk-space", subject, finding, fix);
        }
        if (percent < 10 || space.usable() < ONE_GIB) {
            return Finding.medium("disk-space", subject, finding, fix);
        }
        return null;
    }

    private static Path existingAncestor(Path path) {
        Path p = path.toAbsolutePath().normalize();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no part of " + path + " exists");
        }
        return p;
    }

    static String size(long bytes) {
        if (bytes >= ONE_GIB) {
            return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) ONE_GIB);
        }
        return String.format(Locale.ROOT, "%.0f MiB", bytes / (double) (1L << 20));
    }
}
