package io.meridian.namespace;

/** What an access key may do. */
public enum KeyRole {
    /** Federation-wide: every tenant's data and the admin API. */
    ADMIN,
    /** Read and write its tenant's namespace. */
    READ_WRITE,
    /** Read its tenant's namespace. */
    READ_ONLY;

    public boolean canWrite() {
        return this != READ_ONLY;
    }
}
