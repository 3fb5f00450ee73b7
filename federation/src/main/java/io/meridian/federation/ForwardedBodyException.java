package io.meridian.federation;

/**
 * The body of a request being forwarded failed at the forwarding site (its client went away, or
 * it failed a signature or checksum check); the cause says which. The owner committed nothing.
 */
public final class ForwardedBodyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ForwardedBodyException(Throwable cause) {
        super("the request body failed before it reached the owner: " + cause, cause);
    }
}
