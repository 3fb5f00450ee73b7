package io.meridian.node.s3;

import com.google.common.collect.ImmutableMap;
import com.google.common.util.concurrent.Striped;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import io.meridian.federation.FetchResult;
import io.meridian.cache.lease.LeaseTable;
import io.meridian.federation.OwnerLeases;
import io.meridian.federation.RemoteObjects;
import io.meridian.namespace.AccessKey;
import io.meridian.namespace.BucketInfo;
import io.meridian.namespace.BucketNames;
import io.meridian.namespace.FederationState;
import io.meridian.namespace.KeyRole;
import io.meridian.namespace.Namespace;
import io.meridian.namespace.NamespaceException;
import io.meridian.namespace.ObjectMeta;
import io.meridian.namespace.SiteInfo;
import io.meridian.node.store.Blob;
import io.meridian.node.store.FileStreams;
import io.meridian.node.store.Listing;
import io.meridian.node.store.LocalStore;
import io.meridian.node.store.ObjectAttributes;
import io.meridian.node.store.OpenObject;
import io.meridian.node.store.Precondition;
import io.meridian.node.store.StoreException;
import io.meridian.node.store.proto.PartRecord;
import io.meridian.node.store.proto.UploadRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes S3 operations at this site: those any site answers from the federation state, and
 * those this site runs as the owner of a bucket. Routing (what runs here, what is forwarded or
 * read through the cache) happens before, in {@link S3Router}.
 *
 * <p>Every write to a bucket commits while holding that bucket's guard and only if the bucket
 * still exists with this site as owner at the epoch the write carries; deleting a bucket takes the
 * guard exclusively, so no object can slip into a bucket that is being deleted.
 */
public final class S3Operations {

    private static final Logger log = LoggerFactory.getLogger(S3Operations.class);

    /** The largest single PUT and the largest part, as in S3. */
    static final long MAX_OBJECT_SIZE = 5L << 30;
    static final int MAX_KEY_BYTES = 1024;
    static final int MAX_USER_METADATA_BYTES = 2048;
    static final int MAX_XML_BODY_BYTES = 2 << 20;
    static final int MAX_PART_NUMBER = 10_000;
    static final Duration NAMESPACE_TIMEOUT = Duration.ofSeconds(20);

    private static final List<String> STORED_HEADERS =
            List.of("content-encoding", "content-disposition", "content-language", "cache-control", "expires");

    private final String site;
    private final Namespace namespace;
    private final LocalStore store;
    private final RemoteObjects remote;
    private final OwnerLeases ownerLeases;
    private final Executor blocking;
    private final Clock clock;
    private final long minPartSize;
    private final Striped<ReadWriteLock> bucketGuards = Striped.readWriteLock(256);

    public S3Operations(String site, Namespace namespace, LocalStore store, RemoteObjects remote,
                        OwnerLeases ownerLeases, Executor blocking, Clock clock, long minPartSize) {
        this.ownerLeases = ownerLeases;
        this.site = site;
        this.namespace = namespace;
        this.store = store;
        this.remote = remote;
        this.blocking = blocking;
        this.clock = clock;
        this.minPartSize = minPartSize;
    }

    String site() {
        return site;
    }

    /**
     * Runs {@code op} here. For owner operations the caller has checked that this site owns the
     * bucket; {@code bucket} is null for service-level operations and bucket creation.
     */
    CompletableFuture<HttpResponse> execute(S3Request req, S3Op op, @Nullable BucketInfo bucket) {
        switch (op) {
            case LIST_BUCKETS:
                return listBuckets(req);
            case CREATE_BUCKET:
                return createBucket(req);
            case HEAD_BUCKET:
                return done(HttpResponse.of(S3Responses.headers(HttpStatus.OK, site, req.requestId())
                        .set("x-amz-bucket-region", region(bucket)).build()));
            case GET_BUCKET_LOCATION:
                return done(locationResponse(req, bucket));
            case GET_BUCKET_VERSIONING:
                return done(S3Responses.xml(HttpStatus.OK,
                        new Xml().root("VersioningConfiguration").close("VersioningConfiguration"), site, req.requestId()));
            case GET_BUCKET_ACL:
            case GET_OBJECT_ACL:
                return acl(req, bucket, op == S3Op.GET_OBJECT_ACL);
            default:
                return blocking(() -> executeAtOwner(req, op, bucket));
        }
    }

