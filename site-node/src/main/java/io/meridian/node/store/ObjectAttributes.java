package io.meridian.node.store;

import com.google.common.collect.ImmutableMap;

/**
 * What a client sets on an object besides its bytes.
 *
 * @param headers standard headers stored with the object, lower-case names
 * @param userMetadata {@code x-amz-meta-*} values, lower-case names without the prefix
 */
public record ObjectAttributes(String contentType, ImmutableMap<String, String> headers,
                               ImmutableMap<String, String> userMetadata) {

    public static final ObjectAttributes NONE = new ObjectAttributes("", ImmutableMap.of(), ImmutableMap.of());
}
