package io.meridian.node.store;

/** A store operation that was refused; {@link #kind()} tells the API layer which error to answer. */
public final class StoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Kind kind;

    public StoreException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Why an operation was refused. */
    public enum Kind {
        /** A conditional write or delete found the object not as the condition required. */
        PRECONDITION_FAILED,
        /** The write carried an older epoch than this store has seen for the domain. */
        STALE_EPOCH,
        NO_SUCH_UPLOAD,
        /** A part named in a multipart completion is missing or its ETag does not match. */
        INVALID_PART,
        /** The parts of a multipart completion are not in ascending order. */
        INVALID_PART_ORDER,
        /** A part other than the last is smaller than the minimum part size. */
        ENTITY_TOO_SMALL
    }
}