    private HttpResponse executeAtOwner(S3Request req, S3Op op, BucketInfo bucket) {
        switch (op) {
            case DELETE_BUCKET:
                return deleteBucket(req, bucket);
            case LIST_OBJECTS_V1:
                return Listings.listV1(req, store, site);
            case LIST_OBJECTS_V2:
                return Listings.listV2(req, store, site);
            case LIST_UPLOADS:
                return Listings.listUploads(req, store, site);
            case DELETE_OBJECTS:
                return deleteObjects(req, bucket);
            case PUT_OBJECT:
                return putObject(req, bucket);
            case COPY_OBJECT:
                return copyObject(req, bucket);
            case GET_OBJECT:
            case HEAD_OBJECT:
                return getObject(req, op == S3Op.HEAD_OBJECT);
            case DELETE_OBJECT:
                return deleteObject(req, bucket);
            case CREATE_UPLOAD:
                return createUpload(req, bucket);
            case UPLOAD_PART:
                return uploadPart(req, bucket);
            case UPLOAD_PART_COPY:
                return uploadPartCopy(req, bucket);
            case COMPLETE_UPLOAD:
                return completeUpload(req, bucket);
            case ABORT_UPLOAD:
                return abortUpload(req, bucket);
            case LIST_PARTS:
                return Listings.listParts(req, store, site);
            default:
                throw new S3Exception(S3Error.NOT_IMPLEMENTED, "Operation " + op + " is not implemented.");
        }
    }

    // ---------------------------------------------------------------- service and bucket operations

    private CompletableFuture<HttpResponse> listBuckets(S3Request req) {
        return namespaceCall(namespace.sync()).thenApply(state -> {
            AccessKey key = req.principal();
            List<BucketInfo> buckets = key.role() == KeyRole.ADMIN ? state.buckets() : state.bucketsOf(key.tenant());
            Xml xml = new Xml().root("ListAllMyBucketsResult")
                    .open("Owner").element("ID", key.tenant()).element("DisplayName", key.tenant()).close("Owner")
                    .open("Buckets");
            for (BucketInfo b : buckets) {
                xml.open("Bucket").element("Name", b.name())
                        .element("CreationDate", HttpDates.iso(b.createdAt().toEpochMilli()))
                        .element("BucketRegion", region(b))
                        .close("Bucket");
            }
            xml.close("Buckets").close("ListAllMyBucketsResult");
            return S3Responses.xml(HttpStatus.OK, xml, site, req.requestId());
        });
    }

    private CompletableFuture<HttpResponse> createBucket(S3Request req) {
        String name = req.bucket();
        requireWriter(req);
        Optional<String> problem = BucketNames.problem(name);
        if (problem.isPresent()) {
            Bodies.discard(req.body());
            throw new S3Exception(S3Error.INVALID_BUCKET_NAME,
                    "The specified bucket is not valid: " + problem.get() + ".", "/" + name);
        }
        return blocking(() -> {
            byte[] body = readSmallBody(req, 64 * 1024);
            if (body.length > 0) {
                SmallXml.parse(body, "CreateBucketConfiguration");
            }
            return null;
        }).thenCompose(ignored -> namespaceCall(
                namespace.createBucket(name, req.principal().tenant(), site, clock.instant())))
                .thenApply(b -> S3Responses.headers(HttpStatus.OK, site, req.requestId())
                        .set("location", "/" + name).build())
                .thenApply(HttpResponse::of);
    }

    private HttpResponse locationResponse(S3Request req, BucketInfo bucket) {
        String region = region(bucket);
        Xml xml = new Xml().root("LocationConstraint").text("us-east-1".equals(region) ? "" : region)
                .close("LocationConstraint");
        return S3Responses.xml(HttpStatus.OK, xml, site, req.requestId());
    }

