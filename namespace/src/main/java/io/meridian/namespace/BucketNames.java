package io.meridian.namespace;

import java.util.Optional;
import java.util.regex.Pattern;

/** The S3 rules for bucket names, which are unique across the federation. */
public final class BucketNames {

    private static final Pattern CHARS = Pattern.compile("[a-z0-9][a-z0-9.-]*[a-z0-9]");
    private static final Pattern IP_ADDRESS = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    private BucketNames() {}

    /** Returns why {@code name} is not a valid bucket name, or empty if it is one. */
    public static Optional<String> problem(String name) {
        if (name == null || name.length() < 3 || name.length() > 63) {
            return Optional.of("a bucket name must be 3 to 63 characters long");
        }
        if (!CHARS.matcher(name).matches()) {
            return Optional.of("a bucket name may contain only lower-case letters, digits, '.' and '-',"
                    + " and must begin and end with a letter or digit");
        }
        if (name.contains("..")) {
            return Optional.of("a bucket name must not contain two adjacent periods");
        }
        if (IP_ADDRESS.matcher(name).matches()) {
            return Optional.of("a bucket name must not be formatted as an IP address");
        }
        if (name.startsWith("xn--") || name.startsWith("sthree-")
                || name.endsWith("-s3alias") || name.endsWith("--ol-s3")) {
            return Optional.of("a bucket name must not use a prefix or suffix that S3 reserves");
        }
        return Optional.empty();
    }

    public static boolean isValid(String name) {
        return problem(name).isEmpty();
    }
}
