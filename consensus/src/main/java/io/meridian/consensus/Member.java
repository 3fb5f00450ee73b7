package io.meridian.consensus;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;

/**
 * A voting member of a replicated group: its id and the {@code host:port} its consensus traffic
 * goes to.
 */
public record Member(String id, String address) {

    public Member {
        checkArgument(id != null && !id.isBlank(), "member id must not be blank");
        checkArgument(address != null && address.lastIndexOf(':') > 0,
                "member %s: address must be host:port, got '%s'", id, address);
    }

    /**
     * Parses a list such as {@code us-east@127.0.0.1:9301,eu-west@127.0.0.1:9302}.
     *
     * @throws IllegalArgumentException naming the entry that is not {@code id@host:port}
     */
    public static List<Member> parseList(String spec) {
        List<Member> members = new ArrayList<>();
        for (String entry : spec.split(",")) {
            String trimmed = entry.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            int at = trimmed.indexOf('@');
            checkArgument(at > 0, "peer '%s' must be written id@host:port", trimmed);
            members.add(new Member(trimmed.substring(0, at), trimmed.substring(at + 1)));
        }
        checkArgument(!members.isEmpty(), "no peers in '%s'", spec);
        return List.copyOf(members);
    }

    @Override
    public String toString() {
        return id + "@" + address;
    }
}
