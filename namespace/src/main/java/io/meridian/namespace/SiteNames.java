package io.meridian.namespace;

import java.util.regex.Pattern;

/** The rule for site names: they appear in hostnames, file names, headers and metrics. */
public final class SiteNames {

    static final String RULE = "1 to 63 characters of a-z, 0-9 and '-', starting with a letter";
    private static final Pattern VALID = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    private SiteNames() {}

    public static boolean isValid(String name) {
        return name != null && VALID.matcher(name).matches();
    }

    /** Returns {@code name}, or throws an exception that states the rule. */
    public static String check(String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException("invalid site name '" + name + "': " + RULE);
        }
        return name;
    }
}
