package io.meridian.namespace;

import com.google.common.collect.ImmutableMap;
import io.meridian.namespace.proto.AccessKeyRecord;
import io.meridian.namespace.proto.BucketRecord;
import io.meridian.namespace.proto.KeyRoleProto;
import io.meridian.namespace.proto.SiteRecord;
import io.meridian.namespace.proto.SiteRoleProto;
import java.time.Instant;

/** Translates between the namespace's wire records and its domain types: the one place that does. */
final class NamespaceCodec {

    private NamespaceCodec() {}

    static SiteInfo site(SiteRecord r) {
        return new SiteInfo(r.getName(), r.getRegion(),
                r.getRole() == SiteRoleProto.SITE_ROLE_EDGE ? SiteRole.EDGE : SiteRole.CORE,
                ImmutableMap.copyOf(r.getEndpointsMap()));
    }

    static SiteRecord site(SiteInfo s) {
        return SiteRecord.newBuilder()
                .setName(s.name())
                .setRegion(s.region())
                .setRole(s.role() == SiteRole.EDGE ? SiteRoleProto.SITE_ROLE_EDGE : SiteRoleProto.SITE_ROLE_CORE)
                .putAllEndpoints(s.endpoints())
                .build();
    }

    static BucketInfo bucket(BucketRecord r) {
        return new BucketInfo(r.getName(), r.getTenant(), r.getOwnerSite(), r.getEpoch(),
                Instant.ofEpochMilli(r.getCreatedAtMs()), r.getDefaultConsistency());
    }

    static BucketRecord bucket(BucketInfo b) {
        return BucketRecord.newBuilder()
                .setName(b.name())
                .setTenant(b.tenant())
                .setOwnerSite(b.ownerSite())
                .setEpoch(b.epoch())
                .setCreatedAtMs(b.createdAt().toEpochMilli())
                .setDefaultConsistency(b.defaultConsistency())
                .build();
    }

    static AccessKey key(AccessKeyRecord r) {
        return new AccessKey(r.getAccessKeyId(), r.getSecret(), r.getTenant(), keyRole(r.getRole()),
                r.getDisabled());
    }

    static AccessKeyRecord key(AccessKey k) {
        return AccessKeyRecord.newBuilder()
                .setAccessKeyId(k.id())
                .setSecret(k.secret())
                .setTenant(k.tenant())
                .setRole(keyRole(k.role()))
                .setDisabled(k.disabled())
                .build();
    }

    private static KeyRole keyRole(KeyRoleProto p) {
        switch (p) {
            case KEY_ROLE_ADMIN:
                return KeyRole.ADMIN;
            case KEY_ROLE_READ_ONLY:
                return KeyRole.READ_ONLY;
            default:
                return KeyRole.READ_WRITE;
        }
    }

    private static KeyRoleProto keyRole(KeyRole r) {
        switch (r) {
            case ADMIN:
                return KeyRoleProto.KEY_ROLE_ADMIN;
            case READ_ONLY:
                return KeyRoleProto.KEY_ROLE_READ_ONLY;
            default:
                return KeyRoleProto.KEY_ROLE_READ_WRITE;
        }
    }
}
