package io.meridian.node.testing.linearizability;

/** What an {@link Operation} does to the register of its key. */
public enum Kind {
    /** Sets the register to a value. */
    WRITE,
    /** Makes the register absent. */
    DELETE,
    /** Observes the register without changing it. */
    READ
}
