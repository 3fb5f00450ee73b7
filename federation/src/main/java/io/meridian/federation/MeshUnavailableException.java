package io.meridian.federation;

/** Another site could not be reached, or stopped answering mid-way; retrying later may help. */
public final class MeshUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String site;

    public MeshUnavailableException(String site, String message, Throwable cause) {
        super(message, cause);
        this.site = site;
    }

    /** Returns the site that could not be reached. */
    public String site() {
        return site;
    }
}
