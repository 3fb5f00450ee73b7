package io.meridian.node.s3;

import java.util.Set;

/** The S3 operations Meridian serves, and where each one runs. */
enum S3Op {
    LIST_BUCKETS(Placement.ANY_SITE, false),
    CREATE_BUCKET(Placement.ANY_SITE, true),
    HEAD_BUCKET(Placement.ANY_SITE, false),
    GET_BUCKET_LOCATION(Placement.ANY_SITE, false),
    GET_BUCKET_VERSIONING(Placement.ANY_SITE, false),
    GET_BUCKET_ACL(Placement.ANY_SITE, false),
    DELETE_BUCKET(Placement.OWNER, true),
    LIST_OBJECTS_V1(Placement.OWNER, false),
    LIST_OBJECTS_V2(Placement.OWNER, false),
    LIST_UPLOADS(Placement.OWNER, false),
    DELETE_OBJECTS(Placement.OWNER, true),
    PUT_OBJECT(Placement.OWNER, true),
    COPY_OBJECT(Placement.OWNER, true),
    GET_OBJECT(Placement.READ_THROUGH, false),
    HEAD_OBJECT(Placement.READ_THROUGH, false),
    GET_OBJECT_ACL(Placement.ANY_SITE, false),
    DELETE_OBJECT(Placement.OWNER, true),
    CREATE_UPLOAD(Placement.OWNER, true),
    UPLOAD_PART(Placement.OWNER, true),
    UPLOAD_PART_COPY(Placement.OWNER, true),
    COMPLETE_UPLOAD(Placement.OWNER, true),
    ABORT_UPLOAD(Placement.OWNER, true),
    LIST_PARTS(Placement.OWNER, false);

    /** Where an operation runs. */
    enum Placement {
        /** At the site the client talks to, from the replicated federation state. */
        ANY_SITE,
        /** At the owner of the bucket; other sites forward it. */
        OWNER,
        /** At the owner, or at any site through its cache revalidated with the owner. */
        READ_THROUGH
    }

    /** S3 subresources Meridian does not implement; a request for one gets NotImplemented. */
    private static final Set<String> UNSUPPORTED = Set.of("policy", "cors", "lifecycle", "tagging", "website",
            "logging", "notification", "replication", "encryption", "object-lock", "retention", "legal-hold",
            "torrent", "restore", "select", "accelerate", "requestPayment", "analytics", "inventory", "metrics",
            "intelligent-tiering", "ownershipControls", "publicAccessBlock", "versions", "attributes",
            "policyStatus", "session");

    private final Placement placement;
    private final boolean write;

    S3Op(Placement placement, boolean write) {
        this.placement = placement;
        this.write = write;
    }

    Placement placement() {
        return placement;
    }

    /** Whether the operation changes data (read-only keys may not run it). */
    boolean isWrite() {
        return write;
    }

    /**
     * Classifies a request.
     *
     * @throws S3Exception NotImplemented or MethodNotAllowed for requests Meridian does not serve
     */
    static S3Op classify(String method, RequestTarget t, boolean hasCopySource) {
        for (var e : t.query()) {
            if (UNSUPPORTED.contains(e.getKey())) {
                throw new S3Exception(S3Error.NOT_IMPLEMENTED,
                        "The '" + e.getKey() + "' subresource is not implemented by Meridian.");
            }
        }
        if (t.bucket() == null) {
            if (method.equals("GET")) {
                return LIST_BUCKETS;
            }
            throw notAllowed(method, "the service");
        }
        if (t.key() == null) {
            switch (method) {
                case "PUT":
                    if (t.has("acl") || t.has("versioning")) {
                        throw new S3Exception(S3Error.NOT_IMPLEMENTED,
                                "Changing bucket ACLs or versioning is not implemented by Meridian.");
                    }
                    return CREATE_BUCKET;
                case "HEAD":
                    return HEAD_BUCKET;
                case "DELETE":
                    return DELETE_BUCKET;
                case "POST":
                    if (t.has("delete")) {
                        return DELETE_OBJECTS;
                    }
                    throw notAllowed(method, "a bucket without ?delete");
                case "GET":
                    if (t.has("location")) {
                        return GET_BUCKET_LOCATION;
                    }
                    if (t.has("versioning")) {
                        return GET_BUCKET_VERSIONING;
                    }
                    if (t.has("acl")) {
                        return GET_BUCKET_ACL;
                    }
                    if (t.has("uploads")) {
                        return LIST_UPLOADS;
                    }
                    return "2".equals(t.param("list-type")) ? LIST_OBJECTS_V2 : LIST_OBJECTS_V1;
                default:
                    throw notAllowed(method, "a bucket");
            }
        }
        switch (method) {
            case "PUT":
                if (t.has("acl")) {
                    throw new S3Exception(S3Error.NOT_IMPLEMENTED, "Object ACLs are not implemented by Meridian.");
                }
                if (t.has("uploadId") || t.has("partNumber")) {
                    return hasCopySource ? UPLOAD_PART_COPY : UPLOAD_PART;
                }
                return hasCopySource ? COPY_OBJECT : PUT_OBJECT;
            case "GET":
                if (t.has("uploadId")) {
                    return LIST_PARTS;
                }
                if (t.has("acl")) {
                    return GET_OBJECT_ACL;
                }
                return GET_OBJECT;
            case "HEAD":
                return HEAD_OBJECT;
            case "DELETE":
                return t.has("uploadId") ? ABORT_UPLOAD : DELETE_OBJECT;
            case "POST":
                if (t.has("uploads")) {
                    return CREATE_UPLOAD;
                }
                if (t.has("uploadId")) {
                    return COMPLETE_UPLOAD;
                }
                throw notAllowed(method, "an object without ?uploads or ?uploadId");
            default:
                throw notAllowed(method, "an object");
        }
    }

    private static S3Exception notAllowed(String method, String what) {
        return new S3Exception(S3Error.METHOD_NOT_ALLOWED, "The method " + method + " is not allowed on " + what + ".");
    }
}