    private CompletableFuture<HttpResponse> acl(S3Request req, BucketInfo bucket, boolean object) {
        String owner = bucket.tenant();
        Xml xml = new Xml().root("AccessControlPolicy")
                .open("Owner").element("ID", owner).element("DisplayName", owner).close("Owner")
                .open("AccessControlList").open("Grant")
                .open("Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"")
                .element("ID", owner).element("DisplayName", owner).close("Grantee")
                .element("Permission", "FULL_CONTROL").close("Grant").close("AccessControlList")
                .close("AccessControlPolicy");
        if (!object) {
            return done(S3Responses.xml(HttpStatus.OK, xml, site, req.requestId()));
        }
        return readThroughOrLocalHead(req, bucket).thenApply(meta -> S3Responses.xml(HttpStatus.OK, xml, site,
                req.requestId()));
    }

    private CompletableFuture<ObjectMeta> readThroughOrLocalHead(S3Request req, BucketInfo bucket) {
        if (bucket.ownerSite().equals(site)) {
            return blocking(() -> store.head(bucket.name(), req.key())
                    .orElseThrow(() -> noSuchKey(req)));
        }
        SiteInfo owner = ownerInfo(bucket);
        return remote.head(owner, bucket.name(), req.key(), req.requestId()).thenApply(read -> {
            if (read instanceof RemoteObjects.Read.Head) {
                return ((RemoteObjects.Read.Head) read).meta();
            }
            throw missing(req, (RemoteObjects.Read.Missing) read);
        });
    }

    private HttpResponse deleteBucket(S3Request req, BucketInfo bucket) {
        requireWriter(req);
        Lock guard = bucketGuards.get(bucket.name()).writeLock();
        guard.lock();
        try {
            if (store.hasObjects(bucket.name())) {
                throw new S3Exception(S3Error.BUCKET_NOT_EMPTY,
                        "The bucket you tried to delete is not empty. Delete its objects first.", req.resource());
            }
            join(namespace.deleteBucket(bucket.name(), site, bucket.epoch()));
            store.dropBucket(bucket.name());
        } finally {
            guard.unlock();
        }
        return S3Responses.empty(HttpStatus.NO_CONTENT, site, req.requestId());
    }

    // ---------------------------------------------------------------- object operations

    private HttpResponse getObject(S3Request req, boolean head) {
        OpenObject open;
        try {
            open = store.open(req.bucket(), req.key()).orElseThrow(() -> noSuchKey(req));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ObjectResponses.respond(req, head,
                new ObjectResponses.Source(open.meta(), open.channels(), open.lengths(), open), site, blocking);
    }

    private HttpResponse putObject(S3Request req, BucketInfo bucket) {
        requireWriter(req);
        checkKey(req);
        ObjectAttributes attrs = attributes(req);
        long declared = req.contentLength();
        if (declared > MAX_OBJECT_SIZE) {
            req.body().abort();
            throw new S3Exception(S3Error.ENTITY_TOO_LARGE,
                    "Your proposed upload exceeds the maximum allowed object size of 5 GiB; use a multipart upload.");
        }
        Precondition pre = new Precondition(etagOrStar(req.header("if-match")), etagOrStar(req.header("if-none-match")));
        Blob blob = receive(req, MAX_OBJECT_SIZE);
        ObjectMeta meta = commitBlob(bucket, blob,
                () -> store.putObject(bucket.name(), req.key(), bucket.epoch(), blob, attrs, pre));
        return HttpResponse.of(S3Responses.headers(HttpStatus.OK, site, req.requestId())
                .set("etag", meta.quotedEtag())
                .build());
    }

    private HttpResponse copyObject(S3Request req, BucketInfo bucket) {
        requireWriter(req);
        checkKey(req);
        CopySource src = CopySource.parse(req.header("x-amz-copy-source"));
        String directive = Optional.ofNullable(req.header("x-amz-metadata-directive")).orElse("COPY")
                .toUpperCase(Locale.ROOT);
        if (!directive.equals("COPY") && !directive.equals("REPLACE")) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT, "x-amz-metadata-directive must be COPY or REPLACE.");
        }
        if (src.bucket().equals(req.bucket()) && src.key().equals(req.key()) && directive.equals("COPY")) {
            throw new S3Exception(S3Error.INVALID_REQUEST, "This copy request is illegal because it is trying to copy"
                    + " an object to itself without changing the object's metadata, storage class, website redirect"
                    + " location or encryption attributes.");
        }
        try (ObjectResponses.Source source = openSource(req, src)) {
            checkCopyConditions(req, source.meta());
            ObjectAttributes attrs = directive.equals("COPY") ? attributesOf(source.meta()) : attributes(req);
            Blob blob = copyBytes(source, 0, source.meta().size());
            ObjectMeta meta = commitBlob(bucket, blob, () -> store.putObject(bucket.name(), req.key(), bucket.epoch(),
                    blob, attrs, Precondition.NONE));
            Xml xml = new Xml().root("CopyObjectResult")
                    .element("LastModified", HttpDates.iso(meta.lastModifiedMs()))
                    .element("ETag", meta.quotedEtag())
                    .close("CopyObjectResult");
            return S3Responses.xml(HttpStatus.OK, xml, site, req.requestId());
        }
    }

    private HttpResponse deleteObject(S3Request req, BucketInfo bucket) {
        requireWriter(req);
        checkKey(req);
        Precondition pre = new Precondition(etagOrStar(req.header("if-match")), null);
        commit(bucket, () -> store.deleteObject(bucket.name(), req.key(), bucket.epoch(), pre));
        return S3Responses.empty(HttpStatus.NO_CONTENT, site, req.requestId());
    }

