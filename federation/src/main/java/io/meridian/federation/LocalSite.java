package io.meridian.federation;

import com.linecorp.armeria.common.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * What the mesh asks of the site it runs in, when another site sends it work. Implemented by the
 * site node, which owns the store and the client-facing APIs.
 */
public interface LocalSite {

    /** Returns this site's name. */
    String siteName();

    /**
     * Executes a request that another site forwarded because this site owns its domain. The
     * response is what the client will see.
     */
    HttpResponse executeForwarded(ForwardedRequest request);

    /**
     * Reads the current version of an object this site owns; {@code ifNoneMatchVersion} (may be
     * empty) is the version the asking site holds. With {@code metadataOnly} the answer is the
     * current version's metadata as {@link FetchResult.NotModified}. With a {@code leaseHolder}
     * (the asking site), the answer may carry a read lease for it on the version it names. The
     * future completes on any thread.
     */
    CompletableFuture<FetchResult> fetchLocal(String bucket, String key, String ifNoneMatchVersion,
                                              boolean metadataOnly, @Nullable String leaseHolder);

    /**
     * Drops the read leases this site holds on {@code entries} from {@code ownerSite}; returns how
     * many were held. Once it returns, this site no longer answers from those leases.
     */
    int revoke(String ownerSite, List<Revocation> entries);
}
