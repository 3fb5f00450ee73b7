package io.meridian.namespace;

/** An S3 access key: the secret signs requests; the tenant and role bound what they reach. */
public record AccessKey(String id, String secret, String tenant, KeyRole role, boolean disabled) {

    @Override
    public String toString() {
        return "AccessKey[" + id + ", tenant=" + tenant + ", role=" + role + ", disabled=" + disabled + "]";
    }

    /** Whether this key may touch a bucket of {@code bucketTenant}. */
    public boolean canAccessTenant(String bucketTenant) {
        return role == KeyRole.ADMIN || tenant.equals(bucketTenant);
    }
}