    private HttpResponse deleteObjects(S3Request req, BucketInfo bucket) {
        requireWriter(req);
        SmallXml doc = SmallXml.parse(readSmallBody(req, MAX_XML_BODY_BYTES), "Delete");
        boolean quiet = "true".equalsIgnoreCase(doc.childText("Quiet"));
        List<SmallXml> objects = doc.children("Object");
        if (objects.size() > 1000) {
            throw new S3Exception(S3Error.MALFORMED_XML, "A DeleteObjects request may name at most 1000 objects.");
        }
        Xml xml = new Xml().root("DeleteResult");
        for (SmallXml o : objects) {
            String key = o.childText("Key");
            if (key == null) {
                throw new S3Exception(S3Error.MALFORMED_XML, "Every Object in a DeleteObjects request needs a Key.");
            }
            try {
                if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
                    throw new S3Exception(S3Error.KEY_TOO_LONG, "Your key is too long.");
                }
                commit(bucket, () -> store.deleteObject(bucket.name(), key, bucket.epoch(), Precondition.NONE));
                if (!quiet) {
                    xml.open("Deleted").element("Key", key).close("Deleted");
                }
            } catch (S3Exception e) {
                xml.open("Error").element("Key", key).element("Code", e.code())
                        .element("Message", e.getMessage()).close("Error");
            }
        }
        xml.close("DeleteResult");
        return S3Responses.xml(HttpStatus.OK, xml, site, req.requestId());
    }

    // ---------------------------------------------------------------- multipart uploads

    private HttpResponse createUpload(S3Request req, BucketInfo bucket) {
        requireWriter(req);
        checkKey(req);
        ObjectAttributes attrs = attributes(req);
        Bodies.discard(req.body());
        String uploadId = commit(bucket, () -> store.createUpload(bucket.name(), req.key(), bucket.epoch(), attrs));
        Xml xml = new Xml().root("InitiateMultipartUploadResult")
                .element("Bucket", bucket.name())
                .element("Key", req.key())
                .element("UploadId", uploadId)
                .close("InitiateMultipartUploadResult");
        return S3Responses.xml(HttpStatus.OK, xml, site, req.requestId());
    }

    private int partNumber(S3Request req) {
        String value = req.param("partNumber");
        try {
            int n = Integer.parseInt(value == null ? "" : value);
            if (n >= 1 && n <= MAX_PART_NUMBER) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new S3Exception(S3Error.INVALID_ARGUMENT,
                "Part number must be an integer between 1 and " + MAX_PART_NUMBER + ", got '" + value + "'.");
    }

    private String uploadId(S3Request req) {
        String id = req.param("uploadId");
        if (id == null || id.isEmpty()) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT, "The uploadId parameter is required.");
        }
        return id;
    }

    private HttpResponse uploadPart(S3Request req, BucketInfo bucket) {
        requireWriter(req);
        int part = partNumber(req);
        String uploadId = uploadId(req);
        if (store.upload(bucket.name(), req.key(), uploadId).isEmpty()) {
            Bodies.discard(req.body());
            throw noSuchUpload(uploadId);
        }
        if (req.contentLength() > MAX_OBJECT_SIZE) {
            req.body().abort();
            throw new S3Exception(S3Error.ENTITY_TOO_LARGE, "A part may be at most 5 GiB.");
        }
        Blob blob = receive(req, MAX_OBJECT_SIZE);
        PartRecord record = commitBlob(bucket, blob,
                () -> store.putPart(bucket.name(), req.key(), uploadId, part, blob));
        return HttpResponse.of(S3Responses.headers(HttpStatus.OK, site, req.requestId())
                .set("etag", '"' + record.getEtag() + '"')
                .build());
    }

    private HttpResponse uploadPartCopy(S3Request req, BucketInfo bucket) {
        requireWriter(req);
        int part = partNumber(req);
        String uploadId = uploadId(req);
        if (store.upload(bucket.name(), req.key(), uploadId).isEmpty()) {
            throw noSuchUpload(uploadId);
        }
        CopySource src = CopySource.parse(req.header("x-amz-copy-source"));
        try (ObjectResponses.Source source = openSource(req, src)) {
            checkCopyConditions(req, source.meta());
            long size = source.meta().size();
            long offset = 0;
            long length = size;
            String rangeHeader = req.header("x-amz-copy-source-range");
            if (rangeHeader != null) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("bytes=(\\d+)-(\\d+)")
                        .matcher(rangeHeader.trim());
                if (!m.matches()) {
                    throw new S3Exception(S3Error.INVALID_ARGUMENT,
                            "The x-amz-copy-source-range value must be of the form bytes=first-last.");
                }
                long first = Long.parseLong(m.group(1));
                long last = Long.parseLong(m.group(2));
                if (first > last || last >= size) {
                    throw new S3Exception(S3Error.INVALID_ARGUMENT, "Range specified is not valid for source"
                            + " object of size: " + size);
                }
                offset = first;
                length = last - first + 1;
            }
            Blob blob = copyBytes(source, offset, length);
            PartRecord record = commitBlob(bucket, blob,
                    () -> store.putPart(bucket.name(), req.key(), uploadId, part, blob));
            Xml xml = new Xml().root("CopyPartResult")
                    .element("LastModified", HttpDates.iso(record.getLastModifiedMs()))
                    .element("ETag", '"' + record.getEtag() + '"')
                    .close("CopyPartResult");
            return S3Responses.xml(HttpStatus.OK, xml, site, req.requestId());
        }
    }

    private HttpResponse completeUpload(S3Request req, BucketInfo bucket) {
        requireWriter(req);
        String uploadId = uploadId(req);
        SmallXml doc = SmallXml.parse(readSmallBody(req, MAX_XML_BODY_BYTES), "CompleteMultipartUpload");
        List<LocalStore.CompletedPart> parts = new ArrayList<>();
        for (SmallXml p : doc.children("Part")) {
            String number = p.childText("PartNumber");
            String etag = p.childText("ETag");
            if (number == null || etag == null) {
                throw new S3Exception(S3Error.MALFORMED_XML, "Every Part needs a PartNumber and an ETag.");
            }
            int n;
            try {
                n = Integer.parseInt(number.trim());
            } catch (NumberFormatException e) {
                throw new S3Exception(S3Error.MALFORMED_XML, "PartNumber must be an integer, got '" + number + "'.");
            }
            if (n < 1 || n > MAX_PART_NUMBER) {
                throw new S3Exception(S3Error.INVALID_ARGUMENT,
                        "PartNumber must be between 1 and " + MAX_PART_NUMBER + ", got " + n + ".");
            }
            parts.add(new LocalStore.CompletedPart(n, Conditionals.unquote(etag)));
        }
        Precondition pre = new Precondition(etagOrStar(req.header("if-match")), etagOrStar(req.header("if-none-match")));
        ObjectMeta meta = commit(bucket, () -> store.completeUpload(bucket.name(), req.key(), uploadId, parts, minPartSize,
                pre));
        Xml xml = new Xml().root("CompleteMultipartUploadResult")
                .element("Location", "/" + bucket.name() + "/" + req.key())
                .element("Bucket", bucket.name())
                .element("Key", req.key())
                .element("ETag", meta.quotedEtag())
                .close("CompleteMultipartUploadResult");
        return S3Responses.xml(HttpStatus.OK, xml, site, req.requestId());
    }

    private HttpResponse abortUpload(S3Request req, BucketInfo bucket) {
        requireWriter(req);
        String uploadId = uploadId(req);
        commit(bucket, () -> {
            store.abortUpload(bucket.name(), req.key(), uploadId);
            return null;
        });
        return S3Responses.empty(HttpStatus.NO_CONTENT, site, req.requestId());
    }

    // ---------------------------------------------------------------- reads for other sites

    /** Answers another site's fetch of an object this site owns. */
    public CompletableFuture<FetchResult> fetchLocal(String bucketName, String key, String ifNoneMatchVersion,
                                                     boolean metadataOnly, @Nullable String leaseHolder) {
        long quiet = ownerLeases.quietRemainingNanos();
        if (quiet > 0) {
            // Restarted moments ago: it may not answer until leases it forgot have run out.
            return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(quiet,
                    java.util.concurrent.TimeUnit.NANOSECONDS, blocking))
                    .thenCompose(ignored -> fetchLocal(bucketName, key, ifNoneMatchVersion, metadataOnly, leaseHolder));
        }
        return blocking(() -> {
            Optional<BucketInfo> bucket = namespace.state().bucket(bucketName);
            if (bucket.isEmpty()) {
                return new FetchResult.Missing(FetchResult.Reason.NO_SUCH_BUCKET,
                        "The specified bucket " + bucketName + " does not exist.");
            }
            if (!bucket.get().ownerSite().equals(site)) {
                return new FetchResult.Missing(FetchResult.Reason.NOT_OWNER,
                        "Site " + site + " does not own " + bucketName + "; " + bucket.get().ownerSite() + " does.");
            }
            // The read and the lease granted on what it read are one step against a write becoming
            // visible: a grant is either revoked by that write or made after it.
            LeaseTable.Granted<FetchResult> read = ownerLeases.read(bucketName, key, leaseHolder,
                    () -> readCurrent(bucketName, key, ifNoneMatchVersion, metadataOnly),
                    r -> !(r instanceof FetchResult.Missing));
            return withGrant(read.value(), read.leased() ? new FetchResult.Grant(read.seq(), read.leaseNanos())
                    : FetchResult.Grant.NONE);
        });
    }

    private FetchResult readCurrent(String bucketName, String key, String ifNoneMatchVersion, boolean metadataOnly) {
        if (metadataOnly) {
            return store.head(bucketName, key).<FetchResult>map(FetchResult.NotModified::new)
                    .orElseGet(() -> new FetchResult.Missing(FetchResult.Reason.NO_SUCH_KEY,
                            "The specified key does not exist."));
        }
        Optional<OpenObject> open;
        try {
            open = store.open(bucketName, key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (open.isEmpty()) {
            return new FetchResult.Missing(FetchResult.Reason.NO_SUCH_KEY, "The specified key does not exist.");
        }
        OpenObject o = open.get();
        if (o.meta().versionId().equals(ifNoneMatchVersion)) {
            closeQuietly(o);
            return new FetchResult.NotModified(o.meta());
        }
        return new FetchResult.Found(o.meta(), FileStreams.read(o.channels(), o.lengths(), 0, o.meta().size(),
                blocking, o));
    }

    private static FetchResult withGrant(FetchResult r, FetchResult.Grant grant) {
        if (r instanceof FetchResult.Found) {
            return new FetchResult.Found(((FetchResult.Found) r).meta(), ((FetchResult.Found) r).body(), grant);
        }
        if (r instanceof FetchResult.NotModified) {
            return new FetchResult.NotModified(((FetchResult.NotModified) r).meta(), grant);
        }
        return r;
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Commits a write under the bucket's guard, if the bucket is still owned here at the epoch the
     * write carries; otherwise the write is refused and the client told to retry.
     */
    private <T> T commit(BucketInfo bucket, Supplier<T> write) {
        Lock guard = bucketGuards.get(bucket.name()).readLock();
        guard.lock();
        try {
            Optional<BucketInfo> now = namespace.state().bucket(bucket.name());
            if (now.isEmpty()) {
                throw new S3Exception(S3Error.NO_SUCH_BUCKET, "The specified bucket does not exist.", "/" + bucket.name());
            }
            if (!now.get().ownerSite().equals(site) || now.get().epoch() != bucket.epoch()) {
                throw new S3Exception(S3Error.SERVICE_UNAVAILABLE, "Ownership of bucket " + bucket.name()
                        + " changed while the request ran; retry it.");
            }
            return write.get();
        } catch (StoreException e) {
            throw fromStore(e);
        } finally {
            guard.unlock();
        }
    }

    /** Commits a write that brings a new blob; if the write is refused, the blob is discarded. */
    private <T> T commitBlob(BucketInfo bucket, Blob blob, Supplier<T> write) {
        try {
            return commit(bucket, write);
        } catch (RuntimeException e) {
            store.discard(blob);
            throw e;
        }
    }

    private static S3Exception fromStore(StoreException e) {
        switch (e.kind()) {
            case PRECONDITION_FAILED:
                return new S3Exception(S3Error.PRECONDITION_FAILED, e.getMessage());
            case STALE_EPOCH:
                return new S3Exception(S3Error.STALE_EPOCH, e.getMessage() + "; retry the request.");
            case NO_SUCH_UPLOAD:
                return new S3Exception(S3Error.NO_SUCH_UPLOAD, e.getMessage());
            case INVALID_PART:
                return new S3Exception(S3Error.INVALID_PART, e.getMessage());
            case INVALID_PART_ORDER:
                return new S3Exception(S3Error.INVALID_PART_ORDER, e.getMessage());
            case ENTITY_TOO_SMALL:
                return new S3Exception(S3Error.ENTITY_TOO_SMALL, e.getMessage());
            default:
                return new S3Exception(S3Error.INTERNAL_ERROR, e.getMessage());
        }
    }

    /** Reads the request body into a new durable blob; nothing is visible until it is committed. */
    private Blob receive(S3Request req, long maxBytes) {
        LocalStore.BlobWriter writer;
        try {
            writer = store.newBlob();
        } catch (IOException e) {
            req.body().abort();
            throw new UncheckedIOException(e);
        }
        try (InputStream in = req.body().toInputStream(Function.identity())) {
            byte[] buf = new byte[256 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                writer.write(buf, 0, n);
                if (writer.length() > maxBytes) {
                    throw new S3Exception(S3Error.ENTITY_TOO_LARGE,
                            "Your upload exceeds the maximum allowed size of " + maxBytes + " bytes.");
                }
            }
            if (req.contentLength() >= 0 && writer.length() != req.contentLength()) {
                throw new S3Exception(S3Error.INCOMPLETE_BODY, "You did not provide the number of bytes specified"
                        + " by the Content-Length HTTP header: got " + writer.length() + " of " + req.contentLength() + ".");
            }
            return writer.finish();
        } catch (IOException e) {
            writer.abort();
            throw PayloadErrors.toS3(e);
        } catch (RuntimeException e) {
            writer.abort();
            req.body().abort();
            throw PayloadErrors.toS3(e);
        }
    }

    private byte[] readSmallBody(S3Request req, int maxBytes) {
        try (InputStream in = req.body().toInputStream(Function.identity())) {
            byte[] data = in.readNBytes(maxBytes + 1);
            if (data.length > maxBytes) {
                Bodies.skipRest(in);
                throw new S3Exception(S3Error.MALFORMED_XML, "The request body is larger than " + maxBytes + " bytes.");
            }
            return data;
        } catch (IOException e) {
            throw PayloadErrors.toS3(e);
        }
    }

    private ObjectResponses.Source openSource(S3Request req, CopySource src) {
        FederationState state = namespace.state();
        BucketInfo srcBucket = state.bucket(src.bucket()).orElseGet(() -> join(namespace.sync()).bucket(src.bucket())
                .orElseThrow(() -> new S3Exception(S3Error.NO_SUCH_BUCKET, "The source bucket does not exist.",
                        "/" + src.bucket())));
        if (!req.principal().canAccessTenant(srcBucket.tenant())) {
            throw new S3Exception(S3Error.ACCESS_DENIED, "Access to the copy source is denied.", "/" + src.bucket());
        }
        if (srcBucket.ownerSite().equals(site)) {
            try {
                OpenObject o = store.open(src.bucket(), src.key()).orElseThrow(() -> new S3Exception(S3Error.NO_SUCH_KEY,
                        "The specified copy source does not exist.", "/" + src.bucket() + "/" + src.key()));
                return new ObjectResponses.Source(o.meta(), o.channels(), o.lengths(), o);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        RemoteObjects.Read read = join(remote.read(ownerInfo(srcBucket), src.bucket(), src.key(), req.requestId()));
        if (read instanceof RemoteObjects.Read.Found) {
            RemoteObjects.Read.Found found = (RemoteObjects.Read.Found) read;
            return new ObjectResponses.Source(found.meta(), List.of(found.data().channel()), List.of(found.meta().size()),
                    found.data());
        }
        RemoteObjects.Read.Missing missing = (RemoteObjects.Read.Missing) read;
        throw new S3Exception(missing.reason() == FetchResult.Reason.UNAVAILABLE ? S3Error.SERVICE_UNAVAILABLE
                : S3Error.NO_SUCH_KEY, "Copy source: " + missing.message(), "/" + src.bucket() + "/" + src.key());
    }

    private Blob copyBytes(ObjectResponses.Source source, long offset, long length) {
        try {
            LocalStore.BlobWriter writer = store.newBlob();
            try {
                ByteBuffer buf = ByteBuffer.allocate(256 * 1024);
                long position = offset;
                long end = offset + length;
                while (position < end) {
                    long skip = position;
                    int segment = 0;
                    while (skip >= source.lengths().get(segment)) {
                        skip -= source.lengths().get(segment);
                        segment++;
                    }
                    FileChannel channel = source.channels().get(segment);
                    buf.clear();
                    long want = Math.min(buf.capacity(), Math.min(end - position, source.lengths().get(segment) - skip));
                    buf.limit((int) want);
                    int n = channel.read(buf, skip);
                    if (n < 0) {
                        throw new IOException("copy source is shorter than its recorded size");
                    }
                    buf.flip();
                    writer.write(buf);
                    position += n;
                }
                return writer.finish();
            } catch (IOException | RuntimeException e) {
                writer.abort();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void checkCopyConditions(S3Request req, ObjectMeta meta) {
        Conditionals.Outcome outcome = Conditionals.evaluate(meta, req.header("x-amz-copy-source-if-match"),
                req.header("x-amz-copy-source-if-none-match"), req.header("x-amz-copy-source-if-modified-since"),
                req.header("x-amz-copy-source-if-unmodified-since"));
        if (outcome != Conditionals.Outcome.PROCEED) {
            throw new S3Exception(S3Error.PRECONDITION_FAILED,
                    "At least one of the copy-source preconditions you specified did not hold.");
        }
    }

    static ObjectAttributes attributes(S3Request req) {
        ImmutableMap.Builder<String, String> headers = ImmutableMap.builder();
        for (String name : STORED_HEADERS) {
            String value = req.header(name);
            if (name.equals("content-encoding") && value != null) {
                value = withoutAwsChunked(value);
            }
            if (value != null && !value.isEmpty()) {
                headers.put(name, value);
            }
        }
        Map<String, String> meta = new java.util.LinkedHashMap<>();
        int metaBytes = 0;
        for (Map.Entry<String, String> h : req.headers()) {
            if (h.getKey().startsWith("x-amz-meta-")) {
                String name = h.getKey().substring("x-amz-meta-".length());
                meta.merge(name, h.getValue(), (a, b) -> a + "," + b);
                metaBytes += name.length() + h.getValue().getBytes(StandardCharsets.UTF_8).length;
            }
        }
        if (metaBytes > MAX_USER_METADATA_BYTES) {
            throw new S3Exception(S3Error.METADATA_TOO_LARGE, "Your metadata headers exceed the maximum allowed"
                    + " metadata size of " + MAX_USER_METADATA_BYTES + " bytes.");
        }
        String contentType = req.header("content-type");
        return new ObjectAttributes(contentType == null ? "" : contentType, headers.buildKeepingLast(),
                ImmutableMap.copyOf(meta));
    }

    private static ObjectAttributes attributesOf(ObjectMeta meta) {
        return new ObjectAttributes(meta.contentType(), meta.headers(), meta.userMetadata());
    }

    /** Returns a Content-Encoding without the aws-chunked transfer coding, or null if nothing is left. */
    static @Nullable String withoutAwsChunked(String contentEncoding) {
        StringBuilder sb = new StringBuilder();
        for (String part : contentEncoding.split(",")) {
            String p = part.trim();
            if (!p.isEmpty() && !p.equalsIgnoreCase("aws-chunked")) {
                if (sb.length() > 0) {
                    sb.append(',');
                }
                sb.append(p);
            }
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    private static @Nullable String etagOrStar(@Nullable String header) {
        if (header == null) {
            return null;
        }
        String h = header.trim();
        return h.equals("*") ? "*" : Conditionals.unquote(h);
    }

    /** Checks the length of a request's key, for any operation on an object. */
    static void checkKeyLength(S3Request req) {
        String key = req.key();
        if (key != null && key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            Bodies.discard(req.body());
            throw new S3Exception(S3Error.KEY_TOO_LONG, "Your key is too long: keys are at most " + MAX_KEY_BYTES
                    + " bytes of UTF-8.");
        }
    }

    /**
     * Checks a key an operation is about to write: not empty, not too long, and made only of
     * characters that XML 1.0 can hold, so that every listing of it is a well-formed document.
     */
    static void checkKey(S3Request req) {
        String key = req.key();
        if (key == null || key.isEmpty()) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT, "An object key must not be empty.");
        }
        checkKeyLength(req);
        if (!Xml.isValidText(key)) {
            Bodies.discard(req.body());
            throw new S3Exception(S3Error.INVALID_ARGUMENT, "The key holds a character that XML 1.0 cannot"
                    + " represent (a control character other than tab, CR and LF, U+FFFE, U+FFFF or an unpaired"
                    + " surrogate), so no listing could show it; choose another key.");
        }
    }

    private static void requireWriter(S3Request req) {
        if (!req.principal().role().canWrite()) {
            Bodies.discard(req.body());
            throw new S3Exception(S3Error.ACCESS_DENIED, "Access key " + req.principal().id() + " is read-only.");
        }
    }

    private String region(BucketInfo bucket) {
        return namespace.state().site(bucket.ownerSite()).map(SiteInfo::region).orElse("us-east-1");
    }

    private SiteInfo ownerInfo(BucketInfo bucket) {
        return namespace.state().site(bucket.ownerSite()).orElseThrow(() -> new S3Exception(
                S3Error.SERVICE_UNAVAILABLE, "The owner site " + bucket.ownerSite() + " is not registered yet; retry."));
    }

    static S3Exception noSuchKey(S3Request req) {
        return new S3Exception(S3Error.NO_SUCH_KEY, "The specified key does not exist.", req.resource());
    }

    private static S3Exception noSuchUpload(String uploadId) {
        return new S3Exception(S3Error.NO_SUCH_UPLOAD, "The specified multipart upload " + uploadId
                + " does not exist. It may have been aborted or completed.");
    }

    static S3Exception missing(S3Request req, RemoteObjects.Read.Missing missing) {
        switch (missing.reason()) {
            case NO_SUCH_KEY:
                return noSuchKey(req);
            case NO_SUCH_BUCKET:
                return new S3Exception(S3Error.NO_SUCH_BUCKET, "The specified bucket does not exist.", "/" + req.bucket());
            case UNAVAILABLE:
                return new S3Exception(S3Error.SITE_ISOLATED, missing.message()
                        + ". The site that owns this bucket could not be reached; retry later, or at the owner site.");
            default:
                return new S3Exception(S3Error.SERVICE_UNAVAILABLE, missing.message() + "; retry the request.");
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // read handle
        }
    }

    private <T> CompletableFuture<T> blocking(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, blocking);
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    /** Bounds a namespace call and turns its refusals into S3 errors. */
    static <T> CompletableFuture<T> namespaceCall(CompletableFuture<T> call) {
        return call.orTimeout(NAMESPACE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .handle((value, error) -> {
                    if (error == null) {
                        return value;
                    }
                    throw new CompletionException(fromNamespace(error));
                });
    }

    static <T> T join(CompletableFuture<T> call) {
        try {
            return namespaceCall(call).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause() : e;
        }
    }

    static RuntimeException fromNamespace(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof S3Exception) {
            return (S3Exception) cause;
        }
        if (cause instanceof NamespaceException) {
            NamespaceException ne = (NamespaceException) cause;
            switch (ne.outcome()) {
                case ALREADY_EXISTS:
                    return new S3Exception(S3Error.BUCKET_ALREADY_EXISTS, "The requested bucket name is not available."
                            + " Bucket names are shared by every tenant of the federation; choose another name.");
                case ALREADY_OWNED_BY_YOU:
                    return new S3Exception(S3Error.BUCKET_ALREADY_OWNED_BY_YOU,
                            "Your previous request to create the named bucket succeeded and you already own it.");
                case NOT_FOUND:
                    return new S3Exception(S3Error.NO_SUCH_BUCKET, "The specified bucket does not exist.");
                case CONFLICT:
                    return new S3Exception(S3Error.SERVICE_UNAVAILABLE, ne.getMessage() + "; retry the request.");
                default:
                    return new S3Exception(S3Error.INVALID_ARGUMENT, ne.getMessage());
            }
        }
        if (cause instanceof TimeoutException) {
            return new S3Exception(S3Error.SERVICE_UNAVAILABLE, "The federation did not answer within "
                    + NAMESPACE_TIMEOUT.toSeconds() + " s; a majority of core sites may be unreachable. Retry later.");
        }
        log.warn("Namespace call failed", cause);
        return new S3Exception(S3Error.SERVICE_UNAVAILABLE, "The federation could not complete the request ("
                + cause.getMessage() + "); retry later.");
    }
}
