package io.meridian.namespace;

/** A namespace change the federation refused, with the reason a caller maps to its own error. */
public final class NamespaceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Outcome outcome;

    public NamespaceException(Outcome outcome, String message) {
        super(message);
        this.outcome = outcome;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** Why a change was refused. */
    public enum Outcome {
        ALREADY_EXISTS,
        ALREADY_OWNED_BY_YOU,
        NOT_FOUND,
        /** The target changed since the caller looked (for example its owner or epoch). */
        CONFLICT,
        INVALID
    }
}
