package io.meridian.node.store;

import io.meridian.namespace.ObjectMeta;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One page of a bucket listing in key order.
 *
 * @param commonPrefixes keys rolled up by the delimiter, each counted once toward the page size
 * @param truncated whether more entries follow this page
 * @param last the last key or common prefix on this page, where the next page starts after
 */
public record Listing(List<Entry> contents, List<String> commonPrefixes, boolean truncated, @Nullable String last) {

    /** One object in a listing. */
    public record Entry(String key, ObjectMeta meta) {}
}
