package io.meridian.node.store;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.util.concurrent.Striped;
import com.google.protobuf.InvalidProtocolBufferException;
import io.meridian.namespace.ObjectMeta;
import io.meridian.node.store.proto.ObjectRecord;
import io.meridian.node.store.proto.PartRecord;
import io.meridian.node.store.proto.Segment;
import io.meridian.node.store.proto.UploadRecord;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import org.jspecify.annotations.Nullable;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A site's local, flash-backed store: object bytes in blob files, metadata in RocksDB.
 *
 * <p>Durability: a blob is fsynced, renamed into place and its directory fsynced before any
 * metadata refers to it; metadata commits with a synced WAL write. A version becomes visible only
 * with that commit, so an interrupted upload never leaves a partial object. Blobs no longer
 * referenced are recorded for deletion in the same commit and deleted after it (again at startup
 * if the process died in between).
 *
 * <p>Every write carries the epoch of its domain's write lease; the store refuses a write whose
 * epoch is older than the newest it has seen for that domain. Writes and deletes of one key are
 * serialized, and their preconditions are checked atomically with the commit.
 *
 * <p>Thread-safe. All methods block on disk; call them from blocking threads.
 */
public final class LocalStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalStore.class);
    private static final byte SEP = 0;
    private static final int OPEN_RETRIES = 8;

    static {
        RocksDB.loadLibrary();
    }

    private final Path blobs;
    private final Path tmp;
    private final Clock clock;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles;
    private final ColumnFamilyHandle objects;
    private final ColumnFamilyHandle uploads;
    private final ColumnFamilyHandle parts;
    private final ColumnFamilyHandle garbage;
    private final ColumnFamilyHandle domains;
    private final WriteOptions synced = new WriteOptions().setSync(true);
    private final WriteOptions unsynced = new WriteOptions();
    private final Striped<Lock> keyLocks = Striped.lock(1024);
    private final Map<String, Long> domainEpochs = new ConcurrentHashMap<>();

    private final VisibilityGate gate;

    /**
     * What must happen before a new version of an object becomes visible: called with the version
     * durable in the batch but not yet written; the change is written when it returns and the
     * returned handle is closed right after. The site's read leases plug in here.
     */
    @FunctionalInterface
    public interface VisibilityGate {
        VisibilityGate NONE = (bucket, key) -> () -> { };

        /** Waits until {@code bucket/key} may change; throws to refuse the change. */
        Opened beforeVisible(String bucket, String key);

        /** Closed once the change is visible (or was not made). */
        interface Opened extends AutoCloseable {
            @Override
            void close();
        }
    }

    private LocalStore(Path root, Clock clock, VisibilityGate gate) throws IOException {
        this.gate = gate;
        this.blobs = root.resolve("blobs");
        this.tmp = root.resolve("tmp");
        this.clock = clock;
        Files.createDirectories(blobs);
        Files.createDirectories(tmp);
        wipe(tmp);
        Path meta = root.resolve("meta");
        Files.createDirectories(meta);
        dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        cfOptions = new ColumnFamilyOptions();
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
                new ColumnFamilyDescriptor(bytes("objects"), cfOptions),
                new ColumnFamilyDescriptor(bytes("uploads"), cfOptions),
                new ColumnFamilyDescriptor(bytes("parts"), cfOptions),
                new ColumnFamilyDescriptor(bytes("garbage"), cfOptions),
                new ColumnFamilyDescriptor(bytes("domains"), cfOptions));
        handles = new ArrayList<>();
        try {
            db = RocksDB.open(dbOptions, meta.toString(), descriptors, handles);
        } catch (RocksDBException e) {
            throw new IOException("cannot open the metadata store in " + meta + ": " + e.getMessage(), e);
        }
        objects = handles.get(1);
        uploads = handles.get(2);
        parts = handles.get(3);
        garbage = handles.get(4);
        domains = handles.get(5);
        collectGarbage();
    }

    /** Opens (creating if needed) the store under {@code root}. */
    public static LocalStore open(Path root, Clock clock) throws IOException {
        return new LocalStore(root, clock, VisibilityGate.NONE);
    }

    /** Opens the store; every change to an object passes {@code gate} before it becomes visible. */
    public static LocalStore open(Path root, Clock clock, VisibilityGate gate) throws IOException {
        return new LocalStore(root, clock, gate);
    }

    /** Whether a store already exists under {@code root} (the site ran here before). */
    public static boolean exists(Path root) {
        return Files.isDirectory(root.resolve("meta"));
    }

    // ---------------------------------------------------------------- blobs

    /** Starts writing a new blob; nothing refers to it until an object or part commits it. */
    public BlobWriter newBlob() throws IOException {
        return new BlobWriter();
    }

    /** Writes bytes to a temporary file, hashing them, then makes them durable as a blob. */
    public final class BlobWriter implements Closeable {
        private final String id = UUID.randomUUID().toString().replace("-", "");
        private final Path path = tmp.resolve(id);
        private final FileChannel channel;
        private final MessageDigest md5 = md5();
        private long length;
        private boolean done;

        private BlobWriter() throws IOException {
            channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }

        public void write(ByteBuffer data) throws IOException {
            ByteBuffer forDigest = data.duplicate();
            md5.update(forDigest);
            while (data.hasRemaining()) {
                length += channel.write(data);
            }
        }

        public void write(byte[] data, int offset, int len) throws IOException {
            write(ByteBuffer.wrap(data, offset, len));
        }

        public long length() {
            return length;
        }

        /** Makes the bytes durable and returns the blob. */
        public Blob finish() throws IOException {
            checkArgument(!done, "blob already finished");
            done = true;
            channel.force(true);
            channel.close();
            Path dir = blobDir(id);
            Files.createDirectories(dir);
            Files.move(path, dir.resolve(id), StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(dir);
            return new Blob(id, length, HexFormat.of().formatHex(md5.digest()));
        }

        /** Discards the bytes. Safe to call after {@link #finish}, when it does nothing. */
        public void abort() {
            if (done) {
                return;
            }
            done = true;
            try {
                channel.close();
                Files.deleteIfExists(path);
            } catch (IOException e) {
                log.warn("Could not remove an abandoned upload file {}", path, e);
            }
        }

        @Override
        public void close() {
            abort();
        }
    }

    private Path blobDir(String id) {
        return blobs.resolve(id.substring(0, 2));
    }

    private Path blobPath(String id) {
        return blobDir(id).resolve(id);
    }

    // ---------------------------------------------------------------- objects

    /**
     * Commits {@code blob} as the new current version of {@code bucket/key} if {@code precondition}
     * holds for the current version and {@code epoch} is not stale.
     *
     * @throws StoreException PRECONDITION_FAILED or STALE_EPOCH; the blob is then discarded
     */
    public ObjectMeta putObject(String bucket, String key, long epoch, Blob blob, ObjectAttributes attrs,
                                Precondition precondition) {
        ObjectRecord record = newRecord(attrs, epoch, blob.md5Hex(), blob.length(), 0)
                .addSegments(Segment.newBuilder().setBlobId(blob.id()).setLength(blob.length()))
                .build();
        try {
            return commitObject(bucket, key, record, precondition, batch -> { });
        } catch (StoreException e) {
            deleteBlob(blob.id());
            throw e;
        }
    }

    private ObjectRecord.Builder newRecord(ObjectAttributes attrs, long epoch, String etag, long size, int partCount) {
        return ObjectRecord.newBuilder()
                .setVersionId(UUID.randomUUID().toString().replace("-", ""))
                .setEtag(etag)
                .setSize(size)
                .setLastModifiedMs(clock.millis())
                .setContentType(attrs.contentType())
                .putAllHeaders(attrs.headers())
                .putAllUserMetadata(attrs.userMetadata())
                .setPartCount(partCount)
                .setEpoch(epoch);
    }

    /** More changes to commit in the same batch as an object's new version. */
    @FunctionalInterface
    private interface BatchChanges {
        void addTo(WriteBatch batch) throws RocksDBException;
    }

    private ObjectMeta commitObject(String bucket, String key, ObjectRecord record, Precondition precondition,
                                    BatchChanges alongside) {
        byte[] k = objectKey(bucket, key);
        Lock lock = keyLocks.get(bucket + '\u0000' + key);
        lock.lock();
        List<String> obsolete = new ArrayList<>();
        try (WriteBatch batch = new WriteBatch()) {
            checkEpoch(bucket, record.getEpoch(), batch);
            ObjectRecord current = readObject(k);
            if (!precondition.holds(current == null ? null : current.getEtag())) {
                throw new StoreException(StoreException.Kind.PRECONDITION_FAILED,
                        "At least one of the preconditions you specified did not hold for " + bucket + "/" + key);
            }
            if (current != null) {
                current.getSegmentsList().forEach(s -> obsolete.add(s.getBlobId()));
            }
            for (String id : obsolete) {
                batch.put(garbage, bytes(id), new byte[0]);
            }
            batch.put(objects, k, record.toByteArray());
            alongside.addTo(batch);
            try (VisibilityGate.Opened visible = gate.beforeVisible(bucket, key)) {
                db.write(synced, batch);
            }
        } catch (RocksDBException e) {
            throw new UncheckedIOException(new IOException("metadata write failed: " + e.getMessage(), e));
        } finally {
            lock.unlock();
        }
        obsolete.forEach(this::collect);
        return meta(record);
    }

    /** Returns the current version's metadata, if the object exists. */
    public Optional<ObjectMeta> head(String bucket, String key) {
        ObjectRecord r = readObject(objectKey(bucket, key));
        return r == null ? Optional.empty() : Optional.of(meta(r));
    }

    /** Opens the current version for reading, if the object exists. */
    public Optional<OpenObject> open(String bucket, String key) throws IOException {
        byte[] k = objectKey(bucket, key);
        for (int attempt = 0; attempt < OPEN_RETRIES; attempt++) {
            ObjectRecord r = readObject(k);
            if (r == null) {
                return Optional.empty();
            }
            List<FileChannel> channels = new ArrayList<>();
            List<Long> lengths = new ArrayList<>();
            try {
                for (Segment s : r.getSegmentsList()) {
                    channels.add(FileChannel.open(blobPath(s.getBlobId()), StandardOpenOption.READ));
                    lengths.add(s.getLength());
                }
                return Optional.of(new OpenObject(meta(r), channels, lengths));
            } catch (NoSuchFileException replacedMeanwhile) {
                for (FileChannel c : channels) {
                    c.close();
                }
            }
        }
        throw new IOException("object " + bucket + "/" + key + " kept changing while it was being opened");
    }

    /**
     * Deletes the current version if {@code precondition} holds; returns the deleted version's
     * metadata, or empty if there was none (deleting nothing succeeds, as in S3).
     */
    public Optional<ObjectMeta> deleteObject(String bucket, String key, long epoch, Precondition precondition) {
        byte[] k = objectKey(bucket, key);
        Lock lock = keyLocks.get(bucket + '\u0000' + key);
        lock.lock();
        ObjectRecord current;
        try (WriteBatch batch = new WriteBatch()) {
            checkEpoch(bucket, epoch, batch);
            current = readObject(k);
            if (!precondition.holds(current == null ? null : current.getEtag())) {
                throw new StoreException(StoreException.Kind.PRECONDITION_FAILED,
                        "At least one of the preconditions you specified did not hold for " + bucket + "/" + key);
            }
            if (current == null) {
                return Optional.empty();
            }
            for (Segment s : current.getSegmentsList()) {
                batch.put(garbage, bytes(s.getBlobId()), new byte[0]);
            }
            batch.delete(objects, k);
            try (VisibilityGate.Opened visible = gate.beforeVisible(bucket, key)) {
                db.write(synced, batch);
            }
        } catch (RocksDBException e) {
            throw new UncheckedIOException(new IOException("metadata write failed: " + e.getMessage(), e));
        } finally {
            lock.unlock();
        }
        current.getSegmentsList().forEach(s -> collect(s.getBlobId()));
        return Optional.of(meta(current));
    }

    /** Returns whether {@code bucket} holds any object. */
    public boolean hasObjects(String bucket) {
        byte[] prefix = objectKey(bucket, "");
        try (RocksIterator it = db.newIterator(objects)) {
            it.seek(prefix);
            return it.isValid() && startsWith(it.key(), prefix);
        }
    }

    /**
     * Lists up to {@code maxKeys} objects and common prefixes of {@code bucket} under
     * {@code prefix}, in UTF-8 byte order, starting after {@code startAfter} (exclusive; if it is a
     * common prefix, after everything it rolls up).
     */
    public Listing list(String bucket, String prefix, @Nullable String delimiter, @Nullable String startAfter,
                        int maxKeys) {
        checkArgument(maxKeys >= 0, "maxKeys must not be negative");
        String delim = delimiter == null || delimiter.isEmpty() ? null : delimiter;
        byte[] base = objectKey(bucket, "");
        byte[] scope = objectKey(bucket, prefix);
        List<Listing.Entry> contents = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        String last = null;
        try (ReadOptions ro = new ReadOptions(); RocksIterator it = db.newIterator(objects, ro)) {
            if (startAfter != null && compareUtf8(startAfter, prefix) >= 0) {
                String rolled = delim == null ? null : commonPrefix(startAfter, prefix, delim);
                if (rolled != null && rolled.equals(startAfter)) {
                    it.seek(successor(objectKey(bucket, rolled)));
                } else {
                    byte[] from = objectKey(bucket, startAfter);
                    it.seek(from);
                    if (it.isValid() && Arrays.equals(it.key(), from)) {
                        it.next();
                    }
                }
            } else {
                it.seek(scope);
            }
            while (it.isValid() && startsWith(it.key(), scope)) {
                if (contents.size() + prefixes.size() >= maxKeys) {
                    return new Listing(contents, prefixes, maxKeys > 0, last);
                }
                String key = new String(it.key(), base.length, it.key().length - base.length, StandardCharsets.UTF_8);
                String rolled = delim == null ? null : commonPrefix(key, prefix, delim);
                if (rolled != null) {
                    prefixes.add(rolled);
                    last = rolled;
                    it.seek(successor(objectKey(bucket, rolled)));
                    continue;
                }
                contents.add(new Listing.Entry(key, meta(parseObject(it.value()))));
                last = key;
                it.next();
            }
        }
        return new Listing(contents, prefixes, false, last);
    }

    private static @Nullable String commonPrefix(String key, String prefix, String delimiter) {
        if (!key.startsWith(prefix)) {
            return null;
        }
        int at = key.indexOf(delimiter, prefix.length());
        return at < 0 ? null : key.substring(0, at + delimiter.length());
    }

    // ---------------------------------------------------------------- multipart uploads

    /** Starts a multipart upload and returns its id. */
    public String createUpload(String bucket, String key, long epoch, ObjectAttributes attrs) {
        String id = UUID.randomUUID().toString().replace("-", "") + Long.toHexString(clock.millis());
        UploadRecord record = UploadRecord.newBuilder()
                .setUploadId(id)
                .setBucket(bucket)
                .setKey(key)
                .setInitiatedMs(clock.millis())
                .setContentType(attrs.contentType())
                .putAllHeaders(attrs.headers())
                .putAllUserMetadata(attrs.userMetadata())
                .setEpoch(epoch)
                .build();
        try (WriteBatch batch = new WriteBatch()) {
            checkEpoch(bucket, epoch, batch);
            batch.put(uploads, uploadKey(bucket, id), record.toByteArray());
            db.write(synced, batch);
        } catch (RocksDBException e) {
            throw new UncheckedIOException(new IOException("metadata write failed: " + e.getMessage(), e));
        }
        return id;
    }

    /** Returns an upload in progress, if it exists and belongs to {@code bucket/key}. */
    public Optional<UploadRecord> upload(String bucket, String key, String uploadId) {
        try {
            byte[] v = db.get(uploads, uploadKey(bucket, uploadId));
            if (v == null) {
                return Optional.empty();
            }
            UploadRecord r = UploadRecord.parseFrom(v);
            return r.getKey().equals(key) ? Optional.of(r) : Optional.empty();
        } catch (RocksDBException | InvalidProtocolBufferException e) {
            throw new UncheckedIOException(new IOException("metadata read failed: " + e.getMessage(), e));
        }
    }

    /**
     * Records {@code blob} as part {@code partNumber} of an upload, replacing an earlier upload of
     * the same part.
     *
     * @throws StoreException NO_SUCH_UPLOAD; the blob is then discarded
     */
    public PartRecord putPart(String bucket, String key, String uploadId, int partNumber, Blob blob) {
        Lock lock = keyLocks.get("upload\u0000" + uploadId);
        lock.lock();
        List<String> obsolete = new ArrayList<>();
        try (WriteBatch batch = new WriteBatch()) {
            if (upload(bucket, key, uploadId).isEmpty()) {
                deleteBlob(blob.id());
                throw new StoreException(StoreException.Kind.NO_SUCH_UPLOAD, noSuchUpload(uploadId));
            }
            byte[] pk = partKey(bucket, uploadId, partNumber);
            byte[] previous = db.get(parts, pk);
            if (previous != null) {
                obsolete.add(PartRecord.parseFrom(previous).getBlobId());
                batch.put(garbage, bytes(obsolete.get(0)), new byte[0]);
            }
            PartRecord part = PartRecord.newBuilder()
                    .setPartNumber(partNumber)
                    .setBlobId(blob.id())
                    .setSize(blob.length())
                    .setEtag(blob.md5Hex())
                    .setLastModifiedMs(clock.millis())
                    .build();
            batch.put(parts, pk, part.toByteArray());
            db.write(synced, batch);
            obsolete.forEach(this::collect);
            return part;
        } catch (RocksDBException | InvalidProtocolBufferException e) {
            throw new UncheckedIOException(new IOException("metadata write failed: " + e.getMessage(), e));
        } finally {
            lock.unlock();
        }
    }

    /** Returns the parts of an upload with numbers above {@code afterPart}, at most {@code max}. */
    public List<PartRecord> listParts(String bucket, String uploadId, int afterPart, int max) {
        List<PartRecord> out = new ArrayList<>();
        byte[] prefix = partPrefix(bucket, uploadId);
        try (RocksIterator it = db.newIterator(parts)) {
            it.seek(partKey(bucket, uploadId, afterPart + 1));
            while (it.isValid() && startsWith(it.key(), prefix) && out.size() < max) {
                out.add(PartRecord.parseFrom(it.value()));
                it.next();
            }
        } catch (InvalidProtocolBufferException e) {
            throw new UncheckedIOException(new IOException("corrupt part record: " + e.getMessage(), e));
        }
        return out;
    }

    /** A part as a client names it when completing an upload. */
    public record CompletedPart(int partNumber, String etag) {}

    /**
     * Completes an upload: the named parts, in order, become the new current version of the key,
     * with an ETag of the MD5 of the parts' MD5s and a {@code -N} suffix. Parts not named are
     * discarded.
     *
     * @param minPartSize every part but the last must be at least this large
     */
    public ObjectMeta completeUpload(String bucket, String key, String uploadId, List<CompletedPart> named,
                                     long minPartSize, Precondition precondition) {
        Lock lock = keyLocks.get("upload\u0000" + uploadId);
        lock.lock();
        try {
            UploadRecord upload = upload(bucket, key, uploadId).orElseThrow(
                    () -> new StoreException(StoreException.Kind.NO_SUCH_UPLOAD, noSuchUpload(uploadId)));
            List<PartRecord> stored = listParts(bucket, uploadId, 0, Integer.MAX_VALUE);
            Map<Integer, PartRecord> byNumber = new java.util.HashMap<>();
            stored.forEach(p -> byNumber.put(p.getPartNumber(), p));
            MessageDigest etags = md5();
            List<Segment> segments = new ArrayList<>();
            long size = 0;
            int previous = 0;
            for (int i = 0; i < named.size(); i++) {
                CompletedPart c = named.get(i);
                if (c.partNumber() <= previous) {
                    throw new StoreException(StoreException.Kind.INVALID_PART_ORDER,
                            "The list of parts was not in ascending order. Parts must be ordered by part number.");
                }
                previous = c.partNumber();
                PartRecord p = byNumber.get(c.partNumber());
                if (p == null || !p.getEtag().equals(c.etag())) {
                    throw new StoreException(StoreException.Kind.INVALID_PART,
                            "Part " + c.partNumber() + " could not be found or its ETag does not match."
                                    + " Upload the part again, or list the parts to see their ETags.");
                }
                if (i < named.size() - 1 && p.getSize() < minPartSize) {
                    throw new StoreException(StoreException.Kind.ENTITY_TOO_SMALL,
                            "Part " + c.partNumber() + " is " + p.getSize() + " bytes; every part but the last"
                                    + " must be at least " + minPartSize + " bytes.");
                }
                etags.update(HexFormat.of().parseHex(p.getEtag()));
                segments.add(Segment.newBuilder().setBlobId(p.getBlobId()).setLength(p.getSize()).build());
                size += p.getSize();
            }
            if (named.isEmpty()) {
                throw new StoreException(StoreException.Kind.INVALID_PART, "You must specify at least one part.");
            }
            String etag = HexFormat.of().formatHex(etags.digest()) + "-" + named.size();
            ObjectAttributes attrs = new ObjectAttributes(upload.getContentType(),
                    ImmutableMap.copyOf(upload.getHeadersMap()), ImmutableMap.copyOf(upload.getUserMetadataMap()));
            ObjectRecord record = newRecord(attrs, upload.getEpoch(), etag, size, named.size())
                    .addAllSegments(segments)
                    .build();
            List<String> unused = new ArrayList<>();
            for (PartRecord p : stored) {
                if (named.stream().noneMatch(c -> c.partNumber() == p.getPartNumber())) {
                    unused.add(p.getBlobId());
                }
            }
            ObjectMeta meta = commitObject(bucket, key, record, precondition, batch -> {
                batch.delete(uploads, uploadKey(bucket, uploadId));
                for (PartRecord p : stored) {
                    batch.delete(parts, partKey(bucket, uploadId, p.getPartNumber()));
                }
                for (String id : unused) {
                    batch.put(garbage, bytes(id), new byte[0]);
                }
            });
            unused.forEach(this::collect);
            return meta;
        } finally {
            lock.unlock();
        }
    }

    /** Abandons an upload and discards its parts. */
    public void abortUpload(String bucket, String key, String uploadId) {
        Lock lock = keyLocks.get("upload\u0000" + uploadId);
        lock.lock();
        try {
            if (upload(bucket, key, uploadId).isEmpty()) {
                throw new StoreException(StoreException.Kind.NO_SUCH_UPLOAD, noSuchUpload(uploadId));
            }
            dropUpload(bucket, uploadId);
        } finally {
            lock.unlock();
        }
    }

    private void dropUpload(String bucket, String uploadId) {
        List<PartRecord> stored = listParts(bucket, uploadId, 0, Integer.MAX_VALUE);
        try (WriteBatch batch = new WriteBatch()) {
            batch.delete(uploads, uploadKey(bucket, uploadId));
            for (PartRecord p : stored) {
                batch.delete(parts, partKey(bucket, uploadId, p.getPartNumber()));
                batch.put(garbage, bytes(p.getBlobId()), new byte[0]);
            }
            db.write(synced, batch);
        } catch (RocksDBException e) {
            throw new UncheckedIOException(new IOException("metadata write failed: " + e.getMessage(), e));
        }
        stored.forEach(p -> collect(p.getBlobId()));
    }

    /** Returns the uploads in progress in {@code bucket} whose keys start with {@code prefix}. */
    public List<UploadRecord> listUploads(String bucket, String prefix, int max) {
        List<UploadRecord> out = new ArrayList<>();
        byte[] scope = uploadKey(bucket, "");
        try (RocksIterator it = db.newIterator(uploads)) {
            it.seek(scope);
            while (it.isValid() && startsWith(it.key(), scope)) {
                UploadRecord r = UploadRecord.parseFrom(it.value());
                if (r.getKey().startsWith(prefix)) {
                    out.add(r);
                }
                it.next();
            }
        } catch (InvalidProtocolBufferException e) {
            throw new UncheckedIOException(new IOException("corrupt upload record: " + e.getMessage(), e));
        }
        out.sort((a, b) -> {
            int c = compareUtf8(a.getKey(), b.getKey());
            return c != 0 ? c : Long.compare(a.getInitiatedMs(), b.getInitiatedMs());
        });
        return out.size() > max ? out.subList(0, max) : out;
    }

    /** Deletes a finished blob that no object or part will refer to (its write was refused). */
    public void discard(Blob blob) {
        deleteBlob(blob.id());
    }

    /** Discards what a deleted bucket left behind: its uploads in progress. */
    public void dropBucket(String bucket) {
        for (UploadRecord u : listUploads(bucket, "", Integer.MAX_VALUE)) {
            dropUpload(bucket, u.getUploadId());
        }
    }

    // ---------------------------------------------------------------- epochs, garbage, plumbing

    private void checkEpoch(String bucket, long epoch, WriteBatch batch) throws RocksDBException {
        long seen = domainEpochs.computeIfAbsent(bucket, this::readDomainEpoch);
        if (epoch < seen) {
            throw new StoreException(StoreException.Kind.STALE_EPOCH,
                    "write to " + bucket + " at epoch " + epoch + " refused: this site has seen epoch " + seen);
        }
        if (epoch > seen) {
            batch.put(domains, bytes(bucket), ByteBuffer.allocate(8).putLong(epoch).array());
            domainEpochs.merge(bucket, epoch, Math::max);
        }
    }

    private long readDomainEpoch(String bucket) {
        try {
            byte[] v = db.get(domains, bytes(bucket));
            return v == null ? 0 : ByteBuffer.wrap(v).getLong();
        } catch (RocksDBException e) {
            throw new UncheckedIOException(new IOException("metadata read failed: " + e.getMessage(), e));
        }
    }

    private @Nullable ObjectRecord readObject(byte[] key) {
        try {
            byte[] v = db.get(objects, key);
            return v == null ? null : parseObject(v);
        } catch (RocksDBException e) {
            throw new UncheckedIOException(new IOException("metadata read failed: " + e.getMessage(), e));
        }
    }

    private static ObjectRecord parseObject(byte[] value) {
        try {
            return ObjectRecord.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
            throw new UncheckedIOException(new IOException("corrupt object record: " + e.getMessage(), e));
        }
    }

    private static ObjectMeta meta(ObjectRecord r) {
        return new ObjectMeta(r.getVersionId(), r.getEtag(), r.getSize(), r.getLastModifiedMs(), r.getContentType(),
                ImmutableMap.copyOf(r.getHeadersMap()), ImmutableMap.copyOf(r.getUserMetadataMap()),
                r.getPartCount(), r.getEpoch());
    }

    /** Deletes a blob recorded as garbage, then forgets the record. */
    private void collect(String blobId) {
        deleteBlob(blobId);
        try {
            db.delete(garbage, unsynced, bytes(blobId));
        } catch (RocksDBException e) {
            log.warn("Could not clear the garbage record of blob {}; it is retried at startup", blobId, e);
        }
    }

    private void deleteBlob(String blobId) {
        try {
            Files.deleteIfExists(blobPath(blobId));
        } catch (IOException e) {
            log.warn("Could not delete blob {}; it is retried at startup", blobId, e);
        }
    }

    private void collectGarbage() {
        List<String> ids = new ArrayList<>();
        try (RocksIterator it = db.newIterator(garbage)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                ids.add(new String(it.key(), StandardCharsets.UTF_8));
            }
        }
        if (!ids.isEmpty()) {
            log.info("Deleting {} blobs left unreferenced by an earlier run", ids.size());
            ids.forEach(this::collect);
        }
    }

    private static byte[] objectKey(String bucket, String key) {
        byte[] b = bytes(bucket);
        byte[] k = bytes(key);
        byte[] out = new byte[b.length + 1 + k.length];
        System.arraycopy(b, 0, out, 0, b.length);
        out[b.length] = SEP;
        System.arraycopy(k, 0, out, b.length + 1, k.length);
        return out;
    }

    private static byte[] uploadKey(String bucket, String uploadId) {
        return objectKey(bucket, uploadId);
    }

    private static byte[] partPrefix(String bucket, String uploadId) {
        return objectKey(bucket, uploadId + '\u0000');
    }

    private static byte[] partKey(String bucket, String uploadId, int partNumber) {
        byte[] prefix = partPrefix(bucket, uploadId);
        return ByteBuffer.allocate(prefix.length + 4).put(prefix).putInt(partNumber).array();
    }

    /** Returns the smallest key greater than every key that starts with {@code prefix}. */
    private static byte[] successor(byte[] prefix) {
        byte[] out = prefix.clone();
        for (int i = out.length - 1; i >= 0; i--) {
            if (out[i] != (byte) 0xff) {
                out[i]++;
                return Arrays.copyOf(out, i + 1);
            }
        }
        return new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Compares strings in UTF-8 byte order, the order S3 lists keys in. */
    static int compareUtf8(String a, String b) {
        return Arrays.compareUnsigned(bytes(a), bytes(b));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String noSuchUpload(String uploadId) {
        return "The specified multipart upload " + uploadId + " does not exist. It may have been aborted or"
                + " completed.";
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has MD5", e);
        }
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        }
    }

    private static void wipe(Path dir) throws IOException {
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir)) {
            for (Path p : stale) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public void close() {
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        db.close();
        synced.close();
        unsynced.close();
        dbOptions.close();
        cfOptions.close();
    }

    /** For tests and tools: the ids of all blob files on disk. */
    ImmutableList<String> blobIdsOnDisk() throws IOException {
        ImmutableList.Builder<String> ids = ImmutableList.builder();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(blobs)) {
            for (Path d : dirs) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(d)) {
                    files.forEach(f -> ids.add(f.getFileName().toString()));
                }
            }
        }
        return ids.build();
    }
}
