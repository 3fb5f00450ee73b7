package io.meridian.federation;

/** Another site could not be reached, or stopped answering mid-way; retrying later may help. */
public final class MeshUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String site;
    private final boolean neverSent;

    public MeshUnavailableException(String site, String message, Throwable cause) {
        this(site, message, cause, false);
    }

    /**
     * @param neverSent the request was not sent at all (so it had no effect there, and may be
     *     retried safely)
     */
    public MeshUnavailableException(String site, String message, Throwable cause, boolean neverSent) {
        super(message, cause);
        this.site = site;
        this.neverSent = neverSent;
    }

    /** Whether the request is known never to have left this site: it had no effect at the other. */
    public boolean neverSent() {
        return neverSent;
    }

    /** Returns the site that could not be reached. */
    public String site() {
        return site;
    }
}
