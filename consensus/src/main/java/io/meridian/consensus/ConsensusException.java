package io.meridian.consensus;

/**
 * Why a command or query could not be completed by the group; {@link #reason()} tells a caller
 * whether retrying can help.
 */
public class ConsensusException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Reason reason;

    public ConsensusException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public ConsensusException(Reason reason, String message) {
        this(reason, message, null);
    }

    public Reason reason() {
        return reason;
    }

    /** What went wrong. */
    public enum Reason {
        /** No leader could be reached in time, for example because a majority is down; retry later. */
        UNAVAILABLE,
        /** The member is not running. */
        CLOSED,
        /** The state machine failed to apply the command: a bug, the member stops. */
        APPLY_FAILED,
        /** The state machine failed to answer a read-only query: a bug in the query or handler; the member keeps running. */
        QUERY_FAILED
    }
}
